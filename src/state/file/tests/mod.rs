//! Fixtures for the state file's tests: a policy record, an auth key with its secret, an intent,
//! and what is on disk.

mod full_save;
mod journal_save;

use std::fs;

use crate::address::Address;
use crate::state::{PolicyRecord, Record, State, StateFile};

pub(super) fn with_record(state: &mut State) {
    let a: Address = "tailnet.a.policy".parse().unwrap();
    state.resources.insert(
        a,
        Record::Policy(PolicyRecord {
            etag: Some("abc".into()),
            managed: crate::state::ManagedPolicy::File { digest: "d".into() },
        }),
    );
}

pub(super) fn key(state: &mut State, name: &str, secret: &str) -> Address {
    use crate::state::{KeyAttributes, KeyRecord};
    let a: Address = format!("tailnet.a.auth_key.{name}").parse().unwrap();
    state.resources.insert(
        a.clone(),
        Record::AuthKey(KeyRecord {
            id: format!("k{name}CNTRL"),
            secret: Some(crate::secret::Secret::new(secret).into()),
            created: None,
            expires: None,
            attributes: KeyAttributes {
                description: String::new(),
                reusable: false,
                ephemeral: false,
                preauthorized: false,
                tags: vec!["tag:a".into()],
                expiry_seconds: 3600,
                created_by: None,
            },
            delivered: Vec::new(),
            deposed: Vec::new(),
        }),
    );
    a
}

pub(super) fn on_disk_serial(file: &StateFile) -> u64 {
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(file.path()).unwrap()).unwrap();
    doc["serial"].as_u64().unwrap()
}

pub(super) fn pending_intent(n: usize) -> crate::state::Intent {
    crate::state::Intent {
        holder: None,
        id: uuid::Uuid::new_v4(),
        address: format!("tailnet.a.auth_key.k{n}").parse().unwrap(),
        tailnet_id: Some("T1CNTRL".into()),
        fingerprint: serde_json::json!({
            "keyType": "auth", "description": format!("Key number {n} of the fleet"),
            "reusable": true, "ephemeral": false, "preauthorized": true,
            "tags": ["tag:fleet", "tag:web"], "expirySeconds": 7_776_000,
        }),
        started: "2026-01-01T00:00:00Z".parse().unwrap(),
    }
}

pub(super) fn last_line_len(file: &StateFile) -> usize {
    let journal = fs::read_to_string(file.journal_path()).unwrap();
    journal.lines().last().unwrap().len()
}

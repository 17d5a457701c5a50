//! The state transitions of `StateUpdate`, without HTTP.

use super::*;
use crate::state::KeyAttributes;

fn key(id: &str) -> KeyRecord {
    KeyRecord {
        id: id.into(),
        secret: Some(Secret::new(format!("secret-{id}")).into()),
        created: None,
        expires: None,
        attributes: KeyAttributes {
            description: String::new(),
            reusable: true,
            ephemeral: false,
            preauthorized: false,
            tags: vec![],
            expiry_seconds: 60,
            created_by: None,
        },
        delivered: Vec::new(),
        deposed: vec![],
    }
}

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

#[test]
fn key_replacement_deposes_the_old_key_then_revokes_it() {
    let mut state = State::new();
    let a = addr("tailnet.t.auth_key.k");
    state
        .resources
        .insert(a.clone(), Record::AuthKey(key("k1")));
    let after: Timestamp = "2026-01-02T00:00:00Z".parse().unwrap();
    StateUpdate::KeyCreated {
        address: a.clone(),
        record: key("k2"),
        depose_current: true,
        revoke_after: Some(after),
    }
    .apply_to(&mut state);
    let r = state.auth_key(&a).unwrap();
    assert_eq!(r.id, "k2");
    assert_eq!(
        r.secret.as_ref().unwrap().open().unwrap().expose(),
        "secret-k2"
    );
    assert_eq!(
        r.deposed,
        [Deposed {
            id: "k1".into(),
            revoke_after: Some(after)
        }]
    );
    StateUpdate::ObjectDeleted {
        address: a.clone(),
        target: Target::Deposed("k1".into()),
    }
    .apply_to(&mut state);
    assert!(state.auth_key(&a).unwrap().deposed.is_empty());
    StateUpdate::ObjectDeleted {
        address: a.clone(),
        target: Target::Current("k2".into()),
    }
    .apply_to(&mut state);
    assert!(state.resources.is_empty());
}

#[test]
fn recreating_without_deposing_drops_the_old_id() {
    let mut state = State::new();
    let a = addr("tailnet.t.auth_key.k");
    state
        .resources
        .insert(a.clone(), Record::AuthKey(key("k1")));
    StateUpdate::KeyCreated {
        address: a.clone(),
        record: key("k2"),
        depose_current: false,
        revoke_after: None,
    }
    .apply_to(&mut state);
    assert!(state.auth_key(&a).unwrap().deposed.is_empty());
}

#[test]
fn deleting_a_tailnet_drops_everything_recorded_in_it() {
    let mut state = State::new();
    state
        .resources
        .insert(addr("tailnet.t.auth_key.k"), Record::AuthKey(key("k1")));
    state
        .resources
        .insert(addr("tailnet.u.auth_key.k"), Record::AuthKey(key("k2")));
    StateUpdate::TailnetDeleted {
        address: addr("tailnet.t"),
        target: Target::Current("T1".into()),
    }
    .apply_to(&mut state);
    let left: Vec<String> = state.resources.keys().map(ToString::to_string).collect();
    assert_eq!(left, ["tailnet.u.auth_key.k"]);
}

//! `State`: what tailform remembers between runs, in memory, and its versioned JSON document —
//! the one form every backend stores (the file writes it, the journal writes parts of it, the
//! PostgreSQL backend keeps it in a `jsonb` column).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::intent::Intent;
use super::record::{
    ClientRecord, IdentityRecord, KeyRecord, PolicyRecord, Record, SettingsRecord, TailnetRecord,
    WebhookRecord,
};
use super::serial::{SerialExhausted, next_serial};
use crate::address::{Address, ResourceKind};

/// The state file format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Everything tailform remembers between runs.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Fixed when the state is first created; a saved plan or a push to another backend must
    /// match it.
    pub lineage: Uuid,
    /// Incremented on every write.
    pub serial: u64,
    /// One record per managed address.
    pub resources: BTreeMap<Address, Record>,
    /// Creates in flight (recorded before each create, cleared once its result is saved).
    pub pending: Vec<Intent>,
}

impl State {
    /// A new, empty state with a fresh lineage.
    pub fn new() -> Self {
        Self {
            lineage: Uuid::new_v4(),
            serial: 0,
            resources: BTreeMap::new(),
            pending: Vec::new(),
        }
    }

    /// The serial the next save writes; refused past [`MAX_SERIAL`] (rather than wrapping to 0,
    /// after which every journal line would look older than the file and be skipped).
    pub fn next_serial(&self) -> Result<u64, SerialExhausted> {
        next_serial(self.serial)
    }

    /// The record at `address`.
    pub fn get(&self, address: &Address) -> Option<&Record> {
        self.resources.get(address)
    }

    /// The tailnet record at `tailnet.<name>`.
    pub fn tailnet(&self, address: &Address) -> Option<&TailnetRecord> {
        match self.resources.get(&address.tailnet_address()) {
            Some(Record::Tailnet(t)) => Some(t),
            _ => None,
        }
    }

    /// The OAuth client record at `address`.
    pub fn oauth_client(&self, address: &Address) -> Option<&ClientRecord> {
        match self.resources.get(address) {
            Some(Record::OAuthClient(c)) => Some(c),
            _ => None,
        }
    }

    /// The settings record at `address`.
    pub fn settings(&self, address: &Address) -> Option<&SettingsRecord> {
        match self.resources.get(address) {
            Some(Record::Settings(s)) => Some(s),
            _ => None,
        }
    }

    /// The webhook record at `address`.
    pub fn webhook(&self, address: &Address) -> Option<&WebhookRecord> {
        match self.resources.get(address) {
            Some(Record::Webhook(w)) => Some(w),
            _ => None,
        }
    }

    /// The federated identity record at `address`.
    pub fn federated_identity(&self, address: &Address) -> Option<&IdentityRecord> {
        match self.resources.get(address) {
            Some(Record::FederatedIdentity(f)) => Some(f),
            _ => None,
        }
    }

    /// The auth key record at `address`.
    pub fn auth_key(&self, address: &Address) -> Option<&KeyRecord> {
        match self.resources.get(address) {
            Some(Record::AuthKey(k)) => Some(k),
            _ => None,
        }
    }

    /// The policy record at `address`.
    pub fn policy(&self, address: &Address) -> Option<&PolicyRecord> {
        match self.resources.get(address) {
            Some(Record::Policy(p)) => Some(p),
            _ => None,
        }
    }

    /// Serialises to the versioned JSON document (secrets in plaintext: this is the one place
    /// the state file's bytes are made).
    pub fn to_json(&self) -> serde_json::Value {
        let doc = StateDocRef {
            version: FORMAT_VERSION,
            lineage: self.lineage,
            serial: self.serial,
            resources: self
                .resources
                .iter()
                .map(|(a, r)| (a.to_string(), record_to_json(r)))
                .collect(),
            pending: &self.pending,
        };
        serde_json::to_value(doc).expect("state records serialise to JSON (no non-string keys)")
    }

    /// A partial document for the journal: the records at `changed` (an address without a
    /// record is listed under `removed`), at `serial`. The journal adds what changed in
    /// `pending` itself (it knows what the file and journal already hold).
    pub(crate) fn partial_json<'a>(
        &self,
        serial: u64,
        changed: impl IntoIterator<Item = &'a Address>,
    ) -> serde_json::Value {
        let mut resources = serde_json::Map::new();
        let mut removed = Vec::new();
        for address in changed {
            match self.resources.get(address) {
                Some(record) => {
                    resources.insert(address.to_string(), record_to_json(record));
                }
                None => removed.push(serde_json::Value::String(address.to_string())),
            }
        }
        serde_json::json!({
            "version": FORMAT_VERSION,
            "lineage": self.lineage,
            "serial": serial,
            "resources": resources,
            "removed": removed,
        })
    }

    /// Parses a versioned JSON document.
    pub fn from_json(value: serde_json::Value) -> Result<Self, StateFormatError> {
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or(StateFormatError::MissingVersion)?;
        if version != u64::from(FORMAT_VERSION) {
            return Err(StateFormatError::UnsupportedVersion(version));
        }
        let doc: StateDoc = serde_json::from_value(value).map_err(StateFormatError::Shape)?;
        let mut resources = BTreeMap::new();
        for (key, raw) in doc.resources {
            let address: Address = key
                .parse()
                .map_err(|_| StateFormatError::BadAddress(key.clone()))?;
            let record = record_from_json(address.kind(), raw)
                .map_err(|e| StateFormatError::BadRecord(key, e))?;
            resources.insert(address, record);
        }
        Ok(Self {
            lineage: doc.lineage,
            serial: doc.serial,
            resources,
            pending: doc.pending,
        })
    }
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a state document cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StateFormatError {
    /// No `version` field.
    #[error("the state has no `version` field")]
    MissingVersion,
    /// A version this build does not know.
    #[error("state format version {0} is not supported by this tailform (it reads version 1)")]
    UnsupportedVersion(u64),
    /// The document does not have the expected shape.
    #[error("the state document is malformed: {0}")]
    Shape(#[source] serde_json::Error),
    /// A resource key is not an address.
    #[error("`{0}` in the state is not an address")]
    BadAddress(String),
    /// A record does not match its address's kind.
    #[error("the record for `{0}` is malformed: {1}")]
    BadRecord(String, #[source] serde_json::Error),
}

#[derive(Serialize)]
struct StateDocRef<'a> {
    version: u32,
    lineage: Uuid,
    serial: u64,
    resources: BTreeMap<String, serde_json::Value>,
    pending: &'a [Intent],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StateDoc {
    #[allow(dead_code, reason = "checked before deserialising the rest")]
    version: u32,
    lineage: Uuid,
    serial: u64,
    #[serde(default)]
    resources: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pending: Vec<Intent>,
}

fn record_to_json(record: &Record) -> serde_json::Value {
    let v = match record {
        Record::Tailnet(r) => serde_json::to_value(r),
        Record::Policy(r) => serde_json::to_value(r),
        Record::OAuthClient(r) => serde_json::to_value(r),
        Record::AuthKey(r) => serde_json::to_value(r),
        Record::FederatedIdentity(r) => serde_json::to_value(r),
        Record::Webhook(r) => serde_json::to_value(r),
        Record::Settings(r) => serde_json::to_value(r),
    };
    v.expect("state records serialise to JSON (no non-string keys)")
}

fn record_from_json(
    kind: ResourceKind,
    raw: serde_json::Value,
) -> Result<Record, serde_json::Error> {
    Ok(match kind {
        ResourceKind::Tailnet => Record::Tailnet(serde_json::from_value(raw)?),
        ResourceKind::Policy => Record::Policy(serde_json::from_value(raw)?),
        ResourceKind::OAuthClient => Record::OAuthClient(serde_json::from_value(raw)?),
        ResourceKind::AuthKey => Record::AuthKey(serde_json::from_value(raw)?),
        ResourceKind::FederatedIdentity => Record::FederatedIdentity(serde_json::from_value(raw)?),
        ResourceKind::Webhook => Record::Webhook(serde_json::from_value(raw)?),
        ResourceKind::Settings => Record::Settings(serde_json::from_value(raw)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::state::{BootstrapClient, KeyAttributes};

    fn sample() -> State {
        let mut s = State::new();
        s.serial = 3;
        let t: Address = "tailnet.acme".parse().unwrap();
        s.resources.insert(
            t,
            Record::Tailnet(TailnetRecord {
                id: "T1CNTRL".into(),
                existing: false,
                display_name: Some("Acme".into()),
                org_id: Some("o1CNTRL".into()),
                dns_name: None,
                created_at: Some("2026-01-01T00:00:00Z".parse().unwrap()),
                prevent_destroy: true,
                oauth_client: Some(BootstrapClient {
                    id: "k1CNTRL".into(),
                    secret: Some(Secret::new("client-secret-value").into()),
                }),
                deposed: vec![],
            }),
        );
        let k: Address = "tailnet.acme.auth_key.web".parse().unwrap();
        s.resources.insert(
            k,
            Record::AuthKey(KeyRecord {
                id: "k2CNTRL".into(),
                secret: Some(Secret::new("key-secret-value").into()),
                created: None,
                expires: None,
                attributes: KeyAttributes {
                    description: String::new(),
                    reusable: true,
                    ephemeral: false,
                    preauthorized: false,
                    tags: vec!["tag:web".into()],
                    expiry_seconds: 86_400,
                    created_by: None,
                },
                delivered: Vec::new(),
                deposed: vec![],
            }),
        );
        s
    }

    #[test]
    fn round_trips_through_json() {
        let s = sample();
        let json = s.to_json();
        assert_eq!(json["version"], 1);
        assert_eq!(
            json["resources"]["tailnet.acme"]["oauthClient"]["secret"],
            "client-secret-value"
        );
        assert_eq!(
            json["resources"]["tailnet.acme.auth_key.web"]["attributes"]["expirySeconds"],
            86_400
        );
        let back = State::from_json(json).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn debug_never_shows_secrets() {
        let dbg = format!("{:?}", sample());
        assert!(!dbg.contains("client-secret-value"), "{dbg}");
        assert!(!dbg.contains("key-secret-value"), "{dbg}");
    }

    #[test]
    fn rejects_unknown_versions_and_bad_addresses() {
        let err = State::from_json(serde_json::json!({"version": 9})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "state format version 9 is not supported by this tailform (it reads version 1)"
        );
        let mut json = sample().to_json();
        json["resources"]["nope"] = serde_json::json!({});
        let err = State::from_json(json).unwrap_err();
        assert_eq!(err.to_string(), "`nope` in the state is not an address");
    }
}

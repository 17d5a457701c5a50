//! Test fixtures for the planner: small builders for desired, state and live values, so each
//! rule's test states only what matters to it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;

use crate::address::Address;
use crate::live::{
    Live, LiveKey, LiveKeyKind, LivePolicy, LiveTailnet, OrgTailnet, TailnetContents,
};
use crate::model::{
    AuthKey, Description, Desired, DisplayName, Duration, Name, OAuthClient, Origin,
    RecreateIfInvalid, Scope, ScopeSet, Tag, Tailnet, TailnetKind,
};
use crate::secret::Secret;
use crate::state::{
    BootstrapClient, ClientRecord, KeyAttributes, KeyRecord, ManagedPolicy, PolicyRecord, Record,
    State, TailnetRecord,
};

pub const NOW: &str = "2026-06-01T00:00:00Z";
pub const DEFAULT_POLICY: &str =
    "// default\n{\"grants\": [{\"src\": [\"*\"], \"dst\": [\"*\"], \"ip\": [\"*\"]}]}\n";

pub fn now() -> Timestamp {
    NOW.parse().unwrap()
}

pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

pub fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn origin() -> Origin {
    Origin {
        file: Arc::new(PathBuf::from("tailform.yaml")),
        line: 1,
        column: 1,
    }
}

pub fn tags(list: &[&str]) -> BTreeSet<Tag> {
    list.iter().map(|t| Tag::parse(t).unwrap()).collect()
}

pub fn tailnet(n: &str) -> Tailnet {
    Tailnet {
        name: name(n),
        origin: origin(),
        kind: TailnetKind::Created {
            display_name: DisplayName::parse(n).unwrap(),
        },
        prevent_destroy: true,
        policy: None,
        oauth_clients: BTreeMap::new(),
        auth_keys: BTreeMap::new(),
        federated_identities: BTreeMap::new(),
        webhooks: BTreeMap::new(),
        settings: None,
    }
}

pub fn client(n: &str, scopes: &[&str], tag_list: &[&str]) -> OAuthClient {
    OAuthClient {
        name: name(n),
        origin: origin(),
        description: Description::default(),
        scopes: ScopeSet::new(scopes.iter().map(|s| Scope::parse(s).unwrap())),
        tags: tags(tag_list),
        deliver: Vec::new(),
        env_name: None,
    }
}

pub fn key(n: &str, tag_list: &[&str]) -> AuthKey {
    AuthKey {
        name: name(n),
        origin: origin(),
        description: Description::default(),
        reusable: true,
        ephemeral: false,
        preauthorized: false,
        tags: tags(tag_list),
        expiry: Duration::from_days(90),
        rotate_before: Duration::from_days(30),
        recreate_if_invalid: RecreateIfInvalid::Auto,
        created_by: None,
        deliver: Vec::new(),
        env_name: None,
        keep_previous: None,
    }
}

pub fn desired(tailnets: Vec<Tailnet>) -> Desired {
    Desired {
        moves: Vec::new(),
        tailnets: tailnets.into_iter().map(|t| (t.name.clone(), t)).collect(),
    }
}

pub fn with_client(mut t: Tailnet, c: OAuthClient) -> Tailnet {
    t.oauth_clients.insert(c.name.clone(), c);
    t
}

pub fn with_key(mut t: Tailnet, k: AuthKey) -> Tailnet {
    t.auth_keys.insert(k.name.clone(), k);
    t
}

/// The state and live snapshot after a clean apply of `d`: every object exists, ids are
/// `T-<tailnet>`, `k-<name>`; keys created at `created` with their expiry.
pub fn converged(d: &Desired, created: Timestamp) -> (State, Live) {
    let mut state = State::new();
    let mut live = Live {
        now: now(),
        org_tailnets: Some(vec![OrgTailnet {
            id: "Torig".into(),
            display_name: "example.com".into(),
            created_at: None,
        }]),
        tailnets: BTreeMap::new(),
    };
    for t in d.tailnets.values() {
        let tid = format!("T-{}", t.name);
        let display = match &t.kind {
            TailnetKind::Created { display_name } => display_name.to_string(),
            TailnetKind::Existing(_) => String::new(),
        };
        if t.is_created() {
            state.resources.insert(
                Address::tailnet(t.name.clone()),
                Record::Tailnet(TailnetRecord {
                    id: tid.clone(),
                    existing: false,
                    display_name: Some(display.clone()),
                    org_id: None,
                    dns_name: None,
                    created_at: Some(created),
                    prevent_destroy: t.prevent_destroy,
                    oauth_client: Some(BootstrapClient {
                        id: format!("kboot-{}", t.name),
                        secret: Some(Secret::new(format!("boot-secret-{}", t.name)).into()),
                    }),
                    deposed: vec![],
                }),
            );
            live.org_tailnets.as_mut().unwrap().push(OrgTailnet {
                id: tid.clone(),
                display_name: display,
                created_at: Some(created),
            });
        }
        let mut keys = BTreeMap::new();
        if t.is_created() {
            let boot = format!("kboot-{}", t.name);
            keys.insert(
                boot.clone(),
                LiveKey {
                    id: boot,
                    kind: LiveKeyKind::Client {
                        scopes: vec!["all".into()],
                        tags: vec![],
                        updated: None,
                    },
                    description: String::new(),
                    created: Some(created),
                    invalid: false,
                },
            );
        }
        for c in t.oauth_clients.values() {
            let attrs = super::view::client_attributes(c);
            let id = format!("k-{}", c.name);
            keys.insert(
                id.clone(),
                LiveKey {
                    id: id.clone(),
                    kind: LiveKeyKind::Client {
                        scopes: attrs.scopes.clone(),
                        tags: attrs.tags.clone(),
                        updated: None,
                    },
                    description: attrs.description.clone(),
                    created: Some(created),
                    invalid: false,
                },
            );
            state.resources.insert(
                Address::oauth_client(t.name.clone(), c.name.clone()),
                Record::OAuthClient(ClientRecord {
                    id,
                    secret: Some(Secret::new(format!("client-secret-{}", c.name)).into()),
                    created: Some(created),
                    attributes: attrs,
                    delivered: Vec::new(),
                    deposed: vec![],
                }),
            );
        }
        for k in t.auth_keys.values() {
            let attrs = super::view::key_attributes(k);
            let id = format!("k-{}", k.name);
            let expires = created
                .checked_add(jiff::SignedDuration::from_secs(attrs.expiry_seconds as i64))
                .unwrap();
            keys.insert(id.clone(), live_auth_key(&id, &attrs, created, expires));
            state.resources.insert(
                Address::auth_key(t.name.clone(), k.name.clone()),
                Record::AuthKey(KeyRecord {
                    id,
                    secret: Some(Secret::new(format!("key-secret-{}", k.name)).into()),
                    created: Some(created),
                    expires: Some(expires),
                    attributes: attrs,
                    delivered: Vec::new(),
                    deposed: vec![],
                }),
            );
        }
        let policy_text = match &t.policy {
            Some(crate::model::Policy::File(f)) => f.text.clone(),
            _ => {
                let owners = match &t.policy {
                    Some(crate::model::Policy::TagOwners(o)) => o
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.iter().map(ToString::to_string).collect()))
                        .collect(),
                    _ => super::policy::automatic_tag_owners(t),
                };
                crate::policy_doc::edit_tag_owners(DEFAULT_POLICY, &owners, &BTreeSet::new())
                    .unwrap()
            }
        };
        let value = crate::policy_doc::parse(&policy_text).unwrap();
        if t.is_created() || t.policy.is_some() {
            let managed = match &t.policy {
                Some(crate::model::Policy::File(f)) => ManagedPolicy::File {
                    digest: crate::policy_doc::digest(&f.value),
                },
                _ => ManagedPolicy::TagOwners(crate::policy_doc::tag_owners(&value)),
            };
            state.resources.insert(
                Address::policy(t.name.clone()),
                Record::Policy(PolicyRecord {
                    etag: Some("etag-1".into()),
                    managed,
                }),
            );
        }
        live.tailnets.insert(
            t.name.clone(),
            LiveTailnet::Present(TailnetContents {
                keys,
                policy: LivePolicy {
                    text: policy_text,
                    value,
                    etag: Some("etag-1".into()),
                },
                webhooks: None,
                settings: None,
            }),
        );
    }
    (state, live)
}

pub fn live_auth_key(
    id: &str,
    attrs: &KeyAttributes,
    created: Timestamp,
    expires: Timestamp,
) -> LiveKey {
    LiveKey {
        id: id.to_owned(),
        kind: LiveKeyKind::Auth {
            reusable: attrs.reusable,
            ephemeral: attrs.ephemeral,
            preauthorized: attrs.preauthorized,
            tags: attrs.tags.clone(),
            expires: Some(expires),
        },
        description: attrs.description.clone(),
        created: Some(created),
        invalid: false,
    }
}

pub fn empty_live() -> Live {
    Live {
        now: now(),
        org_tailnets: Some(vec![OrgTailnet {
            id: "Torig".into(),
            display_name: "example.com".into(),
            created_at: None,
        }]),
        tailnets: BTreeMap::new(),
    }
}

pub fn contents<'a>(live: &'a mut Live, t: &str) -> &'a mut TailnetContents {
    match live.tailnets.get_mut(&name(t)) {
        Some(LiveTailnet::Present(c)) => c,
        _ => panic!("tailnet {t} not present"),
    }
}

//! Live fingerprints: a digest of what the live API says about each address a plan touches
//! (tailnet presence, key validity and expiry, client attributes, policy ETag, webhooks). A saved plan
//! records them; `apply PLANFILE` recomputes them and refuses the plan when any moved.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::address::{Address, Member};
use crate::live::{Live, LiveKeyKind, LiveTailnet};
use crate::state::{Record, State};

/// The fingerprints of `addresses`.
pub fn of(
    addresses: impl IntoIterator<Item = Address>,
    state: &State,
    live: &Live,
) -> BTreeMap<Address, String> {
    addresses
        .into_iter()
        .map(|a| {
            let facts = facts(&a, state, live);
            let digest = hex::encode(Sha256::digest(facts.to_string().as_bytes()));
            (a, digest)
        })
        .collect()
}

/// The live facts an address's planned change depends on.
fn facts(address: &Address, state: &State, live: &Live) -> Value {
    let tailnet = match live.tailnets.get(&address.tailnet) {
        Some(LiveTailnet::Present(c)) => Some(c),
        _ => None,
    };
    let presence = match live.tailnets.get(&address.tailnet) {
        Some(LiveTailnet::Present(_)) => "present",
        Some(LiveTailnet::Gone) => "gone",
        Some(LiveTailnet::NotCreated) | None => "absent",
    };
    match &address.member {
        Member::Tailnet => {
            let names: Vec<&str> = live
                .org_tailnets
                .iter()
                .flatten()
                .map(|t| t.display_name.as_str())
                .collect();
            json!({ "presence": presence, "org": names })
        }
        Member::Policy => json!({
            "presence": presence,
            "etag": tailnet.and_then(|c| c.policy.etag.clone()),
        }),
        Member::OAuthClient(_) | Member::AuthKey(_) | Member::FederatedIdentity(_) => {
            let ids = ids(state.get(address));
            let keys: Vec<Value> = ids
                .iter()
                .map(|id| match tailnet.and_then(|c| c.keys.get(id)) {
                    None => json!({ "id": id, "listed": false }),
                    Some(k) => {
                        let kind = match &k.kind {
                            LiveKeyKind::Auth { expires, .. } => json!({ "expires": expires.map(|e| e.to_string()) }),
                            LiveKeyKind::Client { scopes, tags, updated } => json!({
                                "scopes": scopes, "tags": tags, "updated": updated.map(|u| u.to_string()),
                                "description": k.description,
                            }),
                            LiveKeyKind::Federated { scopes, tags, issuer, subject, audience, custom_claim_rules } => json!({
                                "scopes": scopes, "tags": tags, "issuer": issuer, "subject": subject,
                                "audience": audience, "customClaimRules": custom_claim_rules,
                                "description": k.description,
                            }),
                            LiveKeyKind::AccessToken | LiveKeyKind::Other => json!({}),
                        };
                        json!({ "id": id, "listed": true, "invalid": k.invalid, "kind": kind })
                    }
                })
                .collect();
            json!({ "presence": presence, "keys": keys })
        }
        Member::Settings => json!({
            "presence": presence,
            "settings": tailnet.and_then(|c| c.settings.clone()),
        }),
        Member::Webhook(_) => {
            let webhooks = tailnet.and_then(|c| c.webhooks.as_ref());
            let hooks: Vec<Value> = ids(state.get(address))
                .iter()
                .map(|id| match webhooks.and_then(|w| w.get(id)) {
                    None => json!({ "id": id, "listed": false }),
                    Some(w) => json!({
                        "id": id, "listed": true, "endpointUrl": w.endpoint_url,
                        "providerType": w.provider_type, "subscriptions": w.subscriptions,
                    }),
                })
                .collect();
            json!({ "presence": presence, "webhooks": hooks })
        }
    }
}

fn ids(record: Option<&Record>) -> Vec<String> {
    match record {
        Some(Record::AuthKey(k)) => std::iter::once(k.id.clone())
            .chain(k.deposed.iter().map(|d| d.id.clone()))
            .collect(),
        Some(Record::OAuthClient(c)) => std::iter::once(c.id.clone())
            .chain(c.deposed.iter().map(|d| d.id.clone()))
            .collect(),
        Some(Record::FederatedIdentity(f)) => std::iter::once(f.id.clone())
            .chain(f.deposed.iter().map(|d| d.id.clone()))
            .collect(),
        Some(Record::Webhook(w)) => std::iter::once(w.id.clone())
            .chain(w.deposed.iter().map(|d| d.id.clone()))
            .collect(),
        _ => Vec::new(),
    }
}

//! User API access tokens (`tskey-api-…`): the credential a person creates on the admin
//! console's Keys page, which the real API cannot create (TAILSCALE-API §2: the create
//! `keyType` enum is `auth|client|federated`). The emulator makes them through a test control,
//! so that a client's handling of a credential that expires can be tested:
//!
//! - `POST /_emulator/api-keys` `{"tailnet": "<id>", "expirySeconds": N, "description": "…"}`
//!   (every field optional) → 200 `{"id", "key", "keyType": "api", "tailnet", "created",
//!   "expires", "expirySeconds"}`. `tailnet` is a tailnet id, `-` or absent for the original
//!   tailnet (its legacy name `example.com` too); an unknown one is 404. `expirySeconds` is
//!   1..=90 days in seconds (the console offers 1 to 90 days), 90 days when absent; anything else
//!   is 400. The key is `tskey-api-<id>-<32 alphanumerics>` and is shown only in this answer.
//!
//! Decisions (KB-TC, TAILSCALE-API §1–§3, FIDELITY-2 §8.6):
//! - The key authenticates as HTTP Basic (the key as user name, an empty password) or as a
//!   Bearer token, for its own tailnet only (`-`, its id, or the original's legacy name); any
//!   other tailnet is 403 `user tailnet does not match`. Revoked or expired: 401.
//! - It acts with the powers of an admin's key: every tailnet-level scope (`all`), but not the
//!   organization scope `tailnets` (the tailnets API takes only OAuth clients), so listing or
//!   creating tailnets is 403. It cannot mint tokens (`tailnet=` needs an OAuth client).
//! - Auth keys it creates need no tags (a user's key may create untagged keys), and may carry any
//!   tag the policy defines.
//! - It is a key of the tailnet with `keyType: "api"`, `scopes: ["all"]`, `created`, `expires`,
//!   `expirySeconds` and `description` (no `userId`: the emulator has no users): readable by id
//!   with `api_access_tokens:read` (or `all:read`), and by itself whatever its scopes ("every
//!   scope may read the key in use"); listed with `all=true`; `DELETE` (with `api_access_tokens`)
//!   revokes it. Without `all=true`, a user key's list shows the tailnet's API keys (the keys of
//!   its user: each key here is its own user's).
//! - Like an auth key it is invalid from its `expires` on, and purged seven days later.
//!
//! Anything a real user key could do with its user's roles beyond that (devices, users, DNS) is
//! outside the emulator.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::api_error::ApiError;
use super::clock::{plus_seconds, rfc3339, whole_seconds};
use super::ids::SecretKind;
use super::scope::{Resource, Scope, Scopes};
use super::secret_hash::SecretHash;
use super::state::Shared;
use super::store::{KeyKind, KeyRecord, ORIGINAL_TAILNET_NAME, Store};

/// The longest lifetime the admin console offers (90 days).
pub(crate) const MAX_EXPIRY_SECONDS: i64 = 90 * 24 * 3600;

/// A user API key's own attributes.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UserApiKey {
    pub expiry_seconds: i64,
    pub expires: Timestamp,
}

/// The scopes a user API key acts with (an admin's key: every tailnet-level scope).
pub(crate) fn scopes() -> Scopes {
    Scopes::new([Scope::write(Resource::All)])
}

/// `POST /_emulator/api-keys` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewApiKey {
    tailnet: Option<String>,
    expiry_seconds: Option<i64>,
    description: Option<String>,
}

/// `POST /_emulator/api-keys` answer: the only time the key is shown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedApiKey {
    id: String,
    key: String,
    key_type: &'static str,
    tailnet: String,
    created: String,
    expires: String,
    expiry_seconds: i64,
}

/// `POST /_emulator/api-keys`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<CreatedApiKey>, ApiError> {
    let request: NewApiKey = if body.iter().all(u8::is_ascii_whitespace) {
        NewApiKey::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?
    };
    let expiry_seconds = request.expiry_seconds.unwrap_or(MAX_EXPIRY_SECONDS);
    if !(1..=MAX_EXPIRY_SECONDS).contains(&expiry_seconds) {
        return Err(ApiError::bad_request(format!(
            "expirySeconds must be between 1 and {MAX_EXPIRY_SECONDS} (90 days), got {expiry_seconds}"
        )));
    }
    shared
        .write(|store, now| {
            let tailnet = tailnet_of(store, request.tailnet.as_deref())?;
            Ok(insert(
                store,
                now,
                tailnet,
                expiry_seconds,
                request.description.unwrap_or_default(),
            ))
        })
        .map(Json)
}

fn tailnet_of(store: &Store, asked: Option<&str>) -> Result<String, ApiError> {
    match asked {
        None | Some("-" | ORIGINAL_TAILNET_NAME) => Ok(store.org.original_tailnet.clone()),
        Some(id) if store.tailnets.contains_key(id) => Ok(id.to_owned()),
        Some(_) => Err(ApiError::not_found("tailnet")),
    }
}

fn insert(
    store: &mut Store,
    now: Timestamp,
    tailnet: String,
    expiry_seconds: i64,
    description: String,
) -> CreatedApiKey {
    let id = store.fresh_key_id();
    let secret = store.ids.secret(SecretKind::AccessToken, &id);
    let created = whole_seconds(now);
    let expires = plus_seconds(created, expiry_seconds);
    store.insert_key(KeyRecord {
        id: id.clone(),
        seq: 0,
        tailnet: tailnet.clone(),
        secret: SecretHash::of(&secret),
        created,
        description,
        revoked: None,
        kind: KeyKind::Api(UserApiKey {
            expiry_seconds,
            expires,
        }),
    });
    CreatedApiKey {
        id,
        key: secret.expose().to_owned(),
        key_type: "api",
        tailnet,
        created: rfc3339(created),
        expires: rfc3339(expires),
        expiry_seconds,
    }
}

/// The valid user API key `id` presented as `presented` at `now`, if it is one.
pub(crate) fn authenticate<'s>(
    store: &'s Store,
    id: &str,
    presented: &str,
    now: Timestamp,
) -> Option<&'s KeyRecord> {
    store.keys.get(id).filter(|k| {
        matches!(k.kind, KeyKind::Api(_)) && k.secret.matches(presented) && !k.is_invalid(now)
    })
}

/// Whether a list without `all=true` shows `key`: a user key sees its user's API keys, an
/// OAuth-derived token the tailnet's OAuth clients.
pub(crate) fn listed_without_all(user_key: bool, key: &KeyRecord) -> bool {
    if user_key {
        matches!(key.kind, KeyKind::Api(_))
    } else {
        key.as_client().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::Genesis;

    #[test]
    fn a_key_authenticates_until_it_expires_and_its_secret_is_kept_hashed() {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let genesis = Genesis {
            seed: Some(3),
            client_id: None,
            client_secret: None,
        };
        let mut store = Store::new(&genesis, now);
        let tailnet = store.org.original_tailnet.clone();
        let created = insert(&mut store, now, tailnet.clone(), 60, String::new());
        assert!(
            created
                .key
                .starts_with(&format!("tskey-api-{}-", created.id))
        );
        assert_eq!(created.tailnet, tailnet);
        assert!(authenticate(&store, &created.id, &created.key, now).is_some());
        assert!(authenticate(&store, &created.id, "tskey-api-wrong", now).is_none());
        let later = plus_seconds(now, 60);
        assert!(authenticate(&store, &created.id, &created.key, later).is_none());
        let json = serde_json::to_string(&store).unwrap();
        assert!(!json.contains(&created.key));
        assert!(json.contains(r#""keyType":"api""#), "{json}");
    }
}

//! The keys endpoints (TAILSCALE-API §2): `GET|POST /api/v2/tailnet/{tailnet}/keys` and
//! `GET|PUT|DELETE /api/v2/tailnet/{tailnet}/keys/{keyId}`.
//!
//! Scopes: reading needs the family's `:read` (`auth_keys:read` for auth keys,
//! `oauth_keys:read` for clients, `federated_keys:read` for federated identities,
//! `api_access_tokens:read` for user API keys; `all:read` each; write implies read); the key in
//! use (the token's own client or identity, a user API key itself) can always be read. Creating
//! and deleting need `auth_keys`, `oauth_keys` or `federated_keys` by family; PUT needs
//! `oauth_keys` for a client and `federated_keys` for a federated identity.
//!
//! Decisions:
//! - List: without `all=true` an OAuth-derived token lists the tailnet's OAuth clients
//!   (TAILSCALE-API §2.1, "all OAuth clients for the tailnet") and a user API key its user's API
//!   keys (`api_keys`); with `all=true`,
//!   everything it may read, in creation order. Only valid keys are listed ("returns a list of
//!   active …"); invalid ones stay readable by id until purged. A token that can read neither
//!   family gets 403; `all` other than `true`/`false` is 400.
//! - With `all=true`, the unexpired access tokens minted for the tailnet (its own clients', and
//!   those minted elsewhere with `tailnet=<id>`) follow the keys as `keyType: "api"` entries,
//!   oldest first, for a token holding `oauth_keys:read` ("`oauth_keys:read` grants access to
//!   OAuth clients and OAuth tokens"; "`api` refers to … tokens generated using an OAuth client"
//!   [documented, FIDELITY-2 §1 #7; whether the live list shows them is §10's open question]).
//!   Such a token is readable by id (`oauth_keys:read`) and deleted by id (`oauth_keys`: it stops
//!   working at once).
//! - Measured texts: an auth key without tags, created with a trust credential's token (every
//!   token here), is 400 `tailnet-owned auth key must have tags set`; a PUT of an auth key is
//!   400 `keys of type "auth" can not be updated` (FIDELITY-2 §3).
//! - A missing key answers 404 only to a token that could have read or deleted it; otherwise
//!   the missing scope (403) answers first.
//! - PUT: 404 → body (400) → target is an auth key (400, auth keys are immutable) → revoked
//!   client (400) → scopes not grantable (403) → tags (400).
//! - DELETE of an already invalid key succeeds; it keeps its first `revoked` time.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::api_error::ApiError;
use super::api_keys;
use super::audit::Audit;
use super::auth::{Caller, authorize};
use super::clock::{plus_seconds, whole_seconds};
use super::federated::{self, parse_federated};
use super::ids::SecretKind;
use super::key_requests::{
    AuthKeySpec, ClientSpec, KeyRequestType, check_description, parse_auth_key, parse_client,
    probe_key_type,
};
use super::key_view::{Reveal, key_out, token_out};
use super::scope::{Requested, Resource, Scope};
use super::secret_hash::SecretHash;
use super::state::Shared;
use super::store::{AuthKey, KeyKind, KeyRecord, NewClient, Store, TokenRecord};
use super::tags::check_requested;
use super::wire::KeyList;
use crate::secret::Secret;

const READ_AUTH: Scope = Scope::read(Resource::AuthKeys);
const READ_CLIENTS: Scope = Scope::read(Resource::OAuthKeys);
const WRITE_AUTH: Scope = Scope::write(Resource::AuthKeys);
const WRITE_CLIENTS: Scope = Scope::write(Resource::OAuthKeys);
const READ_FEDERATED: Scope = Scope::read(Resource::FederatedKeys);
const WRITE_FEDERATED: Scope = Scope::write(Resource::FederatedKeys);

/// `GET /api/v2/tailnet/{tailnet}/keys[?all=true]`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    shared.read(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        if ![READ_AUTH, READ_CLIENTS, READ_FEDERATED]
            .iter()
            .any(|s| caller.can(*s))
        {
            return Err(ApiError::missing_scope());
        }
        let all = all_param(query.as_deref())?;
        let mut keys: Vec<&KeyRecord> = store
            .keys
            .values()
            .filter(|k| k.tailnet == tailnet && !k.is_invalid(now))
            .filter(|k| all || api_keys::listed_without_all(caller.user_key, k))
            .filter(|k| caller.can(Scope::read(k.family())))
            .collect();
        keys.sort_by_key(|k| k.seq);
        let mut tokens: Vec<&TokenRecord> = if all && caller.can(READ_CLIENTS) {
            store
                .tokens
                .values()
                .filter(|t| visible_token(store, t, &tailnet, now))
                .collect()
        } else {
            Vec::new()
        };
        tokens.sort_by(|a, b| (a.expires, &a.id).cmp(&(b.expires, &b.id)));
        Ok(Json(KeyList {
            keys: keys
                .into_iter()
                .map(|k| key_out(k, now, Reveal::Metadata))
                .chain(tokens.into_iter().map(token_out))
                .collect(),
        })
        .into_response())
    })
}

/// An access token the tailnet's key list shows: minted for it, unexpired, its client valid.
fn visible_token(store: &Store, token: &TokenRecord, tailnet: &str, now: Timestamp) -> bool {
    token.tailnet == tailnet
        && token.expires > now
        && store.valid_issuer(&token.client_id, now).is_some()
}

/// The access token `id` of `tailnet`, when the list would show it.
fn token_in<'a>(
    store: &'a Store,
    tailnet: &str,
    id: &str,
    now: Timestamp,
) -> Option<&'a TokenRecord> {
    store
        .tokens
        .get(id)
        .filter(|t| visible_token(store, t, tailnet, now))
}

fn all_param(query: Option<&str>) -> Result<bool, ApiError> {
    let mut all = false;
    for (name, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if name == "all" {
            all = match value.as_ref() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(ApiError::bad_request(format!(
                        "invalid value {other:?} for \"all\": use true or false"
                    )));
                }
            };
        }
    }
    Ok(all)
}

/// `GET /api/v2/tailnet/{tailnet}/keys/{keyId}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path((segment, key_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    shared.read(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        audit.key(&key_id);
        let key = store.visible_key(&tailnet, &key_id, now);
        if let Some(own) = key.filter(|k| k.id == caller.client_id) {
            return Ok(Json(key_out(own, now, Reveal::Metadata)).into_response());
        }
        if let Some(token) = token_in(store, &tailnet, &key_id, now) {
            caller.require(READ_CLIENTS)?;
            return Ok(Json(token_out(token)).into_response());
        }
        let key = found_if_allowed(&caller, key, &[READ_AUTH, READ_CLIENTS, READ_FEDERATED])?;
        caller.require(Scope::read(key.family()))?;
        Ok(Json(key_out(key, now, Reveal::Metadata)).into_response())
    })
}

/// 403 when the token holds none of `scopes` (before existence), else 404 when absent.
fn found_if_allowed<'a>(
    caller: &Caller,
    key: Option<&'a KeyRecord>,
    scopes: &[Scope],
) -> Result<&'a KeyRecord, ApiError> {
    if !scopes.iter().any(|s| caller.can(*s)) {
        return Err(ApiError::missing_scope());
    }
    key.ok_or_else(ApiError::key_not_found)
}

/// `POST /api/v2/tailnet/{tailnet}/keys`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        if ![WRITE_AUTH, WRITE_CLIENTS, WRITE_FEDERATED]
            .iter()
            .any(|s| caller.can(*s))
        {
            return Err(ApiError::missing_scope());
        }
        let ctx = Ctx {
            caller: &caller,
            tailnet: &tailnet,
            now,
        };
        let (id, secret) = match probe_key_type(&body)? {
            KeyRequestType::Auth => {
                caller.require(WRITE_AUTH)?;
                create_auth_key(store, &ctx, parse_auth_key(&body)?)?
            }
            KeyRequestType::Client => {
                caller.require(WRITE_CLIENTS)?;
                let created = create_client(store, &ctx, parse_client(&body, false)?)?;
                shared.client_created(&created.0);
                created
            }
            KeyRequestType::Federated => {
                caller.require(WRITE_FEDERATED)?;
                let spec = parse_federated(&body, check_description)?;
                check_grant(&ctx, &spec.requested)?;
                check_tags(store, &ctx, &spec.tags)?;
                let id = federated::create(store, &tailnet, now, spec);
                audit.key(&id);
                let key = store.keys.get(&id).ok_or_else(ApiError::key_not_found)?;
                return Ok(Json(key_out(key, now, Reveal::Metadata)).into_response());
            }
        };
        audit.key(&id);
        let key = store.keys.get(&id).ok_or_else(ApiError::key_not_found)?;
        Ok(Json(key_out(key, now, Reveal::Secret(&secret))).into_response())
    })
}

/// Who creates, where, when.
struct Ctx<'a> {
    caller: &'a Caller,
    tailnet: &'a str,
    now: Timestamp,
}

fn check_tags(store: &Store, ctx: &Ctx<'_>, tags: &[String]) -> Result<(), ApiError> {
    if tags.is_empty() {
        return Ok(());
    }
    let owners = store
        .tailnets
        .get(ctx.tailnet)
        .map(|t| t.policy.tag_owners())
        .unwrap_or_default();
    check_requested(tags, &owners, ctx.caller.tag_holder())
}

fn create_auth_key(
    store: &mut Store,
    ctx: &Ctx<'_>,
    spec: AuthKeySpec,
) -> Result<(String, Secret), ApiError> {
    if spec.tags.is_empty() && !ctx.caller.user_key {
        return Err(ApiError::bad_request(
            "tailnet-owned auth key must have tags set",
        ));
    }
    check_tags(store, ctx, &spec.tags)?;
    let id = store.fresh_key_id();
    let created = whole_seconds(ctx.now);
    let secret = store.ids.secret(SecretKind::AuthKey, &id);
    let record = KeyRecord {
        id: id.clone(),
        seq: 0,
        tailnet: ctx.tailnet.to_owned(),
        secret: SecretHash::of(&secret),
        created,
        description: spec.description,
        revoked: None,
        kind: KeyKind::Auth(AuthKey {
            reusable: spec.reusable,
            ephemeral: spec.ephemeral,
            preauthorized: spec.preauthorized,
            tags: spec.tags,
            expiry_seconds: spec.expiry_seconds,
            expires: plus_seconds(created, spec.expiry_seconds),
            used: None,
        }),
    };
    store.insert_key(record);
    Ok((id, secret))
}

fn check_grant(ctx: &Ctx<'_>, requested: &Requested) -> Result<(), ApiError> {
    let refused = requested.not_granted_by(&ctx.caller.scopes);
    if refused.is_empty() {
        Ok(())
    } else {
        Err(ApiError::cannot_grant(&refused))
    }
}

fn create_client(
    store: &mut Store,
    ctx: &Ctx<'_>,
    spec: ClientSpec,
) -> Result<(String, Secret), ApiError> {
    check_grant(ctx, &spec.requested)?;
    check_tags(store, ctx, &spec.tags)?;
    let id = store.fresh_key_id();
    let secret = store.ids.secret(SecretKind::Client, &id);
    store.insert_client(NewClient {
        id: id.clone(),
        tailnet: ctx.tailnet.to_owned(),
        secret: SecretHash::of(&secret),
        scopes: spec.requested.scopes,
        tags: spec.tags,
        description: spec.description,
        now: ctx.now,
    });
    Ok((id, secret))
}

/// `PUT /api/v2/tailnet/{tailnet}/keys/{keyId}`: replaces a client's scopes, tags and
/// description; never rotates or returns its secret.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path((segment, key_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        audit.key(&key_id);
        let ctx = Ctx {
            caller: &caller,
            tailnet: &tailnet,
            now,
        };
        if matches!(probe_key_type(&body), Ok(KeyRequestType::Federated)) {
            return update_federated(store, &ctx, &key_id, &body);
        }
        caller.require(WRITE_CLIENTS)?;
        let key = store
            .visible_key(&tailnet, &key_id, now)
            .ok_or_else(ApiError::key_not_found)?;
        let spec = parse_client(&body, true)?;
        if key.as_client().is_none() {
            return Err(ApiError::bad_request(
                "keys of type \"auth\" can not be updated",
            ));
        }
        if key.is_invalid(now) {
            return Err(ApiError::bad_request(
                "a revoked OAuth client cannot be updated",
            ));
        }
        check_grant(&ctx, &spec.requested)?;
        check_tags(store, &ctx, &spec.tags)?;
        let key = store
            .keys
            .get_mut(&key_id)
            .ok_or_else(ApiError::key_not_found)?;
        key.description = spec.description;
        if let KeyKind::Client(client) = &mut key.kind {
            client.scopes = spec.requested.scopes;
            client.tags = spec.tags;
            client.updated = whole_seconds(now);
        }
        Ok(Json(key_out(key, now, Reveal::Metadata)).into_response())
    })
}

/// PUT of a federated identity: 403 without `federated_keys` → 404 → body (400) → the key is
/// not a federated identity or is revoked (400) → scopes not grantable (403) → tags (400).
fn update_federated(
    store: &mut Store,
    ctx: &Ctx<'_>,
    key_id: &str,
    body: &[u8],
) -> Result<Response, ApiError> {
    ctx.caller.require(WRITE_FEDERATED)?;
    let key = store
        .visible_key(ctx.tailnet, key_id, ctx.now)
        .ok_or_else(ApiError::key_not_found)?;
    let spec = parse_federated(body, check_description)?;
    if key.as_federated().is_none() {
        return Err(ApiError::bad_request(
            "keyType \"federated\" does not match the key's type",
        ));
    }
    if key.is_invalid(ctx.now) {
        return Err(ApiError::bad_request(
            "a revoked federated identity cannot be updated",
        ));
    }
    check_grant(ctx, &spec.requested)?;
    check_tags(store, ctx, &spec.tags)?;
    let key = store
        .keys
        .get_mut(key_id)
        .ok_or_else(ApiError::key_not_found)?;
    federated::replace(key, ctx.now, spec);
    Ok(Json(key_out(key, ctx.now, Reveal::Metadata)).into_response())
}

/// `DELETE /api/v2/tailnet/{tailnet}/keys/{keyId}`: revokes (200, empty body).
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path((segment, key_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        audit.key(&key_id);
        if token_in(store, &tailnet, &key_id, now).is_some() {
            caller.require(WRITE_CLIENTS)?;
            store.tokens.remove(&key_id);
            return Ok(StatusCode::OK);
        }
        let key = store.visible_key(&tailnet, &key_id, now);
        let key = found_if_allowed(&caller, key, &[WRITE_AUTH, WRITE_CLIENTS, WRITE_FEDERATED])?;
        caller.require(Scope::write(key.family()))?;
        store.revoke_key(&key_id, now);
        Ok(StatusCode::OK)
    })
}

//! Webhook endpoints (POLICY-WEBHOOKS §4, FIDELITY-2 §2.4/§3/§8.3): list and create under
//! `/tailnet/{t}/webhooks`; get, PATCH, delete, `test` and `rotate` under `/webhooks/{id}`, for
//! the caller's own tailnet only (another tailnet's webhook is 404). Scopes `webhooks:read` /
//! `webhooks`.
//!
//! Measured behaviour kept [M ANS live tests]: the URL's shape is checked (https with a host),
//! never whether it answers; subscriptions come back sorted with duplicates removed, and PATCH
//! replaces the list; the provider type is fixed at creation; a second endpoint on the same URL
//! in a tailnet answers **500**; the secret (`tskey-webhook-…`) is in the create and rotate
//! answers only, and a rotation stops the old one at once [S]. `test` answers 202 and sends
//! nothing (the emulator never connects out).
//!
//! Decisions (strict where the facts are thin): unknown body fields are refused (400), so a
//! PATCH carrying `endpointUrl` fails instead of being silently ignored; `subscriptions` must be
//! present, non-empty and known (the OpenAPI list plus the Go client's two `category*` groups);
//! `creatorLoginName` is empty (an OAuth client created it). The test control
//! `POST /_emulator/webhooks/{id}/check-secret` tells whether a secret is the current one.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::api_error::ApiError;
use super::audit::Audit;
use super::auth::authorize;
use super::clock::{rfc3339, whole_seconds};
use super::ids::SecretKind;
use super::scope::{Resource, Scope};
use super::secret_hash::SecretHash;
use super::state::Shared;
use super::store::Store;
use super::webhook_record::WebhookRecord;

/// The events a webhook may subscribe to.
const SUBSCRIPTIONS: [&str; 20] = [
    "categoryTailnetManagement",
    "categoryDeviceMisconfigurations",
    "nodeCreated",
    "nodeNeedsApproval",
    "nodeApproved",
    "nodeKeyExpiringInOneDay",
    "nodeKeyExpired",
    "nodeDeleted",
    "nodeSigned",
    "nodeNeedsSignature",
    "policyUpdate",
    "userCreated",
    "userNeedsApproval",
    "userSuspended",
    "userRestored",
    "userDeleted",
    "userApproved",
    "userRoleUpdated",
    "subnetIPForwardingNotEnabled",
    "exitNodeIPForwardingNotEnabled",
];

/// The provider types (empty: Tailscale's own JSON).
const PROVIDER_TYPES: [&str; 5] = ["", "slack", "mattermost", "googlechat", "discord"];

/// The create body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateBody {
    endpoint_url: Option<String>,
    provider_type: Option<String>,
    subscriptions: Option<Vec<String>>,
}

/// The PATCH body: subscriptions only.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PatchBody {
    subscriptions: Option<Vec<String>>,
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

/// Known, non-empty; answered sorted without duplicates.
fn subscriptions(raw: Option<Vec<String>>) -> Result<Vec<String>, ApiError> {
    let mut list = raw.ok_or_else(|| ApiError::bad_request("subscriptions are required"))?;
    if list.is_empty() {
        return Err(ApiError::bad_request("subscriptions cannot be empty"));
    }
    if let Some(bad) = list.iter().find(|s| !SUBSCRIPTIONS.contains(&s.as_str())) {
        return Err(ApiError::bad_request(format!(
            "invalid subscription type {bad:?}"
        )));
    }
    list.sort();
    list.dedup();
    Ok(list)
}

fn endpoint_url(raw: Option<String>) -> Result<String, ApiError> {
    let url = raw.ok_or_else(|| ApiError::bad_request("endpointUrl is required"))?;
    let ok = url::Url::parse(&url)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()));
    if !ok {
        return Err(ApiError::bad_request(format!(
            "invalid endpoint URL {url:?}: must be an https URL"
        )));
    }
    Ok(url)
}

fn view(w: &WebhookRecord, secret: Option<&str>) -> Value {
    let mut v = json!({
        "endpointId": w.id,
        "endpointUrl": w.endpoint_url,
        "providerType": w.provider_type,
        "creatorLoginName": "",
        "created": rfc3339(w.created),
        "lastModified": rfc3339(w.last_modified),
        "subscriptions": w.subscriptions,
    });
    if let Some(secret) = secret {
        v["secret"] = json!(secret);
    }
    v
}

/// The caller's webhook `id`, or 404 (another tailnet's is not found either).
fn owned<'s>(store: &'s Store, tailnet: &str, id: &str) -> Result<&'s WebhookRecord, ApiError> {
    store
        .webhooks
        .get(id)
        .filter(|w| w.tailnet == tailnet)
        .ok_or_else(|| ApiError::not_found("webhook"))
}

/// Authorises a `/webhooks/{id}` request (the caller's own tailnet, the read or write webhooks
/// scope) and finds the webhook there; answers the tailnet.
fn caller_webhook(
    store: &Store,
    headers: &HeaderMap,
    now: jiff::Timestamp,
    id: &str,
    audit: &Audit,
    access: fn(Resource) -> Scope,
) -> Result<String, ApiError> {
    let (caller, tailnet) = authorize(store, headers, now, "-", audit)?;
    audit.key(id);
    caller.require(access(Resource::Webhooks))?;
    owned(store, &tailnet, id)?;
    Ok(tailnet)
}

/// `GET /api/v2/tailnet/{tailnet}/webhooks`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    shared.read(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        caller.require(Scope::read(Resource::Webhooks))?;
        let list: Vec<Value> = store
            .webhooks
            .values()
            .filter(|w| w.tailnet == tailnet)
            .map(|w| view(w, None))
            .collect();
        Ok(Json(json!({ "webhooks": list })))
    })
}

/// `POST /api/v2/tailnet/{tailnet}/webhooks`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        caller.require(Scope::write(Resource::Webhooks))?;
        let body: CreateBody = parse(&body)?;
        let endpoint_url = endpoint_url(body.endpoint_url)?;
        let provider_type = body.provider_type.unwrap_or_default();
        if !PROVIDER_TYPES.contains(&provider_type.as_str()) {
            return Err(ApiError::bad_request(format!(
                "invalid provider type {provider_type:?}"
            )));
        }
        let subscriptions = subscriptions(body.subscriptions)?;
        if store
            .webhooks
            .values()
            .any(|w| w.tailnet == tailnet && w.endpoint_url == endpoint_url)
        {
            // Measured: the real API answers a duplicate URL with a bare 500.
            return Err(ApiError::internal("internal server error"));
        }
        let id = loop {
            let id = store.ids.webhook_id();
            if !store.webhooks.contains_key(&id) {
                break id;
            }
        };
        let secret = store.ids.secret(SecretKind::Webhook, &id);
        let record = WebhookRecord {
            id: id.clone(),
            tailnet,
            endpoint_url,
            provider_type,
            subscriptions,
            created: whole_seconds(now),
            last_modified: whole_seconds(now),
            secret: SecretHash::of(&secret),
        };
        audit.key(&id);
        let out = view(&record, Some(secret.expose()));
        store.webhooks.insert(id, record);
        Ok(Json(out))
    })
}

/// `GET /api/v2/webhooks/{id}`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    shared.read(|store, now| {
        let tailnet = caller_webhook(store, &headers, now, &id, &audit, Scope::read)?;
        Ok(Json(view(owned(store, &tailnet, &id)?, None)))
    })
}

/// `PATCH /api/v2/webhooks/{id}`: replaces the subscriptions.
pub(crate) async fn patch(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    shared.write(|store, now| {
        caller_webhook(store, &headers, now, &id, &audit, Scope::write)?;
        let body: PatchBody = parse(&body)?;
        let subscriptions = subscriptions(body.subscriptions)?;
        let w = store
            .webhooks
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("webhook"))?;
        w.subscriptions = subscriptions;
        w.last_modified = whole_seconds(now);
        Ok(Json(view(w, None)))
    })
}

/// `DELETE /api/v2/webhooks/{id}` (the secret goes with it).
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    shared.write(|store, now| {
        caller_webhook(store, &headers, now, &id, &audit, Scope::write)?;
        store.webhooks.remove(&id);
        Ok(StatusCode::OK)
    })
}

/// `POST /api/v2/webhooks/{id}/test`: 202, a test event queued (nothing is sent).
pub(crate) async fn test(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    shared.read(|store, now| {
        caller_webhook(store, &headers, now, &id, &audit, Scope::write)?;
        Ok(StatusCode::ACCEPTED)
    })
}

/// `POST /api/v2/webhooks/{id}/rotate`: a new secret; the old one stops at once.
pub(crate) async fn rotate(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    shared.write(|store, now| {
        caller_webhook(store, &headers, now, &id, &audit, Scope::write)?;
        let secret = store.ids.secret(SecretKind::Webhook, &id);
        let w = store
            .webhooks
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("webhook"))?;
        w.secret = SecretHash::of(&secret);
        w.last_modified = whole_seconds(now);
        Ok(Json(view(w, Some(secret.expose()))))
    })
}

/// `POST /_emulator/webhooks/{id}/check-secret` (body: the secret): `{"current": bool}`.
pub(crate) async fn check_secret(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    shared.read(|store, _| {
        let w = store
            .webhooks
            .get(&id)
            .ok_or_else(|| ApiError::not_found("webhook"))?;
        let presented = String::from_utf8_lossy(&body);
        Ok(Json(
            json!({ "current": w.secret.matches(presented.trim()) }),
        ))
    })
}

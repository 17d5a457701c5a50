//! Test controls under `/_emulator/` (emulator only): no authentication, never hit by injected
//! faults, never counted in the stats, JSON in and out.
//!
//! - `GET|POST /_emulator/clock` — read / move the clock forward (`{"advanceSeconds": N}`,
//!   N ≥ 0) → `{"now": "<rfc3339>"}`.
//! - `GET|POST /_emulator/faults` — read / replace the fault config (see `faults`).
//! - `POST /_emulator/keys/{keyId}/use` — use an auth key as a device registration would: a
//!   one-off key becomes invalid, a reusable one stays valid; 404 for unknown ids, 400 for an
//!   OAuth client, a user API key or an invalid key. Answers the key's metadata.
//! - `POST /_emulator/api-keys` — a user API key (`tskey-api-…`) with an expiry, which the real
//!   API cannot create (see `api_keys`).
//! - `POST /_emulator/tailnets/{tailnet}/validate-warnings` `{"data": [{"user", "warnings"}]}` —
//!   what `acl/validate` of a valid policy reports for the tailnet (its id or DNS name) from now
//!   on, as `{"message": "warning(s) found", "data": …}`; `{"data": []}` clears it. Answers the
//!   same body; 404 for an unknown tailnet.
//! - `GET /_emulator/stats`, `POST /_emulator/stats/reset`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::api_error::ApiError;
use super::clock::{rfc3339, whole_seconds};
use super::faults::{FaultConfig, Faults};
use super::key_view::{Reveal, key_out};
use super::state::Shared;
use super::store::{KeyKind, ValidateWarning};

/// `POST /_emulator/clock` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Advance {
    advance_seconds: i64,
}

/// `{"now": …}`.
#[derive(Debug, Serialize)]
struct Now {
    now: String,
}

/// The control routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_emulator/clock", get(clock).post(advance))
        .route("/_emulator/faults", get(faults).post(set_faults))
        .route("/_emulator/keys/{key_id}/use", post(use_key))
        .route("/_emulator/api-keys", post(super::api_keys::create))
        .route(
            "/_emulator/tailnets/{tailnet}/validate-warnings",
            post(validate_warnings),
        )
        .route(
            "/_emulator/webhooks/{id}/check-secret",
            post(super::webhooks::check_secret),
        )
        .route("/_emulator/stats", get(stats))
        .route("/_emulator/stats/reset", post(reset_stats))
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

async fn clock(State(shared): State<Arc<Shared>>) -> Json<Now> {
    Json(Now {
        now: rfc3339(shared.now()),
    })
}

async fn advance(State(shared): State<Arc<Shared>>, body: Bytes) -> Result<Json<Now>, ApiError> {
    let Advance { advance_seconds } = parse(&body)?;
    if advance_seconds < 0 {
        return Err(ApiError::bad_request(
            "advanceSeconds must not be negative: the clock only moves forward",
        ));
    }
    shared.write(|store, _| {
        store.clock.advance(advance_seconds);
        Ok(Json(Now {
            now: rfc3339(store.now()),
        }))
    })
}

async fn faults(State(shared): State<Arc<Shared>>) -> Json<FaultConfig> {
    Json(shared.faults().config().clone())
}

async fn set_faults(
    State(shared): State<Arc<Shared>>,
    body: Bytes,
) -> Result<Json<FaultConfig>, ApiError> {
    let config: FaultConfig = parse(&body)?;
    config.check()?;
    *shared.faults() = Faults::new(config.clone());
    Ok(Json(config))
}

async fn use_key(
    State(shared): State<Arc<Shared>>,
    Path(key_id): Path<String>,
) -> Result<Response, ApiError> {
    shared.write(|store, now| {
        let key = store
            .keys
            .get_mut(&key_id)
            .filter(|k| !k.is_purged(now))
            .ok_or_else(ApiError::key_not_found)?;
        if key.is_invalid(now) {
            return Err(ApiError::bad_request(format!("key {key_id:?} is invalid")));
        }
        let auth = match &mut key.kind {
            KeyKind::Auth(auth) => auth,
            KeyKind::Client(_) => {
                return Err(ApiError::bad_request(format!(
                    "key {key_id:?} is an OAuth client, not an auth key"
                )));
            }
            KeyKind::Api(_) => {
                return Err(ApiError::bad_request(format!(
                    "key {key_id:?} is an API key, not an auth key"
                )));
            }
            KeyKind::Federated(_) => {
                return Err(ApiError::bad_request(format!(
                    "key {key_id:?} is a federated identity, not an auth key"
                )));
            }
        };
        if !auth.reusable {
            auth.used = Some(whole_seconds(now));
        }
        Ok(Json(key_out(key, now, Reveal::Metadata)).into_response())
    })
}

/// `POST /_emulator/tailnets/{tailnet}/validate-warnings` body (and answer).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidateWarnings {
    data: Vec<ValidateWarning>,
}

async fn validate_warnings(
    State(shared): State<Arc<Shared>>,
    Path(segment): Path<String>,
    body: Bytes,
) -> Result<Json<ValidateWarnings>, ApiError> {
    let ValidateWarnings { data } = parse(&body)?;
    shared.write(|store, _| {
        let id = store
            .tailnet_by_id_or_dns(&segment)
            .map(|t| t.id.clone())
            .ok_or_else(|| ApiError::not_found("tailnet"))?;
        let tailnet = store
            .tailnets
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found("tailnet"))?;
        tailnet.validate_warnings.clone_from(&data);
        Ok(Json(ValidateWarnings { data }))
    })
}

async fn stats(State(shared): State<Arc<Shared>>) -> Response {
    let stats = shared.stats();
    Json(stats.view()).into_response()
}

async fn reset_stats(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.stats().reset();
    Json(json!({}))
}

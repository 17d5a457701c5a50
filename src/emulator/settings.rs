//! Tailnet settings (FIDELITY-2 §2.6, §3, §8.5): `GET` and `PATCH /tailnet/{t}/settings`, with
//! authorisation per field as measured — a token without a field's read scope gets the field
//! left out (a token with none of them reads `{}`, as the org client's `tailnets`-only token
//! did), and writing a field needs its write scope. Scopes: `logs:network` for
//! `networkFlowLoggingOn`, `networking_settings` for `httpsEnabled`, `policy_file` for the two
//! `acls*` fields, `feature_settings` for the rest.
//!
//! Decisions (strict where the facts are thin): a PATCH with an unknown field, a wrong type or
//! a value out of range is a 400 and changes nothing; `devicesKeyDurationDays` is 1–180;
//! `regionalRoutingOn` is read-only and follows `routeSelection` (`regional-routing…` → true)
//! [S: TSREST says a change sets `routeSelection`]. A new tailnet starts with every flag off,
//! key duration 180 days, `usersRoleAllowedToJoinExternalTailnets: none`,
//! `routeSelection: active-passive-failover`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

use super::api_error::ApiError;
use super::audit::Audit;
use super::auth::{Caller, authorize};
use super::scope::{Resource, Scope};
use super::state::Shared;
use super::tailnet_settings::TailnetSettings;

/// Which resource a field belongs to.
fn resource(field: &str) -> Resource {
    match field {
        "networkFlowLoggingOn" => Resource::LogsNetwork,
        "httpsEnabled" => Resource::NetworkingSettings,
        "aclsExternallyManagedOn" | "aclsExternalLink" => Resource::PolicyFile,
        _ => Resource::FeatureSettings,
    }
}

/// The fields `caller` may read.
fn visible(settings: &TailnetSettings, caller: &Caller) -> Map<String, Value> {
    settings
        .to_map()
        .into_iter()
        .filter(|(field, _)| caller.can(Scope::read(resource(field))))
        .collect()
}

/// `GET /api/v2/tailnet/{tailnet}/settings`.
pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    shared.read(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        let t = store
            .tailnets
            .get(&tailnet)
            .ok_or_else(|| ApiError::not_found("tailnet"))?;
        Ok(Json(Value::Object(visible(&t.settings, &caller))))
    })
}

/// `PATCH /api/v2/tailnet/{tailnet}/settings`: changes the fields sent, all or none.
pub(crate) async fn patch(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        let fields: Map<String, Value> = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
        for field in fields.keys() {
            caller.require(Scope::write(resource(field)))?;
        }
        let t = store
            .tailnets
            .get_mut(&tailnet)
            .ok_or_else(|| ApiError::not_found("tailnet"))?;
        let mut changed = t.settings.clone();
        for (field, value) in &fields {
            changed
                .set(field, value)
                .map_err(|m| ApiError::bad_request(format!("invalid settings: {m}")))?;
        }
        t.settings = changed;
        Ok(Json(Value::Object(visible(&t.settings, &caller))))
    })
}

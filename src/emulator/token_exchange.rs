//! `POST /api/v2/oauth/token-exchange`: a federated identity's OIDC token for an access token
//! (FIDELITY-2 §2.3, §8.1; the endpoint is absent from every spec copy).
//!
//! The form (`application/x-www-form-urlencoded`) carries `client_id` (the federated identity's
//! id) and `jwt`, plus optional `tailnet` as on `/oauth/token`. The token is verified against
//! the emulator's test issuer (`oidc`): signature, `exp`/`nbf` on the emulator clock, then the
//! identity's `issuer`, `audience`, `subject` pattern and every custom claim rule. The answer is
//! `{access_token, token_type: "Bearer", expires_in: 3600, scope}`, the token carrying the
//! identity's scopes and tags.
//!
//! Decisions:
//! - Every refusal of the token itself, an unknown or revoked identity included, answers the
//!   measured claim-mismatch answer `403 {"message":"Unauthorized"}` (whether the real API
//!   tells an unknown id apart is not known; this never reveals which ids exist). The reason is
//!   logged at debug level.
//! - A form problem (wrong content type, unknown or repeated parameter, missing `client_id` or
//!   `jwt`) answers 400; `tailnet=` follows the token endpoint's rules (400 unknown, 403 when
//!   the identity cannot reach it).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;

use super::api_error::ApiError;
use super::audit::Audit;
use super::federated::{grant, matches_pattern};
use super::oidc::{self, Refused, claim_matches};
use super::state::Shared;
use super::store::{FederatedIdentity, Store};
use super::token::{ClientGrant, check_tailnet_access, store_token, target_tailnet};
use super::wire::TokenOut;

const PARAMETERS: [&str; 3] = ["client_id", "jwt", "tailnet"];

fn unauthorized() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "Unauthorized")
}

fn form(headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, ApiError> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(ApiError::bad_request(
            "the token exchange takes an application/x-www-form-urlencoded body",
        ));
    }
    let mut fields = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if !PARAMETERS.contains(&name.as_ref()) {
            return Err(ApiError::bad_request(format!(
                "unknown parameter {:?}",
                name.as_ref()
            )));
        }
        if fields.insert(name.to_string(), value.to_string()).is_some() {
            return Err(ApiError::bad_request(format!(
                "parameter {:?} is given more than once",
                name.as_ref()
            )));
        }
    }
    for required in ["client_id", "jwt"] {
        if fields.get(required).is_none_or(String::is_empty) {
            return Err(ApiError::bad_request(format!("{required} is required")));
        }
    }
    Ok(fields)
}

/// Matches verified claims against the identity.
fn check_claims(identity: &FederatedIdentity, claims: &oidc::Claims) -> Result<(), Refused> {
    if !claim_matches(claims, "iss", |iss| iss == identity.issuer) {
        return Err(Refused::Claim("iss"));
    }
    if !claim_matches(claims, "aud", |aud| aud == identity.audience) {
        return Err(Refused::Claim("aud"));
    }
    if !claim_matches(claims, "sub", |sub| matches_pattern(&identity.subject, sub)) {
        return Err(Refused::Claim("sub"));
    }
    for (claim, pattern) in &identity.custom_claim_rules {
        if !claim_matches(claims, claim, |v| matches_pattern(pattern, v)) {
            return Err(Refused::CustomClaim(claim.clone()));
        }
    }
    Ok(())
}

fn exchange_in(
    store: &mut Store,
    now: Timestamp,
    fields: &BTreeMap<String, String>,
    audit: &Audit,
) -> Result<TokenOut, ApiError> {
    let id = fields
        .get("client_id")
        .map(String::as_str)
        .unwrap_or_default();
    let jwt = fields.get("jwt").map(String::as_str).unwrap_or_default();
    let record = store
        .valid_issuer(id, now)
        .filter(|k| k.as_federated().is_some())
        .ok_or_else(|| {
            tracing::debug!(client_id = id, "token exchange: no such federated identity");
            unauthorized()
        })?;
    let identity = record.as_federated().ok_or_else(unauthorized)?;
    let verified = oidc::verify(jwt, now).and_then(|claims| check_claims(identity, &claims));
    if let Err(reason) = verified {
        tracing::debug!(client_id = id, %reason, "token exchange refused");
        return Err(unauthorized());
    }
    audit.client(&record.id);
    let (scopes, tags) = grant(identity);
    let client = ClientGrant {
        id: record.id.clone(),
        tailnet: record.tailnet.clone(),
        scopes,
        tags,
    };
    let tailnet = target_tailnet(
        store,
        fields.get("tailnet").map(String::as_str),
        &client.tailnet,
    )?;
    check_tailnet_access(store, &client, &tailnet)?;
    audit.tailnet(&tailnet);
    Ok(store_token(
        store,
        now,
        client.id,
        tailnet,
        client.scopes,
        client.tags,
    ))
}

/// `POST /api/v2/oauth/token-exchange`.
pub(crate) async fn exchange(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenOut>, ApiError> {
    let fields = form(&headers, &body)?;
    shared
        .write(|store, now| exchange_in(store, now, &fields, &audit))
        .map(Json)
}

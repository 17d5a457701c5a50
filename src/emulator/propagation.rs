//! New credentials are not usable at once (FIDELITY-2 §1 #1, §3: "a newly created OAuth client
//! can answer 404 for a short while, and the failures clear on their own as its scopes
//! propagate", measured by a third party). How long, and whether the refusal comes from the
//! token endpoint or on use, is not known (§10), so the emulator makes it a fault, off by
//! default: `POST /_emulator/faults` with
//!
//! - `credentialDelayMs`: for this long after an OAuth client is created (a created tailnet's
//!   bootstrap client, or `POST …/keys` with `keyType: "client"`), the client is refused;
//! - `credentialDelayStatus`: with 404 (the default, as measured), 401 or 403, and the emulator's
//!   message for that status (`not found`, `API token invalid`, `actor lacks permission`);
//! - `credentialDelayAt`: `use` (the default: the token endpoint mints tokens, every request made
//!   with one of them is refused) or `token` (the token endpoint refuses the client).
//!
//! Time is the machine's monotonic clock, not the emulator clock: a client waits in real time,
//! and moving the emulator clock does not end the delay. Only clients this process created are
//! delayed (the organization's client never is, nor anything loaded from `--data`), and a client
//! created before the fault was set is delayed for what is left of the delay. The refusal comes
//! after the credential is known to be valid (bad or expired credentials still answer 401
//! first) and before anything else about the request is looked at.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::api_error::ApiError;
use super::audit::Audit;
use super::auth::{authenticate, basic_header};
use super::faults::{DelayAt, TOKEN_ROUTE};
use super::state::Shared;

/// Largest token-endpoint body read to find the client id (a form of a few fields).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The route layer on `/api/v2`: refuses OAuth clients that are still propagating.
pub(crate) async fn refuse_new_credentials(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let (delay, status, at) = {
        let faults = shared.faults();
        let config = faults.config();
        (
            Duration::from_millis(config.credential_delay_ms),
            config.credential_delay_status,
            config.credential_delay_at,
        )
    };
    if delay.is_zero() {
        return next.run(req).await;
    }
    let token_route = req
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| p.as_str() == TOKEN_ROUTE);
    let audit = req.extensions().get::<Audit>().cloned().unwrap_or_default();
    let (req, client_id) = match (token_route, at) {
        (true, DelayAt::Token) => {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
                return ApiError::bad_request("the token request body is too large")
                    .into_response();
            };
            let id = token_client(&shared, &parts.headers, &bytes);
            (Request::from_parts(parts, Body::from(bytes)), id)
        }
        (false, DelayAt::Use) => {
            let id = shared.read(|store, now| {
                authenticate(store, req.headers(), now)
                    .ok()
                    .map(|c| c.client_id)
            });
            (req, id)
        }
        _ => (req, None),
    };
    let propagating = client_id.as_deref().is_some_and(|id| {
        shared
            .client_created_at(id)
            .is_some_and(|at| at.elapsed() < delay)
    });
    match client_id {
        Some(id) if propagating => {
            audit.client(&id);
            refusal(status).into_response()
        }
        _ => next.run(req).await,
    }
}

/// The client a token request authenticates as, when its id and secret are valid.
fn token_client(shared: &Shared, headers: &axum::http::HeaderMap, body: &[u8]) -> Option<String> {
    let form_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let field = |name: &str| {
        form_type
            .then(|| {
                url::form_urlencoded::parse(body)
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
            })
            .flatten()
    };
    let (id, secret) = match (field("client_id"), field("client_secret")) {
        (Some(id), Some(secret)) => (id, secret),
        _ => basic_header(headers)?,
    };
    shared.read(|store, now| {
        store
            .valid_client(&id, now)
            .filter(|c| c.secret.matches(&secret))
            .map(|c| c.id.clone())
    })
}

/// What a propagating credential is answered.
fn refusal(status: u16) -> ApiError {
    match status {
        401 => ApiError::token_invalid(),
        403 => ApiError::missing_scope(),
        _ => ApiError::new(StatusCode::NOT_FOUND, "not found"),
    }
}

//! The HTTP server: the `/api/v2` routes with their layers (stats outside, then a JSON-error
//! safety net, faults, and the refusal of credentials still propagating innermost), the
//! `/_emulator` controls, on every response the `Date` header from the emulator clock and an
//! `x-tailscale-request-id` (the real API sends one on every response, "the only handle Tailscale
//! support has", FIDELITY-2 §3; its format here, `emu` and 13 digits counting up, is the
//! emulator's own), and the serve task with graceful shutdown.

use std::sync::Arc;

use axum::Router;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_TYPE, DATE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::api_error::ApiError;
use super::clock::http_date;
use super::state::Shared;
use super::{
    controls, faults, keys, oidc, policy, propagation, settings, stats, tailnets, token,
    token_exchange, webhooks,
};

/// The header every response carries.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-tailscale-request-id");

/// Error bodies larger than this are not rewrapped as JSON.
const MAX_REWRAP_BYTES: usize = 64 * 1024;

/// The `/api/v2` routes.
fn api_routes(shared: &Arc<Shared>) -> Router<Arc<Shared>> {
    Router::new()
        .route(faults::TOKEN_ROUTE, post(token::exchange))
        .route(faults::TOKEN_EXCHANGE_ROUTE, post(token_exchange::exchange))
        .route(
            "/api/v2/organizations/{org}/tailnets",
            get(tailnets::list).post(tailnets::create),
        )
        .route("/api/v2/tailnet/{tailnet}", delete(tailnets::delete))
        .route(
            "/api/v2/tailnet/{tailnet}/keys",
            get(keys::list).post(keys::create),
        )
        .route(
            "/api/v2/tailnet/{tailnet}/keys/{key_id}",
            get(keys::get).put(keys::update).delete(keys::delete),
        )
        .route(
            "/api/v2/tailnet/{tailnet}/acl",
            get(policy::get_policy).post(policy::set_policy),
        )
        .route(
            "/api/v2/tailnet/{tailnet}/acl/validate",
            post(policy::validate_policy),
        )
        .route(
            "/api/v2/tailnet/{tailnet}/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v2/webhooks/{id}",
            get(webhooks::get)
                .patch(webhooks::patch)
                .delete(webhooks::delete),
        )
        .route(
            "/api/v2/tailnet/{tailnet}/settings",
            get(settings::get).patch(settings::patch),
        )
        .route("/api/v2/webhooks/{id}/test", post(webhooks::test))
        .route("/api/v2/webhooks/{id}/rotate", post(webhooks::rotate))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            propagation::refuse_new_credentials,
        ))
        .route_layer(middleware::from_fn_with_state(
            shared.clone(),
            faults::inject,
        ))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            stats::observe,
        ))
}

/// The whole application.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(api_routes(&shared))
        .merge(controls::routes())
        .merge(oidc::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            response_headers,
        ))
        .with_state(shared)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "404 page not found")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

/// Every response carries `Date` from the emulator clock (tailform decides rotation by it) and
/// an `x-tailscale-request-id`.
async fn response_headers(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&http_date(shared.now())) {
        response.headers_mut().insert(DATE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&shared.next_request_id()) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Rewraps any non-JSON error (e.g. an extractor rejection) as `{"message": …}`.
async fn json_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !response.status().is_client_error() && !response.status().is_server_error() || is_json {
        return response;
    }
    let status = response.status();
    let text = match to_bytes(response.into_body(), MAX_REWRAP_BYTES).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).trim().to_owned(),
        Err(_) => String::new(),
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text
    };
    ApiError::new(status, message).into_response()
}

/// A running server task.
pub(crate) struct Running {
    pub stop: oneshot::Sender<()>,
    pub task: JoinHandle<()>,
}

/// Serves `app` on `listener` until `stop` fires (or is dropped).
pub(crate) fn spawn(listener: TcpListener, shared: Arc<Shared>) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let app = app(shared);
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!("the emulator server stopped: {e}");
        }
    });
    Running { stop, task }
}

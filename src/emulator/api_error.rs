//! `ApiError`: every failure the emulated API answers, as a status and the Tailscale-style body
//! `{"message": "…"}`. The wording of each message the real server is known to send lives here,
//! once; the texts measured against the real API by third parties (FIDELITY-2 §1 #8, §3) are used
//! where they exist: `actor lacks permission` (a missing scope; TAILSCALE-API §5 saw the older
//! `user does not have access to this operation`), `actor does not have permission to create
//! tailnets`, `tailnet-owned auth key must have tags set`, `keys of type "auth" can not be
//! updated`, `scopes cannot be empty`, `keys: description had invalid characters`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::wire::ErrorBody;

/// An API failure: status plus message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    /// Any status with any message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    /// 400 with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401: missing, unknown, expired or revoked credentials.
    pub fn token_invalid() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "API token invalid")
    }

    /// 403: an OAuth client secret used directly as a bearer token.
    pub fn client_secret_as_token() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "calling actor does not have enough permissions to perform this function",
        )
    }

    /// 403: the path names a tailnet other than the token's.
    pub fn tailnet_mismatch() -> Self {
        Self::new(StatusCode::FORBIDDEN, "user tailnet does not match")
    }

    /// 403: the token lacks the scope the endpoint needs (measured, FIDELITY-2 §3).
    pub fn missing_scope() -> Self {
        Self::new(StatusCode::FORBIDDEN, "actor lacks permission")
    }

    /// 403: the token lacks the `tailnets` scope a tailnet create needs (measured).
    pub fn cannot_create_tailnets() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "actor does not have permission to create tailnets",
        )
    }

    /// 403: a credential asks to grant scopes its holder lacks.
    pub fn cannot_grant(names: &[String]) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            format!("OAuth client cannot grant scopes \"{}\"", names.join(" ")),
        )
    }

    /// 400: tags undefined, malformed or not owned (Go `%v` of the requested slice).
    pub fn tags_not_permitted(requested: &[String]) -> Self {
        Self::bad_request(format!(
            "requested tags [{}] are invalid or not permitted",
            requested.join(" ")
        ))
    }

    /// 404 for a key id that does not exist (or was purged) in the tailnet.
    pub fn key_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "key not found")
    }

    /// 404 for anything else that does not exist.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// 500: the emulator itself failed (e.g. it could not persist its data).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                message: self.message,
            }),
        )
            .into_response()
    }
}

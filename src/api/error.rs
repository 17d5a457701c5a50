//! [`ApiError`]: every way a call to the Tailscale API can fail, as data. One sentence per
//! variant; no variant ever holds a secret (messages and excerpts are scrubbed in `body`).

use std::fmt;
use std::time::Duration;

use super::request::Method;

/// A failed API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with an error status (after any retries).
    #[error("{method} {path} failed with {status}: {message}{}{request_id}", after_attempts(*attempts))]
    Status {
        /// Request method.
        method: Method,
        /// Request path (with query), e.g. `/api/v2/tailnet/-/keys`.
        path: String,
        /// HTTP status code.
        status: u16,
        /// The `message` of the JSON error body; for a non-JSON body a scrubbed excerpt of at
        /// most 200 characters; for an empty body the status's reason phrase.
        message: String,
        /// The server's `Retry-After`, if it sent one (already clamped).
        retry_after: Option<Duration>,
        /// Requests sent for this call, including retries.
        attempts: u32,
        /// The response's `x-tailscale-request-id`: the one handle Tailscale support has on a
        /// failed call. Shown in the message; ignored when errors are compared.
        request_id: RequestId,
    },
    /// A request that is not safe to repeat (a create, or the policy POST) may have reached the
    /// server, but no usable answer came back. It was not retried. The object may or may not
    /// exist now: read the live state before trying again.
    #[error(
        "{method} {path} ended without a clear answer ({cause}): the object may or may not have \
         been created, so read the current state before retrying"
    )]
    OutcomeUnknown {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// What happened.
        cause: UnknownCause,
    },
    /// No HTTP answer at all (connection refused, reset, timed out), after any retries.
    #[error("{method} {path} could not be completed{}: {cause}", after_attempts(*attempts))]
    Transport {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// Requests sent for this call, including retries.
        attempts: u32,
        /// The underlying error (no URL, no secret).
        cause: String,
    },
    /// A successful status, but a body that cannot be used: not JSON, truncated, the wrong
    /// shape, not UTF-8, or larger than `max_body_bytes`.
    #[error("{method} {path} answered {status} with a response tailform cannot read: {detail}")]
    Decode {
        /// Request method.
        method: Method,
        /// Request path.
        path: String,
        /// HTTP status code.
        status: u16,
        /// What is wrong with the body (never the body itself: it could hold a secret).
        detail: String,
    },
    /// Plain `http://` to a host that is not loopback.
    #[error(
        "refusing to send credentials over plain HTTP to `{url}`: use https://, or http:// only \
         with a loopback host (127.0.0.0/8, ::1, localhost)"
    )]
    InsecureEndpoint {
        /// The endpoint as given (any `user:password@` replaced).
        url: String,
    },
    /// The endpoint URL cannot be used.
    #[error("invalid API endpoint `{url}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint as given (any `user:password@` replaced).
        url: String,
        /// Why.
        reason: String,
    },
    /// Exchanging OAuth client credentials for an access token failed.
    #[error(
        "exchanging the credentials of OAuth client `{client_id}` for an access token failed: {cause}"
    )]
    TokenMint {
        /// The OAuth client id.
        client_id: String,
        /// The failure of `POST /api/v2/oauth/token` (part of the message, not a separate
        /// error source, so an error chain prints it once).
        cause: Box<ApiError>,
    },
    /// An OAuth client created in this run was still refused (401, 403 or 404, at the token
    /// endpoint or on use) when the propagation budget ran out: new credentials can take a while
    /// to work. Its status is on `cause`, never on this error, so that a 404 is never mistaken
    /// for a missing object.
    #[error(
        "the OAuth client `{client_id}` was created by this run and {}: a new credential may still \
         be propagating through the Tailscale API; run the command again in a minute, or allow a \
         longer wait with --propagation-timeout (last answer: {cause})",
        waited_text(*waited)
    )]
    NotYetUsable {
        /// The OAuth client id.
        client_id: String,
        /// How long the call waited (zero when waiting is off).
        waited: Duration,
        /// The last refusal.
        cause: Box<ApiError>,
    },
    /// The API answered a tailnet create with `alreadyExists: true`: it matched an existing
    /// tailnet of that display name rather than making one, and showed no secret of its OAuth
    /// client. Nothing was created.
    #[error(
        "the organization already has a tailnet named `{display_name}` ({id}): the API matched it \
         instead of creating one (`alreadyExists`) and did not show its OAuth client's secret"
    )]
    AlreadyExists {
        /// The display name asked for.
        display_name: String,
        /// The existing tailnet's id.
        id: String,
    },
    /// Exchanging a federated identity's OIDC token for an access token
    /// (`POST /api/v2/oauth/token-exchange`) failed. A 403 means the token does not match the
    /// identity (issuer, subject, audience or a claim rule), which the message says.
    #[error(
        "exchanging an OIDC token for an access token as federated identity `{client_id}` failed: \
         {cause}{}",
        identity_hint(cause)
    )]
    IdentityExchange {
        /// The federated identity's id (`TAILSCALE_OAUTH_CLIENT_ID`).
        client_id: String,
        /// The failure of the exchange.
        cause: Box<ApiError>,
    },
    /// The OIDC token for a federated identity cannot be used; it was not sent.
    #[error(
        "the OIDC token for federated identity `{client_id}` (from {source_var}) cannot be used: {problem}"
    )]
    IdentityToken {
        /// The federated identity's id.
        client_id: String,
        /// The variable the token came from.
        source_var: &'static str,
        /// What is wrong with it.
        problem: super::jwt::JwtProblem,
    },
    /// Fetching the GitHub Actions job's OIDC token failed.
    #[error(
        "fetching the GitHub Actions OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL) failed: {cause}; \
         the workflow job needs `permissions: id-token: write`"
    )]
    ActionsToken {
        /// What went wrong.
        cause: Box<ApiError>,
    },
    /// The HTTP client could not be built (TLS setup).
    #[error("cannot set up the HTTP client: {cause}")]
    ClientSetup {
        /// The underlying error.
        cause: String,
    },
}

/// Why the outcome of a non-repeatable request is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnknownCause {
    /// The connection broke after the request was (possibly) sent.
    ConnectionLost {
        /// The underlying error.
        detail: String,
    },
    /// No complete answer arrived within the timeout.
    Timeout {
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The server answered with a 5xx status: it may have failed before or after acting.
    ServerError {
        /// HTTP status code.
        status: u16,
        /// The server's message (scrubbed).
        message: String,
    },
    /// The server answered with success, but the body (which holds the one-time secret) could
    /// not be read: the object was probably created and its secret is lost.
    UnreadableResponse {
        /// HTTP status code.
        status: u16,
        /// What is wrong with the body.
        detail: String,
    },
}

impl fmt::Display for UnknownCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnknownCause::ConnectionLost { detail } => {
                write!(
                    f,
                    "the connection was lost after the request was sent: {detail}"
                )
            }
            UnknownCause::Timeout { after } => {
                write!(f, "no complete response within {}", human(*after))
            }
            UnknownCause::ServerError { status, message } => {
                write!(f, "the server answered {status}: {message}")
            }
            UnknownCause::UnreadableResponse { status, detail } => write!(
                f,
                "the server answered {status} but its response could not be read: {detail}"
            ),
        }
    }
}

impl ApiError {
    /// The HTTP status of the failed request, when there was one. A failed token exchange
    /// answers `None` (its status is on the `cause`), so that a token endpoint's 404 is never
    /// mistaken for a missing object.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } | ApiError::Decode { status, .. } => Some(*status),
            ApiError::OutcomeUnknown {
                cause:
                    UnknownCause::ServerError { status, .. }
                    | UnknownCause::UnreadableResponse { status, .. },
                ..
            } => Some(*status),
            _ => None,
        }
    }

    /// The server said 404: the object (or its tailnet) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::Status { status: 404, .. })
    }

    /// The server said 412: the policy's ETag no longer matches (it changed since it was read).
    pub fn is_precondition_failed(&self) -> bool {
        matches!(self, ApiError::Status { status: 412, .. })
    }

    /// A create may or may not have happened; read before retrying.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, ApiError::OutcomeUnknown { .. })
    }

    /// The `x-tailscale-request-id` of the failed response (of the last refusal for a token
    /// exchange or a new credential), when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ApiError::Status { request_id, .. } => request_id.as_deref(),
            ApiError::TokenMint { cause, .. }
            | ApiError::NotYetUsable { cause, .. }
            | ApiError::IdentityExchange { cause, .. } => cause.request_id(),
            _ => None,
        }
    }

    /// The server's `Retry-After` on the final answer, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Adds requests sent before this error (a 401 re-mint round) to its attempt count.
    pub(super) fn with_prior_attempts(mut self, prior: u32) -> Self {
        match &mut self {
            ApiError::Status { attempts, .. } | ApiError::Transport { attempts, .. } => {
                *attempts += prior;
            }
            _ => {}
        }
        self
    }
}

/// The `x-tailscale-request-id` of a failed response, when the server sent one. It displays as
/// ` [request id …]` (nothing when absent). Two errors that differ only in it are the same
/// failure, so it never takes part in `==`.
#[derive(Debug, Clone, Default, Eq)]
pub struct RequestId(pub Option<String>);

impl RequestId {
    /// The id, when the server sent one.
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl PartialEq for RequestId {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(id) => write!(f, " [request id {id}]"),
            None => Ok(()),
        }
    }
}

fn waited_text(waited: Duration) -> String {
    if waited.is_zero() {
        "was refused (waiting for new credentials is off: --propagation-timeout 0)".to_owned()
    } else {
        format!("was still refused after {} of waiting", human(waited))
    }
}

/// What a refused token exchange means: the real API answers a claim mismatch with
/// `403 {"message":"Unauthorized"}` (FIDELITY-2 §3).
fn identity_hint(cause: &ApiError) -> &'static str {
    match cause {
        ApiError::Status { status: 403, .. } => {
            " (the token's issuer, subject, audience or a custom claim does not match the \
             federated identity's issuer, subject pattern, audience and customClaimRules)"
        }
        ApiError::Status {
            status: 400 | 401 | 404,
            ..
        } => " (check TAILSCALE_OAUTH_CLIENT_ID: it must be the federated identity's id)",
        _ => "",
    }
}

fn after_attempts(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// `30s`, `1.5s`, `200ms`.
pub(super) fn human(d: Duration) -> String {
    if d.as_millis() < 1000 {
        format!("{}ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests;

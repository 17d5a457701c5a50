//! Reading an [`ApiError`] as a diagnosis: which kind of refusal it is (so a finding can name the
//! missing scope or the wrong secret), and a short form of the server's answer for the detail.
//! API errors never carry a secret (the client scrubs them), so the short form is safe to print.

use crate::api::ApiError;

/// What kind of refusal an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 401: the credential is wrong, revoked, expired, or its tailnet is gone.
    BadCredentials,
    /// The token endpoint refused with 403: the client may not mint that token (`tailnet=` needs
    /// `all` in the organization's original tailnet).
    CannotMint,
    /// The token endpoint refused with 400: typically `tailnet=` naming a tailnet it does not
    /// know.
    MintRejected,
    /// 403 on an endpoint: a missing scope, or a tailnet the token is not for.
    Forbidden,
    /// 404: the tailnet or object does not exist.
    NotFound,
    /// No HTTP answer (network, DNS, TLS, timeout).
    Unreachable,
    /// Anything else (5xx after retries, an unreadable answer).
    Other,
}

impl Refusal {
    /// Classifies `e`.
    pub fn of(e: &ApiError) -> Self {
        match e {
            ApiError::TokenMint { cause, .. } => match cause.status() {
                Some(401) => Refusal::BadCredentials,
                Some(403) => Refusal::CannotMint,
                Some(400 | 404) => Refusal::MintRejected,
                None if matches!(**cause, ApiError::Transport { .. }) => Refusal::Unreachable,
                _ => Refusal::Other,
            },
            ApiError::Status { status: 401, .. } => Refusal::BadCredentials,
            ApiError::Status { status: 403, .. } => Refusal::Forbidden,
            ApiError::Status { status: 404, .. } => Refusal::NotFound,
            ApiError::Transport { .. } => Refusal::Unreachable,
            _ => Refusal::Other,
        }
    }
}

/// The server's answer in a few words: `403: user does not have access to this operation`, or
/// `the token endpoint answered 401: API token invalid`.
pub fn answer(e: &ApiError) -> String {
    match e {
        ApiError::Status {
            status, message, ..
        } => format!("{status}: {message}"),
        ApiError::TokenMint { cause, .. } => match cause.as_ref() {
            ApiError::Status {
                status, message, ..
            } => format!("the token endpoint answered {status}: {message}"),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Method;

    fn status(code: u16) -> ApiError {
        ApiError::Status {
            method: Method::Get,
            path: "/api/v2/tailnet/-/keys".into(),
            status: code,
            message: "nope".into(),
            retry_after: None,
            attempts: 1,
            request_id: crate::api::RequestId::default(),
        }
    }

    #[test]
    fn refusals() {
        assert_eq!(Refusal::of(&status(401)), Refusal::BadCredentials);
        assert_eq!(Refusal::of(&status(403)), Refusal::Forbidden);
        assert_eq!(Refusal::of(&status(404)), Refusal::NotFound);
        assert_eq!(Refusal::of(&status(500)), Refusal::Other);
        let mint = |code| ApiError::TokenMint {
            client_id: "k".into(),
            cause: Box::new(status(code)),
        };
        assert_eq!(Refusal::of(&mint(401)), Refusal::BadCredentials);
        assert_eq!(Refusal::of(&mint(403)), Refusal::CannotMint);
        assert_eq!(Refusal::of(&mint(400)), Refusal::MintRejected);
        assert_eq!(answer(&status(403)), "403: nope");
        assert_eq!(answer(&mint(401)), "the token endpoint answered 401: nope");
    }
}

//! Unit tests of `error`.

use super::*;

fn status(code: u16, attempts: u32) -> ApiError {
    ApiError::Status {
        method: Method::Post,
        path: "/api/v2/tailnet/-/keys".into(),
        status: code,
        message: "requested tags [tag:x] are invalid or not permitted".into(),
        retry_after: None,
        attempts,
        request_id: RequestId::default(),
    }
}

#[test]
fn status_display_is_one_sentence() {
    assert_eq!(
        status(400, 1).to_string(),
        "POST /api/v2/tailnet/-/keys failed with 400: requested tags [tag:x] are invalid or not permitted"
    );
    assert_eq!(
        status(429, 5).to_string(),
        "POST /api/v2/tailnet/-/keys failed with 429: requested tags [tag:x] are invalid or not permitted (after 5 attempts)"
    );
}

#[test]
fn the_request_id_is_shown_but_not_compared() {
    let mut with_id = status(404, 2);
    if let ApiError::Status { request_id, .. } = &mut with_id {
        *request_id = RequestId(Some("7f3a9c".into()));
    }
    assert_eq!(
        with_id.to_string(),
        "POST /api/v2/tailnet/-/keys failed with 404: requested tags [tag:x] are invalid or \
         not permitted (after 2 attempts) [request id 7f3a9c]"
    );
    assert_eq!(with_id, status(404, 2));
    assert_eq!(with_id.request_id(), Some("7f3a9c"));
    let mint = ApiError::TokenMint {
        client_id: "kC".into(),
        cause: Box::new(with_id),
    };
    assert_eq!(mint.request_id(), Some("7f3a9c"));
}

#[test]
fn not_yet_usable_says_it_may_be_propagating() {
    let e = ApiError::NotYetUsable {
        client_id: "kNew".into(),
        waited: Duration::from_secs(60),
        cause: Box::new(status(404, 1)),
    };
    assert_eq!(
        e.to_string(),
        "the OAuth client `kNew` was created by this run and was still refused after 60s of \
         waiting: a new credential may still be propagating through the Tailscale API; run \
         the command again in a minute, or allow a longer wait with --propagation-timeout \
         (last answer: POST /api/v2/tailnet/-/keys failed with 404: requested tags [tag:x] \
         are invalid or not permitted)"
    );
    assert_eq!(e.status(), None, "never a missing object");
    assert!(!e.is_not_found());
    let off = ApiError::NotYetUsable {
        client_id: "kNew".into(),
        waited: Duration::ZERO,
        cause: Box::new(status(404, 1)),
    };
    assert!(
        off.to_string()
            .contains("was refused (waiting for new credentials is off: --propagation-timeout 0)"),
        "{off}"
    );
}

#[test]
fn outcome_unknown_says_to_read_first() {
    let e = ApiError::OutcomeUnknown {
        method: Method::Post,
        path: "/api/v2/organizations/-/tailnets".into(),
        cause: UnknownCause::Timeout {
            after: Duration::from_millis(1500),
        },
    };
    assert_eq!(
        e.to_string(),
        "POST /api/v2/organizations/-/tailnets ended without a clear answer (no complete \
         response within 1.5s): the object may or may not have been created, so read the \
         current state before retrying"
    );
    assert!(e.is_outcome_unknown());
    assert_eq!(e.status(), None);
}

#[test]
fn helpers() {
    assert!(status(404, 1).is_not_found());
    assert!(!status(404, 1).is_precondition_failed());
    assert!(status(412, 1).is_precondition_failed());
    assert_eq!(status(412, 1).status(), Some(412));
    let mint = ApiError::TokenMint {
        client_id: "kC".into(),
        cause: Box::new(status(404, 1)),
    };
    assert!(!mint.is_not_found());
    assert!(
        std::error::Error::source(&mint).is_none(),
        "printed once, in the message"
    );
    assert_eq!(mint.status(), None);
    assert_eq!(
        mint.to_string(),
        "exchanging the credentials of OAuth client `kC` for an access token failed: POST \
         /api/v2/tailnet/-/keys failed with 404: requested tags [tag:x] are invalid or not permitted"
    );
    assert!(
        status(500, 2)
            .with_prior_attempts(1)
            .to_string()
            .ends_with("(after 3 attempts)")
    );
}

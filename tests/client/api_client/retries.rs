//! Retries: transient failures of idempotent requests are retried with backoff and
//! `Retry-After`; a create is retried only when it provably never reached the server, and
//! otherwise fails at once with `OutcomeUnknown` after exactly one request.

use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::json;
use tailform::api::{ApiError, AuthKeyRequest, Client, UnknownCause};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{self, Behaviour, RawServer, api_key, received};

fn key_json() -> serde_json::Value {
    json!({"id": "k1", "key": support::generated("tskey-auth-k1-"), "keyType": "auth"})
}

/// Mounts `first` once (highest priority), then `then` for every later request.
async fn first_then(
    server: &MockServer,
    m: &str,
    p: &str,
    first: ResponseTemplate,
    then: ResponseTemplate,
) {
    Mock::given(method(m))
        .and(path(p))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(m))
        .and(path(p))
        .respond_with(then)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_429_with_retry_after_zero_is_retried() {
    let server = MockServer::start().await;
    first_then(
        &server,
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(429)
            .insert_header("Retry-After", "0")
            .set_body_json(json!({"message": "rate limited"})),
        ResponseTemplate::new(200).set_body_json(json!({"keys": []})),
    )
    .await;
    let client = support::client(&server);
    let (cred, _) = api_key();
    client.list_keys(&cred, "-", true).await.unwrap();
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        2
    );
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries), (2, 1));
}

#[tokio::test]
async fn a_429_with_an_http_date_waits_measured_from_the_server_clock_and_clamped() {
    let server = MockServer::start().await;
    // The server's clock says 10:00:00 and asks to wait until 10:00:30: a 30 s wait, measured
    // on the server's clock (the local clock is years later), clamped to max_retry_after.
    first_then(
        &server,
        "POST",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(429)
            .insert_header("Date", "Sun, 22 Nov 2026 10:00:00 GMT")
            .insert_header("Retry-After", "Sun, 22 Nov 2026 10:00:30 GMT"),
        ResponseTemplate::new(200).set_body_json(key_json()),
    )
    .await;
    let mut config = support::config(&server.uri());
    config.retry.max_retry_after = Duration::from_millis(300);
    let client = Client::new(config).unwrap();
    let (cred, _) = api_key();
    let started = Instant::now();
    let created = client
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(created.key.id, "k1");
    assert!(
        waited >= Duration::from_millis(300),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "waited {waited:?}");
    assert_eq!(
        received(&server, "POST", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_5xx_on_a_get_is_retried() {
    let server = MockServer::start().await;
    first_then(
        &server,
        "GET",
        "/api/v2/tailnet/-/keys/k1",
        ResponseTemplate::new(502).set_body_raw("<html>bad gateway</html>", "text/html"),
        ResponseTemplate::new(200).set_body_json(json!({"id": "k1"})),
    )
    .await;
    let client = support::client(&server);
    let (cred, _) = api_key();
    client.get_key(&cred, "-", "k1").await.unwrap();
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys/k1")
            .await
            .len(),
        2
    );
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn a_5xx_on_a_create_is_an_unknown_outcome_after_one_request() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/api/v2/tailnet/-/keys"))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(json!({"message": "internal error"})),
            )
            .mount(&server)
            .await;
        let client = support::client(&server);
        let (cred, _) = api_key();
        let err = client
            .create_auth_key(&cred, "-", &AuthKeyRequest::default())
            .await
            .unwrap_err();
        assert!(err.is_outcome_unknown(), "{status}: {err:?}");
        assert_eq!(
            err,
            ApiError::OutcomeUnknown {
                method: tailform::api::Method::Post,
                path: "/api/v2/tailnet/-/keys".into(),
                cause: UnknownCause::ServerError {
                    status,
                    message: "internal error".into()
                },
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "POST /api/v2/tailnet/-/keys ended without a clear answer (the server answered \
                 {status}: internal error): the object may or may not have been created, so read \
                 the current state before retrying"
            )
        );
        assert_eq!(
            received(&server, "POST", "/api/v2/tailnet/-/keys")
                .await
                .len(),
            1
        );
        assert_eq!(client.stats().retries, 0);
    }
}

#[tokio::test]
async fn a_5xx_on_the_policy_post_is_an_unknown_outcome_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tailnet/-/acl"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let (cred, _) = api_key();
    let body = tailform::api::PolicyBody::Json(json!({}));
    let err = support::client(&server)
        .set_policy(&cred, "-", &body, Some("e1"))
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err:?}");
    assert_eq!(
        received(&server, "POST", "/api/v2/tailnet/-/acl")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_create_whose_connection_drops_after_sending_is_an_unknown_outcome() {
    let server = RawServer::start(Behaviour::Drop).await;
    let client = Client::new(support::config(&server.url)).unwrap();
    let (cred, _) = api_key();
    let err = client
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            ApiError::OutcomeUnknown {
                cause: UnknownCause::ConnectionLost { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "POST /api/v2/tailnet/-/keys ended without a clear answer (the connection was lost after \
         the request was sent: error sending request: client error (SendRequest): connection \
         closed before message completed): the object may or may not have been created, so read \
         the current state before retrying"
    );
    assert_eq!(
        server.requests(),
        vec!["POST /api/v2/tailnet/-/keys HTTP/1.1".to_owned()]
    );
}

#[tokio::test]
async fn a_get_whose_connection_drops_is_retried_then_reported() {
    let server = RawServer::start(Behaviour::Drop).await;
    let client = Client::new(support::config(&server.url)).unwrap();
    let (cred, _) = api_key();
    let err = client.get_key(&cred, "-", "k1").await.unwrap_err();
    assert!(
        matches!(&err, ApiError::Transport { attempts: 4, .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys/k1 could not be completed (after 4 attempts): error sending \
         request: client error (SendRequest): connection closed before message completed"
    );
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn a_refused_connection_on_a_create_is_retried() {
    // Reserve a port, free it, and only start listening after the client has been refused.
    let reserved = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = reserved.local_addr().unwrap();
    drop(reserved);
    let mut config = support::config(&format!("http://{addr}"));
    config.retry.base_delay = Duration::from_millis(400);
    config.retry.max_delay = Duration::from_millis(400);
    let client = Client::new(config).unwrap();
    let watcher = client.clone();
    let server = tokio::spawn(async move {
        while watcher.stats().retries == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let listener = std::net::TcpListener::bind(addr).unwrap();
        let server = MockServer::builder().listener(listener).start().await;
        Mock::given(method("POST"))
            .and(path("/api/v2/tailnet/-/keys"))
            .respond_with(ResponseTemplate::new(200).set_body_json(key_json()))
            .mount(&server)
            .await;
        server
    });
    let (cred, _) = api_key();
    let created = client
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap();
    assert_eq!(created.key.id, "k1");
    let server = server.await.unwrap();
    assert_eq!(
        received(&server, "POST", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        1
    );
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries), (2, 1));
}

#[tokio::test]
async fn exhausted_retries_report_the_status_and_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"message": "rate limit exceeded"})),
        )
        .mount(&server)
        .await;
    let mut config = support::config(&server.uri());
    config.retry.max_retry_after = Duration::from_millis(1);
    let client = Client::new(config).unwrap();
    let (cred, _) = api_key();
    let err = client.list_keys(&cred, "-", false).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::Status {
            method: tailform::api::Method::Get,
            path: "/api/v2/tailnet/-/keys".into(),
            status: 429,
            message: "rate limit exceeded".into(),
            retry_after: Some(Duration::from_millis(1)),
            attempts: 4,
            request_id: Default::default(),
        }
    );
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys failed with 429: rate limit exceeded (after 4 attempts)"
    );
    assert_eq!(err.retry_after(), Some(Duration::from_millis(1)));
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        4
    );
    assert_eq!(client.stats().retries, 3);
}

#[tokio::test]
async fn a_4xx_is_never_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"message": "requested tags [tag:x] are invalid or not permitted"}),
        ))
        .mount(&server)
        .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "POST /api/v2/tailnet/-/keys failed with 400: requested tags [tag:x] are invalid or not permitted"
    );
    assert!(!err.is_outcome_unknown());
    assert_eq!(
        received(&server, "POST", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn server_time_follows_the_date_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Date", "Tue, 01 Sep 2026 12:34:56 GMT")
                .set_body_json(json!({"keys": []})),
        )
        .mount(&server)
        .await;
    let client = support::client(&server);
    assert_eq!(client.server_time(), None);
    let (cred, _) = api_key();
    client.list_keys(&cred, "-", true).await.unwrap();
    let expected: Timestamp = "2026-09-01T12:34:56Z".parse().unwrap();
    assert_eq!(client.server_time(), Some(expected));
    assert_eq!(client.clone().server_time(), Some(expected));
}

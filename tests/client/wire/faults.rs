//! Injected faults: 429 with `Retry-After` retried (even for a create: nothing was committed),
//! 5xx on a GET retried, and a create answered with a 5xx or whose response was lost after it
//! committed reported as an unknown outcome, never sent twice.

use std::time::{Duration, Instant};

use serde_json::json;
use tailform::api::{
    ApiError, AuthKeyRequest, Credential, KeyType, Method, RetryPolicy, UnknownCause,
};

use super::support::{CREATE_KEY, LIST_KEYS, TOKEN, Wire, without_tokens};
use crate::common::retry::fast_retry;

const KEYS: &str = "/api/v2/tailnet/-/keys";

fn key_request(description: &str) -> AuthKeyRequest {
    AuthKeyRequest {
        reusable: true,
        tags: vec!["tag:web".to_owned()],
        description: description.to_owned(),
        ..AuthKeyRequest::default()
    }
}

/// A new tailnet defining `tag:web`; its credential, with a token already cached in `wire.client`
/// and in `extra`, so that faults hit only the requests under test. Stats start empty.
async fn tailnet_ready(wire: &Wire, extra: Option<&tailform::api::Client>) -> Credential {
    let (_, cred) = wire.new_tailnet("Faults").await;
    wire.set_tag_owners(&cred, json!({"tag:web": []})).await;
    if let Some(client) = extra {
        client.list_keys(&cred, "-", true).await.unwrap();
    }
    wire.reset_stats().await;
    cred
}

async fn auth_key_ids(wire: &Wire, cred: &Credential) -> Vec<String> {
    let keys = wire.client.list_keys(cred, "-", true).await.unwrap();
    keys.into_iter()
        .filter(|k| k.key_type == KeyType::Auth)
        .map(|k| k.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_requests_are_retried_after_the_servers_retry_after() {
    let wire = Wire::start().await;
    // This client's own backoff is 5–10 s per retry, so only the server's `Retry-After: 0` can
    // make its retries fast.
    let slow_backoff = wire.client_with(RetryPolicy {
        max_retries: 10,
        base_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(10),
        max_retry_after: Duration::from_secs(2),
    });
    let cred = tailnet_ready(&wire, Some(&slow_backoff)).await;
    let before = slow_backoff.stats();

    // Seed 7 throttles both some list requests and the create.
    wire.faults(json!({"rate429": 0.5, "seed": 7, "retryAfterSeconds": 0}))
        .await;
    let started = Instant::now();
    for _ in 0..4 {
        let keys = slow_backoff.list_keys(&cred, "-", true).await.unwrap();
        let keys = without_tokens(keys);
        assert_eq!(keys.len(), 1, "only the bootstrap client: {keys:?}");
    }
    let created = slow_backoff
        .create_auth_key(&cred, "-", &key_request("throttled"))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    wire.faults(json!({})).await;

    let stats = wire.stats().await;
    let throttled = stats.count(LIST_KEYS, 429) + stats.count(CREATE_KEY, 429);
    assert!(
        stats.count(LIST_KEYS, 429) > 0 && stats.count(CREATE_KEY, 429) > 0,
        "the seed throttles reads and the create: {stats:?}"
    );
    assert_eq!(slow_backoff.stats().retries - before.retries, throttled);
    assert_eq!(
        (stats.count(LIST_KEYS, 200), stats.count(CREATE_KEY, 200)),
        (4, 1)
    );
    assert_eq!(
        stats.calls(TOKEN),
        0,
        "the cached token was used throughout"
    );
    assert!(
        elapsed < Duration::from_secs(5),
        "{throttled} retries took {elapsed:?}: Retry-After was not honoured"
    );
    assert_eq!(
        auth_key_ids(&wire, &cred).await,
        [created.key.id],
        "a throttled create was retried into exactly one key"
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_that_never_ends_gives_up_after_the_retry_budget() {
    let wire = Wire::start().await;
    let cred = tailnet_ready(&wire, Some(&wire.client)).await;
    wire.faults(json!({"rate429": 1.0, "retryAfterSeconds": 0}))
        .await;

    let raw = wire.http.get(wire.url(KEYS)).send().await.unwrap();
    assert_eq!(raw.status().as_u16(), 429);
    assert_eq!(
        raw.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
    wire.reset_stats().await;

    let err = wire.client.list_keys(&cred, "-", false).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::Status {
            method: Method::Get,
            path: KEYS.to_owned(),
            status: 429,
            message: "rate limit exceeded, please retry later".to_owned(),
            retry_after: Some(Duration::ZERO),
            attempts: 5,
            request_id: Default::default(),
        }
    );
    assert_eq!(wire.stats().await.count(LIST_KEYS, 429), 5);
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_on_a_get_are_retried() {
    let wire = Wire::start().await;
    let patient = wire.client_with(fast_retry(10));
    let cred = tailnet_ready(&wire, Some(&patient)).await;
    let before = patient.stats();

    wire.faults(json!({"rate5xx": 0.5, "seed": 3})).await;
    for _ in 0..4 {
        let keys = without_tokens(patient.list_keys(&cred, "-", true).await.unwrap());
        assert_eq!(keys.len(), 1, "only the bootstrap client: {keys:?}");
    }
    wire.faults(json!({})).await;

    let stats = wire.stats().await;
    let failed = stats.server_errors(LIST_KEYS);
    assert!(failed > 0, "the seed fails some requests: {stats:?}");
    assert!(
        [500, 502, 503, 504]
            .iter()
            .filter(|s| stats.count(LIST_KEYS, **s) > 0)
            .count()
            >= 2,
        "more than one kind of 5xx: {stats:?}"
    );
    assert_eq!(patient.stats().retries - before.retries, failed);
    assert_eq!(stats.count(LIST_KEYS, 200), 4);
    assert_eq!(stats.total, failed + 4);
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_response_was_lost_is_an_unknown_outcome_and_not_retried() {
    let wire = Wire::start().await;
    let cred = tailnet_ready(&wire, Some(&wire.client)).await;
    let before = wire.client.stats();

    wire.faults(json!({"dropResponseAfterCommit": 1.0})).await;
    let err = wire
        .client
        .create_auth_key(&cred, "-", &key_request("lost answer"))
        .await
        .unwrap_err();
    wire.faults(json!({})).await;

    assert!(err.is_outcome_unknown(), "{err:?}");
    assert!(
        matches!(
            &err,
            ApiError::OutcomeUnknown {
                method: Method::Post,
                path,
                cause: UnknownCause::ConnectionLost { .. },
            } if path == KEYS
        ),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "POST /api/v2/tailnet/-/keys ended without a clear answer (the connection was lost \
             after the request was sent: "
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            "the object may or may not have been created, so read the current state before \
             retrying"
        ),
        "{text}"
    );
    let after = wire.client.stats();
    assert_eq!(
        (
            after.requests - before.requests,
            after.retries - before.retries
        ),
        (1, 0),
        "sent once, never retried"
    );

    let stats = wire.stats().await;
    assert_eq!(stats.calls(CREATE_KEY), 1, "exactly one POST …/keys");
    assert_eq!(stats.count(CREATE_KEY, 200), 1, "and it committed");
    let [post] = stats.log.as_slice() else {
        panic!("only the create was sent: {:?}", stats.log);
    };
    assert!(post.dropped && post.method == "POST", "{post:?}");
    let id = post.key_id.clone().expect("the create logged its key");

    // Reading, as the error says, finds the key: it exists once, as asked.
    let listed = wire.client.list_keys(&cred, "-", true).await.unwrap();
    let auth: Vec<_> = listed
        .iter()
        .filter(|k| k.key_type == KeyType::Auth)
        .collect();
    let [key] = auth.as_slice() else {
        panic!("exactly one auth key exists: {listed:?}");
    };
    assert_eq!(key.id, id);
    assert_eq!(key.description, "lost answer");
    assert!(key.capabilities.as_ref().is_some_and(|c| c.reusable));
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_answered_with_a_server_error_is_an_unknown_outcome_and_not_retried() {
    let wire = Wire::start().await;
    let cred = tailnet_ready(&wire, Some(&wire.client)).await;

    wire.faults(json!({"rate5xx": 1.0, "seed": 4})).await;
    let err = wire
        .client
        .create_auth_key(&cred, "-", &key_request("server error"))
        .await
        .unwrap_err();
    wire.faults(json!({})).await;

    let stats = wire.stats().await;
    let [post] = stats.log.as_slice() else {
        panic!("only the create was sent: {:?}", stats.log);
    };
    assert_eq!(stats.server_errors(CREATE_KEY), 1);
    let ApiError::OutcomeUnknown {
        method: Method::Post,
        path,
        cause: UnknownCause::ServerError { status, message },
    } = &err
    else {
        panic!("a 5xx on a create is an unknown outcome: {err:?}");
    };
    assert_eq!((path.as_str(), *status), (KEYS, post.status));
    let expected = match status {
        500 => "internal server error",
        502 => "bad gateway",
        503 => "service unavailable, please try again later",
        _ => "request took too long to process, please try again later",
    };
    assert_eq!(message, expected);
    assert_eq!(err.status(), Some(post.status));
    // The emulator fails before committing: reading shows that nothing was created.
    assert_eq!(auth_key_ids(&wire, &cred).await, Vec::<String>::new());
    wire.shutdown().await;
}

//! Failure answers and broken responses map to the right outcome or `ApiError` variant, with a
//! clear message: 404s as values, 412, garbage, truncated JSON, HTML pages, oversized bodies,
//! stalled servers, and refused endpoints.

use std::time::Duration;

use serde_json::json;
use tailform::api::{
    ApiError, AuthKeyRequest, Client, ClientConfig, Deleted, KeyLookup, Method, PolicyBody,
    UnknownCause,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{self, Behaviour, RawServer, api_key, received};

async fn answer(m: &str, p: &str, template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(m))
        .and(path(p))
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn get_key_404_is_not_found() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys/kGONE",
        ResponseTemplate::new(404).set_body_json(json!({"message": "key not found"})),
    )
    .await;
    let (cred, _) = api_key();
    let found = support::client(&server)
        .get_key(&cred, "-", "kGONE")
        .await
        .unwrap();
    assert_eq!(found, KeyLookup::NotFound);
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys/kGONE")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn get_key_invalid_true_is_found_and_invalid() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys/kOLD",
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "kOLD", "keyType": "auth", "invalid": true, "revoked": "2026-01-02T03:04:05Z"
        })),
    )
    .await;
    let (cred, _) = api_key();
    match support::client(&server)
        .get_key(&cred, "-", "kOLD")
        .await
        .unwrap()
    {
        KeyLookup::Found(key) => {
            assert!(key.invalid);
            assert_eq!(key.revoked.unwrap().to_string(), "2026-01-02T03:04:05Z");
        }
        KeyLookup::NotFound => panic!("a 200 with invalid:true is Found"),
    }
}

#[tokio::test]
async fn delete_404_is_already_gone() {
    let server = answer(
        "DELETE",
        "/api/v2/tailnet/-/keys/kGONE",
        ResponseTemplate::new(404).set_body_json(json!({"message": "not found"})),
    )
    .await;
    let (cred, _) = api_key();
    let client = support::client(&server);
    assert_eq!(
        client.delete_key(&cred, "-", "kGONE").await.unwrap(),
        Deleted::NotFound
    );
    assert_eq!(
        client.delete_tailnet(&cred, "TGONE").await.unwrap(),
        Deleted::NotFound
    );
}

#[tokio::test]
async fn a_403_on_delete_is_an_error() {
    let server = answer(
        "DELETE",
        "/api/v2/tailnet/-/keys/k1",
        ResponseTemplate::new(403)
            .set_body_json(json!({"message": "user does not have access to this operation"})),
    )
    .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .delete_key(&cred, "-", "k1")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DELETE /api/v2/tailnet/-/keys/k1 failed with 403: user does not have access to this operation"
    );
}

#[tokio::test]
async fn a_412_on_the_policy_post_is_precondition_failed() {
    let server = answer(
        "POST",
        "/api/v2/tailnet/-/acl",
        ResponseTemplate::new(412)
            .set_body_json(json!({"message": "precondition failed, invalid old hash"})),
    )
    .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .set_policy(&cred, "-", &PolicyBody::Json(json!({})), Some("stale"))
        .await
        .unwrap_err();
    assert!(err.is_precondition_failed());
    assert!(!err.is_outcome_unknown());
    assert_eq!(
        err.to_string(),
        "POST /api/v2/tailnet/-/acl failed with 412: precondition failed, invalid old hash"
    );
    assert_eq!(
        received(&server, "POST", "/api/v2/tailnet/-/acl")
            .await
            .len(),
        1
    );
}

/// The `Decode` detail of `GET /keys/k1` answering `template`.
async fn decode_detail(template: ResponseTemplate) -> String {
    let server = answer("GET", "/api/v2/tailnet/-/keys/k1", template).await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .get_key(&cred, "-", "k1")
        .await
        .unwrap_err();
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys/k1")
            .await
            .len(),
        1,
        "not retried"
    );
    match err {
        ApiError::Decode {
            method: Method::Get,
            status: 200,
            detail,
            ..
        } => detail,
        other => panic!("expected Decode, got {other:?}"),
    }
}

#[tokio::test]
async fn garbage_truncated_and_html_bodies_are_decode_errors() {
    assert_eq!(
        decode_detail(ResponseTemplate::new(200).set_body_raw("%%garbage%%", "application/json"))
            .await,
        "the body is not valid JSON (syntax error at line 1, column 1)"
    );
    assert_eq!(
        decode_detail(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"id": "k1", "keyType": "au"#, "application/json")
        )
        .await,
        "the JSON ends early at line 1, column 27 (truncated)"
    );
    assert_eq!(
        decode_detail(ResponseTemplate::new(200).set_body_raw(
            "<!DOCTYPE html><html><body>Login</body></html>",
            "text/html"
        ))
        .await,
        "the body is not valid JSON (syntax error at line 1, column 1); content type `text/html`"
    );
    assert_eq!(
        decode_detail(ResponseTemplate::new(200).set_body_json(json!({"keyType": "auth"}))).await,
        "the JSON does not have the expected shape: missing field `id` (at line 1, column 18)"
    );
}

#[tokio::test]
async fn the_whole_decode_message_is_one_sentence() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(200).set_body_raw("{\"keys\": [", "application/json"),
    )
    .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true answered 200 with a response tailform cannot read: \
         the JSON ends early at line 1, column 10 (truncated)"
    );
}

#[tokio::test]
async fn an_html_error_page_is_excerpted() {
    let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>";
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(502).set_body_raw(page, "text/html"),
    )
    .await;
    let mut config = support::config(&server.uri());
    config.retry.max_retries = 1;
    let (cred, _) = api_key();
    let err = Client::new(config)
        .unwrap()
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true failed with 502: 502 Bad Gateway 502 Bad Gateway (after 2 attempts)"
    );
}

#[tokio::test]
async fn a_long_error_body_is_cut_at_200_characters() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(400).set_body_raw("x".repeat(5000), "text/plain"),
    )
    .await;
    let (cred, _) = api_key();
    match support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err()
    {
        ApiError::Status { message, .. } => assert_eq!(message, format!("{}…", "x".repeat(200))),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(200).set_body_raw(
            format!("{{\"keys\": [], \"pad\": \"{}\"}}", " ".repeat(4096)),
            "application/json",
        ),
    )
    .await;
    let mut config = support::config(&server.uri());
    config.max_body_bytes = 1024;
    let (cred, _) = api_key();
    let err = Client::new(config)
        .unwrap()
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true answered 200 with a response tailform cannot read: \
         the body is larger than the 1024-byte limit"
    );
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn an_oversized_chunked_body_is_refused_while_streaming() {
    // No Content-Length: the cap must hold while reading, not after. The server keeps the
    // connection open after 3 chunks, so buffering the whole body would hang until timeout.
    let chunk = format!("{:x}\r\n{}\r\n", 1000, "a".repeat(1000));
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{}",
        chunk.repeat(3)
    );
    let server = RawServer::start(Behaviour::WriteThenStall(response.into_bytes())).await;
    let mut config = support::config(&server.url);
    config.max_body_bytes = 1500;
    let (cred, _) = api_key();
    let started = std::time::Instant::now();
    let err = Client::new(config)
        .unwrap()
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "it waited for the body to end"
    );
    assert!(
        matches!(&err, ApiError::Decode { detail, .. } if detail == "the body is larger than the 1500-byte limit"),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn an_oversized_create_response_is_an_unknown_outcome() {
    let server = answer(
        "POST",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(200).set_body_raw("x".repeat(4096), "application/json"),
    )
    .await;
    let mut config = support::config(&server.uri());
    config.max_body_bytes = 1024;
    let (cred, _) = api_key();
    let err = Client::new(config)
        .unwrap()
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::OutcomeUnknown {
            method: Method::Post,
            path: "/api/v2/tailnet/-/keys".into(),
            cause: UnknownCause::UnreadableResponse {
                status: 200,
                detail: "the body is larger than the 1024-byte limit".into()
            }
        }
    );
}

#[tokio::test]
async fn a_garbled_create_response_is_an_unknown_outcome() {
    let server = answer(
        "POST",
        "/api/v2/organizations/-/tailnets",
        ResponseTemplate::new(200).set_body_json(json!({"id": "T1", "displayName": "x"})),
    )
    .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .create_tailnet(&cred, "x")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "POST /api/v2/organizations/-/tailnets ended without a clear answer (the server answered \
         200 but its response could not be read: the response has no `oauthClient` with a \
         `secret` (the bootstrap client)): the object may or may not have been created, so read \
         the current state before retrying"
    );
    assert_eq!(
        received(&server, "POST", "/api/v2/organizations/-/tailnets")
            .await
            .len(),
        1
    );
}

fn short_timeout(url: &str, max_retries: u32) -> ClientConfig {
    let mut config = support::config(url);
    config.timeout = Duration::from_millis(300);
    config.retry.max_retries = max_retries;
    config
}

#[tokio::test]
async fn a_stalled_server_times_out() {
    let server = RawServer::start(Behaviour::Stall).await;
    let (cred, _) = api_key();
    let started = std::time::Instant::now();
    let err = Client::new(short_timeout(&server.url, 1))
        .unwrap()
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true could not be completed (after 2 attempts): no complete response within 300ms"
    );
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_body_that_stalls_midway_times_out() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"keys\": [";
    let server = RawServer::start(Behaviour::WriteThenStall(head.as_bytes().to_vec())).await;
    let (cred, _) = api_key();
    let err = Client::new(short_timeout(&server.url, 0))
        .unwrap()
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true could not be completed: no complete response within 300ms"
    );
}

#[tokio::test]
async fn a_stalled_create_is_an_unknown_outcome_after_one_request() {
    let server = RawServer::start(Behaviour::Stall).await;
    let (cred, _) = api_key();
    let err = Client::new(short_timeout(&server.url, 3))
        .unwrap()
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::OutcomeUnknown {
            method: Method::Post,
            path: "/api/v2/tailnet/-/keys".into(),
            cause: UnknownCause::Timeout {
                after: Duration::from_millis(300)
            }
        }
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn plain_http_is_refused_except_on_loopback() {
    let err = Client::new(ClientConfig::new("http://example.com")).unwrap_err();
    assert_eq!(
        err,
        ApiError::InsecureEndpoint {
            url: "http://example.com".into()
        }
    );
    assert!(Client::new(ClientConfig::new("http://127.0.0.1:8080")).is_ok());
    assert!(Client::new(ClientConfig::new("http://[::1]:8080")).is_ok());
    assert!(Client::new(ClientConfig::new("http://localhost:8080")).is_ok());
    assert!(Client::new(ClientConfig::default()).is_ok());
}

#[tokio::test]
async fn a_loopback_http_endpoint_works() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(200).set_body_json(json!({"keys": []})),
    )
    .await;
    assert!(server.uri().starts_with("http://127.0.0.1:"));
    let (cred, _) = api_key();
    assert_eq!(
        support::client(&server)
            .list_keys(&cred, "-", true)
            .await
            .unwrap(),
        vec![]
    );
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let server = answer(
        "GET",
        "/api/v2/tailnet/-/keys",
        ResponseTemplate::new(302).insert_header("Location", "https://elsewhere.example/steal"),
    )
    .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true failed with 302: found"
    );
}

//! Authentication: Basic for API keys; OAuth client credentials exchanged for a Bearer token
//! that is cached across calls and clones, minted once for concurrent callers, and re-minted
//! once on a 401.

use base64::Engine as _;
use serde_json::json;
use tailform::api::ApiError;
use wiremock::matchers::{bearer_token, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{self, api_key, form, mount_token, oauth, received};

async fn mount_keys(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn api_keys_use_basic_auth_with_an_empty_password() {
    let server = MockServer::start().await;
    mount_keys(&server).await;
    let (cred, key) = api_key();
    let client = support::client(&server);
    client.list_keys(&cred, "-", true).await.unwrap();
    let reqs = received(&server, "GET", "/api/v2/tailnet/-/keys").await;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    );
    assert_eq!(
        support::header(&reqs[0], "authorization"),
        Some(expected.as_str())
    );
    assert!(
        received(&server, "POST", "/api/v2/oauth/token")
            .await
            .is_empty()
    );
    assert_eq!(client.stats().token_mints, 0);
}

#[tokio::test]
async fn oauth_token_exchange_shape_and_bearer_use() {
    let server = MockServer::start().await;
    let token = support::generated("tskey-api-tok-");
    mount_token(&server, &token).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .and(bearer_token(token.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": []})))
        .expect(1)
        .mount(&server)
        .await;
    let (cred, secret) = oauth("kORG1", None);
    support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap();

    let mints = received(&server, "POST", "/api/v2/oauth/token").await;
    assert_eq!(mints.len(), 1);
    assert_eq!(
        form(&mints[0]),
        vec![
            ("client_id".to_owned(), "kORG1".to_owned()),
            ("client_secret".to_owned(), secret),
            ("grant_type".to_owned(), "client_credentials".to_owned()),
        ]
    );
    assert_eq!(
        support::header(&mints[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(support::header(&mints[0], "authorization"), None);
}

#[tokio::test]
async fn the_tailnet_parameter_is_sent_and_keys_its_own_token() {
    let server = MockServer::start().await;
    mount_token(&server, &support::generated("tskey-api-tok-")).await;
    mount_keys(&server).await;
    let client = support::client(&server);
    let (own, _) = oauth("kORG1", None);
    let (for_t1, _) = oauth("kORG1", Some("T1CNTRL"));
    client.list_keys(&own, "-", true).await.unwrap();
    client.list_keys(&for_t1, "-", true).await.unwrap();
    client.list_keys(&for_t1, "-", true).await.unwrap();
    let mints = received(&server, "POST", "/api/v2/oauth/token").await;
    assert_eq!(mints.len(), 2);
    assert!(!form(&mints[0]).iter().any(|(k, _)| k == "tailnet"));
    assert_eq!(
        form(&mints[1]).last(),
        Some(&("tailnet".to_owned(), "T1CNTRL".to_owned()))
    );
}

#[tokio::test]
async fn one_mint_serves_many_calls_and_clones() {
    let server = MockServer::start().await;
    mount_token(&server, &support::generated("tskey-api-tok-")).await;
    mount_keys(&server).await;
    let client = support::client(&server);
    let clone = client.clone();
    let (cred, _) = oauth("kORG1", None);
    for _ in 0..5 {
        client.list_keys(&cred, "-", true).await.unwrap();
        clone.list_keys(&cred, "-", true).await.unwrap();
    }
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        1
    );
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        10
    );
    let stats = clone.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.token_mints),
        (11, 0, 1)
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_mint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "tok-shared", "token_type": "Bearer", "expires_in": 3600}))
                .set_delay(std::time::Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    mount_keys(&server).await;
    let client = support::client(&server);
    let (cred, _) = oauth("kORG1", None);
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let (client, cred) = (client.clone(), cred.clone());
            tokio::spawn(async move { client.list_keys(&cred, "-", true).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        1
    );
    let gets = received(&server, "GET", "/api/v2/tailnet/-/keys").await;
    assert_eq!(gets.len(), 12);
    assert!(
        gets.iter()
            .all(|r| support::header(r, "authorization") == Some("Bearer tok-shared"))
    );
}

/// Answers the token endpoint with `tok-1`, `tok-2`, … in turn.
async fn mount_numbered_tokens(server: &MockServer, count: u64) {
    for n in 1..=count {
        Mock::given(method("POST"))
            .and(path("/api/v2/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": 3600}),
            ))
            .up_to_n_times(1)
            .with_priority(u8::try_from(n).unwrap())
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn a_401_remints_once_and_succeeds() {
    let server = MockServer::start().await;
    mount_numbered_tokens(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .and(bearer_token("tok-1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "API token invalid"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .and(bearer_token("tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [{"id": "k1"}]})))
        .mount(&server)
        .await;
    let client = support::client(&server);
    let (cred, _) = oauth("kORG1", None);
    let keys = client.list_keys(&cred, "-", true).await.unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        2
    );
    let auths: Vec<_> = received(&server, "GET", "/api/v2/tailnet/-/keys")
        .await
        .iter()
        .map(|r| support::header(r, "authorization").unwrap().to_owned())
        .collect();
    assert_eq!(auths, vec!["Bearer tok-1", "Bearer tok-2"]);
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.token_mints),
        (4, 1, 2)
    );
    // The new token is cached: the next call mints nothing.
    client.list_keys(&cred, "-", true).await.unwrap();
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        2
    );
}

#[tokio::test]
async fn a_second_401_is_an_error() {
    let server = MockServer::start().await;
    mount_numbered_tokens(&server, 3).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys/k1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "API token invalid"})),
        )
        .mount(&server)
        .await;
    let (cred, _) = oauth("kORG1", None);
    let err = support::client(&server)
        .get_key(&cred, "-", "k1")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys/k1 failed with 401: API token invalid (after 2 attempts)"
    );
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        2
    );
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys/k1")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_401_on_an_api_key_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "API token invalid"})),
        )
        .mount(&server)
        .await;
    let (cred, _) = api_key();
    let err = support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GET /api/v2/tailnet/-/keys?all=true failed with 401: API token invalid"
    );
    assert_eq!(
        received(&server, "GET", "/api/v2/tailnet/-/keys")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn a_failed_mint_names_the_client_and_the_exchange() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "API token invalid"})),
        )
        .mount(&server)
        .await;
    let (cred, secret) = oauth("kBADCLIENT", None);
    let err = support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "exchanging the credentials of OAuth client `kBADCLIENT` for an access token failed: \
         POST /api/v2/oauth/token failed with 401: API token invalid"
    );
    assert!(
        matches!(&err, ApiError::TokenMint { client_id, cause } if client_id == "kBADCLIENT" && cause.status() == Some(401))
    );
    assert!(!format!("{err:?}").contains(&secret));
    assert!(
        received(&server, "GET", "/api/v2/tailnet/-/keys")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_token_exchange_is_retried_like_any_idempotent_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/oauth/token"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "try later"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_token(&server, "tok-after-retry").await;
    mount_keys(&server).await;
    let client = support::client(&server);
    let (cred, _) = oauth("kORG1", None);
    client.list_keys(&cred, "-", true).await.unwrap();
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        2
    );
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.retries, stats.token_mints),
        (3, 1, 1)
    );
}

#[tokio::test]
async fn concurrent_callers_share_one_failed_mint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/oauth/token"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"message": "API token invalid"}))
                .set_delay(std::time::Duration::from_millis(200)),
        )
        .mount(&server)
        .await;
    let client = support::client(&server);
    let (cred, _) = oauth("kORG1", None);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (client, cred) = (client.clone(), cred.clone());
            tokio::spawn(async move { client.list_keys(&cred, "-", true).await })
        })
        .collect();
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        assert!(matches!(err, ApiError::TokenMint { .. }), "{err:?}");
    }
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        1
    );
    // A later call asks again.
    client.list_keys(&cred, "-", true).await.unwrap_err();
    assert_eq!(
        received(&server, "POST", "/api/v2/oauth/token").await.len(),
        2
    );
}

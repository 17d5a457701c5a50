//! No secret involved in a call — API key, client secret, access token, a created key's or
//! tailnet client's secret — appears in `Debug` or `Display` of anything the client hands out.

use serde_json::json;
use tailform::api::{AuthKeyRequest, Credential};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::support::{self, mount_token, oauth};

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} leaks a secret: {text}");
    }
}

#[tokio::test]
async fn nothing_prints_a_secret() {
    let server = MockServer::start().await;
    let access_token = support::generated("tskey-api-tok-");
    let key_secret = support::generated("tskey-auth-kNEW-");
    let tailnet_secret = support::generated("tskey-client-kBOOT-");
    mount_token(&server, &access_token).await;
    Mock::given(method("POST"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "kNEW", "key": key_secret})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // The second create fails, and the server (badly) echoes credentials in its error body.
    let (cred, client_secret) = oauth("kORG1", None);
    Mock::given(method("POST"))
        .and(path("/api/v2/tailnet/-/keys"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "message": format!("boom: token {access_token} secret {client_secret} key {key_secret}")
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v2/organizations/-/tailnets"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "T1", "displayName": "x", "oauthClient": {"id": "kBOOT", "secret": tailnet_secret}
        })))
        .mount(&server)
        .await;
    let secrets = [
        access_token.as_str(),
        key_secret.as_str(),
        tailnet_secret.as_str(),
        client_secret.as_str(),
    ];

    let client = support::client(&server);
    let created = client
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap();
    assert_eq!(created.secret.expose(), key_secret);
    let tailnet = client.create_tailnet(&cred, "x").await.unwrap();
    assert_eq!(tailnet.oauth_client_secret.expose(), tailnet_secret);
    let err = client
        .create_auth_key(&cred, "-", &AuthKeyRequest::default())
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown());
    let (api_cred, api_key) = support::api_key();

    assert_clean(
        "Client (and its token cache)",
        &format!("{client:?}"),
        &secrets,
    );
    assert!(
        format!("{client:?}").contains("kORG1@-: fresh for"),
        "{client:?}"
    );
    assert_clean("Credential", &format!("{cred:?}"), &secrets);
    assert_clean(
        "Credential::ApiKey",
        &format!("{api_cred:?}"),
        &[api_key.as_str()],
    );
    assert_clean("CreatedKey", &format!("{created:?}"), &secrets);
    assert_clean("CreatedTailnet", &format!("{tailnet:?}"), &secrets);
    assert_clean("ApiError Debug", &format!("{err:?}"), &secrets);
    assert_clean("ApiError Display", &err.to_string(), &secrets);
    assert_eq!(
        err.to_string(),
        "POST /api/v2/tailnet/-/keys ended without a clear answer (the server answered 500: \
         boom: token (sensitive value) secret (sensitive value) key (sensitive value)): the object \
         may or may not have been created, so read the current state before retrying"
    );
}

#[tokio::test]
async fn a_failed_mint_never_prints_the_client_secret() {
    let server = MockServer::start().await;
    let secret = "not-tskey-shaped-client-secret-value";
    Mock::given(method("POST"))
        .and(path("/api/v2/oauth/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(format!("bad client_secret={secret}"), "text/plain"),
        )
        .mount(&server)
        .await;
    let cred = Credential::oauth("kORG1", tailform::secret::Secret::new(secret));
    let err = support::client(&server)
        .list_keys(&cred, "-", true)
        .await
        .unwrap_err();
    assert_clean("TokenMint", &format!("{err} {err:?}"), &[secret]);
    assert_eq!(
        err.to_string(),
        "exchanging the credentials of OAuth client `kORG1` for an access token failed: POST \
         /api/v2/oauth/token failed with 400: bad client_secret=(sensitive value)"
    );
}

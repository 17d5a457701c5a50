//! Federated identities (`keyType: "federated"`) and `POST /api/v2/oauth/token-exchange`
//! against the emulator's test OIDC issuer (`/_emulator/oidc/…`): the measured shapes (generated
//! audience, `{}` for absent claim rules, no secret), full-replacement PUT, and a token exchange
//! that verifies signature, issuer, audience, expiry, subject pattern and claim rules, answering
//! `403 {"message":"Unauthorized"}` to any mismatch.

use serde_json::{Value, json};

use super::support::Emu;

const ISSUER: &str = "https://oidc.emulator.tailform.invalid";
const SUBJECT: &str = "repo:org/repo:ref:refs/heads/main";

async fn create_identity(e: &Emu, token: &str, extra: Value) -> Value {
    let mut body = json!({
        "keyType": "federated", "scopes": ["auth_keys", "oauth_keys:read"], "tags": ["tag:ci"],
        "issuer": ISSUER, "subject": "repo:org/repo:ref:refs/heads/*", "description": "ci"
    });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    e.post(token, "/api/v2/tailnet/-/keys", body)
        .await
        .ok()
        .clone()
}

async fn oidc_token(e: &Emu, body: Value) -> String {
    let reply = e
        .send(e.http.post(e.url("/_emulator/oidc/token")).json(&body))
        .await;
    reply.ok()["token"].as_str().unwrap().to_owned()
}

async fn exchange(e: &Emu, client_id: &str, jwt: &str) -> super::support::Reply {
    e.send(
        e.http
            .post(e.url("/api/v2/oauth/token-exchange"))
            .form(&[("client_id", client_id), ("jwt", jwt)]),
    )
    .await
}

#[tokio::test]
async fn a_federated_identity_has_a_generated_audience_no_secret_and_empty_claim_rules() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:ci"]).await;
    let created = create_identity(&e, &token, json!({})).await;
    assert_eq!(created["keyType"], "federated");
    assert!(created.get("key").is_none(), "{created}");
    let audience = created["audience"].as_str().unwrap();
    assert!(audience.starts_with("api.tailscale.com/"), "{audience}");
    assert_eq!(created["customClaimRules"], json!({}));
    assert_eq!(created["issuer"], ISSUER);
    let id = created["id"].as_str().unwrap();

    let got = e.get(&token, &format!("/api/v2/tailnet/-/keys/{id}")).await;
    assert_eq!(got.ok()["audience"], audience);
    let listed = e.get(&token, "/api/v2/tailnet/-/keys?all=true").await;
    assert!(
        listed.ok()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == id)
    );

    // PUT replaces every field; the audience stays when omitted.
    let put = e
        .put(
            &token,
            &format!("/api/v2/tailnet/-/keys/{id}"),
            json!({"keyType": "federated", "scopes": ["auth_keys:read"], "tags": [],
                   "issuer": ISSUER, "subject": "repo:org/other:*", "description": "",
                   "customClaimRules": {"repository_owner": "org"}}),
        )
        .await;
    let put = put.ok();
    assert_eq!(put["subject"], "repo:org/other:*");
    assert_eq!(put["scopes"], json!(["auth_keys:read"]));
    assert!(put.get("tags").is_none(), "{put}");
    assert_eq!(put["audience"], audience);
    assert_eq!(put["customClaimRules"], json!({"repository_owner": "org"}));

    // Without federated_keys, neither create nor PUT.
    let client = e.create_client(&token, &["oauth_keys"], &[]).await;
    let client_token = e.client_token(&client, &[]).await;
    e.post(
        &client_token,
        "/api/v2/tailnet/-/keys",
        json!({"keyType": "federated", "scopes": ["oauth_keys:read"], "issuer": ISSUER, "subject": "x"}),
    )
    .await
    .assert_error(403, "actor lacks permission");

    let deleted = e
        .delete(&token, &format!("/api/v2/tailnet/-/keys/{id}"))
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    let gone = e.get(&token, &format!("/api/v2/tailnet/-/keys/{id}")).await;
    assert_eq!(gone.ok()["invalid"], true);
    e.shutdown().await;
}

#[tokio::test]
async fn the_exchange_verifies_the_token_against_the_identity() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:ci"]).await;
    let created = create_identity(
        &e,
        &token,
        json!({"customClaimRules": {"repository_owner": "org"}}),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    let audience = created["audience"].as_str().unwrap().to_owned();
    let good =
        json!({"subject": SUBJECT, "audience": audience, "claims": {"repository_owner": "org"}});

    let jwt = oidc_token(&e, good.clone()).await;
    let minted = exchange(&e, id, &jwt).await;
    let minted = minted.ok();
    assert_eq!(minted["token_type"], "Bearer");
    assert_eq!(minted["expires_in"], 3600);
    assert_eq!(minted["scope"], "auth_keys oauth_keys:read");
    // The token acts with the identity's scopes.
    let access = minted["access_token"].as_str().unwrap();
    assert_eq!(e.get(access, "/api/v2/tailnet/-/keys").await.status, 200);
    e.post(
        access,
        "/api/v2/tailnet/-/keys",
        json!({"keyType": "client", "scopes": ["all"]}),
    )
    .await
    .assert_error(403, "actor lacks permission");

    let mismatch = |field: &str, value: Value| {
        let mut body = good.clone();
        body[field] = value;
        body
    };
    for (what, body) in [
        (
            "wrong subject",
            mismatch("subject", json!("repo:org/other:ref:refs/heads/main")),
        ),
        (
            "wrong audience",
            mismatch("audience", json!("api.tailscale.com/other")),
        ),
        (
            "wrong issuer",
            mismatch(
                "issuer",
                json!("https://token.actions.githubusercontent.com"),
            ),
        ),
        (
            "wrong claim",
            mismatch("claims", json!({"repository_owner": "evil"})),
        ),
        ("missing claim", mismatch("claims", json!({}))),
        ("expired", mismatch("expiresInSeconds", json!(-1))),
    ] {
        let jwt = oidc_token(&e, body).await;
        let refused = exchange(&e, id, &jwt).await;
        assert_eq!(
            (refused.status, &refused.body),
            (403, &json!({"message": "Unauthorized"})),
            "{what}: {}",
            refused.text
        );
    }
    // A token signed by anyone else, and an unknown identity, are refused the same way.
    let parts: Vec<&str> = jwt.split('.').collect();
    let forged = format!("{}.{}.AAAA", parts[0], parts[1]);
    assert_eq!(exchange(&e, id, &forged).await.status, 403);
    assert_eq!(exchange(&e, "kNoSuchIdCNTRL", &jwt).await.status, 403);
    // A form problem is a 400.
    let missing = e
        .send(
            e.http
                .post(e.url("/api/v2/oauth/token-exchange"))
                .form(&[("client_id", id)]),
        )
        .await;
    missing.assert_error(400, "jwt is required");

    // Once deleted, the identity's tokens stop working and it can no longer exchange.
    e.delete(&token, &format!("/api/v2/tailnet/-/keys/{id}"))
        .await;
    assert_eq!(e.get(access, "/api/v2/tailnet/-/keys").await.status, 401);
    let jwt = oidc_token(&e, good).await;
    assert_eq!(exchange(&e, id, &jwt).await.status, 403);
    e.shutdown().await;
}

#[tokio::test]
async fn the_test_issuer_publishes_its_keys_and_serves_github_actions_tokens() {
    let e = Emu::start().await;
    let config = e
        .send(
            e.http
                .get(e.url("/_emulator/oidc/.well-known/openid-configuration")),
        )
        .await;
    assert_eq!(config.ok()["issuer"], ISSUER);
    let jwks = e.send(e.http.get(e.url("/_emulator/oidc/jwks"))).await;
    let key = &jwks.ok()["keys"][0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"]),
        (&json!("EC"), &json!("P-256"), &json!("ES256"))
    );

    let url = e.url("/_emulator/oidc/actions?api-version=2.0&audience=aud1&subject=repo:o/r:ref:refs/heads/main");
    let refused = e.send(e.http.get(&url)).await;
    assert_eq!(refused.status, 401);
    let fetched = e.send(e.http.get(&url).bearer_auth("request-token")).await;
    let jwt = fetched.ok()["value"].as_str().unwrap();
    let payload: Value = {
        use base64::Engine as _;
        let part = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(payload["aud"], "aud1");
    assert_eq!(payload["sub"], "repo:o/r:ref:refs/heads/main");
    assert_eq!(payload["repository_owner"], "o");
    assert_eq!(payload["iss"], ISSUER);
    e.shutdown().await;
}

//! The tag rules (POLICY-WEBHOOKS §1): tags must be defined in `tagOwners`; an OAuth-derived
//! token mints keys with exactly its client's tags, tags those own, or — with `all` — any
//! defined tag.

use crate::support::Emu;
use serde_json::json;

const NOT_PERMITTED_A: &str = "requested tags [tag:a] are invalid or not permitted";

#[tokio::test]
async fn an_undefined_tag_is_refused_until_the_policy_defines_it() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.create_auth_key(&token, &["tag:a"], json!({}))
        .await
        .assert_error(400, NOT_PERMITTED_A);
    e.post(
        &token,
        "/api/v2/tailnet/-/keys",
        json!({"keyType": "client", "scopes": ["auth_keys"], "tags": ["tag:a"]}),
    )
    .await
    .assert_error(400, NOT_PERMITTED_A);
    e.define_tags(&token, &["tag:a"]).await;
    assert_eq!(
        e.create_auth_key(&token, &["tag:a"], json!({}))
            .await
            .status,
        200
    );
    e.shutdown().await;
}

#[tokio::test]
async fn the_section_name_matches_case_insensitively_and_tags_need_the_prefix() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.set_policy(&token, "-", r#"{"TagOwners": {"tag:a": []}}"#)
        .await
        .ok();
    assert_eq!(
        e.create_auth_key(&token, &["tag:a"], json!({}))
            .await
            .status,
        200
    );
    e.create_auth_key(&token, &["a"], json!({}))
        .await
        .assert_error(400, "requested tags [a] are invalid or not permitted");
    e.create_auth_key(&token, &["tag:a", "tag:b"], json!({}))
        .await
        .assert_error(
            400,
            "requested tags [tag:a tag:b] are invalid or not permitted",
        );
    e.shutdown().await;
}

#[tokio::test]
async fn a_subset_of_a_multi_tag_clients_tags_needs_ownership() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    e.define_tags(&org, &["tag:a", "tag:b"]).await;
    let client = e
        .create_client(&org, &["auth_keys"], &["tag:a", "tag:b"])
        .await;
    let token = e.client_token(&client, &[]).await;
    // The exact set works without any ownership, in any order.
    assert_eq!(
        e.create_auth_key(&token, &["tag:b", "tag:a"], json!({}))
            .await
            .status,
        200
    );
    // A subset does not.
    e.create_auth_key(&token, &["tag:a"], json!({}))
        .await
        .assert_error(400, NOT_PERMITTED_A);
    // Once tag:b owns tag:a, it does.
    e.set_policy(
        &org,
        "-",
        r#"{"tagOwners": {"tag:a": ["tag:b"], "tag:b": []}}"#,
    )
    .await
    .ok();
    let key = e.create_auth_key(&token, &["tag:a"], json!({})).await;
    assert_eq!(
        key.ok()["capabilities"]["devices"]["create"]["tags"],
        json!(["tag:a"])
    );
    // Self-ownership is what tailform writes for a subset: "tag:b": ["tag:b"].
    e.create_auth_key(&token, &["tag:b"], json!({}))
        .await
        .assert_error(400, "requested tags [tag:b] are invalid or not permitted");
    e.set_policy(
        &org,
        "-",
        r#"{"tagOwners": {"tag:a": ["tag:b"], "tag:b": ["tag:b"]}}"#,
    )
    .await
    .ok();
    assert_eq!(
        e.create_auth_key(&token, &["tag:b"], json!({}))
            .await
            .status,
        200
    );
    e.shutdown().await;
}

#[tokio::test]
async fn a_client_with_all_uses_any_defined_tag() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Tagged").await;
    let child = e.tailnet_token(&created).await;
    e.create_auth_key(&child, &["tag:web"], json!({}))
        .await
        .assert_error(400, "requested tags [tag:web] are invalid or not permitted");
    e.define_tags(&child, &["tag:web", "tag:db"]).await;
    let key = e
        .create_auth_key(&child, &["tag:web", "tag:db"], json!({}))
        .await;
    assert_eq!(key.status, 200, "{}", key.text);
    // The same client, narrowed to `auth_keys`, has no tags of its own any more.
    let narrowed = e
        .token_for(
            created["oauthClient"]["id"].as_str().unwrap(),
            created["oauthClient"]["secret"].as_str().unwrap(),
            &[("scope", "auth_keys")],
        )
        .await;
    e.create_auth_key(&narrowed, &["tag:web"], json!({}))
        .await
        .assert_error(400, "requested tags [tag:web] are invalid or not permitted");
    e.shutdown().await;
}

#[tokio::test]
async fn clients_created_by_a_tagged_token_follow_the_same_rule() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    e.define_tags(&org, &["tag:a", "tag:b"]).await;
    let maker = e
        .create_client(&org, &["oauth_keys", "auth_keys"], &["tag:a"])
        .await;
    let token = e.client_token(&maker, &[]).await;
    let same = e
        .post(
            &token,
            "/api/v2/tailnet/-/keys",
            json!({"keyType": "client", "scopes": ["auth_keys"], "tags": ["tag:a"]}),
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.text);
    e.post(
        &token,
        "/api/v2/tailnet/-/keys",
        json!({"keyType": "client", "scopes": ["auth_keys"], "tags": ["tag:b"]}),
    )
    .await
    .assert_error(400, "requested tags [tag:b] are invalid or not permitted");
    e.shutdown().await;
}

#[tokio::test]
async fn removing_a_tag_from_the_policy_leaves_existing_keys_alone() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    e.define_tags(&org, &["tag:a"]).await;
    let key = e.create_auth_key(&org, &["tag:a"], json!({})).await;
    let client = e.create_client(&org, &["auth_keys"], &["tag:a"]).await;
    let key_id = key.ok()["id"].as_str().unwrap().to_owned();
    e.define_tags(&org, &["tag:other"]).await;
    let got = e
        .get(&org, &format!("/api/v2/tailnet/-/keys/{key_id}"))
        .await;
    assert!(got.ok().get("invalid").is_none());
    assert_eq!(
        got.body["capabilities"]["devices"]["create"]["tags"],
        json!(["tag:a"])
    );
    let client_token = e.client_token(&client, &[]).await;
    // …but no new key can carry the removed tag.
    e.create_auth_key(&client_token, &["tag:a"], json!({}))
        .await
        .assert_error(400, NOT_PERMITTED_A);
    e.shutdown().await;
}

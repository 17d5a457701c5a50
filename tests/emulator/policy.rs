//! The policy file endpoints (POLICY-WEBHOOKS §2–§3): HuJSON vs JSON, the ETag, `If-Match`,
//! parse and semantic errors, reset, and `/acl/validate`.

use crate::support::Emu;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

async fn get_policy(e: &Emu, token: &str, accept: Option<&str>) -> crate::support::Reply {
    let mut req = e
        .http
        .get(e.url("/api/v2/tailnet/-/acl"))
        .bearer_auth(token);
    if let Some(accept) = accept {
        req = req.header("Accept", accept);
    }
    e.send(req).await
}

async fn post_policy(
    e: &Emu,
    token: &str,
    body: &str,
    headers: &[(&str, &str)],
) -> crate::support::Reply {
    let mut req = e
        .http
        .post(e.url("/api/v2/tailnet/-/acl"))
        .bearer_auth(token)
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    e.send(req).await
}

#[tokio::test]
async fn the_default_policy_is_hujson_with_an_etag_and_json_on_request() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let hujson = get_policy(&e, &token, None).await;
    assert_eq!(hujson.status, 200);
    assert_eq!(hujson.header("content-type"), Some("application/hujson"));
    assert!(
        hujson.text.contains("// \"tagOwners\": {"),
        "{}",
        hujson.text
    );
    assert!(!hujson.text.contains("\n\t\"tagOwners\""));
    let etag = format!("\"{}\"", sha256_hex(&hujson.text));
    assert_eq!(hujson.header("etag"), Some(etag.as_str()));
    let again = get_policy(&e, &token, Some("application/hujson")).await;
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(again.text, hujson.text);

    let as_json = get_policy(&e, &token, Some("application/json")).await;
    assert_eq!(as_json.header("content-type"), Some("application/json"));
    assert_eq!(as_json.header("etag"), Some(etag.as_str()));
    assert_eq!(
        as_json.body,
        json!({
            "grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"]}],
            "ssh": [{"action": "check", "src": ["autogroup:member"], "dst": ["autogroup:self"], "users": ["autogroup:nonroot", "root"]}]
        })
    );
    e.shutdown().await;
}

#[tokio::test]
async fn post_stores_verbatim_changes_the_etag_and_answers_in_the_asked_format() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let before = get_policy(&e, &token, None).await;
    let text = "// ours\n{\n  \"TagOwners\": {\"tag:web\": []}, // trailing\n  \"grants\": [{\"src\": [\"tag:web\"], \"dst\": [\"*\"], \"ip\": [\"443\"]},],\n}\n";
    let posted = post_policy(&e, &token, text, &[("Content-Type", "application/hujson")]).await;
    assert_eq!(posted.status, 200, "{}", posted.text);
    assert_eq!(posted.text, text);
    let etag = format!("\"{}\"", sha256_hex(text));
    assert_eq!(posted.header("etag"), Some(etag.as_str()));
    assert_ne!(posted.header("etag"), before.header("etag"));
    let read = get_policy(&e, &token, None).await;
    assert_eq!(
        (read.text.as_str(), read.header("etag")),
        (text, Some(etag.as_str()))
    );
    let json_view = get_policy(&e, &token, Some("application/json")).await;
    assert_eq!(
        json_view.body,
        json!({"tagOwners": {"tag:web": []}, "grants": [{"src": ["tag:web"], "dst": ["*"], "ip": ["443"]}]})
    );
    let posted_json = post_policy(
        &e,
        &token,
        r#"{"tagOwners": {"tag:db": []}}"#,
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ],
    )
    .await;
    assert_eq!(posted_json.header("content-type"), Some("application/json"));
    assert_eq!(posted_json.body, json!({"tagOwners": {"tag:db": []}}));
    e.shutdown().await;
}

#[tokio::test]
async fn if_match_guards_the_update() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let current = get_policy(&e, &token, None).await;
    let etag = current.header("etag").unwrap().to_owned();
    let unquoted = etag.trim_matches('"').to_owned();
    let v1 = r#"{"tagOwners": {"tag:a": []}}"#;
    let v2 = r#"{"tagOwners": {"tag:b": []}}"#;
    // "ts-default" matches the untouched default only.
    let first = post_policy(&e, &token, v1, &[("If-Match", "\"ts-default\"")]).await;
    assert_eq!(first.status, 200, "{}", first.text);
    post_policy(&e, &token, v2, &[("If-Match", "\"ts-default\"")])
        .await
        .assert_error(412, "precondition failed, invalid old hash");
    // A stale hash (quoted or not) is refused, even with an invalid body.
    post_policy(&e, &token, v2, &[("If-Match", &etag)])
        .await
        .assert_error(412, "precondition failed, invalid old hash");
    post_policy(&e, &token, "{not json", &[("If-Match", &unquoted)])
        .await
        .assert_error(412, "precondition failed, invalid old hash");
    // The current hash works quoted and unquoted.
    let v1_etag = sha256_hex(v1);
    let second = post_policy(&e, &token, v2, &[("If-Match", &v1_etag)]).await;
    assert_eq!(second.status, 200);
    let third = post_policy(
        &e,
        &token,
        v1,
        &[("If-Match", &format!("\"{}\"", sha256_hex(v2)))],
    )
    .await;
    assert_eq!(third.status, 200);
    // An empty body resets to the default, which is "untouched" again.
    let reset = post_policy(&e, &token, "", &[]).await;
    assert_eq!(reset.status, 200);
    assert_eq!(reset.header("etag"), Some(etag.as_str()));
    let after_reset = post_policy(&e, &token, v1, &[("If-Match", "ts-default")]).await;
    assert_eq!(after_reset.status, 200);
    e.shutdown().await;
}

#[tokio::test]
async fn parse_errors_carry_line_and_column() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let before = get_policy(&e, &token, None).await;
    post_policy(
        &e,
        &token,
        "{\n  \"tagOwners\": {\n    \"tag:a\": []\n    \"tag:b\": []\n  }\n}",
        &[("Content-Type", "application/hujson")],
    )
    .await
    .assert_error(
        400,
        "invalid policy file: line 3, column 16: Expected comma",
    );
    post_policy(
        &e,
        &token,
        "{\n  // a comment is not JSON\n}",
        &[("Content-Type", "application/json")],
    )
    .await
    .assert_error(
        400,
        "invalid policy file: line 2, column 3: Comments are not allowed",
    );
    // Nothing was stored.
    let after = get_policy(&e, &token, None).await;
    assert_eq!(after.header("etag"), before.header("etag"));
    e.shutdown().await;
}

#[tokio::test]
async fn semantically_invalid_policies_are_refused() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let cases = [
        (
            r#"{"tagOwners": ["tag:a"]}"#,
            "invalid policy file: tagOwners must be an object",
        ),
        (
            r#"{"tagOwners": {"tag:a": "autogroup:admin"}}"#,
            "invalid policy file: tagOwners[\"tag:a\"] must be a list of owners",
        ),
        (
            r#"{"tagOwners": {"tag:a": ["nobody"]}}"#,
            "invalid policy file: tagOwners[\"tag:a\"]: invalid owner \"nobody\"",
        ),
        (
            r#"{"tagOwners": {"tag:a": ["tag:b"]}}"#,
            "invalid policy file: tagOwners[\"tag:a\"]: tag not found: \"tag:b\"",
        ),
        (
            r#"{"tagOwners": {"tag:a": ["group:ops"]}}"#,
            "invalid policy file: tagOwners[\"tag:a\"]: group not found: \"group:ops\"",
        ),
        (
            r#"{"tagOwners": {"web": []}}"#,
            "invalid policy file: tagOwners: \"web\" is not a valid tag (tags look like \"tag:name\")",
        ),
        (
            r#"{"grants": [{"src": ["tag:tag1"], "dst": ["*"], "ip": ["*"]}]}"#,
            "src=tag not found: \"tag:tag1\"",
        ),
        (
            r#"{"acl": []}"#,
            "invalid policy file: unknown section \"acl\"",
        ),
    ];
    for (text, message) in cases {
        post_policy(&e, &token, text, &[])
            .await
            .assert_error(400, message);
    }
    e.shutdown().await;
}

#[tokio::test]
async fn validate_answers_200_with_or_without_a_message_and_stores_nothing() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let before = get_policy(&e, &token, None).await;
    let validate = |body: &'static str| {
        e.send(
            e.http
                .post(e.url("/api/v2/tailnet/-/acl/validate"))
                .bearer_auth(&token)
                .header("Content-Type", "application/hujson")
                .body(body),
        )
    };
    let ok = validate("{\"tagOwners\": {\"tag:x\": [],},}").await;
    assert_eq!((ok.status, &ok.body), (200, &json!({})));
    let bad = validate(r#"{"grants": [{"src": ["tag:tag1"], "dst": ["*"], "ip": ["*"]}]}"#).await;
    assert_eq!(
        (bad.status, &bad.body),
        (200, &json!({"message": "src=tag not found: \"tag:tag1\""}))
    );
    let unparsable = validate("{\n\"x\"").await;
    assert_eq!(unparsable.status, 200);
    let message = unparsable.body["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid policy file: line 2, column "),
        "{message}"
    );
    let after = get_policy(&e, &token, None).await;
    assert_eq!(after.header("etag"), before.header("etag"));
    e.shutdown().await;
}

#[tokio::test]
async fn policy_scopes() {
    let e = Emu::start().await;
    let reader = e.org_token_with(&[("scope", "policy_file:read")]).await;
    assert_eq!(get_policy(&e, &reader, None).await.status, 200);
    post_policy(&e, &reader, "{}", &[])
        .await
        .assert_error(403, "actor lacks permission");
    let validate = e
        .send(
            e.http
                .post(e.url("/api/v2/tailnet/-/acl/validate"))
                .bearer_auth(&reader)
                .body("{}"),
        )
        .await;
    assert_eq!(validate.body, Value::Object(Default::default()));
    let keys_only = e.org_token_with(&[("scope", "auth_keys")]).await;
    get_policy(&e, &keys_only, None)
        .await
        .assert_error(403, "actor lacks permission");
    // A legacy name works at the token endpoint too.
    let legacy = e.org_token_with(&[("scope", "acl")]).await;
    assert_eq!(post_policy(&e, &legacy, "{}", &[]).await.status, 200);
    e.shutdown().await;
}

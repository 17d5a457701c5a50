//! Key lifecycle on the emulator clock: expiry, one-off use, revocation, the seven-day purge.

use crate::support::{Emu, ids};
use serde_json::{Value, json};

const WEEK: i64 = 7 * 24 * 3600;

async fn tagged() -> (Emu, String) {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:web"]).await;
    (e, token)
}

async fn new_key(e: &Emu, token: &str, extra: Value) -> String {
    let reply = e.create_auth_key(token, &["tag:web"], extra).await;
    reply.ok()["id"].as_str().unwrap().to_owned()
}

async fn use_key(e: &Emu, id: &str) -> crate::support::Reply {
    e.send(e.http.post(e.url(&format!("/_emulator/keys/{id}/use"))))
        .await
}

#[tokio::test]
async fn a_key_expires_when_the_clock_passes_expires() {
    let (e, token) = tagged().await;
    let id = new_key(&e, &token, json!({"expirySeconds": 3600})).await;
    let path = format!("/api/v2/tailnet/-/keys/{id}");
    e.advance(3590).await;
    let fresh = e.get(&token, &path).await;
    assert!(fresh.ok().get("invalid").is_none(), "{}", fresh.text);
    e.advance(10).await;
    let token = token_again(&e).await;
    let expired = e.get(&token, &path).await;
    assert_eq!(expired.ok()["invalid"], true);
    assert!(
        expired.body.get("revoked").is_none(),
        "expiry is not revocation"
    );
    // Invalid keys leave the list but stay readable.
    let list = e.get(&token, "/api/v2/tailnet/-/keys?all=true").await;
    assert!(!ids(list.ok()).contains(&id));
    // Seven days after expiring, the key is purged.
    e.advance(WEEK - 10).await;
    assert_eq!(e.get(&token_again(&e).await, &path).await.status, 200);
    e.advance(10).await;
    e.get(&token_again(&e).await, &path)
        .await
        .assert_error(404, "key not found");
    e.shutdown().await;
}

/// Tokens last an hour; long clock jumps need a fresh one.
async fn token_again(e: &Emu) -> String {
    e.org_token().await
}

#[tokio::test]
async fn a_one_off_key_is_invalid_after_use_and_a_reusable_one_is_not() {
    let (e, token) = tagged().await;
    let one_off = new_key(&e, &token, json!({})).await;
    let reusable = new_key(
        &e,
        &token,
        json!({"capabilities": {"devices": {"create": {"reusable": true, "tags": ["tag:web"]}}}}),
    )
    .await;
    assert_eq!(use_key(&e, &one_off).await.ok()["invalid"], true);
    let used = e
        .get(&token, &format!("/api/v2/tailnet/-/keys/{one_off}"))
        .await;
    assert_eq!(used.ok()["invalid"], true);
    assert!(used.body.get("revoked").is_none());
    use_key(&e, &one_off)
        .await
        .assert_error(400, &format!("key \"{one_off}\" is invalid"));
    for _ in 0..2 {
        assert!(use_key(&e, &reusable).await.ok().get("invalid").is_none());
    }
    use_key(&e, "kUnknown00000CNTRL")
        .await
        .assert_error(404, "key not found");
    let client = e.emu.org_client_id().to_owned();
    use_key(&e, &client).await.assert_error(
        400,
        &format!("key \"{client}\" is an OAuth client, not an auth key"),
    );
    e.shutdown().await;
}

#[tokio::test]
async fn delete_revokes_then_the_key_is_purged_after_seven_days() {
    let (e, token) = tagged().await;
    let id = new_key(&e, &token, json!({})).await;
    let path = format!("/api/v2/tailnet/-/keys/{id}");
    let deleted = e.delete(&token, &path).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (200, ""));
    let revoked = e.get(&token, &path).await;
    assert_eq!(revoked.ok()["invalid"], true);
    let revoked_at = revoked.body["revoked"].as_str().unwrap().to_owned();
    assert!(revoked.body.get("key").is_none());
    // A second delete succeeds and keeps the first revocation time.
    e.advance(60).await;
    assert_eq!(e.delete(&token, &path).await.status, 200);
    assert_eq!(
        e.get(&token, &path).await.body["revoked"],
        revoked_at.as_str()
    );
    e.advance(WEEK - 120).await;
    let token = e.org_token().await;
    assert_eq!(e.get(&token, &path).await.status, 200);
    e.advance(60).await;
    e.get(&token, &path)
        .await
        .assert_error(404, "key not found");
    e.delete(&token, &path)
        .await
        .assert_error(404, "key not found");
    e.delete(&token, "/api/v2/tailnet/-/keys/kUnknown00000CNTRL")
        .await
        .assert_error(404, "key not found");
    e.shutdown().await;
}

#[tokio::test]
async fn deleting_a_client_revokes_it_and_its_tokens() {
    let (e, token) = tagged().await;
    let client = e.create_client(&token, &["auth_keys"], &["tag:web"]).await;
    let client_token = e.client_token(&client, &[]).await;
    let id = client["id"].as_str().unwrap();
    assert_eq!(
        e.delete(&token, &format!("/api/v2/tailnet/-/keys/{id}"))
            .await
            .status,
        200
    );
    let got = e.get(&token, &format!("/api/v2/tailnet/-/keys/{id}")).await;
    assert_eq!(got.ok()["invalid"], true);
    assert!(got.body["revoked"].is_string());
    e.create_auth_key(&client_token, &["tag:web"], json!({}))
        .await
        .assert_error(401, "API token invalid");
    // A revoked client cannot be updated.
    e.put(
        &token,
        &format!("/api/v2/tailnet/-/keys/{id}"),
        json!({"keyType": "client", "scopes": ["all:read"]}),
    )
    .await
    .assert_error(400, "a revoked OAuth client cannot be updated");
    e.shutdown().await;
}

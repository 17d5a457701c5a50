//! OAuth clients through the client: create (with its one-time secret), then PUT
//! (`set_oauth_client`), which changes the attributes and keeps the id and the secret.

use serde_json::json;
use tailform::api::{AuthKeyRequest, Credential, KeyLookup, KeyType, Method, OAuthClientRequest};

use super::support::{Wire, status_error};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn key_request(tags: &[&str]) -> AuthKeyRequest {
    AuthKeyRequest {
        tags: strings(tags),
        description: "minted by the CI client".to_owned(),
        ..AuthKeyRequest::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_updates_a_client_and_keeps_its_id_and_secret() {
    let wire = Wire::start().await;
    let (_, admin) = wire.new_tailnet("Clients").await;
    wire.set_tag_owners(&admin, json!({"tag:ci": [], "tag:deploy": []}))
        .await;

    let asked = OAuthClientRequest {
        scopes: strings(&["auth_keys"]),
        tags: strings(&["tag:ci"]),
        description: "CI provisioning".to_owned(),
    };
    let created = wire
        .client
        .create_oauth_client(&admin, "-", &asked)
        .await
        .unwrap();
    let id = created.key.id.clone();
    assert!(
        created
            .secret
            .expose()
            .starts_with(&format!("tskey-client-{id}-"))
    );
    let info = &created.key;
    assert_eq!(info.key_type, KeyType::Client);
    assert_eq!(
        (&info.scopes, &info.tags, info.description.as_str()),
        (&asked.scopes, &asked.tags, "CI provisioning")
    );
    assert_eq!(
        (info.expires, info.expiry_seconds, &info.capabilities),
        (None, None, &None),
        "an OAuth client never expires and has no device capabilities"
    );
    assert!(info.created.is_some() && info.updated.is_some() && !info.invalid);
    assert_eq!(
        wire.client.get_key(&admin, "-", &id).await.unwrap(),
        KeyLookup::Found(info.clone())
    );

    wire.advance(5).await;
    let replaced = OAuthClientRequest {
        scopes: strings(&["auth_keys", "devices:core"]),
        tags: strings(&["tag:ci", "tag:deploy"]),
        description: "CI and deploy".to_owned(),
    };
    let updated = wire
        .client
        .set_oauth_client(&admin, "-", &id, &replaced)
        .await
        .unwrap();
    assert_eq!(updated.id, id, "a PUT keeps the id");
    assert_eq!(
        (&updated.scopes, &updated.tags, updated.description.as_str()),
        (&replaced.scopes, &replaced.tags, "CI and deploy")
    );
    assert_eq!(updated.created, info.created);
    assert!(
        updated.updated > info.updated,
        "`updated` moves: {:?} → {:?}",
        info.updated,
        updated.updated
    );
    assert_eq!(
        wire.client.get_key(&admin, "-", &id).await.unwrap(),
        KeyLookup::Found(updated.clone())
    );

    // The wire never shows the secret again: not on GET (and `KeyInfo` has no field for it).
    let token = wire
        .raw_token_form(&created.key.id, &created.secret)
        .await
        .access_token;
    let (status, body) = wire
        .raw_get(&token, &format!("/api/v2/tailnet/-/keys/{id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body.get("key"), None, "{body}");

    // The secret from the create still works, and its tokens carry the new tags: a key with the
    // client's full new tag set is accepted, the old set (now a subset) is not.
    let ci = Credential::oauth(id.clone(), created.secret.clone());
    let key = wire
        .client
        .create_auth_key(&ci, "-", &key_request(&["tag:ci", "tag:deploy"]))
        .await
        .unwrap();
    assert_eq!(
        key.key.capabilities.map(|c| c.tags),
        Some(strings(&["tag:ci", "tag:deploy"]))
    );
    let err = wire
        .client
        .create_auth_key(&ci, "-", &key_request(&["tag:ci"]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Post,
            "/api/v2/tailnet/-/keys",
            400,
            "requested tags [tag:ci] are invalid or not permitted"
        )
    );
    wire.shutdown().await;
}

//! Tag and scope refusals as the client reports them: an undefined tag, a subset of a multi-tag
//! client's tags (and the same request once `tagOwners` grants ownership), an endpoint scope the
//! token lacks, and scopes a client cannot grant.

use serde_json::json;
use tailform::api::{
    AuthKeyRequest, CreatedKey, Credential, KeyLookup, Method, OAuthClientRequest,
};

use super::support::{CREATE_KEY, Wire, status_error};

const KEYS: &str = "/api/v2/tailnet/-/keys";

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn key_request(tags: &[&str]) -> AuthKeyRequest {
    AuthKeyRequest {
        tags: strings(tags),
        ..AuthKeyRequest::default()
    }
}

/// A new tailnet defining `tag:a` and `tag:b`; its bootstrap (`all`) credential.
async fn tailnet_with_two_tags(wire: &Wire) -> Credential {
    let (_, admin) = wire.new_tailnet("Refusals").await;
    wire.set_tag_owners(&admin, json!({"tag:a": [], "tag:b": []}))
        .await;
    admin
}

/// Creates an OAuth client with `scopes` and `tags`; returns it and its credential.
async fn client_with(
    wire: &Wire,
    admin: &Credential,
    scopes: &[&str],
    tags: &[&str],
) -> (CreatedKey, Credential) {
    let req = OAuthClientRequest {
        scopes: strings(scopes),
        tags: strings(tags),
        description: "scoped".to_owned(),
    };
    let created = wire
        .client
        .create_oauth_client(admin, "-", &req)
        .await
        .unwrap();
    let cred = Credential::oauth(created.key.id.clone(), created.secret.clone());
    (created, cred)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undefined_tag_is_refused_for_keys_and_clients() {
    let wire = Wire::start().await;
    let admin = tailnet_with_two_tags(&wire).await;
    let err = wire
        .client
        .create_auth_key(&admin, "-", &key_request(&["tag:a", "tag:nope"]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Post,
            KEYS,
            400,
            "requested tags [tag:a tag:nope] are invalid or not permitted"
        )
    );
    let client = OAuthClientRequest {
        scopes: strings(&["auth_keys"]),
        tags: strings(&["tag:nope"]),
        description: String::new(),
    };
    let err = wire
        .client
        .create_oauth_client(&admin, "-", &client)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Post,
            KEYS,
            400,
            "requested tags [tag:nope] are invalid or not permitted"
        )
    );
    let stats = wire.stats().await;
    assert_eq!(
        (stats.count(CREATE_KEY, 400), stats.count(CREATE_KEY, 200)),
        (2, 0)
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subset_of_a_clients_tags_needs_ownership_in_tag_owners() {
    let wire = Wire::start().await;
    let admin = tailnet_with_two_tags(&wire).await;
    let (_, both) = client_with(&wire, &admin, &["auth_keys"], &["tag:a", "tag:b"]).await;

    let err = wire
        .client
        .create_auth_key(&both, "-", &key_request(&["tag:a"]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Post,
            KEYS,
            400,
            "requested tags [tag:a] are invalid or not permitted"
        )
    );
    let exact = wire
        .client
        .create_auth_key(&both, "-", &key_request(&["tag:b", "tag:a"]))
        .await
        .unwrap();
    assert_eq!(
        exact.key.capabilities.map(|c| c.tags),
        Some(strings(&["tag:b", "tag:a"])),
        "the client's full tag set, in any order, needs no ownership"
    );

    // `tag:b` owns `tag:a` now: the same subset request succeeds, with the same token.
    wire.set_tag_owners(&admin, json!({"tag:a": ["tag:b"], "tag:b": []}))
        .await;
    let subset = wire
        .client
        .create_auth_key(&both, "-", &key_request(&["tag:a"]))
        .await
        .unwrap();
    assert_eq!(
        subset.key.capabilities.clone().map(|c| c.tags),
        Some(strings(&["tag:a"]))
    );
    assert_eq!(
        wire.client
            .get_key(&admin, "-", &subset.key.id)
            .await
            .unwrap(),
        KeyLookup::Found(subset.key.clone())
    );
    assert_eq!(
        wire.client.stats().token_mints,
        3,
        "the organization, the tailnet's client and the multi-tag client: one token each"
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_scope_the_token_lacks_is_refused() {
    let wire = Wire::start().await;
    let admin = tailnet_with_two_tags(&wire).await;
    let (_, keys_only) = client_with(&wire, &admin, &["auth_keys"], &["tag:a"]).await;
    let missing = "actor lacks permission";

    let client = OAuthClientRequest {
        scopes: strings(&["auth_keys"]),
        tags: strings(&["tag:a"]),
        description: String::new(),
    };
    let err = wire
        .client
        .create_oauth_client(&keys_only, "-", &client)
        .await
        .unwrap_err();
    assert_eq!(err, status_error(Method::Post, KEYS, 403, missing));
    let err = wire.client.get_policy(&keys_only, "-").await.unwrap_err();
    assert_eq!(
        err,
        status_error(Method::Get, "/api/v2/tailnet/-/acl", 403, missing)
    );
    let err = wire.client.list_tailnets(&keys_only).await.unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Get,
            "/api/v2/organizations/-/tailnets",
            403,
            missing
        )
    );

    // What the scope does allow still works with the same credential.
    let key = wire
        .client
        .create_auth_key(&keys_only, "-", &key_request(&["tag:a"]))
        .await
        .unwrap();
    assert!(key.secret.expose().starts_with("tskey-auth-"));
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_cannot_grant_scopes_it_lacks() {
    let wire = Wire::start().await;
    let admin = tailnet_with_two_tags(&wire).await;
    let (_, clients_only) = client_with(&wire, &admin, &["oauth_keys"], &[]).await;

    let asked = OAuthClientRequest {
        scopes: strings(&["oauth_keys", "all"]),
        tags: Vec::new(),
        description: "escalation".to_owned(),
    };
    let err = wire
        .client
        .create_oauth_client(&clients_only, "-", &asked)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Post,
            KEYS,
            403,
            "OAuth client cannot grant scopes \"all\""
        )
    );
    let within = OAuthClientRequest {
        scopes: strings(&["oauth_keys:read"]),
        ..asked
    };
    let created = wire
        .client
        .create_oauth_client(&clients_only, "-", &within)
        .await
        .unwrap();
    assert_eq!(created.key.scopes, strings(&["oauth_keys:read"]));
    wire.shutdown().await;
}

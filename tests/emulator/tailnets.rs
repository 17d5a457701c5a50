//! API-only tailnets: list, create (names, uniqueness, the cap), delete, and the `tailnets`
//! organization scope.

use crate::support::{Emu, ids, keys_of};
use serde_json::json;
use tailform::emulator::EmulatorConfig;

#[tokio::test]
async fn the_list_includes_the_original_tailnet() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let list = e.get(&token, "/api/v2/organizations/-/tailnets").await;
    let body = list.ok();
    assert_eq!(keys_of(body), ["tailnets", "totalCount"]);
    assert_eq!(body["totalCount"], 1);
    let original = &body["tailnets"][0];
    assert_eq!(
        keys_of(original),
        ["createdAt", "displayName", "id", "orgId"]
    );
    assert_eq!(original["displayName"], "example.com");
    let id = original["id"].as_str().unwrap();
    assert!(id.starts_with('T') && id.ends_with("CNTRL"), "{id}");
    let org = original["orgId"].as_str().unwrap();
    assert!(org.starts_with('o') && org.ends_with("CNTRL"), "{org}");
    e.shutdown().await;
}

#[tokio::test]
async fn create_returns_the_tailnet_and_its_one_time_client() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let created = e.create_tailnet(&token, "Acme Prod's-1").await;
    assert_eq!(
        keys_of(&created),
        [
            "alreadyExists",
            "createdAt",
            "displayName",
            "dnsName",
            "id",
            "oauthClient",
            "orgId"
        ]
    );
    assert_eq!(created["alreadyExists"], false);
    assert_eq!(created["displayName"], "Acme Prod's-1");
    let dns = created["dnsName"].as_str().unwrap();
    assert!(dns.starts_with("tail") && dns.ends_with(".ts.net"), "{dns}");
    let client = &created["oauthClient"];
    assert_eq!(keys_of(client), ["id", "secret"]);
    let client_id = client["id"].as_str().unwrap();
    assert!(
        client["secret"]
            .as_str()
            .unwrap()
            .starts_with(&format!("tskey-client-{client_id}-"))
    );

    // The list now has both, oldest first.
    let list = e.get(&token, "/api/v2/organizations/-/tailnets").await;
    assert_eq!(list.ok()["totalCount"], 2);
    assert_eq!(list.body["tailnets"][1]["id"], created["id"]);
    assert_eq!(list.body["tailnets"][1]["orgId"], created["orgId"]);

    // The new client has `all`, no tags, and is listed in its own tailnet.
    let child = e.tailnet_token(&created).await;
    let keys = e.get(&child, "/api/v2/tailnet/-/keys?all=true").await;
    assert_eq!(ids(keys.ok()), [client_id]);
    let shown = &keys.body["keys"][0];
    assert_eq!(shown["scopes"], json!(["all"]));
    assert!(shown.get("tags").is_none());
    assert!(shown.get("key").is_none());
    e.shutdown().await;
}

#[tokio::test]
async fn display_names_are_checked_and_unique_case_insensitively() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let path = "/api/v2/organizations/-/tailnets";
    for bad in ["", "under_score", "émoji", &"x".repeat(51)] {
        let reply = e.post(&token, path, json!({ "displayName": bad })).await;
        reply.assert_error(
            400,
            &format!(
                "invalid displayName {bad:?}: use 1 to 50 ASCII letters, digits, spaces, apostrophes or hyphens"
            ),
        );
    }
    assert_eq!(
        e.post(&token, path, json!({ "displayName": "x".repeat(50) }))
            .await
            .status,
        200
    );
    // A taken name (any case) is answered with the existing tailnet (`fidelity`).
    let acme = e.create_tailnet(&token, "Acme").await;
    let again = e.post(&token, path, json!({ "displayName": "ACME" })).await;
    assert_eq!((again.status, &again.body["id"]), (200, &acme["id"]));
    assert_eq!(again.body["alreadyExists"], true);
    e.post(&token, path, json!({ "displayName": "Example.com" }))
        .await
        .assert_error(
            400,
            "invalid displayName \"Example.com\": use 1 to 50 ASCII letters, digits, spaces, apostrophes or hyphens",
        );
    // Unknown fields are ignored, as measured.
    let unknown = e
        .post(&token, path, json!({ "displayName": "B", "extra": 1 }))
        .await;
    assert_eq!(unknown.status, 200, "{}", unknown.text);
    e.shutdown().await;
}

#[tokio::test]
async fn the_eleventh_tailnet_is_refused() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    for i in 1..=9 {
        e.create_tailnet(&token, &format!("Tailnet {i}")).await;
    }
    e.post(
        &token,
        "/api/v2/organizations/-/tailnets",
        json!({"displayName": "Tailnet 10"}),
    )
    .await
    .assert_error(400, "organization has reached its limit of 10 tailnets");
    let list = e.get(&token, "/api/v2/organizations/-/tailnets").await;
    assert_eq!(list.ok()["totalCount"], 10);
    e.shutdown().await;
}

#[tokio::test]
async fn the_cap_is_configurable() {
    let e = Emu::start_with(EmulatorConfig {
        max_tailnets: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let token = e.org_token().await;
    e.create_tailnet(&token, "One").await;
    e.post(
        &token,
        "/api/v2/organizations/-/tailnets",
        json!({"displayName": "Two"}),
    )
    .await
    .assert_error(400, "organization has reached its limit of 2 tailnets");
    e.shutdown().await;
}

#[tokio::test]
async fn all_does_not_imply_the_tailnets_scope() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Child").await;
    let child = e.tailnet_token(&created).await;
    e.get(&child, "/api/v2/organizations/-/tailnets")
        .await
        .assert_error(403, "actor lacks permission");
    e.post(
        &child,
        "/api/v2/organizations/-/tailnets",
        json!({"displayName": "Grandchild"}),
    )
    .await
    .assert_error(403, "actor does not have permission to create tailnets");
    // `tailnets:read` lists but does not create.
    let reader = e.org_token_with(&[("scope", "tailnets:read")]).await;
    assert_eq!(
        e.get(&reader, "/api/v2/organizations/-/tailnets")
            .await
            .status,
        200
    );
    e.post(
        &reader,
        "/api/v2/organizations/-/tailnets",
        json!({"displayName": "Nope"}),
    )
    .await
    .assert_error(403, "actor does not have permission to create tailnets");
    e.get(&org, "/api/v2/organizations/o123CNTRL/tailnets")
        .await
        .assert_error(404, "organization not found");
    e.shutdown().await;
}

#[tokio::test]
async fn delete_needs_all_and_a_token_for_that_tailnet() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Doomed").await;
    let id = created["id"].as_str().unwrap();
    // The org token is for the original tailnet: another tailnet is foreign to it.
    e.delete(&org, &format!("/api/v2/tailnet/{id}"))
        .await
        .assert_error(403, "user tailnet does not match");
    e.delete(&org, "/api/v2/tailnet/-")
        .await
        .assert_error(400, "the organization's original tailnet cannot be deleted");
    let child = e.tailnet_token(&created).await;
    let reader = e
        .token_for(
            created["oauthClient"]["id"].as_str().unwrap(),
            created["oauthClient"]["secret"].as_str().unwrap(),
            &[("scope", "all:read")],
        )
        .await;
    e.delete(&reader, "/api/v2/tailnet/-")
        .await
        .assert_error(403, "actor lacks permission");
    let deleted = e.delete(&child, &format!("/api/v2/tailnet/{id}")).await;
    assert_eq!((deleted.status, deleted.text.as_str()), (200, ""));
    // Everything in it is gone, its client's tokens too.
    e.get(&child, "/api/v2/tailnet/-/keys")
        .await
        .assert_error(401, "API token invalid");
    let list = e.get(&org, "/api/v2/organizations/-/tailnets").await;
    assert_eq!(list.ok()["totalCount"], 1);
    // The name is free again.
    e.create_tailnet(&org, "Doomed").await;
    e.shutdown().await;
}

#[tokio::test]
async fn the_org_client_can_delete_through_a_tailnet_token() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Via Org").await;
    let id = created["id"].as_str().unwrap();
    let scoped = e.org_token_with(&[("tailnet", id)]).await;
    assert_eq!(
        e.delete(&scoped, &format!("/api/v2/tailnet/{id}"))
            .await
            .status,
        200
    );
    e.get(&scoped, "/api/v2/tailnet/-/keys")
        .await
        .assert_error(401, "API token invalid");
    e.shutdown().await;
}

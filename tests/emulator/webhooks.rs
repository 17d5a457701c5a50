//! Webhooks (`/tailnet/{t}/webhooks`, `/webhooks/{id}`): the measured behaviours — subscriptions
//! sorted and de-duplicated, PATCH replacing the list, the provider type fixed, a second
//! endpoint on one URL answered with a 500, the secret in the create and rotate answers only
//! (and the old one dead after a rotation), `test` answering 202 — plus the strict refusals and
//! the per-tailnet and per-scope walls.

use reqwest::Method;
use serde_json::{Value, json};

use super::support::Emu;

async fn create(e: &Emu, token: &str, body: Value) -> super::support::Reply {
    e.post(token, "/api/v2/tailnet/-/webhooks", body).await
}

async fn is_current(e: &Emu, id: &str, secret: &str) -> bool {
    let reply = e
        .send(
            e.http
                .post(e.url(&format!("/_emulator/webhooks/{id}/check-secret")))
                .body(secret.to_owned()),
        )
        .await;
    reply.ok()["current"].as_bool().unwrap()
}

#[tokio::test]
async fn a_webhook_is_created_with_a_secret_listed_without_it_and_patched_in_place() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let made = create(
        &e,
        &token,
        json!({"endpointUrl": "https://hooks.example.com/a", "providerType": "slack",
               "subscriptions": ["policyUpdate", "nodeCreated", "policyUpdate"]}),
    )
    .await;
    let made = made.ok().clone();
    let id = made["endpointId"].as_str().unwrap().to_owned();
    assert!(id.chars().all(|c| c.is_ascii_digit()), "{id}");
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tskey-webhook-"), "{secret}");
    assert_eq!(
        made["subscriptions"],
        json!(["nodeCreated", "policyUpdate"])
    );
    assert_eq!(made["providerType"], "slack");
    assert_eq!(made["creatorLoginName"], "");
    assert!(is_current(&e, &id, &secret).await);

    let listed = e.get(&token, "/api/v2/tailnet/-/webhooks").await;
    let listed = listed.ok()["webhooks"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].get("secret").is_none(), "{listed:?}");
    let got = e.get(&token, &format!("/api/v2/webhooks/{id}")).await;
    assert!(got.ok().get("secret").is_none());

    let patched = e
        .call(
            Method::PATCH,
            &format!("/api/v2/webhooks/{id}"),
            Some(&token),
            Some(json!({"subscriptions": ["userCreated"]})),
        )
        .await;
    assert_eq!(patched.ok()["subscriptions"], json!(["userCreated"]));
    assert!(patched.ok().get("secret").is_none());
    // The URL and the provider type are fixed: a PATCH naming them is refused.
    let refused = e
        .call(
            Method::PATCH,
            &format!("/api/v2/webhooks/{id}"),
            Some(&token),
            Some(json!({"subscriptions": ["userCreated"], "endpointUrl": "https://x.example"})),
        )
        .await;
    assert_eq!(refused.status, 400, "{}", refused.text);

    let tested = e
        .call(
            Method::POST,
            &format!("/api/v2/webhooks/{id}/test"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(tested.status, 202);

    // A rotation answers a new secret; the old one stops at once.
    let rotated = e
        .call(
            Method::POST,
            &format!("/api/v2/webhooks/{id}/rotate"),
            Some(&token),
            None,
        )
        .await;
    let new = rotated.ok()["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, secret);
    assert_eq!(rotated.ok()["endpointId"], id.as_str());
    assert!(is_current(&e, &id, &new).await);
    assert!(!is_current(&e, &id, &secret).await);

    let deleted = e.delete(&token, &format!("/api/v2/webhooks/{id}")).await;
    assert_eq!(deleted.status, 200);
    e.get(&token, &format!("/api/v2/webhooks/{id}"))
        .await
        .assert_error(404, "webhook not found");
}

#[tokio::test]
async fn a_second_webhook_on_one_url_is_a_500_and_bad_bodies_are_refused() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let body =
        json!({"endpointUrl": "https://hooks.example.com/a", "subscriptions": ["nodeCreated"]});
    create(&e, &token, body.clone()).await.ok();
    let dup = create(&e, &token, body).await;
    assert_eq!(dup.status, 500, "{}", dup.text);
    for bad in [
        json!({"endpointUrl": "http://hooks.example.com/b", "subscriptions": ["nodeCreated"]}),
        json!({"endpointUrl": "https://hooks.example.com/b", "subscriptions": []}),
        json!({"endpointUrl": "https://hooks.example.com/b", "subscriptions": ["nodecreated"]}),
        json!({"endpointUrl": "https://hooks.example.com/b", "subscriptions": ["nodeCreated"], "providerType": "teams"}),
        json!({"endpointUrl": "https://hooks.example.com/b", "subscriptions": ["nodeCreated"], "extra": 1}),
        json!({"subscriptions": ["nodeCreated"]}),
    ] {
        let r = create(&e, &token, bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
}

#[tokio::test]
async fn another_tailnets_webhook_is_not_found_and_scopes_are_checked() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let made = create(
        &e,
        &org,
        json!({"endpointUrl": "https://hooks.example.com/a", "subscriptions": ["nodeCreated"]}),
    )
    .await;
    let id = made.ok()["endpointId"].as_str().unwrap().to_owned();
    let other = e.create_tailnet(&org, "Other").await;
    let other_token = e.tailnet_token(&other).await;
    for (method, path) in [
        (Method::GET, format!("/api/v2/webhooks/{id}")),
        (Method::DELETE, format!("/api/v2/webhooks/{id}")),
        (Method::POST, format!("/api/v2/webhooks/{id}/rotate")),
    ] {
        let r = e.call(method, &path, Some(&other_token), None).await;
        assert_eq!(r.status, 404, "{path}: {}", r.text);
    }
    let listed = e.get(&other_token, "/api/v2/tailnet/-/webhooks").await;
    assert_eq!(listed.ok()["webhooks"], json!([]));
    // A client without `webhooks:read` cannot list them.
    e.define_tags(&org, &["tag:ci"]).await;
    let client = e.create_client(&org, &["policy_file:read"], &[]).await;
    let narrow = e.client_token(&client, &[]).await;
    let refused = e.get(&narrow, "/api/v2/tailnet/-/webhooks").await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    // Deleting the tailnet takes its webhooks with it.
    let other_id = other["id"].as_str().unwrap();
    let made = create(
        &e,
        &other_token,
        json!({"endpointUrl": "https://hooks.example.com/a", "subscriptions": ["nodeCreated"]}),
    )
    .await;
    let theirs = made.ok()["endpointId"].as_str().unwrap().to_owned();
    let gone = e
        .delete(&other_token, &format!("/api/v2/tailnet/{other_id}"))
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text);
    let check = e
        .send(
            e.http
                .post(e.url(&format!("/_emulator/webhooks/{theirs}/check-secret")))
                .body("x"),
        )
        .await;
    assert_eq!(check.status, 404);
}

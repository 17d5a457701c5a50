//! The emulator behaves like the live API (issue "The first real apply", FIDELITY-2): each
//! behaviour measured or documented for the real API is on by default, each uncertain one sits
//! behind a switch in `/_emulator/faults` or a test control. Plain HTTP, no `tailform::api`.

use std::time::{Duration, Instant};

use crate::support::{Emu, Reply, ids};
use serde_json::{Value, json};
use tailform::emulator::EmulatorConfig;

const TAILNETS: &str = "/api/v2/organizations/-/tailnets";

/// The request id of a reply (asserting there is one).
#[track_caller]
fn request_id(reply: &Reply) -> String {
    reply
        .header("x-tailscale-request-id")
        .unwrap_or_else(|| panic!("no x-tailscale-request-id: {:?}", reply.headers))
        .to_owned()
}

/// The key id inside an access token (`tskey-api-<id>-<secret>`).
fn token_id(token: &str) -> &str {
    token.split('-').nth(2).expect("tskey-api-<id>-<secret>")
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let ok = e.get(&token, "/api/v2/tailnet/-/keys").await;
    let refused = e.get("not-a-token", "/api/v2/tailnet/-/keys").await;
    let missing = e.get(&token, "/api/v2/nowhere").await;
    let control = e.send(e.http.get(e.url("/_emulator/clock"))).await;
    let token_reply = e
        .token_form(&[("client_id", "k"), ("client_secret", "s")])
        .await;
    assert_eq!(
        (
            ok.status,
            refused.status,
            missing.status,
            token_reply.status
        ),
        (200, 401, 404, 401)
    );
    let ids: Vec<String> = [&ok, &refused, &missing, &control, &token_reply]
        .into_iter()
        .map(request_id)
        .collect();
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(
        distinct.len(),
        ids.len(),
        "each response its own id: {ids:?}"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn a_tailnet_is_addressed_by_its_dns_name_too() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "By Name").await;
    let other = e.create_tailnet(&org, "Other").await;
    let token = e.tailnet_token(&created).await;
    let dns = created["dnsName"].as_str().unwrap();
    for segment in [dns.to_owned(), dns.to_uppercase()] {
        let keys = e
            .get(&token, &format!("/api/v2/tailnet/{segment}/keys"))
            .await;
        assert_eq!(
            ids(keys.ok()),
            [created["oauthClient"]["id"].as_str().unwrap()]
        );
        let policy = e
            .get(&token, &format!("/api/v2/tailnet/{segment}/acl"))
            .await;
        assert_eq!(policy.status, 200, "{}", policy.text);
    }
    // Another tailnet's DNS name is still another tailnet.
    let theirs = other["dnsName"].as_str().unwrap();
    e.get(&token, &format!("/api/v2/tailnet/{theirs}/keys"))
        .await
        .assert_error(403, "user tailnet does not match");
    // DELETE by DNS name, as measured (`DELETE /api/v2/tailnet/tail9a1c23.ts.net` → 200).
    assert_eq!(
        e.delete(&token, &format!("/api/v2/tailnet/{dns}"))
            .await
            .status,
        200
    );
    let listed = e.get(&org, TAILNETS).await;
    let names: Vec<&str> = listed.ok()["tailnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["example.com", "Other"]);
    e.shutdown().await;
}

#[tokio::test]
async fn create_tailnet_ignores_unknown_fields_and_keeps_the_display_name_grammar() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    // The real call accepted `tailnetName` beside `displayName` (measured).
    let created = e
        .post(
            &org,
            TAILNETS,
            json!({"displayName": "Extra Fields", "tailnetName": "ignored", "x": [1]}),
        )
        .await;
    assert_eq!(created.ok()["displayName"], "Extra Fields");
    assert_eq!(created.ok()["alreadyExists"], false);
    let missing = e
        .post(&org, TAILNETS, json!({"tailnetName": "no display name"}))
        .await;
    assert_eq!(missing.status, 400);
    assert!(
        missing.body["message"]
            .as_str()
            .unwrap()
            .starts_with("invalid request body: missing field `displayName`"),
        "{}",
        missing.text
    );
    let fifty = "A".repeat(50);
    assert_eq!(
        e.post(&org, TAILNETS, json!({ "displayName": fifty }))
            .await
            .status,
        200
    );
    for bad in ["A".repeat(51), "Zürich".to_owned(), "a_b".to_owned()] {
        e.post(&org, TAILNETS, json!({ "displayName": bad }))
            .await
            .assert_error(
                400,
                &format!(
                    "invalid displayName {bad:?}: use 1 to 50 ASCII letters, digits, spaces, \
                     apostrophes or hyphens"
                ),
            );
    }
    e.shutdown().await;
}

#[tokio::test]
async fn a_taken_display_name_answers_already_exists_without_a_client() {
    let e = Emu::start_with(EmulatorConfig {
        seed: Some(crate::support::SEED),
        max_tailnets: 2,
        ..EmulatorConfig::default()
    })
    .await;
    let org = e.org_token().await;
    let first = e.create_tailnet(&org, "Acme Prod").await;
    let keys_before = ids(e
        .get(
            &e.tailnet_token(&first).await,
            "/api/v2/tailnet/-/keys?all=true",
        )
        .await
        .ok());
    // At the cap (2), a taken name still answers: nothing is created.
    for name in ["Acme Prod", "acme PROD"] {
        let again = e.post(&org, TAILNETS, json!({ "displayName": name })).await;
        let body = again.ok();
        assert_eq!(
            crate::support::keys_of(body),
            [
                "alreadyExists",
                "createdAt",
                "displayName",
                "dnsName",
                "id",
                "orgId"
            ],
            "no oauthClient: a secret is shown once"
        );
        assert_eq!(body["alreadyExists"], true);
        for field in ["id", "displayName", "dnsName", "orgId", "createdAt"] {
            assert_eq!(body[field], first[field], "{field}");
        }
    }
    let listed = e.get(&org, TAILNETS).await;
    assert_eq!(listed.ok()["totalCount"], 2);
    let token = e.tailnet_token(&first).await;
    assert_eq!(
        ids(e.get(&token, "/api/v2/tailnet/-/keys?all=true").await.ok()),
        keys_before,
        "no second client was minted"
    );
    e.post(&org, TAILNETS, json!({"displayName": "Third"}))
        .await
        .assert_error(400, "organization has reached its limit of 2 tailnets");
    e.shutdown().await;
}

#[tokio::test]
async fn refusals_use_the_measured_texts() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    e.define_tags(&org, &["tag:web"]).await;
    // A trust credential's token mints only tagged auth keys.
    e.create_auth_key(&org, &[], json!({}))
        .await
        .assert_error(400, "tailnet-owned auth key must have tags set");
    let key = e.create_auth_key(&org, &["tag:web"], json!({})).await;
    let key_id = key.ok()["id"].as_str().unwrap().to_owned();
    e.put(
        &org,
        &format!("/api/v2/tailnet/-/keys/{key_id}"),
        json!({"keyType": "client", "scopes": ["all:read"]}),
    )
    .await
    .assert_error(400, "keys of type \"auth\" can not be updated");
    // Empty scopes, on create and on every PUT.
    e.post(
        &org,
        "/api/v2/tailnet/-/keys",
        json!({"keyType": "client", "scopes": []}),
    )
    .await
    .assert_error(400, "scopes cannot be empty");
    let client = e.create_client(&org, &["all:read"], &[]).await;
    let client_id = client["id"].as_str().unwrap();
    e.put(
        &org,
        &format!("/api/v2/tailnet/-/keys/{client_id}"),
        json!({"keyType": "client", "scopes": []}),
    )
    .await
    .assert_error(400, "scopes cannot be empty");
    e.create_auth_key(&org, &["tag:web"], json!({"description": "under_score"}))
        .await
        .assert_error(400, "keys: description had invalid characters");
    // A token without `tailnets` cannot create tailnets; without a scope, `actor lacks
    // permission`.
    let reader = e.client_token(&client, &[]).await;
    e.post(&reader, TAILNETS, json!({"displayName": "Nope"}))
        .await
        .assert_error(403, "actor does not have permission to create tailnets");
    e.post(
        &reader,
        "/api/v2/tailnet/-/keys",
        json!({"keyType": "client", "scopes": ["all:read"]}),
    )
    .await
    .assert_error(403, "actor lacks permission");
    e.shutdown().await;
}

#[tokio::test]
async fn the_token_scope_reads_as_measured() {
    let e = Emu::start().await;
    let id = e.emu.org_client_id().to_owned();
    let secret = e.emu.org_client_secret().expose().to_owned();
    let org = e
        .token_form(&[("client_id", &id), ("client_secret", &secret)])
        .await;
    assert_eq!(org.ok()["scope"], "all", "`tailnets` is not shown");
    let token = org.ok()["access_token"].as_str().unwrap().to_owned();
    let created = e.create_tailnet(&token, "Scoped").await;
    let child = e
        .token_form(&[
            ("client_id", created["oauthClient"]["id"].as_str().unwrap()),
            (
                "client_secret",
                created["oauthClient"]["secret"].as_str().unwrap(),
            ),
        ])
        .await;
    assert_eq!(child.ok()["scope"], "all");
    let lister = e
        .token_form(&[
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "tailnets:read"),
        ])
        .await;
    assert_eq!(
        lister.ok()["scope"],
        "tailnets:read",
        "nothing else to show"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn oauth_minted_tokens_are_listed_as_api_keys_with_all() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Tokens").await;
    let token = e.tailnet_token(&created).await;
    let via_org = e
        .org_token_with(&[("tailnet", created["id"].as_str().unwrap())])
        .await;
    let all = e.get(&token, "/api/v2/tailnet/-/keys?all=true").await;
    let keys = all.ok()["keys"].as_array().unwrap();
    let api: Vec<&Value> = keys.iter().filter(|k| k["keyType"] == "api").collect();
    assert_eq!(
        api.len(),
        2,
        "the tailnet's own token and the org's `tailnet=` one: {keys:?}"
    );
    for entry in &api {
        assert_eq!(
            crate::support::keys_of(entry),
            [
                "created",
                "description",
                "expires",
                "expirySeconds",
                "id",
                "keyType",
                "scopes"
            ],
            "the shape of the OpenAPI example, without userId"
        );
        assert_eq!(entry["expirySeconds"], 3600);
        assert_eq!(entry["description"], "");
        assert!(
            [token_id(&token), token_id(&via_org)].contains(&entry["id"].as_str().unwrap()),
            "{entry}"
        );
    }
    // Not without `all=true`; never the org's token for its own tailnet.
    let default = e.get(&token, "/api/v2/tailnet/-/keys").await;
    assert!(
        default.ok()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["keyType"] != "api")
    );
    // Readable by id with `oauth_keys:read`; a token without it does not see them.
    let api_id = api[0]["id"].as_str().unwrap().to_owned();
    let read = e
        .get(&token, &format!("/api/v2/tailnet/-/keys/{api_id}"))
        .await;
    assert_eq!(read.ok()["keyType"], "api");
    let auth_reader = e.create_client(&token, &["auth_keys:read"], &[]).await;
    let auth_reader = e.client_token(&auth_reader, &[]).await;
    let seen = e.get(&auth_reader, "/api/v2/tailnet/-/keys?all=true").await;
    assert!(
        seen.ok()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["keyType"] != "api")
    );
    e.get(&auth_reader, &format!("/api/v2/tailnet/-/keys/{api_id}"))
        .await
        .assert_error(403, "actor lacks permission");
    // Deleting one revokes it at once.
    let victim = token_id(&via_org);
    assert_eq!(
        e.delete(&token, &format!("/api/v2/tailnet/-/keys/{victim}"))
            .await
            .status,
        200
    );
    e.get(&via_org, "/api/v2/tailnet/-/keys")
        .await
        .assert_error(401, "API token invalid");
    // Expired tokens leave the list.
    e.advance(3600).await;
    let fresh = e.tailnet_token(&created).await;
    let later = e.get(&fresh, "/api/v2/tailnet/-/keys?all=true").await;
    let api_now: Vec<&Value> = later.ok()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["keyType"] == "api")
        .collect();
    assert_eq!(api_now.len(), 1, "{api_now:?}");
    e.shutdown().await;
}

#[tokio::test]
async fn a_new_client_is_refused_on_use_while_it_propagates() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    e.faults(json!({"credentialDelayMs": 600})).await.ok();
    let started = Instant::now();
    let created = e.create_tailnet(&org, "Propagating").await;
    // The token endpoint mints; the token is refused with 404 until the delay is over.
    let token = e.tailnet_token(&created).await;
    let refused = e.get(&token, "/api/v2/tailnet/-/acl").await;
    refused.assert_error(404, "not found");
    request_id(&refused);
    // The organization's client is never delayed.
    assert_eq!(e.get(&org, "/api/v2/tailnet/-/keys").await.status, 200);
    // Bad credentials still answer 401 first.
    e.get("garbage", "/api/v2/tailnet/-/acl")
        .await
        .assert_error(401, "API token invalid");
    tokio::time::sleep(Duration::from_millis(600).saturating_sub(started.elapsed())).await;
    assert_eq!(e.get(&token, "/api/v2/tailnet/-/acl").await.status, 200);
    // A client created through the keys endpoint is delayed too.
    let client = e.create_client(&token, &["all:read"], &[]).await;
    let client_token = e.client_token(&client, &[]).await;
    e.get(&client_token, "/api/v2/tailnet/-/keys")
        .await
        .assert_error(404, "not found");
    let stats = e.stats().await;
    let log = stats["log"].as_array().unwrap();
    assert!(
        log.iter()
            .any(|r| r["status"] == 404 && r["clientId"] == created["oauthClient"]["id"]),
        "the refusal is logged with its client: {log:?}"
    );
    e.shutdown().await;
}

#[tokio::test]
async fn a_new_client_can_be_refused_at_the_token_endpoint() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    e.faults(json!({"credentialDelayMs": 60_000, "credentialDelayAt": "token", "credentialDelayStatus": 401}))
        .await
        .ok();
    let created = e.create_tailnet(&org, "Not Yet").await;
    let id = created["oauthClient"]["id"].as_str().unwrap();
    let secret = created["oauthClient"]["secret"].as_str().unwrap();
    e.token_form(&[("client_id", id), ("client_secret", secret)])
        .await
        .assert_error(401, "API token invalid");
    // As HTTP Basic too.
    let basic = e
        .send(
            e.http
                .post(e.url("/api/v2/oauth/token"))
                .basic_auth(id, Some(secret))
                .form(&[("grant_type", "client_credentials")]),
        )
        .await;
    basic.assert_error(401, "API token invalid");
    // The organization's client mints as usual; the switch off ends the delay.
    assert_eq!(
        e.token_form(&[
            ("client_id", e.emu.org_client_id()),
            ("client_secret", e.emu.org_client_secret().expose()),
        ])
        .await
        .status,
        200
    );
    e.faults(json!({})).await.ok();
    assert_eq!(
        e.token_form(&[("client_id", id), ("client_secret", secret)])
            .await
            .status,
        200
    );
    e.faults(json!({"credentialDelayMs": 1, "credentialDelayStatus": 500}))
        .await
        .assert_error(
            400,
            "credentialDelayStatus must be 401, 403 or 404, got 500",
        );
    e.shutdown().await;
}

#[tokio::test]
async fn strict_ts_default_never_matches_an_api_only_tailnet() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Strict").await;
    let token = e.tailnet_token(&created).await;
    let policy = r#"{"tagOwners": {"tag:a": []}}"#;
    let post = |token: String, if_match: String| {
        let e = &e;
        async move {
            e.send(
                e.http
                    .post(e.url("/api/v2/tailnet/-/acl"))
                    .bearer_auth(token)
                    .header("Content-Type", "application/hujson")
                    .header("If-Match", if_match)
                    .body(policy),
            )
            .await
        }
    };
    // Off by default: the new tailnet's policy is its untouched default.
    assert_eq!(e.get(&token, "/api/v2/tailnet/-/acl").await.status, 200);
    e.faults(json!({"strictTsDefault": true})).await.ok();
    post(token.clone(), "\"ts-default\"".into())
        .await
        .assert_error(412, "precondition failed, invalid old hash");
    let etag = e
        .get(&token, "/api/v2/tailnet/-/acl")
        .await
        .header("etag")
        .unwrap()
        .to_owned();
    assert_eq!(post(token.clone(), etag).await.status, 200);
    // The original tailnet's untouched default still matches.
    assert_eq!(post(org.clone(), "\"ts-default\"".into()).await.status, 200);
    e.shutdown().await;
}

#[tokio::test]
async fn validation_warnings_come_from_a_control() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let created = e.create_tailnet(&org, "Warned").await;
    let token = e.tailnet_token(&created).await;
    let validate = |text: &'static str| {
        let (e, token) = (&e, token.clone());
        async move {
            e.send(
                e.http
                    .post(e.url("/api/v2/tailnet/-/acl/validate"))
                    .bearer_auth(token)
                    .header("Content-Type", "application/hujson")
                    .body(text),
            )
            .await
        }
    };
    let valid = r#"{"tagOwners": {"tag:a": []}}"#;
    assert_eq!(validate(valid).await.ok(), &json!({}));
    let data = json!([{"user": "group:unknown@example.com", "warnings": [
        "group is not syncing from SCIM and will be ignored by rules in the policy file"
    ]}]);
    let dns = created["dnsName"].as_str().unwrap();
    let set = e
        .send(
            e.http
                .post(e.url(&format!("/_emulator/tailnets/{dns}/validate-warnings")))
                .json(&json!({ "data": data })),
        )
        .await;
    assert_eq!(set.ok(), &json!({ "data": data }));
    assert_eq!(
        validate(valid).await.ok(),
        &json!({"message": "warning(s) found", "data": data})
    );
    // An invalid policy's error wins over warnings; other tailnets have none.
    let invalid = validate(r#"{"nope": 1}"#).await;
    assert_ne!(invalid.ok()["message"], "warning(s) found");
    let org_validate = e
        .send(
            e.http
                .post(e.url("/api/v2/tailnet/-/acl/validate"))
                .bearer_auth(&org)
                .header("Content-Type", "application/hujson")
                .body(valid),
        )
        .await;
    assert_eq!(org_validate.ok(), &json!({}));
    // Cleared; an unknown tailnet is 404.
    let id = created["id"].as_str().unwrap();
    e.send(
        e.http
            .post(e.url(&format!("/_emulator/tailnets/{id}/validate-warnings")))
            .json(&json!({"data": []})),
    )
    .await
    .ok();
    assert_eq!(validate(valid).await.ok(), &json!({}));
    e.send(
        e.http
            .post(e.url("/_emulator/tailnets/Tnope/validate-warnings"))
            .json(&json!({"data": []})),
    )
    .await
    .assert_error(404, "tailnet not found");
    e.shutdown().await;
}

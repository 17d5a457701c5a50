//! The emulator's user API keys (`POST /_emulator/api-keys`): Basic and Bearer auth for their
//! own tailnet only, readable by themselves with `expires`, listed as `keyType: "api"`, no
//! organization scope, invalid once expired, revoked by DELETE.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::World;

/// A user API key for `tailnet` (the original when `None`) that lives `expiry_seconds`.
pub fn api_key(w: &World, tailnet: Option<&str>, expiry_seconds: u64) -> (String, String) {
    let mut body = json!({ "expirySeconds": expiry_seconds });
    if let Some(t) = tailnet {
        body["tailnet"] = json!(t);
    }
    let (status, created) = w.api(Method::POST, "/_emulator/api-keys", None, Some(body));
    assert_eq!(status, 200, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["key"].as_str().unwrap().to_owned(),
    )
}

/// A GET with the key as HTTP Basic user name and an empty password.
fn get_basic(w: &World, path: &str, key: &str) -> (u16, Value) {
    w.block_on(async {
        let resp = reqwest::Client::new()
            .get(format!("{}{path}", w.base_url))
            .basic_auth(key, Some(""))
            .send()
            .await
            .expect("request sent");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    })
}

#[test]
fn the_control_makes_a_key_that_reads_itself_with_its_expiry() {
    let w = World::new();
    let (status, created) = w.api(
        Method::POST,
        "/_emulator/api-keys",
        None,
        Some(json!({"expirySeconds": 3600, "description": "ci"})),
    );
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with(&format!("tskey-api-{id}-")), "{key}");
    assert_eq!(created["keyType"], "api");
    assert_eq!(created["expirySeconds"], 3600);

    for (status, own) in [
        get_basic(&w, &format!("/api/v2/tailnet/-/keys/{id}"), key),
        w.api(
            Method::GET,
            &format!("/api/v2/tailnet/-/keys/{id}"),
            Some(key),
            None,
        ),
    ] {
        assert_eq!(status, 200, "{own}");
        assert_eq!(own["keyType"], "api");
        assert_eq!(own["expires"], created["expires"]);
        assert_eq!(own["description"], "ci");
        assert_eq!(own["scopes"], json!(["all"]));
        assert!(own.get("key").is_none(), "the key is shown only once");
    }

    // Listed among the tailnet's keys for a reader of API tokens.
    let org = w.token(None);
    let (_, list) = w.api(
        Method::GET,
        "/api/v2/tailnet/-/keys?all=true",
        Some(&org),
        None,
    );
    let listed: Vec<&Value> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["id"] == id)
        .collect();
    assert_eq!(listed.len(), 1, "{list}");
    assert_eq!(listed[0]["keyType"], "api");
}

#[test]
fn a_key_acts_only_in_its_own_tailnet_and_not_on_the_organization() {
    let w = World::new();
    let (_, key) = api_key(&w, None, 3600);
    let (status, body) = w.api(Method::GET, "/api/v2/tailnet/-/acl", Some(&key), None);
    assert_eq!(status, 200, "{body}");
    let (status, _) = w.api(
        Method::GET,
        "/api/v2/organizations/-/tailnets",
        Some(&key),
        None,
    );
    assert_eq!(status, 403, "the tailnets API takes only OAuth clients");
    let (status, _) = w.api(
        Method::GET,
        "/api/v2/tailnet/TsomeoneelseCNTRL/keys",
        Some(&key),
        None,
    );
    assert_eq!(status, 403);
    // A user's key may create an untagged auth key (an OAuth-derived token may not).
    let (status, created) = w.api(
        Method::POST,
        "/api/v2/tailnet/-/keys",
        Some(&key),
        Some(json!({"capabilities": {"devices": {"create": {}}}})),
    );
    assert_eq!(status, 200, "{created}");
}

#[test]
fn an_expired_or_revoked_key_is_refused() {
    let w = World::new();
    let (_, short) = api_key(&w, None, 60);
    let (id, revoked) = api_key(&w, None, 3600);
    let path = "/api/v2/tailnet/-/keys";
    assert_eq!(w.api(Method::GET, path, Some(&short), None).0, 200);
    w.advance_clock(61);
    assert_eq!(w.api(Method::GET, path, Some(&short), None).0, 401);

    let org = w.token(None);
    let (status, _) = w.api(
        Method::DELETE,
        &format!("/api/v2/tailnet/-/keys/{id}"),
        Some(&org),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(w.api(Method::GET, path, Some(&revoked), None).0, 401);
}

#[test]
fn the_control_refuses_what_the_console_cannot_make() {
    let w = World::new();
    for (body, status) in [
        (json!({"expirySeconds": 0}), 400),
        (json!({"expirySeconds": 90 * 86_400 + 1}), 400),
        (json!({"tailnet": "TnothereCNTRL"}), 404),
        (json!({"scopes": ["all"]}), 400),
    ] {
        let (got, answer) = w.api(Method::POST, "/_emulator/api-keys", None, Some(body));
        assert_eq!(got, status, "{answer}");
    }
    // A child tailnet may get one too (a test convenience: API-only tailnets have no users).
    let org = w.token(None);
    let (_, child) = w.api(
        Method::POST,
        "/api/v2/organizations/-/tailnets",
        Some(&org),
        Some(json!({"displayName": "Child"})),
    );
    let child_id = child["id"].as_str().unwrap();
    let (_, key) = api_key(&w, Some(child_id), 3600);
    let (status, _) = w.api(
        Method::GET,
        &format!("/api/v2/tailnet/{child_id}/keys"),
        Some(&key),
        None,
    );
    assert_eq!(status, 200);
}

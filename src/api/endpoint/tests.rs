//! Unit tests of `endpoint`.

use super::*;
use crate::api::request::Idempotency;

fn auth_key_req() -> AuthKeyRequest {
    AuthKeyRequest {
        reusable: true,
        ephemeral: false,
        preauthorized: true,
        tags: vec!["tag:web".into(), "tag:ci".into()],
        expiry_seconds: 86_400,
        description: "web servers".into(),
    }
}

fn client_req() -> OAuthClientRequest {
    OAuthClientRequest {
        scopes: vec!["auth_keys".into(), "devices:core".into()],
        tags: vec!["tag:ci".into()],
        description: "CI provisioning".into(),
    }
}

#[test]
fn identity_token_exchange() {
    let req = super::token_exchange("kFed", &Secret::new("eyJ.jwt-body.sig"), Some("T9"));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path, "/api/v2/oauth/token-exchange");
    assert_eq!(req.idempotency, Idempotency::Idempotent);
    assert_eq!(
        String::from_utf8(req.body.encode()).unwrap(),
        "client_id=kFed&jwt=eyJ.jwt-body.sig&tailnet=T9"
    );
    assert!(!format!("{req:?}").contains("jwt-body"));
}

#[test]
fn token_exchange() {
    let req = token("kClient", &Secret::new("s3cr3t value"), Some("T123"));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.path, "/api/v2/oauth/token");
    assert_eq!(req.idempotency, Idempotency::Idempotent);
    assert_eq!(req.body.media(), Some(Media::Form));
    assert_eq!(
        String::from_utf8(req.body.encode()).unwrap(),
        "client_id=kClient&client_secret=s3cr3t+value&grant_type=client_credentials&tailnet=T123"
    );
    assert!(!format!("{req:?}").contains("s3cr3t"));
    let own = token("kClient", &Secret::new("x"), None);
    assert_eq!(
        String::from_utf8(own.body.encode()).unwrap(),
        "client_id=kClient&client_secret=x&grant_type=client_credentials"
    );
}

#[test]
fn tailnets() {
    let list = list_tailnets(None);
    assert_eq!(
        (list.method, list.path.as_str()),
        (Method::Get, "/api/v2/organizations/-/tailnets")
    );
    assert_eq!(list.body, Body::Empty);
    assert_eq!(list.accept, Media::Json);
    assert_eq!(
        list_tailnets(Some("a b/c=")).path,
        "/api/v2/organizations/-/tailnets?cursor=a+b%2Fc%3D"
    );

    let create = create_tailnet("Acme Prod");
    assert_eq!(
        (create.method, create.path.as_str()),
        (Method::Post, "/api/v2/organizations/-/tailnets")
    );
    assert_eq!(create.body, Body::Json(json!({"displayName": "Acme Prod"})));
    assert_eq!(create.idempotency, Idempotency::NotIdempotent);

    let delete = delete_tailnet("T123CNTRL");
    assert_eq!(
        (delete.method, delete.path.as_str()),
        (Method::Delete, "/api/v2/tailnet/T123CNTRL")
    );
    assert_eq!(delete.idempotency, Idempotency::Idempotent);
    assert_eq!(delete.body, Body::Empty);
}

#[test]
fn key_reads_and_deletes() {
    assert_eq!(list_keys("-", true).path, "/api/v2/tailnet/-/keys?all=true");
    assert_eq!(list_keys("-", false).path, "/api/v2/tailnet/-/keys");
    let get = get_key("T1", "k123CNTRL");
    assert_eq!(
        (get.method, get.path.as_str()),
        (Method::Get, "/api/v2/tailnet/T1/keys/k123CNTRL")
    );
    assert_eq!(get.accept, Media::Json);
    assert_eq!(get.idempotency, Idempotency::Idempotent);
    let del = delete_key("-", "k1");
    assert_eq!(
        (del.method, del.path.as_str()),
        (Method::Delete, "/api/v2/tailnet/-/keys/k1")
    );
    assert_eq!(del.idempotency, Idempotency::Idempotent);
}

#[test]
fn ids_cannot_change_the_path() {
    assert_eq!(
        get_key("-", "../acl").path,
        "/api/v2/tailnet/-/keys/..%2Facl"
    );
    assert_eq!(
        get_key("example.com", "k?all=1").path,
        "/api/v2/tailnet/example.com/keys/k%3Fall%3D1"
    );
    assert_eq!(
        get_key("-", "a/b#c d").path,
        "/api/v2/tailnet/-/keys/a%2Fb%23c%20d"
    );
}

#[test]
fn at_signs_stay_as_the_go_client_sends_them() {
    assert_eq!(
        list_keys("alice@example.com", true).path,
        "/api/v2/tailnet/alice@example.com/keys?all=true"
    );
    assert_eq!(
        delete_tailnet("bob@example.com").path,
        "/api/v2/tailnet/bob@example.com"
    );
    assert_eq!(get_policy("a@b.c").path, "/api/v2/tailnet/a@b.c/acl");
}

#[test]
fn create_auth_key_body_matches_the_go_client() {
    let req = create_auth_key("-", &auth_key_req());
    assert_eq!(
        (req.method, req.path.as_str()),
        (Method::Post, "/api/v2/tailnet/-/keys")
    );
    assert_eq!(req.idempotency, Idempotency::NotIdempotent);
    assert_eq!(
        req.body,
        Body::Json(json!({
            "capabilities": {"devices": {"create": {
                "reusable": true, "ephemeral": false, "preauthorized": true,
                "tags": ["tag:web", "tag:ci"]}}},
            "expirySeconds": 86400,
            "description": "web servers"
        }))
    );
    assert_eq!(
        String::from_utf8(req.body.encode()).unwrap(),
        r#"{"capabilities":{"devices":{"create":{"reusable":true,"ephemeral":false,"preauthorized":true,"tags":["tag:web","tag:ci"]}}},"expirySeconds":86400,"description":"web servers"}"#
    );
}

#[test]
fn oauth_client_create_and_put() {
    let body = Body::Json(json!({
        "keyType": "client",
        "scopes": ["auth_keys", "devices:core"],
        "tags": ["tag:ci"],
        "description": "CI provisioning"
    }));
    let create = create_oauth_client("T9", &client_req());
    assert_eq!(
        (create.method, create.path.as_str()),
        (Method::Post, "/api/v2/tailnet/T9/keys")
    );
    assert_eq!(create.body, body);
    assert_eq!(create.idempotency, Idempotency::NotIdempotent);
    let put = set_oauth_client("T9", "kC1", &client_req());
    assert_eq!(
        (put.method, put.path.as_str()),
        (Method::Put, "/api/v2/tailnet/T9/keys/kC1")
    );
    assert_eq!(put.body, body);
    assert_eq!(put.idempotency, Idempotency::Idempotent);
    let empty = OAuthClientRequest {
        scopes: vec!["all:read".into()],
        tags: vec![],
        description: String::new(),
    };
    assert_eq!(
        create_oauth_client("-", &empty).body,
        Body::Json(
            json!({"keyType": "client", "scopes": ["all:read"], "tags": [], "description": ""})
        )
    );
}

#[test]
fn policy_requests() {
    let get = get_policy("-");
    assert_eq!(
        (get.method, get.path.as_str()),
        (Method::Get, "/api/v2/tailnet/-/acl")
    );
    assert_eq!(get.accept, Media::HuJson);
    assert_eq!(get.if_match, None);

    let json_body = PolicyBody::Json(json!({"tagOwners": {"tag:web": []}}));
    let set = set_policy("T1", &json_body, Some("abc123"));
    assert_eq!(
        (set.method, set.path.as_str()),
        (Method::Post, "/api/v2/tailnet/T1/acl")
    );
    assert_eq!(set.body.media(), Some(Media::Json));
    assert_eq!(set.body, Body::Json(json!({"tagOwners": {"tag:web": []}})));
    assert_eq!(set.if_match.as_deref(), Some("\"abc123\""));
    assert_eq!(set.accept, Media::HuJson);
    assert_eq!(set.idempotency, Idempotency::NotIdempotent);
    assert_eq!(
        set_policy("T1", &json_body, Some("\"abc123\""))
            .if_match
            .as_deref(),
        Some("\"abc123\"")
    );
    assert_eq!(
        set_policy("T1", &json_body, Some("ts-default"))
            .if_match
            .as_deref(),
        Some("\"ts-default\"")
    );
    assert_eq!(set_policy("T1", &json_body, None).if_match, None);

    let hujson = PolicyBody::HuJson("// c\n{\"tagOwners\": {},}".into());
    let set = set_policy("-", &hujson, None);
    assert_eq!(set.body.media(), Some(Media::HuJson));
    assert_eq!(set.body.encode(), b"// c\n{\"tagOwners\": {},}".to_vec());

    let validate = validate_policy("-", &hujson);
    assert_eq!(
        (validate.method, validate.path.as_str()),
        (Method::Post, "/api/v2/tailnet/-/acl/validate")
    );
    assert_eq!(validate.body.media(), Some(Media::HuJson));
    assert_eq!(validate.accept, Media::Json);
    assert_eq!(validate.idempotency, Idempotency::Idempotent);
}

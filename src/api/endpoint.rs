//! Every API request the client makes, built by pure functions as a [`Request`] (plain data, see
//! `request`) and tested by value. Nothing here does I/O; `send` and `transport` turn a
//! `Request` into HTTP.
//!
//! Bodies follow the official Go client (tailscale-client-go-v2) exactly: an auth key is created
//! with `capabilities`, `expirySeconds` and `description` and no `keyType`; an OAuth client is
//! created and replaced with `keyType: "client"`, `scopes`, `tags`, `description`.

use serde_json::{Value, json};

use super::request::{Body, FormField, FormValue, Media, Method, Request};
use super::types::{AuthKeyRequest, FederatedIdentityRequest, OAuthClientRequest, PolicyBody};
use crate::secret::Secret;

/// `POST /api/v2/oauth/token`: the client-credentials grant (form fields `client_id`,
/// `client_secret`, `grant_type=client_credentials`, and `tailnet` when set). Minting a second
/// token is harmless, so it is idempotent.
pub(super) fn token(client_id: &str, client_secret: &Secret, tailnet: Option<&str>) -> Request {
    let mut fields = vec![
        FormField {
            name: "client_id",
            value: FormValue::Plain(client_id.to_owned()),
        },
        FormField {
            name: "client_secret",
            value: FormValue::Secret(client_secret.clone()),
        },
        FormField {
            name: "grant_type",
            value: FormValue::Plain("client_credentials".to_owned()),
        },
    ];
    if let Some(t) = tailnet {
        fields.push(FormField {
            name: "tailnet",
            value: FormValue::Plain(t.to_owned()),
        });
    }
    Request::new(Method::Post, "/api/v2/oauth/token".to_owned())
        .body(Body::Form(fields))
        .idempotent()
}

/// `POST /api/v2/oauth/token-exchange`: a federated identity's OIDC token for an access token
/// (form `client_id`, `jwt`, as the official Go client and the Terraform provider send it;
/// `tailnet` as on the token endpoint).
pub(super) fn token_exchange(client_id: &str, jwt: &Secret, tailnet: Option<&str>) -> Request {
    let mut fields = vec![
        FormField {
            name: "client_id",
            value: FormValue::Plain(client_id.to_owned()),
        },
        FormField {
            name: "jwt",
            value: FormValue::Secret(jwt.clone()),
        },
    ];
    if let Some(t) = tailnet {
        fields.push(FormField {
            name: "tailnet",
            value: FormValue::Plain(t.to_owned()),
        });
    }
    Request::new(Method::Post, "/api/v2/oauth/token-exchange".to_owned())
        .body(Body::Form(fields))
        .idempotent()
}

/// `GET /api/v2/organizations/-/tailnets[?cursor=…]`.
pub(super) fn list_tailnets(cursor: Option<&str>) -> Request {
    let mut path = "/api/v2/organizations/-/tailnets".to_owned();
    if let Some(c) = cursor {
        path.push_str("?cursor=");
        path.extend(url::form_urlencoded::byte_serialize(c.as_bytes()));
    }
    Request::new(Method::Get, path)
}

/// `POST /api/v2/organizations/-/tailnets` with `{"displayName": …}`.
pub(super) fn create_tailnet(display_name: &str) -> Request {
    Request::new(Method::Post, "/api/v2/organizations/-/tailnets".to_owned())
        .body(Body::Json(json!({ "displayName": display_name })))
}

/// `DELETE /api/v2/tailnet/{tailnet}`.
pub(super) fn delete_tailnet(tailnet: &str) -> Request {
    Request::new(
        Method::Delete,
        format!("/api/v2/tailnet/{}", segment(tailnet)),
    )
}

fn keys_path(tailnet: &str) -> String {
    format!("/api/v2/tailnet/{}/keys", segment(tailnet))
}

fn key_path(tailnet: &str, id: &str) -> String {
    format!("{}/{}", keys_path(tailnet), segment(id))
}

/// `GET /api/v2/tailnet/{tailnet}/keys`, with `?all=true` when `all`.
pub(super) fn list_keys(tailnet: &str, all: bool) -> Request {
    let mut path = keys_path(tailnet);
    if all {
        path.push_str("?all=true");
    }
    Request::new(Method::Get, path)
}

/// `GET /api/v2/tailnet/{tailnet}/keys/{id}`.
pub(super) fn get_key(tailnet: &str, id: &str) -> Request {
    Request::new(Method::Get, key_path(tailnet, id))
}

/// `POST /api/v2/tailnet/{tailnet}/keys` creating an auth key (no `keyType`: the API defaults to
/// `auth`, as the Go client relies on).
pub(super) fn create_auth_key(tailnet: &str, req: &AuthKeyRequest) -> Request {
    let body = json!({
        "capabilities": { "devices": { "create": {
            "reusable": req.reusable,
            "ephemeral": req.ephemeral,
            "preauthorized": req.preauthorized,
            "tags": req.tags,
        }}},
        "expirySeconds": req.expiry_seconds,
        "description": req.description,
    });
    Request::new(Method::Post, keys_path(tailnet)).body(Body::Json(body))
}

fn federated_identity_body(req: &FederatedIdentityRequest) -> Value {
    let mut body = json!({
        "keyType": "federated",
        "scopes": req.scopes,
        "tags": req.tags,
        "description": req.description,
        "issuer": req.issuer,
        "subject": req.subject,
        "customClaimRules": req.custom_claim_rules,
    });
    if let Some(audience) = &req.audience {
        body["audience"] = json!(audience);
    }
    body
}

/// `POST /api/v2/tailnet/{tailnet}/keys` with `keyType: "federated"`.
pub(super) fn create_federated_identity(tailnet: &str, req: &FederatedIdentityRequest) -> Request {
    Request::new(Method::Post, keys_path(tailnet)).body(Body::Json(federated_identity_body(req)))
}

/// `PUT /api/v2/tailnet/{tailnet}/keys/{id}` for a federated identity (full replacement).
pub(super) fn set_federated_identity(
    tailnet: &str,
    id: &str,
    req: &FederatedIdentityRequest,
) -> Request {
    Request::new(Method::Put, key_path(tailnet, id)).body(Body::Json(federated_identity_body(req)))
}

fn oauth_client_body(req: &OAuthClientRequest) -> Value {
    json!({
        "keyType": "client",
        "scopes": req.scopes,
        "tags": req.tags,
        "description": req.description,
    })
}

/// `POST /api/v2/tailnet/{tailnet}/keys` creating an OAuth client.
pub(super) fn create_oauth_client(tailnet: &str, req: &OAuthClientRequest) -> Request {
    Request::new(Method::Post, keys_path(tailnet)).body(Body::Json(oauth_client_body(req)))
}

/// `PUT /api/v2/tailnet/{tailnet}/keys/{id}`: replaces an OAuth client's scopes, tags and
/// description (every field is sent; an empty list clears it).
pub(super) fn set_oauth_client(tailnet: &str, id: &str, req: &OAuthClientRequest) -> Request {
    Request::new(Method::Put, key_path(tailnet, id)).body(Body::Json(oauth_client_body(req)))
}

/// `DELETE /api/v2/tailnet/{tailnet}/keys/{id}`.
pub(super) fn delete_key(tailnet: &str, id: &str) -> Request {
    Request::new(Method::Delete, key_path(tailnet, id))
}

fn acl_path(tailnet: &str) -> String {
    format!("/api/v2/tailnet/{}/acl", segment(tailnet))
}

fn policy_body(body: &PolicyBody) -> Body {
    match body {
        PolicyBody::Json(v) => Body::Json(v.clone()),
        PolicyBody::HuJson(text) => Body::HuJson(text.clone()),
    }
}

/// `GET /api/v2/tailnet/{tailnet}/acl` as HuJSON (the text as stored, comments kept).
pub(super) fn get_policy(tailnet: &str) -> Request {
    Request::new(Method::Get, acl_path(tailnet)).accept(Media::HuJson)
}

/// `POST /api/v2/tailnet/{tailnet}/acl`, with `If-Match: "<etag>"` (always re-quoted, whether
/// `etag` came quoted or not). Not idempotent: a replay after an unseen success would be
/// rejected with 412 and misreported.
pub(super) fn set_policy(tailnet: &str, body: &PolicyBody, if_match: Option<&str>) -> Request {
    let mut req = Request::new(Method::Post, acl_path(tailnet))
        .body(policy_body(body))
        .accept(Media::HuJson);
    req.if_match = if_match.map(|etag| format!("\"{}\"", etag.trim_matches('"')));
    req
}

/// `POST /api/v2/tailnet/{tailnet}/acl/validate`: never changes anything, so idempotent.
pub(super) fn validate_policy(tailnet: &str, body: &PolicyBody) -> Request {
    Request::new(Method::Post, format!("{}/validate", acl_path(tailnet)))
        .body(policy_body(body))
        .idempotent()
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters and `@`), so
/// an id can never change the path's shape. `@` stays as it is, as the official Go client's
/// `url.PathEscape` leaves it (FIDELITY-2 §1 #12): a legacy tailnet name such as
/// `alice@example.com` reaches the server as the Go client sends it.
pub(super) fn segment(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
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
}

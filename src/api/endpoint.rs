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
mod tests;

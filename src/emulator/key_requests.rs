//! Reading key request bodies strictly: the `keyType` probe that decides which scope a create
//! needs, then the full shape checks for auth keys and OAuth clients (400 for every problem).
//!
//! Decisions (the emulator is strict where the facts are thin):
//! - Unknown fields anywhere are refused; `null` is accepted where the Go client sends it
//!   (`tags: null`).
//! - Auth keys need `capabilities.devices` (the spec's stated minimum; it may be `{}`);
//!   `expirySeconds` 0 or absent means 7776000, outside 0..=7776000 is refused;
//!   `scopes`/`tags` at the top level are refused for auth keys, `capabilities`/`expirySeconds`
//!   for clients.
//! - `description`: at most 50 ASCII letters, digits, spaces and hyphens; anything else answers
//!   the measured `keys: description had invalid characters` (too long included: assumed).
//! - An OAuth client without scopes answers the measured `scopes cannot be empty` (create and
//!   PUT alike).
//! - `keyType: "federated"` bodies are read by `federated`.
//! - Duplicate tags are dropped (first appearance kept).

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::api_error::ApiError;
use super::scope::Requested;
use super::tags::dedup;
use super::wire::{ClientBody, CreateAuthKeyBody, CreateIn, KeyTypeProbe};

/// The default and the longest auth-key lifetime: 90 days.
pub(crate) const MAX_EXPIRY_SECONDS: i64 = 7_776_000;
/// Longest description.
const MAX_DESCRIPTION: usize = 50;

/// What a `POST /keys` body asks to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRequestType {
    /// An auth key.
    Auth,
    /// An OAuth client.
    Client,
    /// A federated identity.
    Federated,
}

/// A validated auth-key request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AuthKeySpec {
    pub reusable: bool,
    pub ephemeral: bool,
    pub preauthorized: bool,
    pub tags: Vec<String>,
    pub expiry_seconds: i64,
    pub description: String,
}

/// A validated OAuth-client request (create or PUT).
pub(crate) struct ClientSpec {
    pub requested: Requested,
    pub tags: Vec<String>,
    pub description: String,
}

fn invalid_body(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("invalid request body: {e}"))
}

fn typed<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(invalid_body)
}

/// Reads only `keyType` (absent means `auth`).
pub(crate) fn probe_key_type(body: &[u8]) -> Result<KeyRequestType, ApiError> {
    let value: Value = typed(body)?;
    if !value.is_object() {
        return Err(invalid_body("expected a JSON object"));
    }
    let probe: KeyTypeProbe = serde_json::from_value(value).map_err(invalid_body)?;
    match probe.key_type {
        None | Some(Value::Null) => Ok(KeyRequestType::Auth),
        Some(Value::String(t)) if t == "auth" => Ok(KeyRequestType::Auth),
        Some(Value::String(t)) if t == "client" => Ok(KeyRequestType::Client),
        Some(Value::String(t)) if t == "federated" => Ok(KeyRequestType::Federated),
        Some(other) => Err(ApiError::bad_request(format!(
            "keyType must be \"auth\", \"client\" or \"federated\", got {other}"
        ))),
    }
}

pub(crate) fn check_description(description: Option<String>) -> Result<String, ApiError> {
    let description = description.unwrap_or_default();
    let ok = description.chars().count() <= MAX_DESCRIPTION
        && description
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
    if ok {
        Ok(description)
    } else {
        Err(ApiError::bad_request(
            "keys: description had invalid characters",
        ))
    }
}

/// Validates an auth-key create body.
pub(crate) fn parse_auth_key(body: &[u8]) -> Result<AuthKeySpec, ApiError> {
    let raw: CreateAuthKeyBody = typed(body)?;
    if raw.key_type.as_deref().is_some_and(|t| t != "auth") {
        return Err(ApiError::bad_request(
            "keyType must be \"auth\" for auth keys",
        ));
    }
    let devices = raw
        .capabilities
        .and_then(|c| c.devices)
        .ok_or_else(|| ApiError::bad_request("capabilities.devices is required for auth keys"))?;
    let create: CreateIn = devices.create.unwrap_or_default();
    let expiry_seconds = match raw.expiry_seconds.unwrap_or(0) {
        0 => MAX_EXPIRY_SECONDS,
        s if (1..=MAX_EXPIRY_SECONDS).contains(&s) => s,
        s => {
            return Err(ApiError::bad_request(format!(
                "expirySeconds must be between 0 and {MAX_EXPIRY_SECONDS} (90 days), got {s}"
            )));
        }
    };
    Ok(AuthKeySpec {
        reusable: create.reusable,
        ephemeral: create.ephemeral,
        preauthorized: create.preauthorized,
        tags: dedup(create.tags.unwrap_or_default()),
        expiry_seconds,
        description: check_description(raw.description)?,
    })
}

/// Validates an OAuth-client body (create, or PUT when `put` is true: `keyType` required).
pub(crate) fn parse_client(body: &[u8], put: bool) -> Result<ClientSpec, ApiError> {
    let raw: ClientBody = typed(body)?;
    match raw.key_type.as_deref() {
        Some("client") => {}
        None if !put => {}
        _ => return Err(ApiError::bad_request("keyType must be \"client\"")),
    }
    let names = raw.scopes.unwrap_or_default();
    if names.is_empty() {
        return Err(ApiError::bad_request("scopes cannot be empty"));
    }
    let requested = Requested::parse(names.iter().map(String::as_str))
        .map_err(|name| ApiError::bad_request(format!("unknown scope {name:?}")))?;
    let tags = dedup(raw.tags.unwrap_or_default());
    if requested.scopes.requires_tags() && tags.is_empty() {
        return Err(ApiError::bad_request(
            "tags are required when scopes include \"auth_keys\" or \"devices:core\"",
        ));
    }
    Ok(ClientSpec {
        requested,
        tags,
        description: check_description(raw.description)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn auth_key_defaults_and_limits() {
        let spec = parse_auth_key(br#"{"capabilities": {"devices": {}}}"#).unwrap();
        assert_eq!(spec.expiry_seconds, MAX_EXPIRY_SECONDS);
        assert!(!spec.reusable && spec.tags.is_empty() && spec.description.is_empty());
        let err = parse_auth_key(br#"{"capabilities": {"devices": {}}, "expirySeconds": 7776001}"#)
            .unwrap_err();
        assert_eq!(
            err.message,
            "expirySeconds must be between 0 and 7776000 (90 days), got 7776001"
        );
        let err =
            parse_auth_key(br#"{"capabilities": {"devices": {}}, "scopes": ["all"]}"#).unwrap_err();
        assert!(
            err.message
                .starts_with("invalid request body: unknown field `scopes`"),
            "{}",
            err.message
        );
        let err = parse_auth_key(br#"{"expirySeconds": 60}"#).unwrap_err();
        assert_eq!(
            err.message,
            "capabilities.devices is required for auth keys"
        );
    }

    #[test]
    fn descriptions() {
        assert!(check_description(Some("web servers-1".into())).is_ok());
        assert!(check_description(Some("under_score".into())).is_err());
        assert!(check_description(Some("x".repeat(51))).is_err());
    }

    #[test]
    fn probe() {
        assert_eq!(probe_key_type(b"{}").unwrap(), KeyRequestType::Auth);
        assert_eq!(
            probe_key_type(br#"{"keyType": "client"}"#).unwrap(),
            KeyRequestType::Client
        );
        assert_eq!(
            probe_key_type(br#"{"keyType": "federated"}"#).unwrap(),
            KeyRequestType::Federated
        );
        assert_eq!(
            probe_key_type(b"[]").unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
    }
}

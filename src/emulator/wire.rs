//! The emulator's own serde wire types for `/api/v2` — request bodies (strict: unknown fields
//! are refused) and response bodies (absent fields are omitted, never `null`).
//!
//! Written from TAILSCALE-API §2.2–§2.8 and §6, independently of `crate::api`, so that a field
//! the client misnames fails a test instead of passing on both sides.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::clock::whole_seconds;

/// `{"message": "…"}`, the body of every error.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorBody {
    pub message: String,
}

/// `POST /tailnet/{t}/keys` with `keyType` absent or `"auth"`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreateAuthKeyBody {
    pub key_type: Option<String>,
    pub capabilities: Option<CapabilitiesIn>,
    pub expiry_seconds: Option<i64>,
    pub description: Option<String>,
}

/// `capabilities` in a create request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapabilitiesIn {
    pub devices: Option<DevicesIn>,
}

/// `capabilities.devices` in a create request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DevicesIn {
    pub create: Option<CreateIn>,
}

/// `capabilities.devices.create` in a create request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateIn {
    #[serde(default)]
    pub reusable: bool,
    #[serde(default)]
    pub ephemeral: bool,
    #[serde(default)]
    pub preauthorized: bool,
    pub tags: Option<Vec<String>>,
}

/// `POST /tailnet/{t}/keys` with `keyType: "client"`, and `PUT /tailnet/{t}/keys/{id}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClientBody {
    pub key_type: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub description: Option<String>,
}

/// Only the `keyType` of a key request, read first to pick the scope the request needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyTypeProbe {
    pub key_type: Option<serde_json::Value>,
}

/// A key as the API shows it (TAILSCALE-API §2.5/§2.8), borrowed from the store: a key list
/// is serialised straight from the records, without copying them first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyOut<'a> {
    pub id: &'a str,
    /// The secret: only in the create response.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Revealed<'a>>,
    pub key_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiry_seconds: Option<i64>,
    pub created: WholeSeconds,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<WholeSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<WholeSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked: Option<WholeSeconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<CapabilitiesOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<&'a [String]>,
    pub description: &'a str,
    /// Federated identities only (with `issuer`, `subject`, `customClaimRules`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_claim_rules: Option<&'a std::collections::BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub invalid: bool,
}

/// A one-time secret on its way out: serialised as the string, redacted in `Debug`.
#[derive(Serialize)]
#[serde(transparent)]
pub(crate) struct Revealed<'a>(pub &'a str);

impl std::fmt::Debug for Revealed<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(crate::secret::REDACTED)
    }
}

/// A timestamp as the keys API writes it: RFC 3339 in UTC, whole seconds
/// (`2024-01-13T18:39:49Z`), formatted straight into the response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WholeSeconds(pub Timestamp);

impl Serialize for WholeSeconds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&whole_seconds(self.0))
    }
}

/// `capabilities` of an auth key.
#[derive(Debug, Serialize)]
pub(crate) struct CapabilitiesOut<'a> {
    pub devices: DevicesOut<'a>,
}

/// `capabilities.devices` of an auth key.
#[derive(Debug, Serialize)]
pub(crate) struct DevicesOut<'a> {
    pub create: CreateOut<'a>,
}

/// `capabilities.devices.create` of an auth key; `tags` absent when there are none.
#[derive(Debug, Serialize)]
pub(crate) struct CreateOut<'a> {
    pub reusable: bool,
    pub ephemeral: bool,
    pub preauthorized: bool,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    pub tags: &'a [String],
}

/// `GET /tailnet/{t}/keys`.
#[derive(Debug, Serialize)]
pub(crate) struct KeyList<'a> {
    pub keys: Vec<KeyOut<'a>>,
}

/// `POST /organizations/-/tailnets` request. Unknown fields are ignored, as the real API
/// ignored `tailnetName` (measured, FIDELITY-2 §1 #11).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateTailnetBody {
    pub display_name: String,
}

/// One entry of `GET /organizations/-/tailnets`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TailnetOut {
    pub id: String,
    pub display_name: String,
    pub org_id: String,
    pub created_at: String,
}

/// `GET /organizations/-/tailnets`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TailnetList {
    pub tailnets: Vec<TailnetOut>,
    pub total_count: usize,
}

/// `POST /organizations/-/tailnets` response.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreatedTailnet {
    pub id: String,
    pub display_name: String,
    pub org_id: String,
    pub dns_name: String,
    pub created_at: String,
    /// Only when the tailnet was created by this call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<CreatedTailnetClient>,
    /// True when the call matched an existing tailnet of that display name.
    pub already_exists: bool,
}

/// `oauthClient` of a created tailnet: the only time its secret is shown.
#[derive(Debug, Serialize)]
pub(crate) struct CreatedTailnetClient {
    pub id: String,
    pub secret: String,
}

/// `POST /oauth/token` response.
#[derive(Debug, Serialize)]
pub(crate) struct TokenOut {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
}

//! The public request and result types of the client. They are independent of the wire format
//! (`wire` converts): absent wire fields become `None`, `false` or empty lists here.

use std::fmt;

use jiff::Timestamp;

use crate::secret::Secret;

/// A tailnet of the organisation, as listed or created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailnetInfo {
    /// Tailnet id, e.g. `T123456CNTRL` (or a legacy name such as `example.com`).
    pub id: String,
    /// Display name (unique within the organisation).
    pub display_name: String,
    /// Organisation id, e.g. `o123456CNTRL`.
    pub org_id: Option<String>,
    /// MagicDNS name, e.g. `tail1234.ts.net` (the list does not always carry it).
    pub dns_name: Option<String>,
    /// Creation time.
    pub created_at: Option<Timestamp>,
}

/// A newly created API-only tailnet and its bootstrap OAuth client (`all` scope).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTailnet {
    /// The tailnet.
    pub tailnet: TailnetInfo,
    /// The bootstrap OAuth client's id.
    pub oauth_client_id: String,
    /// The bootstrap OAuth client's secret: shown once, never again.
    pub oauth_client_secret: Secret,
}

/// The kind of a key object (the API calls all of these "keys").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// A device auth key (`tskey-auth-…`). Also assumed when the server omits `keyType`: the
    /// API defaults to it on create, and the old API (whose list entries carried only `id`)
    /// knew no other kind.
    Auth,
    /// An OAuth client (`tskey-client-…`).
    Client,
    /// An API access token (a user's, or one minted from an OAuth client).
    Api,
    /// A federated identity.
    Federated,
    /// A kind this client does not know, as the server spelled it.
    Other(String),
}

impl KeyType {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            KeyType::Auth => "auth",
            KeyType::Client => "client",
            KeyType::Api => "api",
            KeyType::Federated => "federated",
            KeyType::Other(s) => s,
        }
    }

    /// Parses the wire spelling (case-sensitive, as the API is).
    pub fn parse(raw: &str) -> Self {
        match raw {
            "auth" => KeyType::Auth,
            "client" => KeyType::Client,
            "api" => KeyType::Api,
            "federated" => KeyType::Federated,
            other => KeyType::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A key object's metadata (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// Key id, e.g. `k123456CNTRL` (for an OAuth client, its client id).
    pub id: String,
    /// What kind of key it is.
    pub key_type: KeyType,
    /// Description (empty when absent).
    pub description: String,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// Last update (OAuth clients and federated identities).
    pub updated: Option<Timestamp>,
    /// Expiry (auth keys and API tokens; OAuth clients never expire).
    pub expires: Option<Timestamp>,
    /// Revocation time, once revoked.
    pub revoked: Option<Timestamp>,
    /// Revoked, expired, or (one-off auth key) used.
    pub invalid: bool,
    /// Lifetime in seconds (auth keys and API tokens).
    pub expiry_seconds: Option<u64>,
    /// Device capabilities (auth keys only; `None` when the server sent none).
    pub capabilities: Option<DeviceCapabilities>,
    /// Scopes (OAuth clients, API tokens, federated identities).
    pub scopes: Vec<String>,
    /// The top-level `tags` (OAuth clients, federated identities). An auth key's tags are in
    /// [`DeviceCapabilities::tags`].
    pub tags: Vec<String>,
    /// The creating user; `None` for keys created with a trust credential.
    pub user_id: Option<String>,
}

/// What devices registered with an auth key get.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceCapabilities {
    /// Usable more than once.
    pub reusable: bool,
    /// Devices are removed when they go offline.
    pub ephemeral: bool,
    /// Devices need no admin approval.
    pub preauthorized: bool,
    /// Tags applied to the devices.
    pub tags: Vec<String>,
}

/// A key just created, with its one-time secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedKey {
    /// Its metadata.
    pub key: KeyInfo,
    /// The secret (`tskey-auth-…` or `tskey-client-…`): shown once, never again.
    pub secret: Secret,
}

/// The answer to reading one key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    clippy::large_enum_variant,
    reason = "the plan engine matches `Found(KeyInfo)`; one value per call, never stored in bulk"
)]
pub enum KeyLookup {
    /// The server knows the key. It may be [`KeyInfo::invalid`] (revoked, expired, used).
    Found(KeyInfo),
    /// The server answered 404: the key (or its tailnet) is gone, e.g. purged long after
    /// revocation.
    NotFound,
}

/// The answer to a DELETE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// The object was deleted.
    Deleted,
    /// The server answered 404: it was already gone (not an error).
    NotFound,
}

/// A new auth key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthKeyRequest {
    /// Usable more than once.
    pub reusable: bool,
    /// Devices are removed when they go offline.
    pub ephemeral: bool,
    /// Devices need no admin approval.
    pub preauthorized: bool,
    /// Tags for the devices (required when created with an OAuth-derived token).
    pub tags: Vec<String>,
    /// Lifetime in seconds; 0 means the server default (90 days).
    pub expiry_seconds: u64,
    /// Description (≤ 50 characters).
    pub description: String,
}

/// A new or replaced OAuth client (PUT replaces every field).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthClientRequest {
    /// Scopes (at least one).
    pub scopes: Vec<String>,
    /// Tags (required with `auth_keys` or `devices:core`).
    pub tags: Vec<String>,
    /// Description (≤ 50 characters).
    pub description: String,
}

/// A tailnet's policy file as served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument {
    /// The policy as the server returned it (HuJSON: comments and formatting kept).
    pub text: String,
    /// The `ETag` without quotes (and without a `W/` prefix); pass it to `set_policy` as
    /// `if_match`.
    pub etag: Option<String>,
}

/// A policy to post.
#[derive(Debug, Clone, PartialEq)]
pub enum PolicyBody {
    /// Sent as `application/json`.
    Json(serde_json::Value),
    /// Sent verbatim as `application/hujson`.
    HuJson(String),
}

/// The verdict of `POST …/acl/validate` (which answers 200 either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyValidation {
    /// `{}` or an empty body.
    Valid,
    /// A non-empty `message`; per-user details from `data` are appended to it.
    Invalid {
        /// The server's message.
        message: String,
    },
    /// Valid, with warnings: `{"message": "warning(s) found", "data": [{"user", "warnings"}]}`
    /// (e.g. groups not syncing from SCIM). A warning is not a failure: the API still stores
    /// such a policy (FIDELITY-2 §1 #4).
    Warnings {
        /// Each warning, as `user: warning`.
        warnings: Vec<String>,
    },
}

//! The records the state file keeps per address: what tailform created, the ids the API
//! assigned, the one-time secrets, and the attributes as applied (DESIGN §7).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::stored_secret::{SecretKnowledge, StoredSecret};
use crate::secret::Secret;

/// The state of one address.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// `tailnet.<name>`.
    Tailnet(TailnetRecord),
    /// `tailnet.<name>.policy`.
    Policy(PolicyRecord),
    /// `tailnet.<name>.oauth_client.<name>`.
    OAuthClient(ClientRecord),
    /// `tailnet.<name>.auth_key.<name>`.
    AuthKey(KeyRecord),
    /// `tailnet.<name>.federated_identity.<name>`.
    FederatedIdentity(IdentityRecord),
    /// `tailnet.<name>.webhook.<name>`.
    Webhook(WebhookRecord),
    /// `tailnet.<name>.settings`.
    Settings(SettingsRecord),
}

/// A tailnet tailform created (or references).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TailnetRecord {
    /// Tailnet id (`T…CNTRL`), or `-` for the credentials' own tailnet.
    pub id: String,
    /// True when the manifest references an existing tailnet (never created or deleted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub existing: bool,
    /// Display name as created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Organization id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// MagicDNS name (`tail1234.ts.net`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_name: Option<String>,
    /// When the API created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// `preventDestroy` as last applied (guards a delete after the tailnet leaves the manifest).
    #[serde(default = "default_true")]
    pub prevent_destroy: bool,
    /// The tailnet's own OAuth client from the create response (scope `all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<BootstrapClient>,
    /// Tailnets replaced by this one and not yet deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<DeposedTailnet>,
}

fn default_true() -> bool {
    true
}

/// The OAuth client the API returns when it creates a tailnet: the way into that tailnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BootstrapClient {
    /// Client id.
    pub id: String,
    /// Client secret (shown once by the API), open or sealed.
    #[serde(default)]
    pub secret: Option<StoredSecret>,
}

/// A replaced tailnet still to be deleted, with the credential needed to reach it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeposedTailnet {
    /// Tailnet id.
    pub id: String,
    /// Its bootstrap client, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<BootstrapClient>,
}

/// What tailform manages in a tailnet's policy file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRecord {
    /// The policy's ETag right after tailform's last write (a different live ETag = edited
    /// outside tailform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The managed part as last applied.
    pub managed: ManagedPolicy,
}

/// The managed part of a policy, as last applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ManagedPolicy {
    /// These `tagOwners` entries (explicit, or defined automatically for used tags).
    TagOwners(BTreeMap<String, Vec<String>>),
    /// The whole file; the SHA-256 of its normalised JSON.
    File {
        /// Hex SHA-256 of the normalised document.
        digest: String,
    },
}

/// An OAuth client tailform created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRecord {
    /// Client id (`k…CNTRL`).
    pub id: String,
    /// Client secret, open or sealed; `None` after an import (the API never shows it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<StoredSecret>,
    /// When the API created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Attributes as applied.
    pub attributes: ClientAttributes,
    /// `deliver:` sinks (their ids) that have the current secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<String>,
    /// Replaced clients not yet deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// An OAuth client's attributes, as sent to the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAttributes {
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Scopes, sorted.
    pub scopes: Vec<String>,
    /// Tags, sorted.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// An auth key tailform created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    /// Key id (`k…CNTRL`).
    pub id: String,
    /// The key, open or sealed; `None` after an import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<StoredSecret>,
    /// When the API created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// When it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// Attributes as applied.
    pub attributes: KeyAttributes,
    /// `deliver:` sinks (their ids) that have the current secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<String>,
    /// Replaced keys not yet revoked (after a rotation, possibly kept for an overlap window).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// An auth key's attributes, as sent to the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyAttributes {
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Reusable.
    #[serde(default)]
    pub reusable: bool,
    /// Ephemeral.
    #[serde(default)]
    pub ephemeral: bool,
    /// Preauthorized.
    #[serde(default)]
    pub preauthorized: bool,
    /// Tags, sorted.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Requested lifetime in seconds.
    pub expiry_seconds: u64,
    /// The OAuth client (logical name) whose token created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// A federated identity tailform created (it has no secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRecord {
    /// Its id (`k…CNTRL`), the `client_id` a token exchange names.
    pub id: String,
    /// When the API created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// The audience the API holds (generated when the manifest sets none); not secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Attributes as applied.
    pub attributes: IdentityAttributes,
    /// Replaced identities not yet deleted (`apply --replace`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// A federated identity's attributes, as sent to the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityAttributes {
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Scopes, sorted.
    pub scopes: Vec<String>,
    /// Tags, sorted.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The token issuer (`https://…`).
    pub issuer: String,
    /// The subject pattern.
    pub subject: String,
    /// The audience the manifest sets; `None`: the API's generated one, never compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// Custom claim rules, claim → pattern.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_claim_rules: BTreeMap<String, String>,
}

/// The tailnet settings tailform manages: the fields the manifest set, as last applied (or
/// found already so).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettingsRecord {
    /// Field → value.
    pub values: BTreeMap<crate::model::Setting, crate::model::SettingValue>,
}

/// A webhook tailform created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    /// Its endpoint id.
    pub id: String,
    /// The signing secret, open or sealed; `None` after an import (a rotation gets a new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<StoredSecret>,
    /// When the API created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// When the current secret was issued (the create or the last rotation); `rotateEvery`
    /// counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotated: Option<Timestamp>,
    /// Attributes as applied.
    pub attributes: WebhookAttributes,
    /// `deliver:` sinks (their ids) that have the current secret.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivered: Vec<String>,
    /// Replaced webhooks not yet deleted (a changed `endpointUrl`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// A webhook's attributes, as sent to the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAttributes {
    /// Where events are posted.
    pub endpoint_url: String,
    /// The message format (`none` for Tailscale's JSON).
    #[serde(default)]
    pub provider_type: crate::model::ProviderType,
    /// The events, sorted and without duplicates (as the API returns them).
    pub subscriptions: Vec<String>,
}

/// A replaced object (key or client) still live, to be revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deposed {
    /// Its id.
    pub id: String,
    /// Revoke it no earlier than this (the `keepPrevious` overlap window); `None` = at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_after: Option<Timestamp>,
}

impl Record {
    /// The live id of the object this record tracks.
    pub fn id(&self) -> Option<&str> {
        match self {
            Record::Tailnet(t) => Some(&t.id),
            Record::Policy(_) | Record::Settings(_) => None,
            Record::OAuthClient(c) => Some(&c.id),
            Record::AuthKey(k) => Some(&k.id),
            Record::FederatedIdentity(f) => Some(&f.id),
            Record::Webhook(w) => Some(&w.id),
        }
    }

    /// The one-time secret this record holds, when it is open (plaintext in memory).
    pub fn secret(&self) -> Option<&Secret> {
        self.stored_secret().and_then(StoredSecret::open)
    }

    /// The one-time secret this record holds, open or sealed.
    pub fn stored_secret(&self) -> Option<&StoredSecret> {
        match self {
            Record::Tailnet(t) => t.oauth_client.as_ref().and_then(|c| c.secret.as_ref()),
            Record::Policy(_) | Record::FederatedIdentity(_) | Record::Settings(_) => None,
            Record::OAuthClient(c) => c.secret.as_ref(),
            Record::AuthKey(k) => k.secret.as_ref(),
            Record::Webhook(w) => w.secret.as_ref(),
        }
    }

    /// Every secret the record holds, open or sealed: its own, and those of the tailnets a
    /// replacement left behind (their bootstrap clients).
    pub fn stored_secrets(&self) -> impl Iterator<Item = &StoredSecret> {
        let deposed = match self {
            Record::Tailnet(t) => t.deposed.as_slice(),
            _ => &[],
        };
        self.stored_secret().into_iter().chain(
            deposed
                .iter()
                .filter_map(|d| d.oauth_client.as_ref()?.secret.as_ref()),
        )
    }

    /// What the record knows about its secret (a policy has none: `Absent`).
    pub fn secret_knowledge(&self) -> SecretKnowledge<'_> {
        SecretKnowledge::of(self.stored_secret())
    }
}

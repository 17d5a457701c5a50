//! `Live`: what the API says right now, as read by the refresh (`crate::refresh`) — one org
//! tailnet list, and per managed tailnet its keys, policy and (where any are managed) webhooks. Plain data: the diff reads it, never
//! the network.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::model::Name;

/// A snapshot of the live API for the tailnets tailform manages.
#[derive(Debug, Clone, PartialEq)]
pub struct Live {
    /// The server's clock at refresh time (from the `Date` header; the local clock otherwise).
    pub now: Timestamp,
    /// The organization's tailnets, when they were listed (only when tailform creates or tracks
    /// created tailnets).
    pub org_tailnets: Option<Vec<OrgTailnet>>,
    /// Per managed tailnet (by logical name) what was read.
    pub tailnets: BTreeMap<Name, LiveTailnet>,
}

/// One entry of the organization's tailnet list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgTailnet {
    /// Tailnet id.
    pub id: String,
    /// Display name.
    pub display_name: String,
    /// Creation time.
    pub created_at: Option<Timestamp>,
}

/// What was read about one managed tailnet.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "one value per managed tailnet, almost all of them `Present`: boxing would only add an allocation"
)]
pub enum LiveTailnet {
    /// Not created yet (nothing in the state), so nothing to read.
    NotCreated,
    /// The state records it but the organization no longer lists it (deleted outside tailform).
    Gone,
    /// It exists; its contents.
    Present(TailnetContents),
}

/// The contents of an existing tailnet.
#[derive(Debug, Clone, PartialEq)]
pub struct TailnetContents {
    /// Keys listed with `all=true`, by id (only non-invalid keys are listed by the API; a key
    /// missing here is invalid or gone).
    pub keys: BTreeMap<String, LiveKey>,
    /// The policy file.
    pub policy: LivePolicy,
    /// Webhooks by id, when read (only for tailnets whose manifest or state has webhooks: a
    /// token without `webhooks:read` can still plan everything else).
    pub webhooks: Option<BTreeMap<String, LiveWebhook>>,
    /// The tailnet settings as read, when read (only for tailnets whose manifest or state
    /// manages some); a field the credentials cannot read is absent.
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A live webhook endpoint (the API never shows its secret again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveWebhook {
    /// Endpoint id.
    pub id: String,
    /// Where events are posted.
    pub endpoint_url: String,
    /// The provider type as the API spells it (empty for Tailscale's JSON).
    pub provider_type: String,
    /// The events, sorted.
    pub subscriptions: Vec<String>,
    /// Creation time.
    pub created: Option<Timestamp>,
}

/// A live key (auth key, OAuth client or other credential).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveKey {
    /// Key id.
    pub id: String,
    /// Type-specific attributes.
    pub kind: LiveKeyKind,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created: Option<Timestamp>,
    /// True when the API reports it invalid (revoked, expired, used one-off).
    pub invalid: bool,
}

/// Type-specific live attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum LiveKeyKind {
    /// An auth key.
    Auth {
        /// Reusable.
        reusable: bool,
        /// Ephemeral.
        ephemeral: bool,
        /// Preauthorized.
        preauthorized: bool,
        /// Tags, sorted.
        tags: Vec<String>,
        /// Expiry time.
        expires: Option<Timestamp>,
    },
    /// An OAuth client.
    Client {
        /// Scopes, sorted.
        scopes: Vec<String>,
        /// Tags, sorted.
        tags: Vec<String>,
        /// Last update.
        updated: Option<Timestamp>,
    },
    /// A federated identity.
    Federated {
        /// Scopes, sorted.
        scopes: Vec<String>,
        /// Tags, sorted.
        tags: Vec<String>,
        /// The token issuer.
        issuer: String,
        /// The subject pattern.
        subject: String,
        /// The audience.
        audience: String,
        /// Custom claim rules.
        custom_claim_rules: BTreeMap<String, String>,
    },
    /// An API access token (`keyType: "api"`): a user's, or one minted from an OAuth client —
    /// every token tailform itself mints appears so (FIDELITY-2 §1 #7). Never managed, and not
    /// counted among the unmanaged keys.
    AccessToken,
    /// Anything else (kinds tailform does not know).
    Other,
}

/// A tailnet's live policy file.
#[derive(Debug, Clone, PartialEq)]
pub struct LivePolicy {
    /// The text as served (HuJSON).
    pub text: String,
    /// Parsed (not normalised).
    pub value: serde_json::Value,
    /// The ETag (unquoted).
    pub etag: Option<String>,
}

impl Live {
    /// The contents read for a tailnet, when it exists.
    pub fn contents(&self, tailnet: &Name) -> Option<&TailnetContents> {
        match self.tailnets.get(tailnet) {
            Some(LiveTailnet::Present(c)) => Some(c),
            _ => None,
        }
    }
}

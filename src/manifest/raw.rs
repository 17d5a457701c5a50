//! The raw manifest: the YAML's shape as typed values, each with its [`Loc`], before any rule
//! of DESIGN §2 is applied. Field names here are the manifest's camelCase spelling; the lists of
//! known fields feed "did you mean" hints and the JSON Schema (a test keeps them in step).
//!
//! Values are still strings (names, tags, durations, scopes): turning them into `crate::model`
//! types is validation's job. A field is [`Field::Absent`], [`Field::Broken`] (present with the
//! wrong type — already reported, so later checks stay quiet about it) or [`Field::Set`].

use super::source::{FileId, Loc};

/// Fields of the top level.
pub const TOP_FIELDS: &[&str] = &["tailnets", "moved"];
/// Fields of a `moved` entry.
pub const MOVED_FIELDS: &[&str] = &["from", "to"];
/// Fields of a tailnet.
pub const TAILNET_FIELDS: &[&str] = &[
    "displayName",
    "id",
    "preventDestroy",
    "policy",
    "oauthClients",
    "authKeys",
    "federatedIdentities",
    "webhooks",
    "settings",
];
/// Fields of a `policy` block.
pub const POLICY_FIELDS: &[&str] = &["tagOwners", "file"];
/// Fields of an OAuth client.
pub const OAUTH_CLIENT_FIELDS: &[&str] = &["description", "scopes", "tags", "deliver", "envName"];
/// Fields of an auth key.
pub const AUTH_KEY_FIELDS: &[&str] = &[
    "description",
    "reusable",
    "ephemeral",
    "preauthorized",
    "tags",
    "expiry",
    "rotateBefore",
    "recreateIfInvalid",
    "createdBy",
    "deliver",
    "envName",
    "keepPrevious",
];
/// Fields of a federated identity.
pub const FEDERATED_IDENTITY_FIELDS: &[&str] = &[
    "description",
    "issuer",
    "subject",
    "audience",
    "customClaimRules",
    "scopes",
    "tags",
];
/// Fields of a webhook.
pub const WEBHOOK_FIELDS: &[&str] = &[
    "endpointUrl",
    "providerType",
    "subscriptions",
    "rotateEvery",
    "deliver",
    "envName",
];
/// Fields of a `settings` block (the tailnet settings tailform manages).
pub const SETTINGS_FIELDS: &[&str] = &[
    "devicesApprovalOn",
    "devicesAutoUpdatesOn",
    "devicesKeyDurationDays",
    "usersApprovalOn",
    "usersRoleAllowedToJoinExternalTailnets",
    "networkFlowLoggingOn",
    "postureIdentityCollectionOn",
    "httpsEnabled",
    "routeSelection",
];
/// Fields of a `deliver` entry.
pub const DELIVERY_FIELDS: &[&str] = &["file", "command"];

/// A value and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where.
    pub loc: Loc,
}

/// An optional field of a raw object.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field<T> {
    /// Not written.
    #[default]
    Absent,
    /// Written with the wrong type (already reported).
    Broken,
    /// Written.
    Set(At<T>),
}

impl<T> Field<T> {
    /// The value, when set.
    pub fn get(&self) -> Option<&At<T>> {
        match self {
            Field::Set(v) => Some(v),
            Field::Absent | Field::Broken => None,
        }
    }

    /// True when the field was written with the wrong type.
    pub fn is_broken(&self) -> bool {
        matches!(self, Field::Broken)
    }

    /// True when the field was written (with any type).
    pub fn is_written(&self) -> bool {
        !matches!(self, Field::Absent)
    }
}

/// A named entry of a resource map (`tailnets`, `oauthClients`, `authKeys`): the key, with its
/// position (the resource's origin), and the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<T> {
    /// The logical name as written, at the map key.
    pub name: At<String>,
    /// The body (all fields absent when the YAML value is null).
    pub body: T,
}

/// One manifest file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawManifest {
    /// The manifest file, as given on the command line or found in the folder.
    pub file: FileId,
    /// The `tailnets` key, when written.
    pub tailnets_key: Option<Loc>,
    /// Tailnets, in document order (duplicates within the file already dropped and reported).
    pub tailnets: Vec<Entry<RawTailnet>>,
    /// `moved` entries, in document order.
    pub moved: Vec<At<RawMove>>,
}

/// One `moved` entry (Terraform's `moved` block): the address an object had, and its new one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawMove {
    /// `from`.
    pub from: Field<String>,
    /// `to`.
    pub to: Field<String>,
}

/// A tailnet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawTailnet {
    /// `displayName`.
    pub display_name: Field<String>,
    /// `id`.
    pub id: Field<String>,
    /// `preventDestroy`.
    pub prevent_destroy: Field<bool>,
    /// `policy`, at its value.
    pub policy: Field<RawPolicy>,
    /// `oauthClients`.
    pub oauth_clients: Vec<Entry<RawOAuthClient>>,
    /// `authKeys`.
    pub auth_keys: Vec<Entry<RawAuthKey>>,
    /// `federatedIdentities`.
    pub federated_identities: Vec<Entry<RawFederatedIdentity>>,
    /// `webhooks`.
    pub webhooks: Vec<Entry<RawWebhook>>,
    /// `settings`, at its value.
    pub settings: Field<Vec<RawSetting>>,
}

/// One `settings` entry: the field (the map key, known) and its value as written.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSetting {
    /// The field's name.
    pub name: At<String>,
    /// The value (`Broken` when not a scalar).
    pub value: Field<RawScalar>,
}

/// A scalar as written.
#[derive(Debug, Clone, PartialEq)]
pub enum RawScalar {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A string.
    Str(String),
}

/// One `tagOwners` entry: the tag and its owners.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTagOwners {
    /// The tag (the map key).
    pub tag: At<String>,
    /// The owners (`Broken` when not a list of strings).
    pub owners: Field<Vec<At<String>>>,
}

/// A `policy` block.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawPolicy {
    /// `tagOwners`.
    pub tag_owners: Field<Vec<RawTagOwners>>,
    /// `file`.
    pub file: Field<String>,
}

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawOAuthClient {
    /// `description`.
    pub description: Field<String>,
    /// `scopes`.
    pub scopes: Field<Vec<At<String>>>,
    /// `tags`.
    pub tags: Field<Vec<At<String>>>,
    /// `deliver`.
    pub deliver: Field<Vec<At<RawDelivery>>>,
    /// `envName`.
    pub env_name: Field<String>,
}

/// An auth key.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawAuthKey {
    /// `description`.
    pub description: Field<String>,
    /// `reusable`.
    pub reusable: Field<bool>,
    /// `ephemeral`.
    pub ephemeral: Field<bool>,
    /// `preauthorized`.
    pub preauthorized: Field<bool>,
    /// `tags`.
    pub tags: Field<Vec<At<String>>>,
    /// `expiry` (a duration, as written).
    pub expiry: Field<String>,
    /// `rotateBefore` (a duration, as written).
    pub rotate_before: Field<String>,
    /// `recreateIfInvalid`.
    pub recreate_if_invalid: Field<String>,
    /// `createdBy`.
    pub created_by: Field<String>,
    /// `deliver`.
    pub deliver: Field<Vec<At<RawDelivery>>>,
    /// `envName`.
    pub env_name: Field<String>,
    /// `keepPrevious` (a duration, as written).
    pub keep_previous: Field<String>,
}

/// A federated identity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawFederatedIdentity {
    /// `description`.
    pub description: Field<String>,
    /// `issuer`.
    pub issuer: Field<String>,
    /// `subject`.
    pub subject: Field<String>,
    /// `audience`.
    pub audience: Field<String>,
    /// `customClaimRules`.
    pub custom_claim_rules: Field<Vec<RawClaimRule>>,
    /// `scopes`.
    pub scopes: Field<Vec<At<String>>>,
    /// `tags`.
    pub tags: Field<Vec<At<String>>>,
}

/// A webhook endpoint.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawWebhook {
    /// `endpointUrl`.
    pub endpoint_url: Field<String>,
    /// `providerType`.
    pub provider_type: Field<String>,
    /// `subscriptions`.
    pub subscriptions: Field<Vec<At<String>>>,
    /// `rotateEvery` (a duration, as written).
    pub rotate_every: Field<String>,
    /// `deliver`.
    pub deliver: Field<Vec<At<RawDelivery>>>,
    /// `envName`.
    pub env_name: Field<String>,
}

/// One `customClaimRules` entry: the claim (the map key) and its pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct RawClaimRule {
    /// The claim's name.
    pub claim: At<String>,
    /// The pattern (`Broken` when not a string).
    pub pattern: Field<String>,
}

/// One `deliver` entry, as written (which of the two keys are present is checked later).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawDelivery {
    /// `file`.
    pub file: Field<String>,
    /// `command`.
    pub command: Field<Vec<At<String>>>,
}

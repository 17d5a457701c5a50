//! `Tailnet`: a desired tailnet — one tailform creates through the organization API, or an
//! existing one referenced by id — with its policy, OAuth clients, auth keys, federated identities and webhooks.

use std::collections::BTreeMap;
use std::fmt;

use super::{
    AuthKey, DisplayName, FederatedIdentity, Name, OAuthClient, Origin, Policy, Settings, Webhook,
};
use crate::address::{Member, ResourceKind};

/// How the tailnet comes to exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TailnetKind {
    /// An API-only tailnet that tailform creates (and may delete).
    Created {
        /// Display name, unique in the organization.
        display_name: DisplayName,
    },
    /// An existing tailnet: never created or deleted.
    Existing(TailnetRef),
}

/// A reference to an existing tailnet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TailnetRef {
    /// `-`: the credentials' own tailnet.
    Own,
    /// An explicit tailnet id (`T123456CNTRL`, or a legacy id such as `example.com`).
    Id(String),
}

impl TailnetRef {
    /// Parses `-` or an id (non-empty, no whitespace or `/`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "-" => Some(Self::Own),
            "" => None,
            s if s.chars().any(|c| c.is_whitespace() || c == '/' || c == '?') => None,
            s => Some(Self::Id(s.to_owned())),
        }
    }

    /// The path segment used in API URLs.
    pub fn as_path(&self) -> &str {
        match self {
            Self::Own => "-",
            Self::Id(id) => id,
        }
    }
}

impl serde::Serialize for TailnetRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_path())
    }
}

impl<'de> serde::Deserialize<'de> for TailnetRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        TailnetRef::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a tailnet id")))
    }
}

impl fmt::Display for TailnetRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_path())
    }
}

/// A desired tailnet and everything declared in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Tailnet {
    /// Logical name (address segment).
    pub name: Name,
    /// Where it is declared.
    pub origin: Origin,
    /// Created by tailform, or existing.
    pub kind: TailnetKind,
    /// Refuse to delete or replace (default true).
    pub prevent_destroy: bool,
    /// The part of the policy file tailform manages, if any.
    pub policy: Option<Policy>,
    /// OAuth clients by name.
    pub oauth_clients: BTreeMap<Name, OAuthClient>,
    /// Auth keys by name.
    pub auth_keys: BTreeMap<Name, AuthKey>,
    /// Federated identities by name.
    pub federated_identities: BTreeMap<Name, FederatedIdentity>,
    /// Webhooks by name.
    pub webhooks: BTreeMap<Name, Webhook>,
    /// The settings it manages, if any.
    pub settings: Option<Settings>,
}

impl Tailnet {
    /// True when tailform creates (and owns) this tailnet.
    pub fn is_created(&self) -> bool {
        matches!(self.kind, TailnetKind::Created { .. })
    }

    /// The OAuth client whose token creates `key` (its `createdBy`), when declared here.
    pub fn creator_of(&self, key: &AuthKey) -> Option<&OAuthClient> {
        key.created_by
            .as_ref()
            .and_then(|c| self.oauth_clients.get(c))
    }

    /// The names of the members of a named `kind` declared here (none for the tailnet itself
    /// and its policy, whose addresses carry no name of their own).
    pub fn declared(&self, kind: ResourceKind) -> Vec<Name> {
        match kind {
            ResourceKind::OAuthClient => self.oauth_clients.keys().cloned().collect(),
            ResourceKind::AuthKey => self.auth_keys.keys().cloned().collect(),
            ResourceKind::FederatedIdentity => self.federated_identities.keys().cloned().collect(),
            ResourceKind::Webhook => self.webhooks.keys().cloned().collect(),
            ResourceKind::Tailnet | ResourceKind::Policy | ResourceKind::Settings => Vec::new(),
        }
    }

    /// True when `member` belongs to this tailnet as declared (the tailnet itself and its
    /// policy always do).
    pub fn declares(&self, member: &Member) -> bool {
        match member {
            Member::Tailnet | Member::Policy => true,
            Member::Settings => self.settings.is_some(),
            Member::OAuthClient(n) => self.oauth_clients.contains_key(n),
            Member::AuthKey(n) => self.auth_keys.contains_key(n),
            Member::FederatedIdentity(n) => self.federated_identities.contains_key(n),
            Member::Webhook(n) => self.webhooks.contains_key(n),
        }
    }

    /// Drops `member` from the declaration (`destroy --target`); the tailnet itself is dropped
    /// by its caller, from `Desired`.
    pub fn undeclare(&mut self, member: &Member) {
        match member {
            Member::Tailnet => {}
            Member::Policy => self.policy = None,
            Member::Settings => self.settings = None,
            Member::OAuthClient(n) => {
                self.oauth_clients.remove(n);
            }
            Member::AuthKey(n) => {
                self.auth_keys.remove(n);
            }
            Member::FederatedIdentity(n) => {
                self.federated_identities.remove(n);
            }
            Member::Webhook(n) => {
                self.webhooks.remove(n);
            }
        }
    }
}

//! `Address`: the stable identity of a managed object — `tailnet.<name>`,
//! `tailnet.<name>.policy`, `tailnet.<name>.oauth_client.<name>`,
//! `tailnet.<name>.auth_key.<name>`, `tailnet.<name>.federated_identity.<name>`, `tailnet.<name>.webhook.<name>` (DESIGN §3) — used in plans, state keys and CLI arguments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::kind::ResourceKind;
use crate::name::Name;

/// What inside a tailnet an address names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Member {
    /// The tailnet itself.
    Tailnet,
    /// Its policy file.
    Policy,
    /// One OAuth client.
    OAuthClient(Name),
    /// One auth key.
    AuthKey(Name),
    /// One federated identity.
    FederatedIdentity(Name),
    /// One webhook.
    Webhook(Name),
    /// Its settings.
    Settings,
}

impl Member {
    /// A member of `kind`; `name` for the kinds whose address carries one (`None` otherwise).
    pub fn of(kind: ResourceKind, name: Option<Name>) -> Option<Self> {
        match (kind, name) {
            (ResourceKind::Tailnet, None) => Some(Member::Tailnet),
            (ResourceKind::Policy, None) => Some(Member::Policy),
            (ResourceKind::Settings, None) => Some(Member::Settings),
            (ResourceKind::OAuthClient, Some(n)) => Some(Member::OAuthClient(n)),
            (ResourceKind::AuthKey, Some(n)) => Some(Member::AuthKey(n)),
            (ResourceKind::FederatedIdentity, Some(n)) => Some(Member::FederatedIdentity(n)),
            (ResourceKind::Webhook, Some(n)) => Some(Member::Webhook(n)),
            _ => None,
        }
    }

    /// Its kind.
    pub fn kind(&self) -> ResourceKind {
        match self {
            Member::Tailnet => ResourceKind::Tailnet,
            Member::Policy => ResourceKind::Policy,
            Member::Settings => ResourceKind::Settings,
            Member::OAuthClient(_) => ResourceKind::OAuthClient,
            Member::AuthKey(_) => ResourceKind::AuthKey,
            Member::FederatedIdentity(_) => ResourceKind::FederatedIdentity,
            Member::Webhook(_) => ResourceKind::Webhook,
        }
    }

    /// Its own name, for the kinds whose address carries one.
    pub fn name(&self) -> Option<&Name> {
        match self {
            Member::Tailnet | Member::Policy | Member::Settings => None,
            Member::OAuthClient(n)
            | Member::AuthKey(n)
            | Member::FederatedIdentity(n)
            | Member::Webhook(n) => Some(n),
        }
    }
}

/// The identity of a managed object.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address {
    /// The tailnet's logical name.
    pub tailnet: Name,
    /// What inside the tailnet.
    pub member: Member,
}

impl Address {
    /// `tailnet.<name>`.
    pub fn tailnet(tailnet: Name) -> Self {
        Self {
            tailnet,
            member: Member::Tailnet,
        }
    }

    /// `tailnet.<name>.policy`.
    pub fn policy(tailnet: Name) -> Self {
        Self {
            tailnet,
            member: Member::Policy,
        }
    }

    /// `tailnet.<name>.settings`.
    pub fn settings(tailnet: Name) -> Self {
        Self {
            tailnet,
            member: Member::Settings,
        }
    }

    /// `tailnet.<name>.oauth_client.<client>`.
    pub fn oauth_client(tailnet: Name, client: Name) -> Self {
        Self {
            tailnet,
            member: Member::OAuthClient(client),
        }
    }

    /// `tailnet.<name>.auth_key.<key>`.
    pub fn auth_key(tailnet: Name, key: Name) -> Self {
        Self {
            tailnet,
            member: Member::AuthKey(key),
        }
    }

    /// `tailnet.<name>.federated_identity.<identity>`.
    pub fn federated_identity(tailnet: Name, identity: Name) -> Self {
        Self {
            tailnet,
            member: Member::FederatedIdentity(identity),
        }
    }

    /// `tailnet.<name>.webhook.<webhook>`.
    pub fn webhook(tailnet: Name, webhook: Name) -> Self {
        Self {
            tailnet,
            member: Member::Webhook(webhook),
        }
    }

    /// The kind of object.
    pub fn kind(&self) -> ResourceKind {
        self.member.kind()
    }

    /// The object's own name (the tailnet's name for a tailnet or policy).
    pub fn name(&self) -> &Name {
        self.member.name().unwrap_or(&self.tailnet)
    }

    /// The address of the tailnet this object lives in.
    pub fn tailnet_address(&self) -> Address {
        Address::tailnet(self.tailnet.clone())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", ResourceKind::Tailnet.segment(), self.tailnet)?;
        let kind = self.member.kind();
        if kind != ResourceKind::Tailnet {
            write!(f, ".{}", kind.segment())?;
        }
        match self.member.name() {
            Some(n) => write!(f, ".{n}"),
            None => Ok(()),
        }
    }
}

/// Why a string is not a valid address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an address; expected `tailnet.NAME`, `tailnet.NAME.policy`, `tailnet.NAME.settings`, \
     `tailnet.NAME.oauth_client.NAME`, `tailnet.NAME.auth_key.NAME`, \
     `tailnet.NAME.federated_identity.NAME` or `tailnet.NAME.webhook.NAME`"
)]
pub struct AddressError(pub String);

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AddressError(s.to_owned());
        let parts: Vec<&str> = s.split('.').collect();
        let name = |p: &str| Name::parse(p).map_err(|_| err());
        let (tailnet, segment, own) = match parts.as_slice() {
            [prefix, t] => (prefix, t, None),
            [prefix, t, segment] => (prefix, t, Some((*segment, None))),
            [prefix, t, segment, n] => (prefix, t, Some((*segment, Some(*n)))),
            _ => return Err(err()),
        };
        if *tailnet != ResourceKind::Tailnet.segment() {
            return Err(err());
        }
        let tailnet = name(segment)?;
        let member = match own {
            None => Member::Tailnet,
            Some((segment, own)) => {
                let kind = ResourceKind::ALL
                    .into_iter()
                    .find(|k| *k != ResourceKind::Tailnet && k.segment() == segment)
                    .ok_or_else(err)?;
                let own = own.map(name).transpose()?;
                Member::of(kind, own).ok_or_else(err)?
            }
        };
        Ok(Address { tailnet, member })
    }
}

impl Serialize for Address {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in [
            "tailnet.acme",
            "tailnet.acme.policy",
            "tailnet.acme.oauth_client.ci",
            "tailnet.acme.auth_key.web",
        ] {
            let a: Address = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
    }

    #[test]
    fn a_member_has_a_name_exactly_when_its_kind_says_so() {
        let n = Name::parse("x").unwrap();
        for kind in ResourceKind::ALL {
            let named = kind.spec().named;
            assert_eq!(
                Member::of(kind, Some(n.clone())).is_some(),
                named,
                "{kind:?}"
            );
            assert_eq!(Member::of(kind, None).is_some(), !named, "{kind:?}");
            let member = Member::of(kind, named.then(|| n.clone())).unwrap();
            assert_eq!(member.kind(), kind);
        }
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "tailnet",
            "tailnet.Acme",
            "net.acme",
            "tailnet.a.key.b",
            "tailnet.a.policy.x",
        ] {
            assert!(s.parse::<Address>().is_err(), "{s}");
        }
    }

    #[test]
    fn orders_tailnet_before_members() {
        let t: Address = "tailnet.a".parse().unwrap();
        let p: Address = "tailnet.a.policy".parse().unwrap();
        let k: Address = "tailnet.a.auth_key.z".parse().unwrap();
        assert!(t < p && p < k);
    }
}

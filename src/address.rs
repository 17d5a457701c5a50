//! `Address`: the stable identity of a managed object — `tailnet.<name>`,
//! `tailnet.<name>.policy`, `tailnet.<name>.oauth_client.<name>`,
//! `tailnet.<name>.auth_key.<name>` (DESIGN §3) — used in plans, state keys and CLI arguments.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::model::Name;

/// The kind of a managed object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResourceKind {
    /// A tailnet.
    Tailnet,
    /// A tailnet's policy file (the part tailform manages).
    Policy,
    /// An OAuth client.
    OAuthClient,
    /// An auth key.
    AuthKey,
}

impl ResourceKind {
    /// The type name used in JSON plans (`tailscale_*`, like the Terraform provider).
    pub fn type_name(self) -> &'static str {
        match self {
            Self::Tailnet => "tailscale_tailnet",
            Self::Policy => "tailscale_policy",
            Self::OAuthClient => "tailscale_oauth_client",
            Self::AuthKey => "tailscale_auth_key",
        }
    }

    /// The address segment (`oauth_client`, `auth_key`, …).
    pub fn segment(self) -> &'static str {
        match self {
            Self::Tailnet => "tailnet",
            Self::Policy => "policy",
            Self::OAuthClient => "oauth_client",
            Self::AuthKey => "auth_key",
        }
    }
}

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

    /// The kind of object.
    pub fn kind(&self) -> ResourceKind {
        match self.member {
            Member::Tailnet => ResourceKind::Tailnet,
            Member::Policy => ResourceKind::Policy,
            Member::OAuthClient(_) => ResourceKind::OAuthClient,
            Member::AuthKey(_) => ResourceKind::AuthKey,
        }
    }

    /// The object's own name (the tailnet's name for a tailnet or policy).
    pub fn name(&self) -> &Name {
        match &self.member {
            Member::Tailnet | Member::Policy => &self.tailnet,
            Member::OAuthClient(n) | Member::AuthKey(n) => n,
        }
    }

    /// The address of the tailnet this object lives in.
    pub fn tailnet_address(&self) -> Address {
        Address::tailnet(self.tailnet.clone())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tailnet.{}", self.tailnet)?;
        match &self.member {
            Member::Tailnet => Ok(()),
            Member::Policy => f.write_str(".policy"),
            Member::OAuthClient(n) => write!(f, ".oauth_client.{n}"),
            Member::AuthKey(n) => write!(f, ".auth_key.{n}"),
        }
    }
}

/// Why a string is not a valid address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not an address; expected `tailnet.NAME`, `tailnet.NAME.policy`, \
     `tailnet.NAME.oauth_client.NAME` or `tailnet.NAME.auth_key.NAME`"
)]
pub struct AddressError(pub String);

impl FromStr for Address {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AddressError(s.to_owned());
        let parts: Vec<&str> = s.split('.').collect();
        let name = |p: &str| Name::parse(p).map_err(|_| err());
        match parts.as_slice() {
            ["tailnet", t] => Ok(Address::tailnet(name(t)?)),
            ["tailnet", t, "policy"] => Ok(Address::policy(name(t)?)),
            ["tailnet", t, "oauth_client", c] => Ok(Address::oauth_client(name(t)?, name(c)?)),
            ["tailnet", t, "auth_key", k] => Ok(Address::auth_key(name(t)?, name(k)?)),
            _ => Err(err()),
        }
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

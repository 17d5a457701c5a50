//! `Scope`: an OAuth client scope (`auth_keys`, `devices:core:read`, …), the legacy names that
//! map onto current ones (TAILSCALE-API §3), and `ScopeSet`, the normalised set a client holds.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What a scope grants access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeResource {
    /// `all`: every other scope and every defined tag.
    All,
    /// `dns`.
    Dns,
    /// `policy_file`.
    PolicyFile,
    /// `users`.
    Users,
    /// `devices:core`.
    DevicesCore,
    /// `devices:posture_attributes`.
    DevicesPostureAttributes,
    /// `devices:routes`.
    DevicesRoutes,
    /// `device_invites`.
    DeviceInvites,
    /// `api_access_tokens`.
    ApiAccessTokens,
    /// `auth_keys`.
    AuthKeys,
    /// `oauth_keys`.
    OAuthKeys,
    /// `federated_keys`.
    FederatedKeys,
    /// `webhooks`.
    Webhooks,
    /// `log_streaming`.
    LogStreaming,
    /// `logs:configuration`.
    LogsConfiguration,
    /// `logs:network`.
    LogsNetwork,
    /// `account_settings`.
    AccountSettings,
    /// `feature_settings`.
    FeatureSettings,
    /// `networking_settings`.
    NetworkingSettings,
    /// `services`.
    Services,
    /// `oauth_apps`.
    OAuthApps,
    /// `tailnets` (organization: create and list API-only tailnets).
    Tailnets,
}

impl ScopeResource {
    /// Every resource, in a stable order.
    pub const ALL: [ScopeResource; 22] = [
        Self::All,
        Self::Dns,
        Self::PolicyFile,
        Self::Users,
        Self::DevicesCore,
        Self::DevicesPostureAttributes,
        Self::DevicesRoutes,
        Self::DeviceInvites,
        Self::ApiAccessTokens,
        Self::AuthKeys,
        Self::OAuthKeys,
        Self::FederatedKeys,
        Self::Webhooks,
        Self::LogStreaming,
        Self::LogsConfiguration,
        Self::LogsNetwork,
        Self::AccountSettings,
        Self::FeatureSettings,
        Self::NetworkingSettings,
        Self::Services,
        Self::OAuthApps,
        Self::Tailnets,
    ];

    /// The wire name without `:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Dns => "dns",
            Self::PolicyFile => "policy_file",
            Self::Users => "users",
            Self::DevicesCore => "devices:core",
            Self::DevicesPostureAttributes => "devices:posture_attributes",
            Self::DevicesRoutes => "devices:routes",
            Self::DeviceInvites => "device_invites",
            Self::ApiAccessTokens => "api_access_tokens",
            Self::AuthKeys => "auth_keys",
            Self::OAuthKeys => "oauth_keys",
            Self::FederatedKeys => "federated_keys",
            Self::Webhooks => "webhooks",
            Self::LogStreaming => "log_streaming",
            Self::LogsConfiguration => "logs:configuration",
            Self::LogsNetwork => "logs:network",
            Self::AccountSettings => "account_settings",
            Self::FeatureSettings => "feature_settings",
            Self::NetworkingSettings => "networking_settings",
            Self::Services => "services",
            Self::OAuthApps => "oauth_apps",
            Self::Tailnets => "tailnets",
        }
    }
}

/// Read-only or read-write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// `<resource>:read`.
    Read,
    /// `<resource>` (write implies read).
    Write,
}

/// One current-style scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    /// What it grants access to.
    pub resource: ScopeResource,
    /// Read or write.
    pub access: Access,
}

/// Why a string is not a known scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a known scope")]
pub struct UnknownScope(pub String);

/// A legacy scope name (before 2024-11-14) and the current scopes it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyScope {
    /// The name as written (`devices`, `acl:read`, …).
    pub name: &'static str,
    /// What it means today.
    pub means: Vec<Scope>,
}

/// How a scope string was written: a current name, or a legacy one that expands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeSpelling {
    /// A current name.
    Current(Scope),
    /// A legacy name; the caller should warn and use `means`.
    Legacy(LegacyScope),
}

impl Scope {
    /// A write scope.
    pub const fn write(resource: ScopeResource) -> Self {
        Self {
            resource,
            access: Access::Write,
        }
    }

    /// A read scope.
    pub const fn read(resource: ScopeResource) -> Self {
        Self {
            resource,
            access: Access::Read,
        }
    }

    /// Parses a current scope name.
    pub fn parse(s: &str) -> Result<Self, UnknownScope> {
        let (base, access) = match s.strip_suffix(":read") {
            Some(base) => (base, Access::Read),
            None => (s, Access::Write),
        };
        ScopeResource::ALL
            .into_iter()
            .find(|r| r.as_str() == base)
            .map(|resource| Scope { resource, access })
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }

    /// Parses a current or legacy scope name.
    pub fn parse_spelling(s: &str) -> Result<ScopeSpelling, UnknownScope> {
        if let Some(legacy) = legacy(s) {
            return Ok(ScopeSpelling::Legacy(legacy));
        }
        Scope::parse(s).map(ScopeSpelling::Current)
    }

    /// Every current scope name, for "did you mean" hints and the JSON Schema.
    pub fn all_names() -> Vec<String> {
        ScopeResource::ALL
            .into_iter()
            .flat_map(|r| [Scope::write(r).to_string(), Scope::read(r).to_string()])
            .collect()
    }

    /// Every legacy name.
    pub fn legacy_names() -> &'static [&'static str] {
        &[
            "acl",
            "acl:read",
            "devices",
            "devices:read",
            "routes",
            "routes:read",
            "logs:read",
            "network-logs:read",
        ]
    }

    /// True when holding `self` grants `other` (`all` grants everything, write grants read).
    pub fn grants(&self, other: &Scope) -> bool {
        let resource_ok = self.resource == ScopeResource::All || self.resource == other.resource;
        let access_ok = self.access == Access::Write || other.access == Access::Read;
        resource_ok && access_ok
    }
}

fn legacy(s: &str) -> Option<LegacyScope> {
    use ScopeResource as R;
    let (name, resources, access): (&'static str, &[ScopeResource], Access) = match s {
        "acl" => ("acl", &[R::PolicyFile], Access::Write),
        "acl:read" => ("acl:read", &[R::PolicyFile], Access::Read),
        "devices" => (
            "devices",
            &[R::AuthKeys, R::DevicesCore, R::DevicesPostureAttributes],
            Access::Write,
        ),
        "devices:read" => (
            "devices:read",
            &[R::AuthKeys, R::DevicesCore, R::DevicesPostureAttributes],
            Access::Read,
        ),
        "routes" => ("routes", &[R::DevicesRoutes], Access::Write),
        "routes:read" => ("routes:read", &[R::DevicesRoutes], Access::Read),
        "logs:read" => ("logs:read", &[R::LogsConfiguration], Access::Read),
        "network-logs:read" => ("network-logs:read", &[R::LogsNetwork], Access::Read),
        _ => return None,
    };
    Some(LegacyScope {
        name,
        means: resources
            .iter()
            .map(|&resource| Scope { resource, access })
            .collect(),
    })
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.resource.as_str())?;
        if self.access == Access::Read {
            f.write_str(":read")?;
        }
        Ok(())
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A client's scopes, normalised: legacy names expanded, sorted, deduplicated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Builds a set from current scopes.
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        Self(scopes.into_iter().collect())
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// Number of scopes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there is no scope.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when any scope in the set grants `scope`.
    pub fn grants(&self, scope: &Scope) -> bool {
        self.0.iter().any(|s| s.grants(scope))
    }

    /// True when a credential with these scopes must carry tags (`auth_keys` or `devices:core`,
    /// write access).
    pub fn requires_tags(&self) -> bool {
        self.0.iter().any(|s| {
            s.access == Access::Write
                && matches!(
                    s.resource,
                    ScopeResource::AuthKeys | ScopeResource::DevicesCore
                )
        })
    }

    /// The scopes as wire strings, sorted.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trip() {
        for name in Scope::all_names() {
            assert_eq!(Scope::parse(&name).unwrap().to_string(), name);
        }
        assert_eq!(
            Scope::parse("auth_key"),
            Err(UnknownScope("auth_key".into()))
        );
    }

    #[test]
    fn legacy_devices_expands() {
        let ScopeSpelling::Legacy(l) = Scope::parse_spelling("devices").unwrap() else {
            panic!("devices is legacy")
        };
        let names: Vec<String> = l.means.iter().map(ToString::to_string).collect();
        assert_eq!(
            names,
            ["auth_keys", "devices:core", "devices:posture_attributes"]
        );
    }

    #[test]
    fn grants() {
        let all = Scope::write(ScopeResource::All);
        let keys_read = Scope::read(ScopeResource::AuthKeys);
        let keys = Scope::write(ScopeResource::AuthKeys);
        assert!(all.grants(&keys));
        assert!(keys.grants(&keys_read));
        assert!(!keys_read.grants(&keys));
        assert!(!Scope::read(ScopeResource::All).grants(&keys));
        assert!(ScopeSet::new([keys]).requires_tags());
        assert!(!ScopeSet::new([keys_read]).requires_tags());
    }
}

//! The emulator's own reading of OAuth scopes: which names exist, how legacy names map onto
//! current ones (TAILSCALE-API §3), and which held scope grants which wanted scope.
//!
//! Deliberately independent of `crate::model::scope`: the emulator plays the server, so a scope
//! name the client accepts but the server does not must fail a test.
//!
//! Decisions:
//! - The known names are exactly the KB-TC table plus the spec-only `services`, `oauth_apps`,
//!   `tailnets` and `networking_settings` (each with `:read`). `logs:configuration` exists only as
//!   `:read` there, so a write `logs:configuration` is an unknown scope here.
//! - `all` grants every *tailnet-level* scope and `all:read` every tailnet-level `:read` scope;
//!   neither grants `tailnets`/`tailnets:read`, which are *organization* scopes. That is why the
//!   organization's client holds `["all", "tailnets"]`.
//! - Write implies read.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a scope grants access to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Resource {
    All,
    Tailnets,
    Dns,
    PolicyFile,
    Users,
    DevicesCore,
    DevicesPostureAttributes,
    DevicesRoutes,
    DeviceInvites,
    ApiAccessTokens,
    AuthKeys,
    OAuthKeys,
    FederatedKeys,
    Webhooks,
    LogStreaming,
    LogsConfiguration,
    LogsNetwork,
    AccountSettings,
    FeatureSettings,
    NetworkingSettings,
    Services,
    OAuthApps,
}

/// Every resource with its wire name and whether a write scope exists for it.
const RESOURCES: [(Resource, &str, bool); 22] = [
    (Resource::All, "all", true),
    (Resource::Tailnets, "tailnets", true),
    (Resource::Dns, "dns", true),
    (Resource::PolicyFile, "policy_file", true),
    (Resource::Users, "users", true),
    (Resource::DevicesCore, "devices:core", true),
    (
        Resource::DevicesPostureAttributes,
        "devices:posture_attributes",
        true,
    ),
    (Resource::DevicesRoutes, "devices:routes", true),
    (Resource::DeviceInvites, "device_invites", true),
    (Resource::ApiAccessTokens, "api_access_tokens", true),
    (Resource::AuthKeys, "auth_keys", true),
    (Resource::OAuthKeys, "oauth_keys", true),
    (Resource::FederatedKeys, "federated_keys", true),
    (Resource::Webhooks, "webhooks", true),
    (Resource::LogStreaming, "log_streaming", true),
    (Resource::LogsConfiguration, "logs:configuration", false),
    (Resource::LogsNetwork, "logs:network", true),
    (Resource::AccountSettings, "account_settings", true),
    (Resource::FeatureSettings, "feature_settings", true),
    (Resource::NetworkingSettings, "networking_settings", true),
    (Resource::Services, "services", true),
    (Resource::OAuthApps, "oauth_apps", true),
];

impl Resource {
    fn name(self) -> &'static str {
        RESOURCES
            .iter()
            .find(|(r, _, _)| *r == self)
            .map(|(_, name, _)| *name)
            // Invariant: RESOURCES lists every variant.
            .unwrap_or("")
    }
}

/// One current-style scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Scope {
    pub resource: Resource,
    pub write: bool,
}

impl Scope {
    /// A write scope.
    pub const fn write(resource: Resource) -> Self {
        Self {
            resource,
            write: true,
        }
    }

    /// A read scope.
    pub const fn read(resource: Resource) -> Self {
        Self {
            resource,
            write: false,
        }
    }

    /// Parses a scope name, current or legacy; legacy names expand to their current scopes.
    /// `None` when the name is unknown.
    pub fn parse(name: &str) -> Option<Vec<Scope>> {
        if let Some(expanded) = legacy(name) {
            return Some(expanded);
        }
        let (base, write) = match name.strip_suffix(":read") {
            Some(base) => (base, false),
            None => (name, true),
        };
        RESOURCES
            .iter()
            .find(|(_, n, has_write)| *n == base && (*has_write || !write))
            .map(|(resource, _, _)| {
                vec![Scope {
                    resource: *resource,
                    write,
                }]
            })
    }

    /// True when holding `self` grants `wanted`.
    pub fn grants(self, wanted: Scope) -> bool {
        let access = self.write || !wanted.write;
        let resource = self.resource == wanted.resource
            || (self.resource == Resource::All && wanted.resource != Resource::Tailnets);
        access && resource
    }
}

fn legacy(name: &str) -> Option<Vec<Scope>> {
    use Resource as R;
    let (resources, write): (&[Resource], bool) = match name {
        "acl" => (&[R::PolicyFile], true),
        "acl:read" => (&[R::PolicyFile], false),
        "devices" => (
            &[R::AuthKeys, R::DevicesCore, R::DevicesPostureAttributes],
            true,
        ),
        "devices:read" => (
            &[R::AuthKeys, R::DevicesCore, R::DevicesPostureAttributes],
            false,
        ),
        "routes" => (&[R::DevicesRoutes], true),
        "routes:read" => (&[R::DevicesRoutes], false),
        "logs:read" => (&[R::LogsConfiguration], false),
        "network-logs:read" => (&[R::LogsNetwork], false),
        _ => return None,
    };
    Some(
        resources
            .iter()
            .map(|&resource| Scope { resource, write })
            .collect(),
    )
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.resource.name())?;
        if !self.write {
            f.write_str(":read")?;
        }
        Ok(())
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        match Scope::parse(&name).as_deref() {
            Some([one]) => Ok(*one),
            _ => Err(serde::de::Error::custom(format!(
                "`{name}` is not a current scope name"
            ))),
        }
    }
}

/// The scopes a credential holds, in the order they were granted, without duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Scopes(Vec<Scope>);

impl Scopes {
    /// Builds a set, dropping duplicates and keeping first appearances.
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Self {
        let mut out = Vec::new();
        for s in scopes {
            if !out.contains(&s) {
                out.push(s);
            }
        }
        Self(out)
    }

    /// True when any held scope grants `wanted`.
    pub fn grants(&self, wanted: Scope) -> bool {
        self.0.iter().any(|held| held.grants(wanted))
    }

    /// True when the set holds the `all` write scope (any defined tag may be used).
    pub fn has_all(&self) -> bool {
        self.0.contains(&Scope::write(Resource::All))
    }

    /// True when a credential with these scopes must carry tags: it holds `auth_keys` or
    /// `devices:core` (write).
    pub fn requires_tags(&self) -> bool {
        self.0
            .iter()
            .any(|s| s.write && matches!(s.resource, Resource::AuthKeys | Resource::DevicesCore))
    }

    /// The scopes as wire names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

/// The outcome of reading a list of requested scope names.
pub(crate) struct Requested {
    /// The expanded, deduplicated scopes.
    pub scopes: Scopes,
    /// Each requested name with what it expanded to, for "cannot grant" messages.
    pub by_name: Vec<(String, Vec<Scope>)>,
}

impl Requested {
    /// Parses names; `Err` carries the first unknown name.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut by_name = Vec::new();
        for name in names {
            let expanded = Scope::parse(name).ok_or_else(|| name.to_owned())?;
            by_name.push((name.to_owned(), expanded));
        }
        let scopes = Scopes::new(by_name.iter().flat_map(|(_, s)| s.iter().copied()));
        Ok(Self { scopes, by_name })
    }

    /// The requested names that `holder` cannot grant, as written.
    pub fn not_granted_by(&self, holder: &Scopes) -> Vec<String> {
        self.by_name
            .iter()
            .filter(|(_, expanded)| !expanded.iter().all(|s| holder.grants(*s)))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(name: &str) -> Scope {
        match Scope::parse(name).as_deref() {
            Some([s]) => *s,
            other => panic!("{name} parsed to {other:?}"),
        }
    }

    #[test]
    fn names_round_trip() {
        for name in [
            "all",
            "all:read",
            "devices:core:read",
            "tailnets",
            "logs:configuration:read",
        ] {
            assert_eq!(one(name).to_string(), name);
        }
        assert_eq!(Scope::parse("logs:configuration"), None);
        assert_eq!(Scope::parse("nope"), None);
    }

    #[test]
    fn legacy_names_expand() {
        let names: Vec<String> = Scope::parse("devices")
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            names,
            ["auth_keys", "devices:core", "devices:posture_attributes"]
        );
        assert_eq!(one("acl:read").to_string(), "policy_file:read");
        assert_eq!(one("network-logs:read").to_string(), "logs:network:read");
    }

    #[test]
    fn all_does_not_grant_the_organization_scope() {
        let all = one("all");
        assert!(all.grants(one("auth_keys")));
        assert!(all.grants(one("policy_file:read")));
        assert!(!all.grants(one("tailnets")));
        assert!(!all.grants(one("tailnets:read")));
        assert!(one("tailnets").grants(one("tailnets:read")));
        assert!(!one("all:read").grants(one("auth_keys")));
        assert!(one("all:read").grants(one("auth_keys:read")));
        assert!(!one("auth_keys:read").grants(one("auth_keys")));
    }
}

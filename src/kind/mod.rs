//! The resource-kind seam: what tailform manages (`ResourceKind`) and, in one table per kind
//! ([`KindSpec`], one file each), the facts every stage reads instead of matching on the kind
//! itself — the address segment, the JSON plan's type name, how messages name it, what only the
//! API knows after a create, and how a previous object's delete reads.
//!
//! The table is plain data, below `address` and `model`, so every stage can read it. What each
//! kind *does* (its diff rules, its API calls) lives with the stage, one file per kind; the
//! README's "How to add a resource kind" lists them.

mod auth_key;
mod federated_identity;
mod oauth_client;
mod policy;
mod settings;
mod tailnet;
mod webhook;

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
    /// A federated identity (workload identity federation: a CI job's OIDC token is exchanged
    /// for an access token; no secret).
    FederatedIdentity,
    /// A webhook endpoint (its signing secret is shown once, on create and on each rotation).
    Webhook,
    /// The tailnet settings the manifest sets.
    Settings,
}

/// What the API assigns on a create, shown as "(known after apply)" in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterApply {
    /// The object's id.
    Id,
    /// Its one-time secret (when the change carries one).
    Secret,
    /// Its expiry time.
    Expires,
    /// The audience the API generates when the manifest sets none.
    Audience,
}

impl AfterApply {
    /// The attribute's name in a plan's `after_unknown`.
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Secret => "secret",
            Self::Expires => "expires",
            Self::Audience => "audience",
        }
    }
}

/// The facts about one kind that the stages share.
#[derive(Debug)]
pub struct KindSpec {
    /// The kind described.
    pub kind: ResourceKind,
    /// Its address segment (`tailnet.T.<segment>[.NAME]`; the tailnet's own is `tailnet`).
    pub segment: &'static str,
    /// Whether its address carries a name of its own (`tailnet.T.auth_key.NAME`).
    pub named: bool,
    /// The type name in JSON plans (`tailscale_*`, like the Terraform provider).
    pub type_name: &'static str,
    /// How messages name one of them ("an OAuth client").
    pub described: &'static str,
    /// What only the API knows after a create, in the order plans show it.
    pub after_apply: &'static [AfterApply],
    /// How the text plan says a previous (deposed) object's delete.
    pub previous_deleted: &'static str,
}

impl ResourceKind {
    /// Every kind, in address order (a tailnet before its members).
    pub const ALL: [ResourceKind; 7] = [
        ResourceKind::Tailnet,
        ResourceKind::Policy,
        ResourceKind::OAuthClient,
        ResourceKind::AuthKey,
        ResourceKind::FederatedIdentity,
        ResourceKind::Webhook,
        ResourceKind::Settings,
    ];

    /// The kind's table.
    pub fn spec(self) -> &'static KindSpec {
        match self {
            Self::Tailnet => &tailnet::SPEC,
            Self::Policy => &policy::SPEC,
            Self::OAuthClient => &oauth_client::SPEC,
            Self::AuthKey => &auth_key::SPEC,
            Self::FederatedIdentity => &federated_identity::SPEC,
            Self::Webhook => &webhook::SPEC,
            Self::Settings => &settings::SPEC,
        }
    }

    /// The type name used in JSON plans (`tailscale_*`, like the Terraform provider).
    pub fn type_name(self) -> &'static str {
        self.spec().type_name
    }

    /// The address segment (`oauth_client`, `auth_key`, …).
    pub fn segment(self) -> &'static str {
        self.spec().segment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_describes_its_own_kind_and_segments_are_unique() {
        let mut segments = std::collections::BTreeSet::new();
        for kind in ResourceKind::ALL {
            assert_eq!(kind.spec().kind, kind);
            assert!(segments.insert(kind.segment()), "{kind:?}");
            assert_eq!(kind.type_name(), format!("tailscale_{}", kind.segment()));
        }
    }
}

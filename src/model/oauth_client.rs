//! `OAuthClient`: a desired OAuth client of a tailnet. Scopes, tags and description are
//! updatable in place (PUT keeps the secret).

use std::collections::BTreeSet;

use super::{Delivery, Description, EnvName, Name, Origin, ScopeSet, Tag};

/// A desired OAuth client.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthClient {
    /// Logical name (address segment).
    pub name: Name,
    /// Where it is declared.
    pub origin: Origin,
    /// Description (may be empty).
    pub description: Description,
    /// Scopes, normalised (legacy names expanded); never empty.
    pub scopes: ScopeSet,
    /// Tags; non-empty when the scopes require tags.
    pub tags: BTreeSet<Tag>,
    /// Where its secret is delivered after a create or rotation.
    pub deliver: Vec<Delivery>,
    /// Variable name for `output --format env` (derived from the address when absent).
    pub env_name: Option<EnvName>,
}

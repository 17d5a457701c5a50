//! `FederatedIdentity`: a desired federated identity (trust credential) of a tailnet — who may
//! exchange an OIDC token for an access token (issuer, subject pattern, audience, claim rules)
//! and what that token may do (scopes, tags). Every field is updated in place (PUT replaces the
//! whole identity); it holds no secret.

use std::collections::{BTreeMap, BTreeSet};

use super::{Description, Name, Origin, ScopeSet, Tag};

/// Claims the API matches itself, which `customClaimRules` may not name.
pub const RESERVED_CLAIMS: [&str; 3] = ["sub", "iss", "aud"];

/// A desired federated identity.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedIdentity {
    /// Logical name (address segment).
    pub name: Name,
    /// Where it is declared.
    pub origin: Origin,
    /// Description (may be empty).
    pub description: Description,
    /// Scopes of the tokens it grants; never empty.
    pub scopes: ScopeSet,
    /// Tags; non-empty when the scopes require tags.
    pub tags: BTreeSet<Tag>,
    /// The token issuer, an `https://` URL with a host.
    pub issuer: String,
    /// The `sub` claim a token must match (`*` matches any run of characters).
    pub subject: String,
    /// The `aud` claim a token must carry; `None` lets the API generate one (kept thereafter).
    pub audience: Option<String>,
    /// Further claims a token must match, claim → pattern.
    pub custom_claim_rules: BTreeMap<String, String>,
}

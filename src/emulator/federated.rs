//! Federated identities (`keyType: "federated"`, FIDELITY-2 §8.1, TAILSCALE-API §2.4/§2.6): the
//! strict reading of their create and PUT bodies, creating and replacing them, and matching a
//! token's claims against their patterns.
//!
//! Decisions (strict where the facts are thin):
//! - Create needs `scopes` (≥ 1), `issuer` (an `https://` URL with a host) and `subject`;
//!   `audience` omitted or empty is generated (`api.tailscale.com/<id>`, the measured shape);
//!   absent `customClaimRules` is stored and shown as `{}` (measured). Unknown fields are
//!   refused. PUT replaces every field (full replacement, as the Go client sends it); an
//!   omitted `audience` there keeps the stored one [assumed: the Terraform provider marks it
//!   computed, so a plan never has to send it].
//! - Claim rules may not name `sub`, `iss` or `aud` (the Terraform provider reserves them;
//!   the API is assumed to refuse them too): 400.
//! - Patterns (`subject`, each claim rule) match the whole value; `*` matches any run of
//!   characters, nothing else is special.
//! - Tags and scopes follow the OAuth-client rules: the caller must hold what it grants, tags
//!   must be owned, and `auth_keys`/`devices:core` need tags.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::api_error::ApiError;
use super::clock::whole_seconds;
use super::ids::SecretKind;
use super::scope::{Requested, Scopes};
use super::secret_hash::SecretHash;
use super::store::{FederatedIdentity, KeyKind, KeyRecord, Store};
use super::tags::dedup;

/// Claims an identity's rules may not constrain.
const RESERVED_CLAIMS: [&str; 3] = ["sub", "iss", "aud"];

/// The create or PUT body of a federated identity.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FederatedBody {
    key_type: Option<String>,
    scopes: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    description: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    custom_claim_rules: Option<BTreeMap<String, String>>,
}

/// A validated federated-identity request.
pub(crate) struct FederatedSpec {
    pub requested: Requested,
    pub tags: Vec<String>,
    pub description: String,
    pub issuer: String,
    pub subject: String,
    /// `None`: generate one (create) or keep the stored one (PUT).
    pub audience: Option<String>,
    pub custom_claim_rules: BTreeMap<String, String>,
}

/// Validates a federated-identity body (`check_description` is the keys' shared rule).
pub(crate) fn parse_federated(
    body: &[u8],
    check_description: impl Fn(Option<String>) -> Result<String, ApiError>,
) -> Result<FederatedSpec, ApiError> {
    let raw: FederatedBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    if raw.key_type.as_deref() != Some("federated") {
        return Err(ApiError::bad_request("keyType must be \"federated\""));
    }
    let names = raw.scopes.unwrap_or_default();
    if names.is_empty() {
        return Err(ApiError::bad_request("scopes cannot be empty"));
    }
    let requested = Requested::parse(names.iter().map(String::as_str))
        .map_err(|name| ApiError::bad_request(format!("unknown scope {name:?}")))?;
    let tags = dedup(raw.tags.unwrap_or_default());
    if requested.scopes.requires_tags() && tags.is_empty() {
        return Err(ApiError::bad_request(
            "tags are required when scopes include \"auth_keys\" or \"devices:core\"",
        ));
    }
    let issuer = raw.issuer.unwrap_or_default();
    let issuer_ok = url::Url::parse(&issuer)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()));
    if !issuer_ok {
        return Err(ApiError::bad_request(format!(
            "issuer must be an https URL, got {issuer:?}"
        )));
    }
    let subject = raw.subject.unwrap_or_default();
    if subject.trim().is_empty() {
        return Err(ApiError::bad_request("subject is required"));
    }
    let custom_claim_rules = raw.custom_claim_rules.unwrap_or_default();
    if let Some(reserved) = custom_claim_rules
        .keys()
        .find(|k| RESERVED_CLAIMS.contains(&k.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "customClaimRules may not constrain the reserved claim {reserved:?}"
        )));
    }
    Ok(FederatedSpec {
        requested,
        tags,
        description: check_description(raw.description)?,
        issuer,
        subject,
        audience: raw.audience.filter(|a| !a.is_empty()),
        custom_claim_rules,
    })
}

/// Creates the identity in `tailnet`; answers its id.
pub(crate) fn create(
    store: &mut Store,
    tailnet: &str,
    now: Timestamp,
    spec: FederatedSpec,
) -> String {
    let id = store.fresh_key_id();
    let audience = spec.audience.unwrap_or_else(|| {
        let suffix = store.fresh_key_id();
        format!("api.tailscale.com/{suffix}")
    });
    // Never shown and never accepted by the token endpoint (not a client): a federated identity
    // has no secret, but every record carries a hash.
    let unusable = store.ids.secret(SecretKind::Client, &id);
    let created = whole_seconds(now);
    store.insert_key(KeyRecord {
        id: id.clone(),
        seq: 0,
        tailnet: tailnet.to_owned(),
        secret: SecretHash::of(&unusable),
        created,
        description: spec.description,
        revoked: None,
        kind: KeyKind::Federated(FederatedIdentity {
            scopes: spec.requested.scopes,
            tags: spec.tags,
            updated: created,
            issuer: spec.issuer,
            subject: spec.subject,
            audience,
            custom_claim_rules: spec.custom_claim_rules,
        }),
    });
    id
}

/// Replaces the identity's fields (the caller checked it exists, is valid and may be granted).
pub(crate) fn replace(record: &mut KeyRecord, now: Timestamp, spec: FederatedSpec) {
    record.description = spec.description;
    if let KeyKind::Federated(f) = &mut record.kind {
        f.scopes = spec.requested.scopes;
        f.tags = spec.tags;
        f.updated = whole_seconds(now);
        f.issuer = spec.issuer;
        f.subject = spec.subject;
        if let Some(audience) = spec.audience {
            f.audience = audience;
        }
        f.custom_claim_rules = spec.custom_claim_rules;
    }
}

/// True when `value` matches `pattern` as a whole, `*` matching any run of characters.
pub(crate) fn matches_pattern(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == value;
    };
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The grant of a token exchanged for this identity.
pub(crate) fn grant(identity: &FederatedIdentity) -> (Scopes, Vec<String>) {
    (identity.scopes.clone(), identity.tags.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description(d: Option<String>) -> Result<String, ApiError> {
        Ok(d.unwrap_or_default())
    }

    #[test]
    fn patterns_match_the_whole_value() {
        let p = "repo:org/repo:ref:refs/heads/*";
        assert!(matches_pattern(p, "repo:org/repo:ref:refs/heads/main"));
        assert!(!matches_pattern(p, "repo:org/other:ref:refs/heads/main"));
        assert!(matches_pattern("repo:org/*:*", "repo:org/a:b"));
        assert!(!matches_pattern("repo:org/*:x", "repo:org/a:b"));
        assert!(matches_pattern("exact", "exact"));
        assert!(!matches_pattern("exact", "exactly"));
        assert!(matches_pattern("*", ""));
        assert!(matches_pattern("a*a", "aa"));
        assert!(!matches_pattern("a*a", "a"));
    }

    #[test]
    fn a_body_needs_an_https_issuer_a_subject_and_scopes() {
        let ok = br#"{"keyType":"federated","scopes":["auth_keys"],"tags":["tag:ci"],
            "issuer":"https://token.actions.githubusercontent.com","subject":"repo:o/r:*"}"#;
        let spec = parse_federated(ok, description).unwrap();
        assert!(spec.audience.is_none() && spec.custom_claim_rules.is_empty());
        let message = |body: &[u8]| parse_federated(body, description).err().unwrap().message;
        assert_eq!(
            message(br#"{"keyType":"federated","scopes":["auth_keys:read"],"issuer":"http://x","subject":"s"}"#),
            "issuer must be an https URL, got \"http://x\""
        );
        assert_eq!(
            message(br#"{"keyType":"federated","scopes":["auth_keys:read"],"issuer":"https://x"}"#),
            "subject is required"
        );
        assert_eq!(
            message(br#"{"keyType":"federated","issuer":"https://x","subject":"s"}"#),
            "scopes cannot be empty"
        );
        assert_eq!(
            message(br#"{"keyType":"federated","scopes":["auth_keys:read"],"issuer":"https://x","subject":"s","customClaimRules":{"sub":"x"}}"#),
            "customClaimRules may not constrain the reserved claim \"sub\""
        );
        assert!(message(br#"{"keyType":"federated","scopes":["all"],"issuer":"https://x","subject":"s","secret":"x"}"#)
            .contains("unknown field"));
    }
}

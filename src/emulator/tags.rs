//! The tag rules of the real API (POLICY-WEBHOOKS §1), exactly:
//!
//! 1. Every tag on a new auth key or OAuth client must look like `tag:<name>` and be defined in
//!    the tailnet's current policy `tagOwners`.
//! 2. The requesting token (every token here is OAuth-derived) may use them when it holds `all`
//!    (any *defined* tag), when they equal its full tag set (the exact-match check does not
//!    consult `tagOwners`), or when each is owned by one of its tags in `tagOwners`.
//!
//! Anything else is 400 `requested tags [tag:a tag:b] are invalid or not permitted`.
//! Tags already on keys are never re-checked: removing a tag from `tagOwners` leaves existing
//! keys and clients as they are (the real server does not revoke them either).

use std::collections::{BTreeMap, BTreeSet};

use super::api_error::ApiError;
use super::scope::Scopes;

/// The `tagOwners` section: each defined tag with its owners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TagOwners(BTreeMap<String, Vec<String>>);

impl TagOwners {
    /// Records a defined tag and its owners.
    pub fn insert(&mut self, tag: String, owners: Vec<String>) {
        self.0.insert(tag, owners);
    }

    /// True when `tag` is defined.
    pub fn defines(&self, tag: &str) -> bool {
        self.0.contains_key(tag)
    }

    /// True when `owner` is listed as an owner of `tag`.
    pub fn owns(&self, owner: &str, tag: &str) -> bool {
        self.0
            .get(tag)
            .is_some_and(|owners| owners.iter().any(|o| o == owner))
    }
}

/// `tag:` followed by a letter, then letters, digits and hyphens.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    let Some(name) = tag.strip_prefix("tag:") else {
        return false;
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// The credential that asks for tags: its scopes and its tags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TagHolder<'a> {
    pub scopes: &'a Scopes,
    pub tags: &'a [String],
}

/// Checks the tags requested for a new auth key or OAuth client against rules 1 and 2.
pub(crate) fn check_requested(
    requested: &[String],
    owners: &TagOwners,
    holder: TagHolder<'_>,
) -> Result<(), ApiError> {
    let refused = || ApiError::tags_not_permitted(requested);
    if requested
        .iter()
        .any(|t| !is_valid_tag(t) || !owners.defines(t))
    {
        return Err(refused());
    }
    if holder.scopes.has_all() || same_set(requested, holder.tags) {
        return Ok(());
    }
    let owned = requested
        .iter()
        .all(|tag| holder.tags.iter().any(|own| owners.owns(own, tag)));
    if owned { Ok(()) } else { Err(refused()) }
}

/// Checks the `tags` asked for at the token endpoint: a subset of the client's tags, or any
/// defined tag when the client holds `all`.
pub(crate) fn check_token_tags(
    requested: &[String],
    owners: &TagOwners,
    client: TagHolder<'_>,
) -> Result<(), ApiError> {
    let ok = requested.iter().all(|tag| {
        client.tags.contains(tag)
            || (client.scopes.has_all() && is_valid_tag(tag) && owners.defines(tag))
    });
    if ok {
        Ok(())
    } else {
        Err(ApiError::tags_not_permitted(requested))
    }
}

/// `tags` without duplicates, first appearance kept.
pub(crate) fn dedup(tags: Vec<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    tags.into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::scope::{Resource, Scope};

    fn owners(entries: &[(&str, &[&str])]) -> TagOwners {
        let mut o = TagOwners::default();
        for (tag, list) in entries {
            o.insert(
                (*tag).to_owned(),
                list.iter().map(|s| (*s).to_owned()).collect(),
            );
        }
        o
    }

    fn v(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn subset_needs_ownership_exact_match_does_not() {
        let scopes = Scopes::new([Scope::write(Resource::AuthKeys)]);
        let own = v(&["tag:a", "tag:b"]);
        let holder = TagHolder {
            scopes: &scopes,
            tags: &own,
        };
        let plain = owners(&[("tag:a", &[]), ("tag:b", &[])]);
        assert!(check_requested(&v(&["tag:b", "tag:a"]), &plain, holder).is_ok());
        let err = check_requested(&v(&["tag:a"]), &plain, holder).unwrap_err();
        assert_eq!(
            err.message,
            "requested tags [tag:a] are invalid or not permitted"
        );
        let owned = owners(&[("tag:a", &["tag:b"]), ("tag:b", &[])]);
        assert!(check_requested(&v(&["tag:a"]), &owned, holder).is_ok());
    }

    #[test]
    fn all_uses_any_defined_tag_but_not_undefined_ones() {
        let scopes = Scopes::new([Scope::write(Resource::All)]);
        let holder = TagHolder {
            scopes: &scopes,
            tags: &[],
        };
        let defined = owners(&[("tag:x", &[])]);
        assert!(check_requested(&v(&["tag:x"]), &defined, holder).is_ok());
        let err = check_requested(&v(&["tag:x", "tag:y"]), &defined, holder).unwrap_err();
        assert_eq!(
            err.message,
            "requested tags [tag:x tag:y] are invalid or not permitted"
        );
        assert!(check_requested(&v(&["x"]), &defined, holder).is_err());
    }

    #[test]
    fn tag_shape() {
        assert!(is_valid_tag("tag:web-1"));
        assert!(!is_valid_tag("tag:"));
        assert!(!is_valid_tag("tag:1web"));
        assert!(!is_valid_tag("web"));
        assert!(!is_valid_tag("tag:we_b"));
    }
}

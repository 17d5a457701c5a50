//! `Policy`: what tailform manages in a tailnet's policy file — either `tagOwners` entries merged
//! into the live policy, or a whole HuJSON file posted verbatim (DESIGN §2).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::tag::{Tag, TagOwner};

/// The managed part of a tailnet's policy file.
#[derive(Debug, Clone, PartialEq)]
pub enum Policy {
    /// These `tagOwners` entries are merged into the live policy; other entries are left alone.
    TagOwners(BTreeMap<Tag, Vec<TagOwner>>),
    /// The whole policy file, replaced as a whole.
    File(PolicyFile),
}

/// A policy file read from disk at validation time.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    /// The path as resolved (relative paths are relative to the manifest that names the file).
    pub path: PathBuf,
    /// The file's text, posted verbatim (HuJSON: comments and trailing commas allowed).
    pub text: String,
    /// The parsed document, for semantic comparison.
    pub value: serde_json::Value,
}

impl Policy {
    /// The tags this policy defines (the keys of its `tagOwners`; matched case-insensitively in a
    /// file, as the API does).
    pub fn defined_tags(&self) -> BTreeSet<Tag> {
        match self {
            Policy::TagOwners(owners) => owners.keys().cloned().collect(),
            Policy::File(file) => tag_owners_of(&file.value).into_keys().collect(),
        }
    }
}

/// The `tagOwners` section of a policy document (key matched case-insensitively), with entries
/// that are not valid tags skipped.
pub fn tag_owners_of(policy: &serde_json::Value) -> BTreeMap<Tag, Vec<TagOwner>> {
    let Some(obj) = policy.as_object() else {
        return BTreeMap::new();
    };
    let Some(section) = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("tagOwners"))
        .and_then(|(_, v)| v.as_object())
    else {
        return BTreeMap::new();
    };
    section
        .iter()
        .filter_map(|(k, v)| {
            let tag = Tag::parse(k).ok()?;
            let owners = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str().and_then(TagOwner::parse))
                        .collect()
                })
                .unwrap_or_default();
            Some((tag, owners))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_owners_case_insensitive() {
        let v = serde_json::json!({"TagOwners": {"tag:a": ["tag:b"], "bad": []}});
        let owners = tag_owners_of(&v);
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[&Tag::parse("tag:a").unwrap()][0].as_str(), "tag:b");
    }
}

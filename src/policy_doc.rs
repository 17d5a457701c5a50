//! Policy documents (HuJSON: JSON with comments and trailing commas): parsing, the semantic
//! normal form used to compare them (comments, key order, section-name case and formatting
//! ignored — never a formatting-only diff), its digest, and in-place edits of `tagOwners` that
//! keep every comment and all other content of a live policy.

use std::collections::{BTreeMap, BTreeSet};

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstInputValue, CstRootNode};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Why a policy text cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyDocError {
    /// Not valid HuJSON.
    #[error("the policy is not valid HuJSON: {0}")]
    Parse(String),
    /// Valid HuJSON, but not an object.
    #[error("the policy must be a JSON object")]
    NotAnObject,
}

/// Top-level sections of a policy file in their canonical spelling; the API matches them
/// case-insensitively (`TagOwners` = `tagOwners`).
const SECTIONS: &[&str] = &[
    "acls",
    "attrConfig",
    "autoApprovers",
    "derpMap",
    "disableIPv4",
    "grants",
    "groups",
    "hosts",
    "ipsets",
    "nodeAttrs",
    "OneCGNATRoute",
    "postures",
    "randomizeClientPort",
    "sshTests",
    "ssh",
    "tagOwners",
    "tests",
];

/// Parses a HuJSON policy into a JSON value.
pub fn parse(text: &str) -> Result<Value, PolicyDocError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let value: Option<Value> = jsonc_parser::parse_to_serde_value(text, &ParseOptions::default())
        .map_err(|e| PolicyDocError::Parse(e.to_string()))?;
    match value {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(PolicyDocError::NotAnObject),
        None => Ok(Value::Object(Map::new())),
    }
}

/// The semantic normal form: known section names in canonical case, object keys sorted at every
/// level (array order is kept: it matters in ACLs).
pub fn normalize(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map
                .iter()
                .map(|(k, v)| (canonical_section(k), sort_keys(v)))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().collect())
        }
        other => sort_keys(other),
    }
}

fn canonical_section(key: &str) -> String {
    SECTIONS
        .iter()
        .find(|s| s.eq_ignore_ascii_case(key))
        .map_or_else(|| key.to_owned(), |s| (*s).to_owned())
}

fn sort_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Pretty JSON of the normal form, for unified diffs.
pub fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(&normalize(value)).expect("JSON values serialise");
    s.push('\n');
    s
}

/// Hex SHA-256 of the compact normal form.
pub fn digest(value: &Value) -> String {
    let bytes = serde_json::to_vec(&normalize(value)).expect("JSON values serialise");
    hex::encode(Sha256::digest(&bytes))
}

/// The `tagOwners` section (name matched case-insensitively) as plain strings.
pub fn tag_owners(value: &Value) -> BTreeMap<String, Vec<String>> {
    let Some(section) = value.as_object().and_then(|obj| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("tagOwners"))
            .and_then(|(_, v)| v.as_object())
    }) else {
        return BTreeMap::new();
    };
    section
        .iter()
        .map(|(k, v)| {
            let owners = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|o| o.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (k.clone(), owners)
        })
        .collect()
}

/// Edits `text` so its `tagOwners` holds exactly `set` for those tags and lacks every tag in
/// `remove`, keeping comments, formatting and all other content. Creates the section when
/// missing (an empty text becomes a minimal policy).
pub fn edit_tag_owners(
    text: &str,
    set: &BTreeMap<String, Vec<String>>,
    remove: &BTreeSet<String>,
) -> Result<String, PolicyDocError> {
    let source = if text.trim().is_empty() { "{}" } else { text };
    // Validate as a policy first, so the CST below sees an object.
    parse(source)?;
    let root = CstRootNode::parse(source, &ParseOptions::default())
        .map_err(|e| PolicyDocError::Parse(e.to_string()))?;
    let obj = root.object_value().ok_or(PolicyDocError::NotAnObject)?;
    let section_name = obj
        .properties()
        .iter()
        .filter_map(|p| p.decoded_name())
        .find(|n| n.eq_ignore_ascii_case("tagOwners"))
        .unwrap_or_else(|| "tagOwners".to_owned());
    let section = obj.object_value_or_set(&section_name);
    for tag in remove {
        if let Some(prop) = section.get(tag) {
            prop.remove();
        }
    }
    for (tag, owners) in set {
        let value = CstInputValue::Array(
            owners
                .iter()
                .map(|o| CstInputValue::String(o.clone()))
                .collect(),
        );
        match section.get(tag) {
            Some(prop) => {
                let current: Option<Vec<String>> = prop
                    .value()
                    .and_then(|v| v.to_serde_value())
                    .and_then(|v| serde_json::from_value(v).ok());
                if current.as_ref() != Some(owners) {
                    prop.set_value(value);
                }
            }
            None => {
                section.append(tag, value);
            }
        }
    }
    section.ensure_multiline();
    Ok(root.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE: &str = r#"// Example policy
{
  // Access rules
  "grants": [{"src": ["*"], "dst": ["*"], "ip": ["*"]}],
  "TagOwners": {
    "tag:old": [], // keep me?
    "tag:mine": ["autogroup:admin"],
  },
}
"#;

    #[test]
    fn normal_form_ignores_comments_order_and_section_case() {
        let a = parse(LIVE).unwrap();
        let b = parse(
            r#"{"tagOwners": {"tag:mine": ["autogroup:admin"], "tag:old": []},
                "grants": [{"ip": ["*"], "dst": ["*"], "src": ["*"]}]}"#,
        )
        .unwrap();
        assert_eq!(normalize(&a), normalize(&b));
        assert_eq!(digest(&a), digest(&b));
        assert_eq!(pretty(&a), pretty(&b));
    }

    #[test]
    fn array_order_matters() {
        let a = parse(r#"{"acls": [1, 2]}"#).unwrap();
        let b = parse(r#"{"acls": [2, 1]}"#).unwrap();
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn edits_tag_owners_keeping_comments() {
        let set = BTreeMap::from([
            ("tag:web".to_owned(), vec![]),
            ("tag:mine".to_owned(), vec!["autogroup:admin".to_owned()]),
        ]);
        let remove = BTreeSet::from(["tag:old".to_owned()]);
        let out = edit_tag_owners(LIVE, &set, &remove).unwrap();
        assert!(out.contains("// Example policy"), "{out}");
        assert!(out.contains("// Access rules"), "{out}");
        assert!(!out.contains("tag:old"), "{out}");
        let v = parse(&out).unwrap();
        let owners = tag_owners(&v);
        assert_eq!(owners.len(), 2);
        assert_eq!(owners["tag:web"], Vec::<String>::new());
        assert_eq!(owners["tag:mine"], vec!["autogroup:admin".to_owned()]);
        // The existing section was edited, not duplicated.
        assert_eq!(out.matches("agOwners").count(), 1, "{out}");
    }

    #[test]
    fn creates_the_section_and_a_policy_from_nothing() {
        let set = BTreeMap::from([("tag:ci".to_owned(), vec!["tag:ci".to_owned()])]);
        let out = edit_tag_owners("", &set, &BTreeSet::new()).unwrap();
        let owners = tag_owners(&parse(&out).unwrap());
        assert_eq!(owners["tag:ci"], vec!["tag:ci".to_owned()]);
        let out = edit_tag_owners(r#"{"grants": []}"#, &set, &BTreeSet::new()).unwrap();
        let v = parse(&out).unwrap();
        assert_eq!(v["grants"], serde_json::json!([]));
        assert_eq!(tag_owners(&v).len(), 1);
    }

    #[test]
    fn rejects_non_objects_and_garbage() {
        assert_eq!(parse("[1]"), Err(PolicyDocError::NotAnObject));
        assert!(matches!(parse("{,"), Err(PolicyDocError::Parse(_))));
        assert!(edit_tag_owners("{,", &BTreeMap::new(), &BTreeSet::new()).is_err());
    }
}

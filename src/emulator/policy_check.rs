//! Reading a policy file the way the server does: HuJSON (or strict JSON) to a document, then
//! the semantic checks that make a policy invalid (POLICY-WEBHOOKS §1, §3).
//!
//! Decisions where the facts are thin (the emulator is strict):
//! - Section names match case-insensitively (`TagOwners` is `tagOwners`, as the real server
//!   accepts PascalCase); two spellings of one section, or a section name the emulator does not
//!   know, make the policy invalid. The normalised JSON form uses the canonical names; nested
//!   keys are left as written.
//! - `tagOwners` must be an object of `tag:<name>` → list of owners; an owner is `tag:…` (itself
//!   defined in `tagOwners`), `group:…` (defined in `groups`), `autogroup:…` or an email.
//! - Every tag used in `src`/`dst` of `acls`, `grants` and `ssh` must be defined
//!   (`src=tag not found: "tag:x"`, the real server's wording).
//! - A `Content-Type: application/json` body must be strict JSON (no comments or trailing
//!   commas); anything else is read as HuJSON.
//! - Parse errors read `invalid policy file: line N, column M: <what>`, the form gitops-pusher
//!   extracts positions from.

use jsonc_parser::ParseOptions;
use serde_json::{Map, Value};

use super::tags::{TagOwners, is_valid_tag};

/// How to read the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// Strict JSON.
    Json,
    /// JSON with comments and trailing commas.
    HuJson,
}

/// Every top-level section the emulator knows, canonically spelled.
const SECTIONS: [&str; 19] = [
    "acls",
    "attrConfig",
    "autoApprovers",
    "defaultSrcPosture",
    "derpMap",
    "disableIPv4",
    "extraDNSRecords",
    "grants",
    "groups",
    "hosts",
    "ipsets",
    "nodeAttrs",
    "oneCGNATRoute",
    "postures",
    "randomizeClientPort",
    "ssh",
    "sshTests",
    "tagOwners",
    "tests",
];

/// A parsed, valid policy: its sections under their canonical names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyDoc {
    sections: Map<String, Value>,
}

impl PolicyDoc {
    /// Parses and validates `text`; `Err` is the message the API answers with.
    pub fn parse(text: &str, syntax: Syntax) -> Result<Self, String> {
        let value = parse_value(text, syntax)?;
        let Value::Object(raw) = value else {
            return Err("invalid policy file: the policy must be a JSON object".to_owned());
        };
        let sections = canonical_sections(raw)?;
        let doc = Self { sections };
        let owners = doc.check_tag_owners()?;
        doc.check_rules(&owners)?;
        Ok(doc)
    }

    /// The tags the policy defines, with their owners.
    pub fn tag_owners(&self) -> TagOwners {
        let mut owners = TagOwners::default();
        if let Some(Value::Object(map)) = self.sections.get("tagOwners") {
            for (tag, list) in map {
                owners.insert(tag.clone(), strings(list).unwrap_or_default());
            }
        }
        owners
    }

    /// The normalised JSON form (comments gone, canonical section names), pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(&self.sections).unwrap_or_else(|_| "{}".to_owned())
    }

    fn check_tag_owners(&self) -> Result<TagOwners, String> {
        let Some(value) = self.sections.get("tagOwners") else {
            return Ok(TagOwners::default());
        };
        let Value::Object(map) = value else {
            return Err("invalid policy file: tagOwners must be an object".to_owned());
        };
        let groups = self.group_names();
        for (tag, owners) in map {
            if !is_valid_tag(tag) {
                return Err(format!(
                    "invalid policy file: tagOwners: {tag:?} is not a valid tag (tags look like \"tag:name\")"
                ));
            }
            let owners = strings(owners).ok_or_else(|| {
                format!("invalid policy file: tagOwners[{tag:?}] must be a list of owners")
            })?;
            for owner in owners {
                check_owner(tag, &owner, map, &groups)?;
            }
        }
        Ok(self.tag_owners())
    }

    fn group_names(&self) -> Vec<String> {
        match self.sections.get("groups") {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn check_rules(&self, owners: &TagOwners) -> Result<(), String> {
        if let Some(Value::Object(groups)) = self.sections.get("groups") {
            for (name, members) in groups {
                if !name.starts_with("group:") || strings(members).is_none() {
                    return Err(format!(
                        "invalid policy file: groups: {name:?} must be \"group:<name>\" with a list of members"
                    ));
                }
            }
        } else if self.sections.contains_key("groups") {
            return Err("invalid policy file: groups must be an object".to_owned());
        }
        for section in ["acls", "grants", "ssh"] {
            if let Some(rules) = self.sections.get(section) {
                check_rule_list(section, rules, owners)?;
            }
        }
        Ok(())
    }
}

fn parse_value(text: &str, syntax: Syntax) -> Result<Value, String> {
    let hujson = syntax == Syntax::HuJson;
    let options = ParseOptions {
        allow_comments: hujson,
        allow_trailing_commas: hujson,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    jsonc_parser::parse_to_serde_value::<Value>(text, &options).map_err(|e| {
        format!(
            "invalid policy file: line {}, column {}: {}",
            e.line_display(),
            e.column_display(),
            e.kind()
        )
    })
}

fn canonical_sections(raw: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut sections = Map::new();
    for (name, value) in raw {
        let canonical = SECTIONS
            .iter()
            .find(|s| s.eq_ignore_ascii_case(&name))
            .ok_or_else(|| format!("invalid policy file: unknown section {name:?}"))?;
        if sections.insert((*canonical).to_owned(), value).is_some() {
            return Err(format!(
                "invalid policy file: section {canonical:?} appears more than once"
            ));
        }
    }
    Ok(sections)
}

fn check_owner(
    tag: &str,
    owner: &str,
    defined: &Map<String, Value>,
    groups: &[String],
) -> Result<(), String> {
    let ok = if owner.starts_with("tag:") {
        if !defined.contains_key(owner) {
            return Err(format!(
                "invalid policy file: tagOwners[{tag:?}]: tag not found: {owner:?}"
            ));
        }
        true
    } else if owner.starts_with("group:") {
        if !groups.iter().any(|g| g == owner) {
            return Err(format!(
                "invalid policy file: tagOwners[{tag:?}]: group not found: {owner:?}"
            ));
        }
        true
    } else if let Some(name) = owner.strip_prefix("autogroup:") {
        !name.is_empty()
    } else {
        is_email(owner)
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid policy file: tagOwners[{tag:?}]: invalid owner {owner:?}"
        ))
    }
}

fn is_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty() && !domain.is_empty() && !domain.contains('@')
    })
}

fn check_rule_list(section: &str, rules: &Value, owners: &TagOwners) -> Result<(), String> {
    let Value::Array(rules) = rules else {
        return Err(format!("invalid policy file: {section} must be a list"));
    };
    for (i, rule) in rules.iter().enumerate() {
        let Value::Object(rule) = rule else {
            return Err(format!(
                "invalid policy file: {section}[{i}] must be an object"
            ));
        };
        for field in ["src", "dst"] {
            let Some(list) = rule.get(field) else {
                continue;
            };
            let list = strings(list).ok_or_else(|| {
                format!("invalid policy file: {section}[{i}].{field} must be a list of strings")
            })?;
            for entry in list {
                check_tag_reference(field, &entry, owners)?;
            }
        }
    }
    Ok(())
}

fn check_tag_reference(field: &str, entry: &str, owners: &TagOwners) -> Result<(), String> {
    let Some(rest) = entry.strip_prefix("tag:") else {
        return Ok(());
    };
    // `dst` of `acls` carries ports: `tag:web:443`.
    let name = rest.split(':').next().unwrap_or(rest);
    let tag = format!("tag:{name}");
    if owners.defines(&tag) {
        Ok(())
    } else {
        Err(format!("{field}=tag not found: {tag:?}"))
    }
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        PolicyDoc::parse(text, Syntax::HuJson).unwrap_err()
    }

    #[test]
    fn hujson_with_comments_and_pascal_case_sections() {
        let doc = PolicyDoc::parse(
            "// c\n{\"TagOwners\": {\"tag:web\": [],},\n \"grants\": [{\"src\": [\"tag:web\"], \"dst\": [\"*\"], \"ip\": [\"*\"]}]}",
            Syntax::HuJson,
        )
        .unwrap();
        assert!(doc.tag_owners().defines("tag:web"));
        assert!(doc.to_json().starts_with("{\n  \"tagOwners\""));
    }

    #[test]
    fn strict_json_refuses_comments_with_a_position() {
        let e = PolicyDoc::parse("{\n  // no\n}", Syntax::Json).unwrap_err();
        assert_eq!(
            e,
            "invalid policy file: line 2, column 3: Comments are not allowed"
        );
    }

    #[test]
    fn semantic_errors() {
        assert_eq!(
            err("{\"tagOwners\": {\"tag:a\": \"x\"}}"),
            "invalid policy file: tagOwners[\"tag:a\"] must be a list of owners"
        );
        assert_eq!(
            err("{\"tagOwners\": {\"tag:a\": [\"tag:b\"]}}"),
            "invalid policy file: tagOwners[\"tag:a\"]: tag not found: \"tag:b\""
        );
        assert_eq!(
            err("{\"tagOwners\": {\"tag:a\": [\"bob\"]}}"),
            "invalid policy file: tagOwners[\"tag:a\"]: invalid owner \"bob\""
        );
        assert_eq!(
            err(
                "{\"acls\": [{\"action\": \"accept\", \"src\": [\"*\"], \"dst\": [\"tag:x:443\"]}]}"
            ),
            "dst=tag not found: \"tag:x\""
        );
        assert_eq!(
            err("{\"tagowners\": {}, \"TagOwners\": {}}"),
            "invalid policy file: section \"tagOwners\" appears more than once"
        );
        assert_eq!(
            err("[]"),
            "invalid policy file: the policy must be a JSON object"
        );
        assert_eq!(
            err("{\"nope\": 1}"),
            "invalid policy file: unknown section \"nope\""
        );
    }

    #[test]
    fn owners_may_be_groups_autogroups_emails_and_defined_tags() {
        PolicyDoc::parse(
            r#"{"groups": {"group:ops": ["a@example.com"]},
                "tagOwners": {"tag:a": ["group:ops", "autogroup:admin", "b@example.com", "tag:b"], "tag:b": []}}"#,
            Syntax::Json,
        )
        .unwrap();
    }
}

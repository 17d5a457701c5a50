//! A tailnet's `policy` block: exactly one of `tagOwners` (entries merged into the live policy)
//! or `file` (a HuJSON policy file, relative to the manifest's folder, read and parsed here —
//! the one file validation reads — with its errors at the policy file's own line and column,
//! quoting the file only as far as it is HuJSON: see [`quotable`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::text;
use crate::diagnostic::Code;
use crate::diagnostic::{Diagnostic, SourceText};
use crate::manifest::Sink;
use crate::manifest::raw::{At, Field, RawPolicy, RawTagOwners};
use crate::manifest::{MAX_FILE_BYTES, Span, read_text_file};
use crate::model::{Policy, PolicyFile, Tag, TagOwner, tag_owners_of};

/// The validated policy block of a tailnet.
pub(super) enum PolicyCheck {
    /// No `policy` block.
    Absent,
    /// A block with errors (reported); tag checks that need the policy are skipped.
    Broken,
    /// A valid block.
    Valid {
        /// The model value.
        policy: Policy,
        /// Its `tagOwners` (the block's, or the file's section).
        owners: BTreeMap<Tag, Vec<TagOwner>>,
        /// Where the tags are defined, in words (`policy.tagOwners`, `policy file `x``).
        place: String,
    },
}

impl PolicyCheck {
    /// The model value, when valid.
    pub(super) fn model(&self) -> Option<Policy> {
        match self {
            PolicyCheck::Valid { policy, .. } => Some(policy.clone()),
            PolicyCheck::Absent | PolicyCheck::Broken => None,
        }
    }
}

/// Validates a `policy` block; relative file paths are resolved against `dir`.
pub(super) fn check(raw: &Field<RawPolicy>, dir: &Path, sink: &mut Sink<'_>) -> PolicyCheck {
    let block = match raw {
        Field::Absent => return PolicyCheck::Absent,
        Field::Broken => return PolicyCheck::Broken,
        Field::Set(block) => block,
    };
    let p = &block.value;
    if p.tag_owners.is_broken() || p.file.is_broken() {
        return PolicyCheck::Broken;
    }
    match (p.tag_owners.get(), p.file.get()) {
        (Some(_), Some(_)) => {
            sink.report(
                Code::PolicyForm,
                &block.loc,
                "a policy block has either `tagOwners` or `file`, not both",
            )
            .hint("put the tagOwners entries into the policy file, or drop `file`");
            PolicyCheck::Broken
        }
        (None, None) => {
            sink.report(
                Code::PolicyForm,
                &block.loc,
                "a policy block needs `tagOwners` or `file`",
            )
            .hint("remove the empty `policy` block to let tailform define the tags itself");
            PolicyCheck::Broken
        }
        (Some(entries), None) => tag_owners(entries, sink),
        (None, Some(file)) => policy_file(file, dir, sink),
    }
}

fn tag_owners(entries: &At<Vec<RawTagOwners>>, sink: &mut Sink<'_>) -> PolicyCheck {
    let mut owners: BTreeMap<Tag, Vec<TagOwner>> = BTreeMap::new();
    let mut owner_tags: Vec<(At<Tag>, Tag)> = Vec::new();
    let mut ok = true;
    for entry in &entries.value {
        let tag = text::tag(&entry.tag, sink);
        let Some(list) = entry.owners.get() else {
            ok = false;
            continue;
        };
        let mut parsed = Vec::with_capacity(list.value.len());
        for owner in &list.value {
            match TagOwner::parse(&owner.value) {
                Some(o) => {
                    if let (Some(owner_tag), Some(t)) = (o.as_tag(), &tag) {
                        let at = At {
                            value: owner_tag,
                            loc: owner.loc.clone(),
                        };
                        owner_tags.push((at, t.value.clone()));
                    }
                    parsed.push(o);
                }
                None => {
                    sink.report(
                        Code::InvalidTagOwner,
                        &owner.loc,
                        format!(
                            "`{}` is not a tag owner: an owner is a tag, group, autogroup or user, without spaces",
                            owner.value
                        ),
                    );
                    ok = false;
                }
            }
        }
        match tag {
            Some(t) => {
                owners.insert(t.value, parsed);
            }
            None => ok = false,
        }
    }
    warn_undefined_owners(&owners, &owner_tags, sink);
    if !ok {
        return PolicyCheck::Broken;
    }
    PolicyCheck::Valid {
        policy: Policy::TagOwners(owners.clone()),
        owners,
        place: "`policy.tagOwners`".to_owned(),
    }
}

/// Owners that are tags must be defined too; the live policy may define them, so it is a warning.
fn warn_undefined_owners(
    owners: &BTreeMap<Tag, Vec<TagOwner>>,
    owner_tags: &[(At<Tag>, Tag)],
    sink: &mut Sink<'_>,
) {
    let defined: BTreeSet<&Tag> = owners.keys().collect();
    for (owner, of) in owner_tags {
        if !defined.contains(&owner.value) {
            sink.report(
                Code::UndefinedOwner,
                &owner.loc,
                format!(
                    "owner `{}` of `{of}` is not defined in `policy.tagOwners`",
                    owner.value
                ),
            )
            .hint(format!(
                "add `{}: []` here, unless the live policy already defines it",
                owner.value
            ));
        }
    }
}

fn policy_file(file: &At<String>, dir: &Path, sink: &mut Sink<'_>) -> PolicyCheck {
    if file.value.trim().is_empty() {
        sink.report(
            Code::PolicyFileUnreadable,
            &file.loc,
            "the policy file path is empty",
        );
        return PolicyCheck::Broken;
    }
    let path = dir.join(&file.value);
    let text = match read_text_file(&path, MAX_FILE_BYTES) {
        Ok(text) => text,
        Err(e) => {
            sink.report(
                Code::PolicyFileUnreadable,
                &file.loc,
                format!("cannot read policy file `{}`: {e}", path.display()),
            )
            .hint("a relative path is relative to the folder of the manifest that names it");
            return PolicyCheck::Broken;
        }
    };
    match parse_hujson(&text) {
        Ok(value) => {
            let owners = tag_owners_of(&value);
            let place = format!("policy file `{}`", path.display());
            PolicyCheck::Valid {
                policy: Policy::File(PolicyFile { path, text, value }),
                owners,
                place,
            }
        }
        Err((span, message)) => {
            let related = sink.related_at(&file.loc, "policy file named here");
            let diag = match quotable(&text, span) {
                Some((source, span)) => {
                    Diagnostic::at(Code::PolicyFileInvalid, &path, &source, span, message)
                }
                None => Diagnostic {
                    line: span.line,
                    column: span.column,
                    hint: Some(NOT_QUOTED.to_owned()),
                    ..Diagnostic::for_file(Code::PolicyFileInvalid, &path, message)
                },
            }
            .with_path(file.loc.path.as_str());
            sink.push(diag).related(related);
            PolicyCheck::Broken
        }
    }
}

/// The hint of an error about a file [`quotable`] does not quote.
const NOT_QUOTED: &str = "a policy file is a HuJSON object (`{ … }`); this file does not open \
                          like one, so none of it is shown — is `policy.file` the right file?";

/// What of a policy file an error may quote, with the error's span in that text; `None` when
/// the error is reported by line and column only.
///
/// `policy.file` can name any file the run can read, and in CI the manifest may come from an
/// untrusted pull request (`file: /etc/passwd`, a runner's credentials file), so an error quotes
/// a file only as far as the parser read it as HuJSON:
/// - the file must open — after whitespace, a byte-order mark and comments — with `{`, as every
///   policy does. Anything else (a password file, a script, a private key, a list) fails at its
///   first token or is not a policy at all, and none of it is shown;
/// - the quote ends with the token the parser stopped at, and at the latest at the end of that
///   token's line (plus one whitespace character, to draw the error's point there): every line
///   before it parsed as HuJSON, and nothing after it is shown.
///
/// A file that is not UTF-8 text never gets this far (E030, which shows none of it).
fn quotable(text: &str, span: Span) -> Option<(SourceText, Span)> {
    if !opens_as_object(text) {
        return None;
    }
    let offset = span.offset.min(text.len());
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let end = offset.saturating_add(span.len).min(line_end);
    if !text.is_char_boundary(offset) || !text.is_char_boundary(end) {
        return None;
    }
    let span = Span {
        offset,
        len: end - offset,
        ..span
    };
    // One following whitespace character too (the line's newline, a space), so that a point
    // at the end of the quote can be drawn.
    let quoted = match text[end..].chars().next() {
        Some(c) if c.is_whitespace() => &text[..end + c.len_utf8()],
        _ => &text[..end],
    };
    Some((SourceText::new(quoted), span))
}

/// True when the first thing in `text` after whitespace, a byte-order mark and HuJSON comments
/// is `{`.
fn opens_as_object(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.find("*/") {
                Some(i) => rest = &after[i + 2..],
                None => return false,
            }
        } else {
            return rest.starts_with('{');
        }
    }
}

/// Parses HuJSON (JSON plus comments and trailing commas, nothing else) into a JSON object.
fn parse_hujson(text: &str) -> Result<serde_json::Value, (Span, String)> {
    let options = jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_trailing_commas: true,
        allow_loose_object_property_names: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let value: serde_json::Value =
        jsonc_parser::parse_to_serde_value(text, &options).map_err(|e| {
            let range = e.range();
            let span = Span {
                line: e.line_display(),
                column: e.column_display(),
                offset: range.start,
                len: range.end.saturating_sub(range.start),
            };
            (
                span,
                format!(
                    "the policy file is not valid HuJSON: {}",
                    lower_first(&e.kind().to_string())
                ),
            )
        })?;
    if value.is_object() {
        return Ok(value);
    }
    let found = match &value {
        serde_json::Value::Null => "nothing",
        serde_json::Value::Array(_) => "a list",
        _ => "a single value",
    };
    let span = Span {
        line: 1,
        column: 1,
        offset: 0,
        len: 0,
    };
    Err((
        span,
        format!("the policy file must hold a JSON object, found {found}"),
    ))
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hujson_accepts_comments_and_trailing_commas_only() {
        let v = parse_hujson("// c\n{\"tagOwners\": {\"tag:a\": [],},}\n").unwrap();
        assert_eq!(v["tagOwners"]["tag:a"], serde_json::json!([]));
        let (span, msg) = parse_hujson("{\n  \"a\": 1\n  \"b\": 2\n}").unwrap_err();
        assert_eq!((span.line, span.column), (2, 9));
        assert_eq!(msg, "the policy file is not valid HuJSON: expected comma");
        let (_, msg) = parse_hujson("{'a': 1}").unwrap_err();
        assert_eq!(
            msg,
            "the policy file is not valid HuJSON: single-quoted strings are not allowed"
        );
        let (_, msg) = parse_hujson("[]").unwrap_err();
        assert_eq!(msg, "the policy file must hold a JSON object, found a list");
    }

    /// The quote `quotable` allows for the error `parse_hujson` finds in `text`.
    fn quote_of(text: &str) -> Option<String> {
        let (span, _) = parse_hujson(text).unwrap_err();
        quotable(text, span).map(|(source, _)| source.as_str().to_owned())
    }

    #[test]
    fn an_error_quotes_a_policy_file_only_as_far_as_it_is_hujson() {
        // Not HuJSON-looking: nothing is quoted.
        assert_eq!(quote_of("root:x:0:0:MARKER:/root:/bin/bash\n"), None);
        assert_eq!(quote_of("#!/bin/sh\n{\n"), None);
        assert_eq!(quote_of("[\"MARKER\"]"), None);
        assert_eq!(quote_of("\"MARKER\""), None);
        assert_eq!(quote_of("/* MARKER never closed"), None);
        assert_eq!(quote_of("-----BEGIN PRIVATE KEY-----\nMARKER\n"), None);
        // A policy: the lines before the error and its line up to the error, nothing after.
        let text = "// acl\n{\n  \"tagOwners\": {\n    \"tag:web\": [] x \"MARKER\",\n  },\n  \"after\": 1,\n}\n";
        assert_eq!(
            quote_of(text).as_deref(),
            Some("// acl\n{\n  \"tagOwners\": {\n    \"tag:web\": [] ")
        );
        // An unterminated string ends the quote at the end of its line.
        let text = "{\n  \"a\": \"open\n  MARKER\n";
        assert_eq!(quote_of(text).as_deref(), Some("{\n  \"a\": \"open\n"));
        // The bad token itself is shown, up to its end.
        let text = "{\n  \"a\": nope, \"MARKER\": 1\n}\n";
        assert_eq!(quote_of(text).as_deref(), Some("{\n  \"a\": nope"));
        let text = "{\n  \"a\": 1\n  \"MARKER\": 2\n}\n";
        assert_eq!(quote_of(text).as_deref(), Some("{\n  \"a\": 1\n"));
        // Comments and a byte-order mark may come first.
        assert!(opens_as_object("\u{feff} /* c */ // d\n {"));
        assert!(!opens_as_object("x{"));
    }
}

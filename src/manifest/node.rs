//! `Node`: a YAML document as a tree in which every node keeps its source span, parsed by
//! serde-saphyr through [`serde_saphyr::Spanned`].
//!
//! Why a spanned tree instead of derived `#[serde(deny_unknown_fields)]` structs: serde stops at
//! the first unknown field or wrong type of a file, so a user would fix one mistake per run. The
//! tree is parsed once (YAML syntax errors stop the file there, as they must); turning it into the
//! typed raw manifest (`super::raw`) then reports every unknown field, wrong type and duplicate key
//! of every file together with the semantic errors, each at its own line and column, and names
//! both places of a duplicate.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

pub use crate::diagnostic::Span;

impl Span {
    fn from_location(loc: &serde_saphyr::Location) -> Self {
        let span = loc.span();
        Span {
            line: to_usize(loc.line()),
            column: to_usize(loc.column()),
            offset: span.byte_offset().map_or(0, to_usize),
            len: span.byte_len().map_or(0, to_usize),
        }
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// One YAML node and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node is (for an alias: where the alias is used).
    pub span: Span,
    /// What it is.
    pub value: Value,
}

/// The value of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false` (YAML 1.2 spellings only: `yes` is a string).
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; duplicate keys are kept so that both places can be named.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What kind of value this is, in words ("a string", "a list", …) for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The text of a scalar (a mapping key is usually one): strings as they are, numbers and
    /// booleans as written in canonical form; `None` for null and collections.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            span: Span::from_location(&spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// Why a text is not a YAML document: the parser's message and where it stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, in the parser's words.
    pub message: String,
    /// Where, when the parser knows.
    pub span: Option<Span>,
}

/// How deep a manifest may nest mappings and lists (a real one needs fewer than 10 levels).
pub const MAX_DEPTH: usize = 64;
/// How many values aliases (`*name`) may expand to in one file. This, not the number of plain
/// values, is what stops an alias bomb: plain values are bounded by the file size (16 MiB).
pub const MAX_ALIAS_VALUES: usize = 250_000;

/// The parser's limits. The counts of plain values and events are set above what a 16 MiB file
/// can hold, so that a large manifest (36k keys reached the parser's default of 250,000 values)
/// is read and only alias expansion, nesting and the file size are limited. The parser's
/// alias-to-anchor ratio check is off: one anchor used by hundreds of keys is a real manifest,
/// and the expansion limit stops a bomb.
fn options() -> serde_saphyr::Options {
    let plain = usize::try_from(super::MAX_FILE_BYTES).unwrap_or(usize::MAX);
    serde_saphyr::options! {
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            max_nodes: plain.saturating_mul(2),
            max_events: plain.saturating_mul(2),
            enforce_alias_anchor_ratio: false,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_VALUES,
        },
    }
}

/// Parses one YAML document into a spanned tree. Duplicate keys are kept (the caller reports
/// them with both places); only the YAML 1.2 booleans `true`/`false` are booleans. An empty
/// document is [`Value::Null`].
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    serde_saphyr::from_str_with_options::<Option<Node>>(text, options())
        .map(|node| {
            node.unwrap_or(Node {
                span: Span {
                    line: 1,
                    column: 1,
                    offset: 0,
                    len: 0,
                },
                value: Value::Null,
            })
        })
        .map_err(|e| SyntaxError {
            message: limit_message(&e).unwrap_or_else(|| e.without_snippet().to_string()),
            span: e.location().map(|l| Span::from_location(&l)),
        })
}

/// A parser limit that was reached, as one sentence (the parser's own words are a debug dump:
/// `budget breached: Depth { depth: 65 }`); `None` for any other error.
fn limit_message(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    let mut inner = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    let expansion = || {
        format!(
            "the aliases (`*name`) in this file expand to more than {} YAML values: write the \
             repeated values out, or use fewer aliases",
            thousands(MAX_ALIAS_VALUES)
        )
    };
    Some(match inner {
        serde_saphyr::Error::AliasReplayLimitExceeded { .. } => expansion(),
        serde_saphyr::Error::AliasReplayStackDepthExceeded { max_depth, .. } => {
            format!("aliases (`*name`) here nest more than {max_depth} deep")
        }
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            B::Depth { .. } => format!(
                "the YAML nests more than {MAX_DEPTH} levels deep here (a manifest needs fewer \
                 than 10)"
            ),
            B::Nodes { .. }
            | B::Events { .. }
            | B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. } => expansion(),
            B::Aliases { .. } => format!(
                "the file uses more than {} aliases (`*name`)",
                thousands(serde_saphyr::Budget::default().max_aliases)
            ),
            B::Anchors { .. } => format!(
                "the file defines more than {} anchors (`&name`)",
                thousands(serde_saphyr::Budget::default().max_anchors)
            ),
            B::ScalarBytes { .. } => "the file's text values, with what aliases repeat, add \
                                      up to more than 64 MiB"
                .to_owned(),
            B::MergeKeys { .. } => format!(
                "the file uses more than {} merge keys (`<<`)",
                thousands(serde_saphyr::Budget::default().max_merge_keys)
            ),
            _ => "the YAML here is too large or too complex for tailform to read".to_owned(),
        },
        _ => return None,
    })
}

/// `1000000` as `1,000,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(node: &Node) -> &[(Node, Node)] {
        match &node.value {
            Value::Map(m) => m,
            other => panic!("expected a mapping, got {other:?}"),
        }
    }

    #[test]
    fn every_node_keeps_its_position() {
        let root = parse("a:\n  tags: [tag:x, \"tag:y\"]\n  n: 0\n").unwrap();
        let (key, inner) = &map(&root)[0];
        assert_eq!((key.span.line, key.span.column), (1, 1));
        let (tags_key, tags) = &map(inner)[0];
        assert_eq!((tags_key.span.line, tags_key.span.column), (2, 3));
        let Value::Seq(items) = &tags.value else {
            panic!("tags is a list")
        };
        assert_eq!(items[1].value, Value::Str("tag:y".into()));
        assert_eq!((items[1].span.line, items[1].span.column), (2, 17));
        assert_eq!((items[1].span.offset, items[1].span.len), (19, 7));
        assert_eq!(map(inner)[1].1.value, Value::Int(0));
    }

    #[test]
    fn duplicate_keys_are_kept_and_yes_is_a_string() {
        let root = parse("a: yes\na: true\n").unwrap();
        let m = map(&root);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].1.value, Value::Str("yes".into()));
        assert_eq!(m[1].1.value, Value::Bool(true));
    }

    #[test]
    fn empty_documents_are_null_and_deep_nesting_is_an_error() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# comment only\n").unwrap().value, Value::Null);
        let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn a_large_manifest_without_aliases_is_read() {
        // 26,000 lists of ten: 286,000 values, above the parser's default limit of 250,000
        // (which 36k auth keys of a real manifest reached).
        let mut text = String::new();
        for i in 0..26_000 {
            text.push_str(&format!("k{i}: [a, b, c, d, e, f, g, h, i, j]\n"));
        }
        assert!(parse(&text).is_ok());
        // One anchor used by many keys is not an alias bomb either.
        let mut text = String::from("x: &t [tag:web]\nkeys:\n");
        for i in 0..500 {
            text.push_str(&format!("  k{i}: *t\n"));
        }
        assert!(parse(&text).is_ok());
    }

    #[test]
    fn an_alias_bomb_is_one_sentence_at_an_alias() {
        let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
        for (n, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip("abcdefgh".chars())
        {
            let uses = vec![format!("*{prev}"); 10].join(",");
            bomb.push_str(&format!("{n}: &{n} [{uses}]\n"));
        }
        let e = parse(&bomb).unwrap_err();
        assert_eq!(
            e.message,
            "the aliases (`*name`) in this file expand to more than 250,000 YAML values: write \
             the repeated values out, or use fewer aliases"
        );
        let line = e.span.expect("a place").line;
        assert!((6..=9).contains(&line), "at an alias use: line {line}");
    }

    #[test]
    fn too_deep_a_nesting_is_one_sentence_at_the_level_past_the_limit() {
        let deep: String = (0..70)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect();
        // 64 levels of an unoptimised build's deserializer frames need more than a test
        // thread's 2 MiB of stack (the binary parses on its main thread, with 8 MiB).
        let e = std::thread::Builder::new()
            .stack_size(32 << 20)
            .spawn(move || parse(&deep).unwrap_err())
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(
            e.message,
            "the YAML nests more than 64 levels deep here (a manifest needs fewer than 10)"
        );
        assert_eq!(e.span.map(|s| s.line), Some(65));
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(999), "999");
    }

    #[test]
    fn aliases_point_at_the_use_site() {
        let root = parse("a: &x [1]\nb: *x\n").unwrap();
        let b = &map(&root)[1].1;
        assert_eq!((b.span.line, b.span.column), (2, 4));
    }
}

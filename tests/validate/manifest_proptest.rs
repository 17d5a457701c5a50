//! Property: the loader and validator never panic. Arbitrary text and arbitrary YAML-shaped
//! documents (built from the manifest's own vocabulary, so they reach deep into validation)
//! give either a model or diagnostics — and every diagnostic points inside its file.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::{Map, Value};
use tailform::manifest::Sources;
use tailform::validate::{Diagnostic, ValidateOptions, validate};

const KEYS: &[&str] = &[
    "tailnets",
    "acme",
    "beta",
    "Acme",
    "oauthClients",
    "authKeys",
    "ci",
    "web",
    "policy",
    "tagOwners",
    "file",
    "tag:web",
    "tag:ci",
    "displayName",
    "id",
    "preventDestroy",
    "scopes",
    "tags",
    "description",
    "reusable",
    "ephemeral",
    "preauthorized",
    "expiry",
    "rotateBefore",
    "recreateIfInvalid",
    "createdBy",
    "deliver",
    "command",
    "envName",
    "keepPrevious",
    "x-any",
];

const WORDS: &[&str] = &[
    "tag:web",
    "tag:ci",
    "web",
    "tag:",
    "tag:2x",
    "auth_keys",
    "all",
    "devices",
    "dns:read",
    "devices:core",
    "bogus",
    "30d",
    "90d",
    "100d",
    "0",
    "1d12h",
    "3 days",
    "auto",
    "never",
    "ci",
    "-",
    "T123",
    "a/b",
    "Acme Prod",
    "Acme.Prod",
    "",
    "CI_KEY",
    "ci_key",
    "policy.hujson",
    "TAILFORM_ACME_AUTH_KEY_WEB",
];

fn scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        proptest::sample::select(WORDS).prop_map(|w| Value::String(w.to_owned())),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        "[ -~]{0,12}".prop_map(Value::String),
    ]
    .boxed()
}

fn document() -> BoxedStrategy<Value> {
    scalar()
        .prop_recursive(6, 120, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..6).prop_map(
                    |entries| {
                        let mut m = Map::new();
                        for (k, v) in entries {
                            m.insert(k.to_owned(), v);
                        }
                        Value::Object(m)
                    }
                ),
            ]
        })
        .boxed()
}

fn list_or_scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => proptest::collection::vec(scalar(), 0..4).prop_map(Value::Array),
        2 => scalar(),
        1 => document(),
    ]
    .boxed()
}

/// A map whose keys come from `fields` (plus the odd stranger) and values from `value`.
fn object(fields: &'static [&'static str], value: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let key = prop_oneof![
        9 => proptest::sample::select(fields),
        1 => proptest::sample::select(KEYS),
    ];
    proptest::collection::vec((key, value), 0..7)
        .prop_map(|entries| {
            let mut m = Map::new();
            for (k, v) in entries {
                m.insert(k.to_owned(), v);
            }
            Value::Object(m)
        })
        .boxed()
}

fn named(value: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let name = prop_oneof![
        proptest::sample::select(&["ci", "web", "db", "Bad_Name", "deployer"][..])
            .prop_map(str::to_owned),
        "[a-z][a-z0-9-]{0,8}",
    ];
    proptest::collection::btree_map(name, value, 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()))
        .boxed()
}

/// Manifest-shaped documents: the right fields at the right depth, with wrong values often.
fn manifest() -> BoxedStrategy<Value> {
    use tailform::manifest::raw::{AUTH_KEY_FIELDS, OAUTH_CLIENT_FIELDS, TAILNET_FIELDS};
    let key = object(AUTH_KEY_FIELDS, list_or_scalar());
    let client = object(OAUTH_CLIENT_FIELDS, list_or_scalar());
    let owners = proptest::collection::btree_map(
        proptest::sample::select(&["tag:web", "tag:ci", "tag:db", "web"][..]),
        list_or_scalar(),
        0..4,
    )
    .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
    .boxed();
    let policy = prop_oneof![
        owners.prop_map(|o| serde_json::json!({ "tagOwners": o })),
        scalar().prop_map(|f| serde_json::json!({ "file": f })),
        document(),
    ]
    .boxed();
    let tailnet = (
        object(TAILNET_FIELDS, scalar()),
        proptest::option::of(named(client)),
        proptest::option::of(named(key)),
        proptest::option::of(policy),
    )
        .prop_map(|(mut t, clients, keys, policy)| {
            if let Value::Object(m) = &mut t {
                for (field, v) in [
                    ("oauthClients", clients),
                    ("authKeys", keys),
                    ("policy", policy),
                ] {
                    if let Some(v) = v {
                        m.insert(field.to_owned(), v);
                    }
                }
            }
            t
        })
        .boxed();
    named(tailnet)
        .prop_map(|t| serde_json::json!({ "tailnets": t }))
        .boxed()
}

/// Loads and validates one text; checks what any outcome must satisfy.
fn check(text: &str) {
    let result = Sources::from_texts(vec![(PathBuf::from("m.yaml"), text.to_owned())])
        .and_then(|s| validate(&s, &ValidateOptions::default()));
    match result {
        Ok(v) => {
            assert!(v.warnings.iter().all(|d| !d.is_error()));
        }
        Err(diags) => {
            assert!(diags.iter().any(Diagnostic::is_error), "{diags:#?}");
            for d in &diags {
                if d.file.as_path() == std::path::Path::new("m.yaml") {
                    points_inside(d, text);
                }
            }
        }
    }
}

fn points_inside(d: &Diagnostic, text: &str) {
    let lines = tailform::manifest::line_count(text);
    assert!(d.line >= 1 && d.line <= lines, "{d:#?} in {lines} lines");
    assert!(d.column >= 1, "{d:#?}");
    if let Some(span) = d.span {
        assert!(span.offset + span.len <= text.len(), "{d:#?}");
        assert!(text.is_char_boundary(span.offset), "{d:#?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(&text);
    }

    #[test]
    fn yaml_like_text_never_panics(text in "[a-z:{}\\[\\],\\- \n\r\"'&*!|>#0-9]{0,300}") {
        check(&text);
    }

    #[test]
    fn manifest_shaped_documents_never_panic(doc in manifest()) {
        check(&serde_saphyr::to_string(&doc).unwrap());
    }

    #[test]
    fn yaml_shaped_documents_never_panic(doc in document()) {
        let wrapped = serde_json::json!({ "tailnets": doc });
        for value in [doc, wrapped] {
            let text = serde_saphyr::to_string(&value).unwrap();
            check(&text);
        }
    }
}

/// The document generator reaches deep into validation (not only shape errors): a fixed-seed
/// sample produces diagnostics from the semantic checks too.
#[test]
fn generated_documents_reach_semantic_checks() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    use std::collections::BTreeSet;
    use tailform::validate::Code;

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let mut seen = BTreeSet::new();
    let mut valid = 0;
    for _ in 0..3000 {
        let doc = manifest().new_tree(&mut runner).unwrap().current();
        let text = serde_saphyr::to_string(&doc).unwrap();
        let sources = Sources::from_texts(vec![(PathBuf::from("m.yaml"), text)]).unwrap();
        match validate(&sources, &ValidateOptions::default()) {
            Ok(_) => valid += 1,
            Err(diags) => seen.extend(diags.iter().map(|d| d.code)),
        }
    }
    eprintln!("valid: {valid}, codes: {seen:?}");
    for code in [
        Code::InvalidName,
        Code::WrongType,
        Code::UnknownField,
        Code::TagPrefix,
        Code::UnknownScope,
        Code::InvalidDuration,
        Code::KeyNeedsTags,
        Code::UnknownClient,
        Code::PolicyFileUnreadable,
        Code::UndefinedTag,
    ] {
        assert!(seen.contains(&code), "{code} never produced: {seen:?}");
    }
    assert!(valid > 0);
}

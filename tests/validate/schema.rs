//! The JSON Schema (`tailform schema`) against real documents: it must accept every example and
//! every valid fixture, reject every invalid fixture marked `schema: rejects`, and accept those
//! marked `schema: accepts` (problems a schema cannot express) — so the marks stay true.

use std::path::{Path, PathBuf};

use crate::common::fixture_cases::{Kind, cases};
use jsonschema::Validator;
use tailform::manifest::schema::json_schema;

fn validator() -> Validator {
    jsonschema::draft202012::new(&json_schema()).expect("the schema compiles as draft 2020-12")
}

/// The YAML document as JSON (anchors and merge keys resolved, as an editor sees it).
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str::<Option<serde_json::Value>>(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .unwrap_or(serde_json::Value::Null)
}

fn errors(v: &Validator, path: &Path) -> Vec<String> {
    let doc = as_json(path);
    v.iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn example_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from("examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn schema_accepts_every_example() {
    let v = validator();
    let files = example_files();
    assert!(files.len() >= 6, "examples: {files:?}");
    for f in files {
        assert_eq!(errors(&v, &f), Vec::<String>::new(), "{}", f.display());
    }
}

#[test]
fn schema_accepts_every_valid_fixture() {
    let v = validator();
    for case in cases(Kind::Valid) {
        for f in case.yaml_files() {
            assert_eq!(errors(&v, &f), Vec::<String>::new(), "{}", f.display());
        }
    }
}

#[test]
fn schema_agrees_with_each_invalid_fixture_mark() {
    let v = validator();
    let mut checked = 0;
    for case in cases(Kind::Invalid) {
        let mark = case.schema_mark().unwrap_or_default();
        let rejected = match mark.as_str() {
            "n/a" => continue,
            "rejects" | "accepts" => case.yaml_files().iter().any(|f| !errors(&v, f).is_empty()),
            other => panic!("{}: unknown schema mark `{other}`", case.name),
        };
        assert_eq!(rejected, mark == "rejects", "{}: schema {mark}?", case.name);
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} fixtures checked");
}

#[test]
fn schema_pins_the_points_editors_rely_on() {
    let s = json_schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let key = &s["$defs"]["authKey"]["properties"];
    assert_eq!(
        key["recreateIfInvalid"]["enum"],
        serde_json::json!(["auto", "always", "never"])
    );
    assert_eq!(key["recreateIfInvalid"]["default"], "auto");
    assert_eq!(key["expiry"]["default"], "90d");
    assert_eq!(s["$defs"]["name"]["pattern"], "^[a-z0-9][a-z0-9-]{0,62}$");
    assert_eq!(s["$defs"]["envName"]["pattern"], "^[A-Z_][A-Z0-9_]*$");
    assert!(key["reusable"]["description"].is_string());
}

#[test]
fn schema_rejects_for_the_right_reason() {
    let v = validator();
    let dir = Path::new("tests/fixtures/manifests/invalid");
    let cases = [
        ("key-needs-tags.yaml", "/tailnets/acme/authKeys/web"),
        ("client-needs-tags.yaml", "/tailnets/acme/oauthClients/ci"),
        ("display-name-on-existing.yaml", "/tailnets/home"),
        ("tag-prefix.yaml", "/tailnets/acme/oauthClients/ci/tags/0"),
        (
            "recreate-if-invalid.yaml",
            "/tailnets/acme/authKeys/web/recreateIfInvalid",
        ),
    ];
    for (file, pointer) in cases {
        let errs = errors(&v, &dir.join(file));
        assert!(
            errs.iter().any(|e| e.ends_with(&format!(" at {pointer}"))),
            "{file}: {errs:?}"
        );
    }
}

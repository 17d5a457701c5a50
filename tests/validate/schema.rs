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

/// The committed `tailform.schema.json`, which the examples' editor modelines point at.
const SCHEMA_FILE: &str = "tailform.schema.json";

#[test]
fn the_committed_schema_file_is_what_tailform_schema_prints() {
    let run = crate::common::command::Tailform::new().arg("schema").run();
    run.code(0);
    let committed = std::fs::read_to_string(SCHEMA_FILE)
        .expect("tailform.schema.json is committed at the repository's root");
    assert!(
        committed == run.stdout,
        "tailform.schema.json is stale: run `cargo run -q -- schema > tailform.schema.json`"
    );
}

#[test]
fn every_modeline_in_the_examples_resolves_to_the_committed_schema() {
    let root = std::fs::canonicalize(SCHEMA_FILE).expect("the schema file exists");
    let mut seen = 0;
    for f in example_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let Some(line) = text
            .lines()
            .find(|l| l.starts_with("# yaml-language-server: $schema="))
        else {
            continue;
        };
        let target = line.trim_start_matches("# yaml-language-server: $schema=");
        let resolved = f.parent().unwrap().join(target);
        let resolved = std::fs::canonicalize(&resolved)
            .unwrap_or_else(|e| panic!("{}: `{target}` does not resolve: {e}", f.display()));
        assert_eq!(resolved, root, "{}", f.display());
        seen += 1;
    }
    assert!(seen >= 6, "only {seen} examples carry a modeline");
}

/// Every `pattern` in the schema uses only the regular-expression syntax that ECMA-262 without
/// the `u` flag, Python's `re` and Rust's `regex` read alike: no `\p{…}` classes, no
/// look-around, no named groups.
#[test]
fn the_schema_patterns_are_portable() {
    fn patterns(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("pattern", serde_json::Value::String(p)) => out.push(p.clone()),
                        ("patternProperties", serde_json::Value::Object(props)) => {
                            out.extend(props.keys().cloned());
                            for v in props.values() {
                                patterns(v, out);
                            }
                        }
                        _ => patterns(v, out),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|v| patterns(v, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    patterns(&json_schema(), &mut found);
    assert!(found.len() >= 5, "{found:?}");
    for p in found {
        for construct in ["\\p{", "\\P{", "(?<", "(?=", "(?!", "(?P", "\\u{"] {
            assert!(!p.contains(construct), "`{p}` uses `{construct}`");
        }
    }
}

/// A second, independent validator: Python's `jsonschema` (Draft 2020-12), the one the issue
/// names as rejecting `\p{L}`. It checks the committed schema file and validates every example
/// against it. `.ci/run` installs it; outside CI a machine without it skips with a message.
#[test]
fn python_jsonschema_accepts_the_schema_and_every_example() {
    let probe = std::process::Command::new("python3")
        .args(["-c", "import jsonschema"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Python's jsonschema (`.ci/run` installs it)"
        );
        eprintln!("skipped: python3 with jsonschema is not installed");
        return;
    }
    let valid: Vec<serde_json::Value> = example_files().iter().map(|f| as_json(f)).collect();
    assert!(valid.len() >= 6, "examples: {}", valid.len());
    // And it must reject what it should: a tag without `tag:`, an unknown field.
    let invalid = serde_json::json!([
        { "tailnets": { "demo": { "authKeys": { "web": { "tags": ["web"] } } } } },
        { "tailnets": { "demo": { "authKeys": { "web": { "tags": ["tag:web"], "expiri": "1d" } } } } },
    ]);
    let docs = serde_json::json!({ "valid": valid, "invalid": invalid });
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
v = Draft202012Validator(schema)
docs = json.load(sys.stdin)
bad = [f"example {i}: {e.message}" for i, d in enumerate(docs["valid"]) for e in v.iter_errors(d)]
bad += [f"invalid document {i} accepted" for i, d in enumerate(docs["invalid"]) if v.is_valid(d)]
print("\n".join(bad))
sys.exit(1 if bad else 0)
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, SCHEMA_FILE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(&docs).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python jsonschema: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// docs/manifest.md is the reference the README points at: it must name every field tailform
/// reads, in a table row of its section, so a new field cannot land undocumented.
#[test]
fn the_manifest_reference_documents_every_field() {
    use tailform::manifest::raw;
    let doc = std::fs::read_to_string("docs/manifest.md").expect("docs/manifest.md exists");
    let section = |heading: &str| -> String {
        let start = doc
            .find(heading)
            .unwrap_or_else(|| panic!("docs/manifest.md has no `{heading}` section"));
        let rest = &doc[start + heading.len()..];
        rest[..rest.find("\n## ").unwrap_or(rest.len())].to_owned()
    };
    for (heading, fields) in [
        ("## Top level", raw::TOP_FIELDS),
        ("## A tailnet:", raw::TAILNET_FIELDS),
        ("## A policy:", raw::POLICY_FIELDS),
        ("## An OAuth client:", raw::OAUTH_CLIENT_FIELDS),
        ("## An auth key:", raw::AUTH_KEY_FIELDS),
        ("## Delivery sinks:", raw::DELIVERY_FIELDS),
        ("## Renames:", raw::MOVED_FIELDS),
        ("## A federated identity:", raw::FEDERATED_IDENTITY_FIELDS),
        ("## A webhook:", raw::WEBHOOK_FIELDS),
        ("## Settings:", raw::SETTINGS_FIELDS),
    ] {
        let text = section(heading);
        for field in fields {
            let row = format!("| `{field}` |");
            let named = format!("`{field}`");
            assert!(
                text.contains(&row) || (heading == "## Renames:" && text.contains(&named)),
                "docs/manifest.md, {heading}: `{field}` is not documented"
            );
        }
    }
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        readme.contains("(docs/manifest.md)"),
        "the README links the reference"
    );
    for text in [&readme, &doc] {
        assert!(!text.contains("DESIGN"), "a user has no DESIGN document");
        assert!(
            !text.contains("../shared"),
            "a user has no ../shared folder"
        );
    }
}

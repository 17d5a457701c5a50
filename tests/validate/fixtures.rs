//! Table-driven manifest fixtures: every `tests/fixtures/manifests/{valid,invalid}/NAME.yaml` (or
//! folder `NAME/`, for cross-file cases) has a sidecar `NAME.expected` holding the exact outcome —
//! its first line says whether the JSON Schema can express the problem (`schema: rejects`,
//! `schema: accepts`, or `schema: n/a` for YAML that cannot be parsed), then one block per
//! diagnostic: `file:line:column code slug severity path`, the message, the hint and related
//! places. Valid fixtures end with the summary line. Adding a case is adding the two files.
//!
//! `BLESS=1 cargo nextest run --test validate fixtures::` writes the sidecars from the current
//! output (review the diff before committing).

use crate::common::fixture_cases::{Case, Kind, cases};
use tailform::validate::{Diagnostic, ValidateOptions, load_and_validate};

fn render(case: &Case, diags: &[Diagnostic], summary: Option<String>) -> String {
    let mut out = format!("schema: {}\n", case.schema_mark_or_default());
    for d in diags {
        out.push_str(&format!(
            "{}:{}:{} {} {} {} {}\n  {}\n",
            case.display(&d.file),
            d.line,
            d.column,
            d.code.id(),
            d.code.slug(),
            d.severity.as_str(),
            if d.path.is_empty() { "-" } else { &d.path },
            d.message
        ));
        if let Some(h) = &d.hint {
            out.push_str(&format!("  hint: {h}\n"));
        }
        for r in &d.related {
            out.push_str(&format!(
                "  related: {}:{}:{} {}\n",
                case.display(&r.file),
                r.line,
                r.column,
                r.message
            ));
        }
    }
    if let Some(s) = summary {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

fn run(kind: Kind) {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let all = cases(kind);
    assert!(!all.is_empty(), "no {kind:?} fixtures found");
    for case in &all {
        let result = load_and_validate(
            std::slice::from_ref(&case.path),
            &ValidateOptions::default(),
        );
        let actual = match (&kind, result) {
            (Kind::Valid, Ok(v)) => render(
                case,
                &v.warnings,
                Some(tailform::commands::validate_summary(&v.desired)),
            ),
            (Kind::Invalid, Err(diags)) => {
                assert!(
                    diags.iter().any(Diagnostic::is_error),
                    "{}: failed without an error",
                    case.name
                );
                render(case, &diags, None)
            }
            (Kind::Valid, Err(diags)) => render(case, &diags, Some("UNEXPECTEDLY INVALID".into())),
            (Kind::Invalid, Ok(v)) => render(case, &v.warnings, Some("UNEXPECTEDLY VALID".into())),
        };
        if bless {
            std::fs::write(&case.expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&case.expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "── {} ──\nexpected:\n{expected}\nactual:\n{actual}",
                case.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn invalid_fixtures_report_exactly_their_diagnostics() {
    run(Kind::Invalid);
}

#[test]
fn valid_fixtures_validate_with_exactly_their_warnings() {
    run(Kind::Valid);
}

#[test]
fn there_are_at_least_thirty_invalid_fixtures() {
    assert!(cases(Kind::Invalid).len() >= 30);
}

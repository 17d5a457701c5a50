//! The doctor report as text (one line per finding — a problem's line carries its fix — and a
//! summary line) or as JSON (`format_version`, counts, the credential, every finding). Pure:
//! both return strings.

use std::fmt::Write;

use serde::Serialize;

use super::finding::{CredentialSummary, Finding, Report, Status};

/// The JSON format version (a minor bump is additive; consumers ignore unknown keys).
pub const FORMAT_VERSION: &str = "1.0";

/// The report as text; `color` paints the statuses.
pub fn text(report: &Report, color: bool) -> String {
    let width = report
        .findings
        .iter()
        .map(|f| f.check.to_string().len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for f in &report.findings {
        let label = format!("{:<7}", f.status.label());
        let _ = write!(
            out,
            "{}  {:<width$}  {}",
            paint(f.status, &label, color),
            f.check.to_string(),
            f.detail
        );
        if let Some(fix) = &f.fix {
            let _ = write!(out, ". Fix: {fix}");
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// The closing line.
fn summary(report: &Report) -> String {
    let (problems, warnings) = (report.count(Status::Problem), report.count(Status::Warning));
    match (problems, warnings) {
        (0, 0) => "All checks passed: tailform can plan and apply with this credential.".to_owned(),
        (0, w) => format!("No problems, {w} warning(s): plan and apply can go ahead."),
        (p, w) => format!(
            "{p} problem(s), {w} warning(s): fix the problem(s) above before `tailform apply`."
        ),
    }
}

fn paint(status: Status, s: &str, color: bool) -> String {
    if !color {
        return s.to_owned();
    }
    let code = match status {
        Status::Ok => "32",
        Status::Warning => "33",
        Status::Problem => "31",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

/// The JSON document.
#[derive(Serialize)]
struct JsonReport<'a> {
    format_version: &'static str,
    tailform_version: &'static str,
    passed: bool,
    problems: usize,
    warnings: usize,
    credential: &'a CredentialSummary,
    findings: &'a [Finding],
}

/// The report as JSON.
pub fn json(report: &Report) -> String {
    let doc = JsonReport {
        format_version: FORMAT_VERSION,
        tailform_version: env!("CARGO_PKG_VERSION"),
        passed: report.passed(),
        problems: report.count(Status::Problem),
        warnings: report.count(Status::Warning),
        credential: &report.credential,
        findings: &report.findings,
    };
    let mut s = serde_json::to_string_pretty(&doc).expect("the report serialises");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Check, CredentialKind};

    fn report() -> Report {
        Report {
            credential: CredentialSummary {
                kind: CredentialKind::OauthClient,
                id: Some("kOrg".into()),
                from: vec!["TAILSCALE_OAUTH_CLIENT_ID", "TAILSCALE_OAUTH_CLIENT_SECRET"],
                endpoint: "https://api.tailscale.com".into(),
                expires: None,
            },
            findings: vec![
                Finding::ok(Check::Token, "mints"),
                Finding::problem(Check::TailnetsScope, "refused", "get the scope"),
            ],
        }
    }

    #[test]
    fn a_problem_and_its_fix_share_one_line() {
        assert_eq!(
            text(&report(), false),
            "ok       token           mints\n\
             problem  scope:tailnets  refused. Fix: get the scope\n\
             \n\
             1 problem(s), 0 warning(s): fix the problem(s) above before `tailform apply`.\n"
        );
    }

    #[test]
    fn json_counts_and_findings() {
        let v: serde_json::Value = serde_json::from_str(&json(&report())).unwrap();
        assert_eq!(v["passed"], false);
        assert_eq!(v["problems"], 1);
        assert_eq!(v["credential"]["kind"], "oauth_client");
        assert_eq!(v["findings"][1]["check"], "scope:tailnets");
        assert_eq!(v["findings"][1]["status"], "problem");
        assert_eq!(v["findings"][0]["fix"], serde_json::Value::Null);
    }
}

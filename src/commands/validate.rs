//! `tailform validate [-f PATH]... [--format text|json|github]`: load and validate the manifests
//! without touching the API. Exit 0 when valid (warnings allowed), 1 otherwise. Text goes to
//! stderr (diagnostics with snippets, then a one-line summary); json and github go to stdout.

use std::io::{IsTerminal, Write};

use crate::cli::{DiagnosticFormat, GlobalArgs, ValidateArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::model::Desired;
use crate::validate::{
    Diagnostic, TextOptions, ValidateOptions, load_and_validate, render_github, render_json,
    render_text,
};

/// Runs `tailform validate`.
pub fn run(global: &GlobalArgs, args: ValidateArgs) -> Result<Exit, Error> {
    let opts = ValidateOptions {
        max_tailnets: global.max_tailnets,
    };
    let (diags, desired) = match load_and_validate(&args.manifests.files, &opts) {
        Ok(v) => (v.warnings, Some(v.desired)),
        Err(diags) => (diags, None),
    };
    let written = match args.format {
        DiagnosticFormat::Text => text(global, &diags, desired.as_ref()),
        DiagnosticFormat::Json => render_json(&mut std::io::stdout().lock(), &diags),
        DiagnosticFormat::Github => render_github(&mut std::io::stdout().lock(), &diags),
    };
    written.map_err(|e| Error::io("write", "standard output", e))?;
    Ok(if desired.is_some() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

fn text(
    global: &GlobalArgs,
    diags: &[Diagnostic],
    desired: Option<&Desired>,
) -> std::io::Result<()> {
    let stderr = std::io::stderr();
    let color = !global.no_color && std::env::var_os("NO_COLOR").is_none() && stderr.is_terminal();
    let mut w = stderr.lock();
    if !(global.quiet && desired.is_some()) {
        render_text(
            &mut w,
            diags,
            TextOptions {
                color,
                ..TextOptions::default()
            },
        )?;
    }
    match desired {
        Some(d) if !global.quiet => writeln!(w, "{}", summary(d)),
        Some(_) => Ok(()),
        None => writeln!(w, "{}", failure_summary(diags)),
    }
}

/// `valid: 2 tailnets, 3 OAuth clients, 9 auth keys` (`, 1 federated identity`, `, 2 webhooks` when any).
pub fn summary(desired: &Desired) -> String {
    let tailnets = desired.tailnets.len();
    let clients: usize = desired
        .tailnets
        .values()
        .map(|t| t.oauth_clients.len())
        .sum();
    let keys: usize = desired.tailnets.values().map(|t| t.auth_keys.len()).sum();
    let identities: usize = desired
        .tailnets
        .values()
        .map(|t| t.federated_identities.len())
        .sum();
    let mut s = format!(
        "valid: {}, {}, {}",
        count(tailnets, "tailnet", "tailnets"),
        count(clients, "OAuth client", "OAuth clients"),
        count(keys, "auth key", "auth keys")
    );
    // Named only when there are some, so the line of a manifest without any stays as it was.
    if identities > 0 {
        s.push_str(&format!(
            ", {}",
            count(identities, "federated identity", "federated identities")
        ));
    }
    let webhooks: usize = desired.tailnets.values().map(|t| t.webhooks.len()).sum();
    if webhooks > 0 {
        s.push_str(&format!(", {}", count(webhooks, "webhook", "webhooks")));
    }
    s
}

/// `invalid: 3 errors, 1 warning`.
fn failure_summary(diags: &[Diagnostic]) -> String {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let mut s = format!("invalid: {}", count(errors, "error", "errors"));
    if warnings > 0 {
        s.push_str(&format!(", {}", count(warnings, "warning", "warnings")));
    }
    s
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

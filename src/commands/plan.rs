//! `tailform plan`: show what apply would change (text, JSON or Markdown on stdout); optionally
//! save it (`--out`); `--detailed-exitcode` exits 2 when there are changes. An API key about to
//! expire is a warning on stderr, and in the JSON and Markdown plans.
//!
//! Under `--format json` stdout is one JSON document whatever happens, as Terraform's: a plan
//! that cannot be made (invalid manifests, a plan problem, an unreachable API) is printed with
//! `errored: true` and its problems in `diagnostics`, and the command still exits 1.

#![allow(
    clippy::print_stdout,
    reason = "the rendered plan is this command's output"
)]

use super::console::{errln, out};
use crate::cli::{GlobalArgs, PlanArgs, PlanFormat};
use crate::error::Error;
use crate::exit::Exit;
use crate::planfile::SavedPlan;
use crate::render::{self, DiagnosticView, PlanView, text::Style};

use super::planning;
use super::rerun;
use super::session::{self, Session};

/// Runs `tailform plan`.
pub fn run(global: &GlobalArgs, args: PlanArgs) -> Result<Exit, Error> {
    match plan(global, &args) {
        Ok(exit) => Ok(exit),
        Err((error, diagnostics)) => {
            if args.format == PlanFormat::Json {
                let diagnostics = if diagnostics.is_empty() {
                    vec![DiagnosticView::error(with_causes(&error))]
                } else {
                    diagnostics
                };
                out!("{}", render::json::render(&PlanView::errored(diagnostics)));
            }
            Err(*error)
        }
    }
}

/// The plan, or why it could not be made (with the problems, when there are several).
fn plan(global: &GlobalArgs, args: &PlanArgs) -> Result<Exit, (Box<Error>, Vec<DiagnosticView>)> {
    let desired =
        session::manifests_or_diagnostics(global, &args.manifests.files).map_err(|diags| {
            let error = Box::new(session::manifests_error(&diags));
            (error, diags.iter().map(DiagnosticView::manifest).collect())
        })?;
    let session = Session::open(global).map_err(alone)?;
    let mut backend = session::backend(global).map_err(alone)?;
    let _lock = session::lock(global, backend.as_mut(), "plan").map_err(alone)?;
    let mut state = backend.load().map_err(|e| alone(e.into()))?;
    let expiring = planning::warn_expiring_credential(global, &session);
    let options = planning::options(global, &args.options, args.refresh_only);
    let planned = planning::make_or_problems(&options, &session, &desired, &mut state)
        .map_err(|(e, problems)| (e, problems.iter().map(DiagnosticView::plan_error).collect()))?;
    let mut view = PlanView::new(&planned.plan);
    // Text shows it on stderr (above); the machine formats carry it with the plan's warnings.
    if let (Some(summary), PlanFormat::Json | PlanFormat::Markdown) = (expiring, args.format) {
        view.diagnostics.push(DiagnosticView::warning(summary));
    }
    let out = match args.format {
        PlanFormat::Text => render::text::render(&view, Style::new(session::stdout_color(global))),
        PlanFormat::Json => render::json::render(&view),
        PlanFormat::Markdown => render::markdown::render(&view),
    };
    out!("{out}");
    if let Some(path) = &args.out {
        let saved = SavedPlan::new(&planned.plan, &state, &planned.live, planned.scope);
        saved.save(path).map_err(|e| alone(e.into()))?;
        if !global.quiet {
            let path = path.display().to_string();
            errln!(
                "Saved the plan to `{path}`; apply exactly it with `{}`.",
                rerun::command_line(global, &["apply", &path])
            );
        }
    }
    Ok(if args.detailed_exitcode && planned.plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

/// An error that is its own only problem.
fn alone(error: Error) -> (Box<Error>, Vec<DiagnosticView>) {
    (Box::new(error), Vec::new())
}

/// The error and its causes in one line, as `main` prints them.
fn with_causes(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

//! `tailform plan`: show what apply would change (text, JSON or Markdown on stdout); optionally
//! save it (`--out`); `--detailed-exitcode` exits 2 when there are changes. An API key about to
//! expire is a warning on stderr, and in the JSON and Markdown plans.

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
use super::session::{self, Session};

/// Runs `tailform plan`.
pub fn run(global: &GlobalArgs, args: PlanArgs) -> Result<Exit, Error> {
    let desired = session::manifests(global, &args.manifests.files)?;
    let session = Session::open(global)?;
    let mut backend = session::backend(global)?;
    let _lock = session::lock(global, backend.as_mut(), "plan")?;
    let mut state = backend.load()?;
    let expiring = planning::warn_expiring_credential(global, &session);
    let options = planning::options(global, &args.options, args.refresh_only);
    let planned = planning::make(&options, &session, &desired, &mut state)?;
    let mut view = PlanView::new(&planned.plan);
    // Text shows it on stderr (above); the machine formats carry it with the plan's warnings.
    if let (Some(summary), PlanFormat::Json | PlanFormat::Markdown) = (expiring, args.format) {
        view.diagnostics.push(DiagnosticView {
            severity: "warning",
            summary,
        });
    }
    let out = match args.format {
        PlanFormat::Text => render::text::render(&view, Style::new(session::stdout_color(global))),
        PlanFormat::Json => render::json::render(&view),
        PlanFormat::Markdown => render::markdown::render(&view),
    };
    out!("{out}");
    if let Some(path) = &args.out {
        let saved = SavedPlan::new(&planned.plan, &state, &planned.live, planned.scope);
        saved.save(path)?;
        if !global.quiet {
            errln!(
                "Saved the plan to `{}`; apply exactly it with `tailform apply {}`.",
                path.display(),
                path.display()
            );
        }
    }
    Ok(if args.detailed_exitcode && planned.plan.has_changes() {
        Exit::Changes
    } else {
        Exit::Success
    })
}

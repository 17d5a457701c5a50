//! `tailform apply [PLANFILE]`: make the live tailnets match the manifests — or execute exactly
//! a saved plan, refused when stale. Asks for confirmation unless `--auto-approve` or a plan
//! file; progress on stderr; exit 1 when any step failed.

#![allow(
    clippy::print_stdout,
    reason = "the plan and the result are this command's output"
)]

use std::io::{BufRead, IsTerminal, Write};

use crate::apply::{self, ApplyOptions, ApplyReport, TailscaleExecutor};
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::plan::{StepGraph, Summary};
use crate::planfile::SavedPlan;
use crate::refresh;
use crate::render::progress::Progress;
use crate::render::{self, PlanView, text::Style};

use super::planning;
use super::session::{self, Session};

/// Runs `tailform apply`.
pub fn run(global: &GlobalArgs, args: ApplyArgs) -> Result<Exit, Error> {
    match &args.plan_file {
        Some(path) => {
            if !args.manifests.files.is_empty()
                || !args.options.target.is_empty()
                || !args.options.replace.is_empty()
            {
                return Err(Error::Usage(
                    "a saved plan is applied exactly as planned: -f, --target and --replace belong to `tailform plan`".into(),
                ));
            }
            let saved = SavedPlan::load(path)?;
            apply_saved(global, &args, &saved)
        }
        None => apply_fresh(global, &args),
    }
}

fn apply_fresh(global: &GlobalArgs, args: &ApplyArgs) -> Result<Exit, Error> {
    let desired = session::manifests(global, &args.manifests.files)?;
    let session = Session::open(global)?;
    let _lock = session::lock(global, "apply")?;
    let file = session::state_file(global);
    let mut state = file.load()?;
    let planned = planning::make(global, &args.options, false, &session, &desired, &state)?;
    let view = PlanView::new(&planned.plan);
    print!(
        "{}",
        render::text::render(&view, Style::new(session::stdout_color(global)))
    );
    if !planned.plan.has_changes() {
        return Ok(Exit::Success);
    }
    if !args.auto_approve {
        confirm()?;
    }
    let summary = planned.plan.summary();
    let executor = TailscaleExecutor::new(
        session.client.clone(),
        session.org.clone(),
        planned.plan.existing.clone(),
    );
    execute(
        global,
        args,
        &session,
        &planned.plan.graph,
        &mut state,
        file,
        &executor,
        summary,
    )
}

fn apply_saved(global: &GlobalArgs, args: &ApplyArgs, saved: &SavedPlan) -> Result<Exit, Error> {
    let session = Session::open(global)?;
    let _lock = session::lock(global, "apply")?;
    let file = session::state_file(global);
    let mut state = file.load()?;
    let live = session.runtime.block_on(refresh::read(
        &session.client,
        &session.org,
        &saved.scope,
        &state,
    ))?;
    saved.check_fresh(&state, &live)?;
    saved.adopt_lineage(&mut state);
    print!("{}", saved.text);
    let graph = saved.graph();
    if graph.is_empty() {
        return Ok(Exit::Success);
    }
    let executor = TailscaleExecutor::new(
        session.client.clone(),
        session.org.clone(),
        saved.scope.existing.clone(),
    );
    execute(
        global,
        args,
        &session,
        &graph,
        &mut state,
        file,
        &executor,
        Summary::default(),
    )
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site per mode; a context struct would only rename them"
)]
fn execute(
    global: &GlobalArgs,
    args: &ApplyArgs,
    session: &Session,
    graph: &StepGraph,
    state: &mut crate::state::State,
    mut file: crate::state::StateFile,
    executor: &TailscaleExecutor,
    summary: Summary,
) -> Result<Exit, Error> {
    let progress = Progress::new(graph.len(), std::io::stderr().is_terminal(), global.quiet);
    let options = ApplyOptions {
        parallelism: usize::from(args.parallelism),
    };
    let result = session.runtime.block_on(apply::apply(
        graph, state, &mut file, executor, &progress, options,
    ));
    progress.finish();
    let report = result?;
    let stats = session.client.stats();
    println!("{}", outcome_line(&report, summary, stats.retries));
    Ok(if report.succeeded() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

fn outcome_line(report: &ApplyReport, summary: Summary, retries: u64) -> String {
    let retried = if retries > 0 {
        format!(" ({retries} request(s) retried)")
    } else {
        String::new()
    };
    if report.succeeded() {
        if summary == Summary::default() {
            return format!(
                "\nApply complete! {} step(s) applied{retried}.",
                report.applied.len()
            );
        }
        return format!(
            "\nApply complete! Resources: {} added, {} changed, {} destroyed{}{retried}.",
            summary.add,
            summary.change,
            summary.destroy,
            if summary.forget > 0 {
                format!(", {} forgotten", summary.forget)
            } else {
                String::new()
            }
        );
    }
    let mut line = format!(
        "\nApply failed: {} step(s) applied, {} failed, {} skipped{retried}.",
        report.applied.len(),
        report.failed.len(),
        report.skipped.len()
    );
    for (step, error) in &report.failed {
        line.push_str(&format!("\n  failed: {step}: {error}"));
    }
    if !report.outcome_unknown.is_empty() {
        line.push_str("\n  the outcome of these creates is unknown; the next plan reads the API before creating again:");
        for a in &report.outcome_unknown {
            line.push_str(&format!("\n    {a}"));
        }
    }
    line
}

/// Asks for confirmation on stdin (a terminal or a pipe, like Terraform); anything but `yes`
/// cancels, and no input at all (CI with no stdin) says to pass `--auto-approve`.
fn confirm() -> Result<(), Error> {
    print!(
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
    );
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("read", "standard input", e))?;
    if read == 0 {
        return Err(Error::NotConfirmed(
            "apply needs a confirmation and standard input is closed: review the plan and pass --auto-approve",
        ));
    }
    println!();
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Error::NotConfirmed("apply cancelled: nothing was changed"))
    }
}

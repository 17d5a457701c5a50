//! `tailform apply [PLANFILE]`: make the live tailnets match the manifests — or execute exactly
//! a saved plan, refused when stale. Asks for confirmation unless `--auto-approve` or a plan
//! file; progress on stderr; exit 1 when any step failed.
//!
//! Creates whose outcome is unknown (the response was lost) are recovered in up to
//! [`RECOVERY_ROUNDS`] rounds once the walk is over and every result is saved: refresh, plan
//! again — restricted to those addresses and what was skipped because of them, all of which the
//! user already approved — so orphans are revoked and the objects created once more.

#![allow(
    clippy::print_stdout,
    reason = "the plan and the result are this command's output"
)]

use super::console::{errln, out, outln};
use std::collections::BTreeSet;
use std::io::IsTerminal;

use crate::address::{Address, Member};
use crate::apply::{self, ApplyOptions, ApplyReport, FailedStep, SaveFailed, TailscaleExecutor};
use crate::cli::{ApplyArgs, DestroyArgs, GlobalArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::model::Desired;
use crate::plan::{self, Step, StepGraph, Summary, sealed_credentials};
use crate::planfile::SavedPlan;
use crate::refresh;
use crate::render::progress::Progress;
use crate::render::{self, PlanView, text::Style};
use crate::secret::REDACTED;
use crate::state::{Backend, State};

use super::planning;
use super::session::{self, Session};

/// How many times apply reads the API and retries creates whose outcome was unknown.
pub const RECOVERY_ROUNDS: usize = 5;

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
        None => {
            let desired = session::manifests(global, &args.manifests.files)?;
            apply_fresh(global, &args, &desired, false)
        }
    }
}

/// Runs `tailform destroy`: an apply towards no manifests at all, so every record the state
/// tracks is planned for deletion under the same guards (`preventDestroy` as last applied,
/// `--allow-destroy`; existing tailnets are never deleted, only what tailform made in them).
/// With `--target`, towards the manifests without the targets (a targeted tailnet with
/// everything in it), limited to them: what is not targeted stays as declared.
pub fn destroy(global: &GlobalArgs, args: DestroyArgs) -> Result<Exit, Error> {
    let args = args.into_apply();
    if args.options.target.is_empty() {
        return apply_fresh(global, &args, &Desired::default(), false);
    }
    let mut desired = session::manifests(global, &args.manifests.files)?;
    for target in &args.options.target {
        if target.member == Member::Tailnet {
            desired.tailnets.remove(&target.tailnet);
        } else if let Some(t) = desired.tailnets.get_mut(&target.tailnet) {
            t.undeclare(&target.member);
        }
    }
    apply_fresh(global, &args, &desired, true)
}

/// Plans towards `desired` and applies; `destroy_targets` for `destroy --target`.
fn apply_fresh(
    global: &GlobalArgs,
    args: &ApplyArgs,
    desired: &Desired,
    destroy_targets: bool,
) -> Result<Exit, Error> {
    let session = Session::open(global)?;
    let mut backend = session::backend(global)?;
    let _lock = session::lock(global, backend.as_mut(), "apply")?;
    let mut state = backend.load()?;
    planning::warn_expiring_credential(global, &session);
    let mut options = planning::options(global, &args.options, args.refresh_only);
    options.destroy_targets = destroy_targets;
    let planned = planning::make(&options, &session, desired, &mut state)?;
    let view = PlanView::new(&planned.plan);
    out!(
        "{}",
        render::text::render(&view, Style::new(session::stdout_color(global)))
    );
    if !planned.plan.has_changes() {
        return Ok(Exit::Success);
    }
    refuse_sealed(planned.plan.graph.steps().map(|(_, s)| s), &state)?;
    if !args.auto_approve {
        confirm()?;
    }
    if !planned.plan.moved.is_empty() {
        // The renames go first, on their own: every step after them finds the records where
        // the plan expects them.
        backend.save(&mut state)?;
    }
    let summary = planned.plan.summary();
    let mut run = Runner {
        global,
        args,
        session: &session,
        backend: backend.as_mut(),
        state: &mut state,
    };
    let mut report = run.execute(&planned.plan.graph, &planned.plan.existing)?;
    let mut outcome = Outcome::default();
    outcome.absorb(&report);
    for round in 1..=RECOVERY_ROUNDS {
        let retry: BTreeSet<Address> = report
            .outcome_unknown
            .iter()
            .chain(&report.skipped_after_unknown)
            .cloned()
            .collect();
        if retry.is_empty() {
            break;
        }
        errln!(
            "{} create(s) had an unknown outcome: reading the API before creating again (recovery {round} of {RECOVERY_ROUNDS})",
            report.outcome_unknown.len()
        );
        options.restrict = Some(retry);
        options.replace.clear();
        let again = planning::make(&options, &session, desired, run.state)?;
        if !again.plan.has_changes() {
            break;
        }
        report = run.execute(&again.plan.graph, &again.plan.existing)?;
        outcome.absorb(&report);
    }
    outcome.unresolved = report.outcome_unknown.clone();
    outln!("{}", outcome.line(summary, session.client.stats().retries));
    Ok(if outcome.succeeded() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// Refuses, before anything runs, a plan with steps that need a credential sealed in the state
/// (a `createdBy` client's secret) when no key given opens it.
fn refuse_sealed<'s>(
    steps: impl IntoIterator<Item = &'s Step>,
    state: &State,
) -> Result<(), Error> {
    let sealed = sealed_credentials(steps, state);
    if sealed.is_empty() {
        Ok(())
    } else {
        Err(Error::SealedCredentials(sealed))
    }
}

fn apply_saved(global: &GlobalArgs, args: &ApplyArgs, saved: &SavedPlan) -> Result<Exit, Error> {
    let session = Session::open(global)?;
    let mut backend = session::backend(global)?;
    let _lock = session::lock(global, backend.as_mut(), "apply")?;
    let mut state = backend.load()?;
    let serial = state.serial;
    plan::follow_moves(&mut state, &saved.moves())?;
    planning::warn_expiring_credential(global, &session);
    let live = session.runtime.block_on(refresh::read(
        &session.client,
        &session.org,
        &saved.scope,
        &state,
    ))?;
    planning::refuse_in_flight(&state)?;
    saved.check_fresh(&state, &live)?;
    saved.adopt_lineage(&mut state);
    out!("{}", saved.text);
    let graph = saved.graph();
    if graph.is_empty() && saved.moved.is_empty() {
        return Ok(Exit::Success);
    }
    refuse_sealed(graph.steps().map(|(_, s)| s), &state)?;
    if !saved.moved.is_empty() {
        debug_assert_eq!(state.serial, serial, "moves are followed in memory");
        backend.save(&mut state)?;
    }
    let mut run = Runner {
        global,
        args,
        session: &session,
        backend: backend.as_mut(),
        state: &mut state,
    };
    let report = run.execute(&graph, &saved.scope.existing)?;
    let mut outcome = Outcome::default();
    outcome.absorb(&report);
    outcome.unresolved = report.outcome_unknown.clone();
    outln!(
        "{}",
        outcome.line(saved.summary, session.client.stats().retries)
    );
    if !outcome.unresolved.is_empty() {
        errln!(
            "run `tailform apply` (without the plan file) to recover the creates whose outcome is unknown"
        );
    }
    Ok(if outcome.succeeded() {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// One walk of a step graph, with what it needs.
struct Runner<'a> {
    global: &'a GlobalArgs,
    args: &'a ApplyArgs,
    session: &'a Session,
    backend: &'a mut dyn Backend,
    state: &'a mut State,
}

impl Runner<'_> {
    fn execute(
        &mut self,
        graph: &StepGraph,
        existing: &std::collections::BTreeMap<crate::model::Name, crate::model::TailnetRef>,
    ) -> Result<ApplyReport, Error> {
        let executor = TailscaleExecutor::new(
            self.session.client.clone(),
            self.session.org.clone(),
            existing.clone(),
        );
        let progress = Progress::new(
            graph.len(),
            std::io::stderr().is_terminal(),
            self.global.quiet,
        );
        let options = ApplyOptions {
            parallelism: usize::from(self.args.parallelism),
        };
        let print = progress.printer();
        self.session
            .client
            .set_wait_observer(Some(std::sync::Arc::new(move |wait| print(wait))));
        let result = self.session.runtime.block_on(apply::apply(
            graph,
            self.state,
            self.backend,
            &executor,
            &progress,
            options,
        ));
        progress.finish();
        session::print_waits(&self.session.client, self.global.quiet);
        result.map_err(|failed| {
            if failed.unsaved.is_empty() && failed.report.applied.is_empty() {
                // The very first save was refused (e.g. plaintext secrets for a shared
                // database): nothing happened, so the save error alone says it.
                return Error::State(failed.source);
            }
            report_unsaved(&failed, self.state, self.args.reveal_on_failure);
            Error::SaveFailed(failed)
        })
    }
}

/// The state could not be saved: list, once, the new secrets held only in memory — redacted
/// unless this apply was run with `--reveal-on-failure` (a later run cannot show them: they die
/// with this process) — so nothing is lost silently. Results without a secret are not listed:
/// the next plan reads them again from the API.
fn report_unsaved(failed: &SaveFailed, state: &State, reveal: bool) {
    if failed.unsaved_secrets.is_empty() {
        return;
    }
    errln!("These new secrets could not be saved to the state; they exist only in this process:");
    for address in &failed.unsaved_secrets {
        let record = state.get(address);
        let id = record.and_then(|r| r.id()).unwrap_or("-");
        let secret = match record.and_then(|r| r.secret()) {
            Some(s) if reveal => s.expose().to_owned(),
            _ => REDACTED.to_owned(),
        };
        errln!("  {address}: id {id}, secret {secret}");
    }
    if !reveal {
        errln!(
            "(`tailform apply --reveal-on-failure` prints such secrets here in clear when a save \
             fails. Once the state can be written, the next apply revokes these objects — their \
             create intents are in the state — and creates them again.)"
        );
    }
}

/// What all rounds of an apply did.
#[derive(Debug, Default)]
struct Outcome {
    applied: usize,
    failed: Vec<FailedStep>,
    skipped: usize,
    recovered: usize,
    unresolved: Vec<Address>,
    lowest_concurrency: Option<usize>,
}

impl Outcome {
    fn absorb(&mut self, report: &ApplyReport) {
        self.applied += report.applied.len();
        // Failures with an unknown outcome are retried by the next round; only the others stay.
        self.recovered += report.outcome_unknown.len();
        self.failed.extend(
            report
                .failed
                .iter()
                .filter(|failed| !failed.failure.outcome_unknown)
                .cloned(),
        );
        // Added, not assigned: what an earlier round skipped stays skipped (issue 18).
        self.skipped += report.skipped.len() - report.skipped_after_unknown.len();
        self.lowest_concurrency = match (self.lowest_concurrency, report.lowest_concurrency) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }

    fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped == 0 && self.unresolved.is_empty()
    }

    fn line(&self, summary: Summary, retries: u64) -> String {
        let mut notes = Vec::new();
        if retries > 0 {
            notes.push(format!("{retries} request(s) retried"));
        }
        if let Some(lowest) = self.lowest_concurrency {
            notes.push(format!("rate limited: concurrency lowered to {lowest}"));
        }
        let recovered = self.recovered.saturating_sub(self.unresolved.len());
        if recovered > 0 {
            notes.push(format!(
                "{recovered} create(s) with a lost response recovered"
            ));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", notes.join("; "))
        };
        if self.succeeded() {
            if summary.drift > 0
                && summary.add + summary.change + summary.destroy + summary.forget == 0
            {
                return format!(
                    "\nApply complete! Drift accepted into the state: {} object(s){notes}.",
                    summary.drift
                );
            }
            if summary == Summary::default() {
                return format!("\nApply complete! {} step(s) applied{notes}.", self.applied);
            }
            let mut forgotten = if summary.forget > 0 {
                format!(", {} forgotten", summary.forget)
            } else {
                String::new()
            };
            if summary.moved > 0 {
                forgotten.push_str(&format!(", {} moved", summary.moved));
            }
            return format!(
                "\nApply complete! Resources: {} added, {} changed, {} destroyed{forgotten}{notes}.",
                summary.add, summary.change, summary.destroy
            );
        }
        let mut line = format!(
            "\nApply failed: {} step(s) applied, {} failed, {} skipped{notes}.",
            self.applied,
            self.failed.len() + self.unresolved.len(),
            self.skipped
        );
        for FailedStep { step, failure } in &self.failed {
            line.push_str(&format!("\n  failed: {step}: {failure}"));
        }
        if !self.unresolved.is_empty() {
            line.push_str("\n  the outcome of these creates is still unknown; the next plan reads the API before creating again:");
            for a in &self.unresolved {
                line.push_str(&format!("\n    {a}"));
            }
        }
        line
    }
}

/// Asks for confirmation on stdin (a terminal or a pipe, like Terraform); anything but `yes`
/// cancels, and no input at all (CI with no stdin) says to pass `--auto-approve`.
fn confirm() -> Result<(), Error> {
    match super::confirm::ask(
        "\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
    )? {
        Some(true) => Ok(()),
        Some(false) => Err(Error::NotConfirmed("apply cancelled: nothing was changed")),
        None => Err(Error::NotConfirmed(
            "apply needs a confirmation and standard input is closed: review the plan and pass --auto-approve",
        )),
    }
}

#[cfg(test)]
mod tests;

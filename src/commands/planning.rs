//! The path plan and apply share: refresh the live state, diff, and — for policy files — ask
//! the API to validate them; every problem is printed with its manifest position.

use super::console::errln;
use crate::cli::{GlobalArgs, PlanOptions as CliPlanOptions};
use crate::doctor;
use crate::error::Error;
use crate::live::Live;
use crate::model::{Desired, Policy};
use crate::plan::{self, Plan, PlanError, PlanOptions, PolicyWrite, Step};
use crate::reach;
use crate::refresh::{self, Scope};
use crate::state::{Record, State};

use super::session::Session;

/// A plan with what it was made from.
#[derive(Debug)]
pub struct Planned {
    /// The plan.
    pub plan: Plan,
    /// The live snapshot it was made against.
    pub live: Live,
    /// What was refreshed.
    pub scope: Scope,
}

/// The plan options a command line asks for.
pub fn options(global: &GlobalArgs, cli: &CliPlanOptions, refresh_only: bool) -> PlanOptions {
    PlanOptions {
        targets: cli.target.clone(),
        replace: cli.replace.clone(),
        allow_destroy: cli.allow_destroy,
        refresh_only,
        max_tailnets: global.max_tailnets,
        restrict: None,
        destroy_targets: false,
    }
}

/// Follows the manifests' `moved` entries on `state` (in memory: apply saves them before its
/// first step), refreshes, diffs and validates policy files; prints plan errors to stderr.
pub fn make(
    options: &PlanOptions,
    session: &Session,
    desired: &Desired,
    state: &mut State,
) -> Result<Planned, Error> {
    make_or_problems(options, session, desired, state).map_err(|(e, _)| *e)
}

/// [`make`], also returning the problems when the plan cannot be made (`plan --format json`
/// puts them in its document; they are empty for any other failure).
pub fn make_or_problems(
    options: &PlanOptions,
    session: &Session,
    desired: &Desired,
    state: &mut State,
) -> Result<Planned, (Box<Error>, Vec<PlanError>)> {
    let alone = |e: Error| (Box::new(e), Vec::new());
    refuse_in_flight(state).map_err(alone)?;
    let moved = plan::follow_moves(state, &desired.moves).map_err(|e| alone(e.into()))?;
    let state: &State = state;
    let scope = Scope::of(desired, state);
    let live = session
        .runtime
        .block_on(refresh::read(&session.client, &session.org, &scope, state))
        .map_err(|e| alone(e.into()))?;
    let mut plan = match plan::diff(desired, state, &live, options) {
        Ok(plan) => plan,
        Err(errors) => return Err((Box::new(report(&errors)), errors)),
    };
    plan.record_moves(moved);
    let checked = validate_policy_files(session, desired, state, &plan);
    if !checked.problems.is_empty() {
        let problems = checked.problems;
        return Err((Box::new(report(&problems)), problems));
    }
    plan.warnings.extend(checked.warnings);
    Ok(Planned { plan, live, scope })
}

/// The warning `tailform doctor` gives when the credential in use is an API key with less than
/// `--warn-expiry` left: printed on stderr as one line (unless `-q`) and returned, for the
/// formats that carry warnings (`plan --format json|markdown`).
pub fn warn_expiring_credential(global: &GlobalArgs, session: &Session) -> Option<String> {
    let soon = session.runtime.block_on(doctor::expiry_warning(
        &session.client,
        &session.org,
        global.warn_expiry,
    ))?;
    let line = soon.line();
    if !global.quiet {
        errln!("warning: {line}");
    }
    Some(line)
}

/// Refuses to plan over creates another live run still has in flight (its lock was removed or
/// bypassed): recovering them now would clear an intent whose object is about to exist, or
/// create its address a second time.
pub fn refuse_in_flight(state: &State) -> Result<(), Error> {
    let busy: Vec<&crate::state::Intent> = state
        .pending
        .iter()
        .filter(|i| i.in_flight_elsewhere())
        .collect();
    match busy.first().and_then(|i| i.holder.as_ref()) {
        None => Ok(()),
        Some(holder) => Err(Error::CreatesInFlight {
            pid: holder.pid,
            host: holder.host.clone(),
            addresses: busy.iter().map(|i| i.address.clone()).collect(),
        }),
    }
}

fn report(errors: &[PlanError]) -> Error {
    for e in errors {
        errln!("error: {e}");
    }
    Error::Plan {
        problems: errors.len(),
    }
}

/// What the API said about the policy files the plan would write.
struct Checked {
    /// Refusals: plan errors.
    problems: Vec<PlanError>,
    /// Warnings (`warning(s) found`): shown with the plan, which goes on.
    warnings: Vec<String>,
}

/// `POST …/acl/validate` for every policy file the plan would write to an existing tailnet; a
/// `message` in the answer is a plan error at the tailnet's manifest position, except warnings
/// only (`warning(s) found`), which the plan shows and goes on: the API stores such a policy.
fn validate_policy_files(
    session: &Session,
    desired: &Desired,
    state: &State,
    plan: &Plan,
) -> Checked {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    for (_, step) in plan.graph.steps() {
        let Step::WritePolicy {
            address,
            write: PolicyWrite::Text { text, .. },
            ..
        } = step
        else {
            continue;
        };
        let Some(tailnet) = desired.tailnets.get(&address.tailnet) else {
            continue;
        };
        let Some(Policy::File(file)) = &tailnet.policy else {
            continue;
        };
        let reach = match (
            plan.existing.get(&address.tailnet),
            state.get(&address.tailnet_address()),
        ) {
            (Some(r), _) => reach::existing(&session.org, r),
            (None, Some(Record::Tailnet(t))) if !t.existing => reach::created(&session.org, t),
            // A tailnet created by this apply has no policy endpoint yet.
            _ => continue,
        };
        let reach = match reach {
            Ok(r) => r,
            Err(e) => {
                problems.push(PlanError::new(address.clone(), e.to_string()));
                continue;
            }
        };
        let body = crate::api::PolicyBody::HuJson(text.clone());
        let verdict = session.runtime.block_on(session.client.validate_policy(
            &reach.credential,
            &reach.path,
            &body,
        ));
        match verdict {
            Ok(crate::api::PolicyValidation::Valid) => {}
            Ok(crate::api::PolicyValidation::Warnings { warnings: found }) => {
                warnings.extend(found.into_iter().map(|w| {
                    format!(
                        "the API validated the policy file `{}` of `tailnet.{}` with a warning \
                         (the plan goes on; the API stores such a policy): {w}",
                        file.path.display(),
                        address.tailnet
                    )
                }));
            }
            Ok(crate::api::PolicyValidation::Invalid { message }) => problems.push(
                PlanError::new(
                    address.clone(),
                    format!(
                        "the API rejects the policy file `{}`: {message}",
                        file.path.display()
                    ),
                )
                .at(&tailnet.origin),
            ),
            Err(e) => problems.push(PlanError::new(
                address.clone(),
                format!(
                    "cannot validate the policy file `{}`: {e}",
                    file.path.display()
                ),
            )),
        }
    }
    Checked { problems, warnings }
}

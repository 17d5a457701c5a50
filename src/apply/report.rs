//! What an apply did, as data: each step it ran, failed or skipped named by its address and
//! what it did (`ReportedStep`), failures with their typed cause (`FailedStep`), and the stop
//! when the state could not be saved (`SaveFailed`). Commands read these; nothing is matched by
//! text.

use std::fmt;

use crate::address::Address;
use crate::plan::Step;
use crate::state::BackendError;

use super::StepFailure;

/// A step as a report names it: the object it acted on and what it did to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedStep {
    /// The object's address.
    pub address: Address,
    /// What the step did, as progress lines say it (`create auth key tailnet.a.auth_key.web`).
    pub described: String,
}

impl ReportedStep {
    /// The report's entry for `step`.
    pub fn of(step: &Step) -> Self {
        Self {
            address: step.address().clone(),
            described: step.describe(),
        }
    }
}

impl fmt::Display for ReportedStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.described)
    }
}

/// A step that failed, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedStep {
    /// The step.
    pub step: ReportedStep,
    /// Why it failed, and whether it may have taken effect anyway.
    pub failure: StepFailure,
}

/// What an apply did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ApplyReport {
    /// Steps that succeeded.
    pub applied: Vec<ReportedStep>,
    /// Steps that failed, with the failure.
    pub failed: Vec<FailedStep>,
    /// Steps not run because a dependency failed (or the state could not be saved).
    pub skipped: Vec<ReportedStep>,
    /// Addresses whose create may have happened without a recorded result.
    pub outcome_unknown: Vec<Address>,
    /// Addresses skipped only because a step they depend on had an unknown outcome (a recovery
    /// round may run them).
    pub skipped_after_unknown: Vec<Address>,
    /// The lowest concurrency the walk fell to because of rate limits (`None`: never lowered).
    pub lowest_concurrency: Option<usize>,
}

impl ApplyReport {
    /// True when every step succeeded.
    pub fn succeeded(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

/// The state could not be saved: apply stopped.
#[derive(Debug, thiserror::Error)]
#[error(
    "the state could not be saved, so apply stopped before starting another step; {}",
    held(unsaved_secrets, unsaved)
)]
pub struct SaveFailed {
    /// The save error.
    #[source]
    pub source: BackendError,
    /// Addresses whose results are not on disk.
    pub unsaved: Vec<Address>,
    /// Those of them holding a new secret that exists only in this process.
    pub unsaved_secrets: Vec<Address>,
    /// The report up to the failure.
    pub report: ApplyReport,
}

/// The tail of [`SaveFailed`]'s message: which secrets exist only in memory, or that none do.
fn held(secrets: &[Address], unsaved: &[Address]) -> String {
    let list = |a: &[Address]| {
        a.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (secrets.is_empty(), unsaved.is_empty()) {
        (false, _) => format!(
            "the new secrets of {} exist only in this process",
            list(secrets)
        ),
        (true, false) => format!(
            "no secret is held only in memory; the results not saved ({}) are read again from \
             the API by the next plan",
            list(unsaved)
        ),
        (true, true) => "nothing was left unsaved".to_owned(),
    }
}

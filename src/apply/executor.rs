//! `Executor`: the seam between the walker and the API. `start` reads what a step needs from the
//! state (ids, credentials) synchronously, then the returned future talks to the API and yields
//! the [`StateUpdate`]. The HTTP implementation is `crate::apply::TailscaleExecutor`; tests use
//! scripted fakes.

use std::future::Future;

use crate::plan::Step;
use crate::state::State;

use super::StateUpdate;

/// Why a step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StepFailure {
    /// One sentence, with context (never a secret).
    pub message: String,
    /// True when the step may have taken effect although no result was received (a create whose
    /// response was lost): the next plan must read before creating again.
    pub outcome_unknown: bool,
}

impl StepFailure {
    /// A failure with a known outcome (nothing happened).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            outcome_unknown: false,
        }
    }
}

/// Runs plan steps.
pub trait Executor {
    /// The clock intents are stamped with (the API server's, when known).
    fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::now()
    }

    /// How many rate-limited (429) answers the API has given so far; apply halves its
    /// concurrency whenever this grows.
    fn rate_limited(&self) -> u64 {
        0
    }

    /// Prepares `step` from the current state and returns the operation to await.
    fn start(
        &self,
        step: &Step,
        state: &State,
    ) -> Result<impl Future<Output = Result<StateUpdate, StepFailure>> + Send + 'static, StepFailure>;
}

//! `StateSink`: where apply persists the state after each finished step — any state backend —
//! and how a save runs without stalling the walk's other tasks.

use crate::address::Address;
use crate::state::{Backend, BackendError, State};

/// Persists the state (the file, or another backend).
pub trait StateSink {
    /// Saves `state` durably (incrementing its serial).
    fn save(&mut self, state: &mut State) -> Result<(), BackendError>;

    /// Saves `state` durably when it differs from the last save only in `pending` and the
    /// records at `changed` (the walker's saves); the file appends to its journal.
    fn save_changes(
        &mut self,
        state: &mut State,
        _changed: &[Address],
    ) -> Result<(), BackendError> {
        self.save(state)
    }

    /// Called once when the walk ends: fold incremental saves into a compact one.
    fn settle(&mut self, _state: &mut State) -> Result<(), BackendError> {
        Ok(())
    }
}

/// Every state backend is a sink: a failed save (a full disk, a lost database connection, a
/// state changed by someone else) stops the walk the same way.
impl<B: Backend + ?Sized> StateSink for B {
    fn save(&mut self, state: &mut State) -> Result<(), BackendError> {
        Backend::save(self, state)
    }

    fn save_changes(&mut self, state: &mut State, changed: &[Address]) -> Result<(), BackendError> {
        Backend::save_changes(self, state, changed)
    }

    fn settle(&mut self, state: &mut State) -> Result<(), BackendError> {
        Backend::settle(self, state)
    }
}

/// Saves what changed (the intents always; the records at `changed`).
pub(super) fn save<S: StateSink + ?Sized>(
    sink: &mut S,
    state: &mut State,
    changed: &[Address],
) -> Result<(), BackendError> {
    blocking(|| sink.save_changes(state, changed))
}

/// Runs a save without stalling the runtime's other tasks (the file write and fsync, or the
/// database round trip, block).
pub(super) fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

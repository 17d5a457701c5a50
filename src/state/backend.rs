//! The state backend seam: where the state lives — the local file, or a PostgreSQL database
//! shared by a team — behind one small trait. Commands get a [`Backend`] from
//! `commands::session` and never know which one it is; the apply walker saves through it.
//!
//! The trait is synchronous. The file backend does blocking file I/O; the PostgreSQL backend
//! drives its own connection on a private runtime and blocks the calling thread for each call
//! (inside a multi-thread runtime it steps out with `block_in_place`, as the walker's saves do).
//! Keeping it synchronous keeps every command and the walker's save seam unchanged.

use std::time::Duration;

use super::document::State;
use super::file::StateFileError;
use super::lock::{LockError, LockInfo};
use super::postgres_error::PostgresError;
use crate::address::Address;
use crate::seal::Sealer;

/// Where the state lives.
pub trait Backend: Send {
    /// A short description for messages: "state file `state/tailform.json`", "PostgreSQL
    /// workspace `prod` on db.example.com:5432/tailform".
    fn describe(&self) -> String;

    /// Loads the state; a state that does not exist yet is a new, empty one.
    fn load(&mut self) -> Result<State, BackendError>;

    /// Saves `state` with its serial incremented. A shared backend refuses when the stored
    /// state moved since it was read (a lower or equal serial, or another lineage), so a lost
    /// update is impossible. On error `state.serial` is unchanged.
    fn save(&mut self, state: &mut State) -> Result<(), BackendError>;

    /// Saves a state that differs from the last save only in `pending` and the records at
    /// `changed` (a tailnet's address stands for all its records). The file appends these to its
    /// journal; other backends save in full.
    fn save_changes(
        &mut self,
        state: &mut State,
        _changed: &[Address],
    ) -> Result<(), BackendError> {
        self.save(state)
    }

    /// Makes the stored form compact again after [`Backend::save_changes`] calls (the file
    /// folds its journal in). Nothing to do for other backends.
    fn settle(&mut self, _state: &mut State) -> Result<(), BackendError> {
        Ok(())
    }

    /// Saves `state` whatever is stored (another lineage, a newer serial): `state push --force`.
    /// The serial written is above both the stored one and `state.serial`.
    fn overwrite(&mut self, state: &mut State) -> Result<(), BackendError>;

    /// Takes the exclusive lock for `operation`, waiting up to `timeout` (zero: fail at once
    /// naming the holder). Released when the guard is dropped, or when the process dies.
    fn lock(&mut self, operation: &str, timeout: Duration) -> Result<LockGuard, LockError>;

    /// Removes a stale lock whose id is `lock_id`; refuses a live holder or another id.
    fn force_unlock(&mut self, lock_id: &str) -> Result<LockInfo, LockError>;

    /// The names of the states (workspaces) this backend holds.
    fn workspaces(&mut self) -> Result<Vec<String>, BackendError>;

    /// The sealer (which secrets could not be opened, whether the state is encrypted).
    fn sealing(&self) -> &Sealer;
}

/// Why a backend could not load or save the state.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The state file.
    #[error(transparent)]
    File(#[from] StateFileError),
    /// The PostgreSQL backend.
    #[error(transparent)]
    Postgres(#[from] PostgresError),
}

/// A held state lock, released on drop.
pub struct LockGuard {
    info: LockInfo,
    _held: Box<dyn Send>,
}

impl LockGuard {
    /// A guard for `info`; dropping `held` releases the lock.
    pub fn new(info: LockInfo, held: Box<dyn Send>) -> Self {
        Self { info, _held: held }
    }

    /// Who holds it (this process).
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl std::fmt::Debug for LockGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockGuard")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

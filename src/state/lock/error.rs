//! `LockError`: why a state lock could not be taken or removed, for the file lock and the
//! PostgreSQL backend's advisory lock alike.

use std::io;
use std::path::PathBuf;

use super::info::LockInfo;
use crate::state::postgres_error::PostgresError;

/// Why a lock could not be taken or removed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds the lock.
    #[error(
        "the state is locked by another tailform run: {holder}\n  \
         wait for it to finish, pass --lock-timeout to wait, or if that run is gone for good \
         run `tailform unlock {}`",
        holder.id
    )]
    Held {
        /// The holder, from the lock file.
        holder: Box<LockInfo>,
    },
    /// Another process holds the lock and its lock file cannot be read.
    #[error("the state lock `{}` is held by another process (its holder information is unreadable)", path.display())]
    HeldUnknown {
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file cannot be created or locked.
    #[error("cannot use the state lock file `{}`", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// `unlock` with an id that is not the current lock's.
    #[error("lock id `{given}` does not match the current lock ({holder})")]
    IdMismatch {
        /// The id given.
        given: String,
        /// The actual holder.
        holder: Box<LockInfo>,
    },
    /// `unlock` while a live process holds the lock.
    #[error(
        "the lock is held by a running process ({holder}); stop that process instead of \
         removing its lock"
    )]
    StillHeld {
        /// The holder.
        holder: Box<LockInfo>,
    },
    /// Another live database session holds a PostgreSQL workspace's lock. (A run that died
    /// holds nothing: the server frees the lock when its session ends, so `unlock` is not the
    /// advice here.)
    #[error(
        "the state is locked by another tailform run: {holder} (workspace `{workspace}`)\n  \
         wait for it to finish, or pass --lock-timeout to wait; a run that died frees the lock \
         as soon as the database notices its connection is gone"
    )]
    HeldShared {
        /// The holder, from the `locks` row.
        holder: Box<LockInfo>,
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
    },
    /// A PostgreSQL workspace is locked by a session that has not recorded itself yet (or whose
    /// record was removed by hand).
    #[error(
        "the state of workspace `{workspace}` is locked by another tailform run that has not \
         recorded who it is; try again in a moment"
    )]
    HeldUnrecorded {
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
    },
    /// `unlock` when a PostgreSQL workspace has no lock.
    #[error("the state of workspace `{workspace}` is not locked")]
    WorkspaceNotLocked {
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
    },
    /// The PostgreSQL backend failed while locking.
    #[error(transparent)]
    Postgres(#[from] PostgresError),
    /// `unlock` when there is no lock file.
    #[error("the state is not locked (no `{}`)", path.display())]
    NotLocked {
        /// The lock file that does not exist.
        path: PathBuf,
    },
}

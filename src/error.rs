//! `Error`: every way a command can fail, as data. One `Display` per variant (lower-case, one
//! sentence, identifiers in backticks); `main` prints the chain once and exits 1. Diagnostics
//! with source positions (manifests, plan errors) are printed where they arise; their variants
//! here only summarise.

use std::path::PathBuf;

/// A command failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// What was being done ("read", "write", "create folder").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The command line is inconsistent in a way clap cannot express.
    #[error("{0}")]
    Usage(String),
    /// The manifests are invalid (the diagnostics were printed).
    #[error("the manifests are invalid ({errors} error(s) above)")]
    Manifests {
        /// How many errors.
        errors: usize,
    },
    /// The plan could not be made (the problems were printed).
    #[error("the plan cannot be made ({problems} problem(s) above)")]
    Plan {
        /// How many problems.
        problems: usize,
    },
    /// No usable credentials.
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialsError),
    /// The API client could not be set up.
    #[error(transparent)]
    Api(#[from] crate::api::ApiError),
    /// Reading the live state failed.
    #[error(transparent)]
    Refresh(#[from] crate::refresh::RefreshError),
    /// The state file could not be read or written.
    #[error(transparent)]
    State(#[from] crate::state::StateFileError),
    /// The state lock could not be taken or removed.
    #[error(transparent)]
    Lock(#[from] crate::state::LockError),
    /// A saved plan could not be used.
    #[error(transparent)]
    PlanFile(#[from] crate::planfile::PlanFileError),
    /// The embedded emulator could not start.
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    /// Apply could not save the state and stopped.
    #[error(transparent)]
    SaveFailed(#[from] Box<crate::apply::SaveFailed>),
    /// Apply needs a confirmation that was not given.
    #[error("{0}")]
    NotConfirmed(&'static str),
    /// Encryption keys could not be loaded.
    #[error(transparent)]
    Seal(#[from] crate::seal::SealError),
    /// The address is not in the state.
    #[error("`{0}` is not in the state")]
    NotInState(crate::address::Address),
}

impl Error {
    /// Wraps an I/O error with what was being done and where.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

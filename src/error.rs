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
        /// The path that could not be used, as given or derived.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Standard output could not be written (other than its reader going away).
    #[error("cannot write the output to stdout")]
    Stdout(#[source] std::io::Error),
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
    /// The state could not be read or written (the file, or the PostgreSQL backend).
    #[error(transparent)]
    State(#[from] crate::state::BackendError),
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
    /// `state push`/`pull` with a source that holds no state.
    #[error("the {from} holds no state to copy")]
    NothingToCopy {
        /// The source.
        from: String,
    },
    /// `state push`/`pull` when the source's secrets cannot be opened (they would be lost).
    #[error(
        "the {from} has encrypted secrets and no key given opens them, so they cannot be copied: \
         set TAILFORM_PASSPHRASE or pass --age-identity (nothing was written)"
    )]
    SealedSecrets {
        /// The source.
        from: String,
    },
    /// `state push`/`pull` onto another state.
    #[error(
        "the {destination} holds another state (lineage {theirs}; this one is {ours}): refusing \
         to overwrite it (pass --force to replace it)"
    )]
    LineageMismatch {
        /// The destination.
        destination: String,
        /// The lineage being copied.
        ours: uuid::Uuid,
        /// The destination's lineage.
        theirs: uuid::Uuid,
    },
    /// `state push`/`pull` onto a newer serial of the same state.
    #[error(
        "the {destination} is newer (serial {theirs}) than the state copied to it (serial \
         {ours}): refusing to go back (pass --force to replace it)"
    )]
    OlderSerial {
        /// The destination.
        destination: String,
        /// The serial being copied.
        ours: u64,
        /// The destination's serial.
        theirs: u64,
    },
    /// `output` was asked for secrets that are encrypted and that no key given opens.
    #[error(
        "{} secret(s) asked for are encrypted in the state and no key given opens them ({}): \
         {hint}",
        addresses.len(),
        addresses.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        hint = crate::state::UNSEAL_HINT
    )]
    SealedOutput {
        /// The sealed secrets' addresses.
        addresses: Vec<crate::address::Address>,
    },
    /// `output ADDR` for a record whose secret the state does not hold.
    #[error(
        "the state holds no secret for `{0}`: it was imported, and the API never shows a secret \
         again (`tailform apply --replace {0}` creates one with a new secret)"
    )]
    NoSecret(crate::address::Address),
    /// Apply needs credentials that are sealed and no key given opens (nothing was done).
    #[error(
        "apply needs secrets that are encrypted in the state and no key given opens them, so \
         nothing was done: {}",
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    SealedCredentials(Vec<crate::plan::SealedCredential>),
    /// Another live run has creates in flight (the state lock was removed or bypassed).
    #[error(
        "another tailform run (pid {pid} on {host}) is still creating {}: its state lock was \
         removed or bypassed, so this run would race it; wait for it to finish, then run the \
         command again (nothing was done)",
        addresses.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
    )]
    CreatesInFlight {
        /// Its process id.
        pid: u32,
        /// Its host.
        host: String,
        /// What it is creating.
        addresses: Vec<crate::address::Address>,
    },
    /// A `moved` entry or `state mv` cannot be followed.
    #[error(transparent)]
    Move(#[from] crate::plan::MoveStateError),
    /// `state mv` of two addresses that cannot be a move.
    #[error(transparent)]
    BadMove(#[from] crate::model::MoveError),
    /// The address is not in the state.
    #[error("`{0}` is not in the state")]
    NotInState(crate::address::Address),
}

impl From<crate::state::StateFileError> for Error {
    fn from(e: crate::state::StateFileError) -> Self {
        Error::State(e.into())
    }
}

impl From<crate::state::postgres::PostgresError> for Error {
    fn from(e: crate::state::postgres::PostgresError) -> Self {
        Error::State(e.into())
    }
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

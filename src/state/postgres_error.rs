//! `PostgresError`: why the PostgreSQL backend failed. It sits beside `postgres/`, not inside it:
//! the lock and backend errors wrap it and `postgres` implements the backend trait, so keeping it
//! below all three is what keeps `backend`, `lock` and `postgres` free of import circles.

use super::document::StateFormatError;
use super::serial::SerialExhausted;
use crate::seal::SealError;

/// Why the PostgreSQL backend failed.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The URL or a `PG*` variable is malformed.
    #[error("the PostgreSQL backend URL is invalid: {detail}")]
    Url {
        /// What is wrong.
        detail: String,
    },
    /// TLS could not be set up.
    #[error("cannot set up TLS for PostgreSQL: {detail}")]
    Tls {
        /// What is wrong.
        detail: String,
    },
    /// Connecting failed.
    #[error("cannot connect to PostgreSQL at {server}")]
    Connect {
        /// `user@host:port/db`.
        server: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The connection broke; nothing more is read or written through it.
    #[error(
        "the connection to PostgreSQL at {server} was lost while trying to {action}; \
         everything saved before is committed"
    )]
    ConnectionLost {
        /// `user@host:port/db`.
        server: String,
        /// What was being done.
        action: &'static str,
    },
    /// A statement failed.
    #[error("PostgreSQL at {server} failed to {action}")]
    Query {
        /// `user@host:port/db`.
        server: String,
        /// What was being done.
        action: &'static str,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The serial cannot be incremented any further.
    #[error(transparent)]
    Serial(#[from] SerialExhausted),
    /// The stored state moved since it was read (optimistic check).
    #[error(
        "the state in workspace `{workspace}` was changed by another run since it was read (it \
         is at serial {stored}; this run would write serial {writing}): refusing to overwrite \
         it — run the command again"
    )]
    Stale {
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
        /// The serial in the database.
        stored: u64,
        /// The serial this save would have written.
        writing: u64,
    },
    /// The stored state is another state altogether.
    #[error(
        "the state in workspace `{workspace}` has lineage {stored}, not {ours}: it is another \
         state; refusing to overwrite it"
    )]
    LineageMismatch {
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
        /// The lineage in the database.
        stored: uuid::Uuid,
        /// The lineage being written.
        ours: uuid::Uuid,
    },
    /// The stored document is not a state.
    #[error("the state in workspace `{workspace}` cannot be read")]
    Format {
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
        /// What is wrong.
        #[source]
        source: StateFormatError,
    },
    /// Secrets could not be sealed or opened; nothing was written.
    #[error("the state in workspace `{workspace}`: {source}")]
    Seal {
        /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
        workspace: String,
        /// What went wrong.
        #[source]
        source: SealError,
    },
    /// Plaintext secrets refused for a shared database.
    #[error(
        "tailform does not write plaintext secrets to a shared PostgreSQL database: set \
         TAILFORM_PASSPHRASE or pass --age-recipients to encrypt them, or pass \
         --allow-plaintext-secrets (nothing was written)"
    )]
    PlaintextRefused,
}

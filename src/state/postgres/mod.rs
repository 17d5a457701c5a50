//! `PostgresBackend`: the PostgreSQL state backend (issue 8) — several named states
//! (workspaces) in one table, shared by a team's laptops and CI runners.
//!
//! - **Schema** (`schema.rs`). `tailform.states(name, lineage, serial, data jsonb, updated_at)`
//!   and `tailform.locks(name, id, operation, who, host, pid, created)`, created when missing
//!   (under a transaction-level advisory lock, so two first runs do not race).
//! - **Saves** (`save.rs`) are one transaction: the row is read `FOR UPDATE` and the write is
//!   refused when the stored serial is not below the new one, or the lineage differs — a lost
//!   update is impossible even without the lock. `data` holds the document as the [`Sealer`]
//!   closes it, so secrets are age ciphertext there.
//! - **Locking** (`locking.rs`) is a session-level `pg_try_advisory_lock` on a key derived from
//!   the workspace name, taken on the one connection that lives as long as the command: if the
//!   process dies, the server ends the session and the lock is free. The `locks` row names the
//!   holder so a refused run can say who it is; a row whose advisory lock is free is stale and is
//!   replaced (or removed by `tailform unlock`).
//! - **One connection** (`connection.rs`). Loads, saves and the lock share it and it is never
//!   re-opened: when it breaks, the lock is gone *and* the next save fails, so apply stops before
//!   another step (everything saved before is committed).
//! - **Where** (`target.rs`, `tls.rs`): the URL completed by the libpq variables, and TLS.
//! - **Encryption.** Secrets are sealed by default: the command layer turns
//!   `encryption.enforce` on for this backend unless `--allow-plaintext-secrets`.
//!
//! The connection runs on a private single-threaded runtime, driven while a call blocks on it
//! (see `state::backend` for why the seam is synchronous). Errors are [`PostgresError`], kept in
//! `state::postgres_error` (below this module, the lock and the seam, which all name it).

mod connection;
mod locking;
mod save;
mod schema;
mod target;
mod tls;

use std::sync::Arc;
use std::time::Duration;

use super::backend::{Backend, BackendError, LockGuard};
use super::document::State;
use super::lock::{LockError, LockInfo};
use super::workspace::Workspace;
use crate::seal::Sealer;
use connection::Connection;

pub use super::postgres_error::PostgresError;
pub use locking::advisory_key;
pub use schema::SCHEMA;
pub use target::{Target, TlsMode};
pub use tls::install_default_provider;

/// A workspace in a PostgreSQL database.
pub struct PostgresBackend {
    conn: Arc<Connection>,
    workspace: Workspace,
    sealer: Sealer,
    /// Encryption is enforced because this is a shared database (not by the user's choice):
    /// the refusal then says how to opt out.
    enforced_by_default: bool,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend")
            .field("server", &self.conn.server)
            .field("workspace", &self.workspace)
            .finish_non_exhaustive()
    }
}

impl PostgresBackend {
    /// Connects to `target` and creates the schema when it is missing.
    pub fn connect(
        target: &Target,
        workspace: Workspace,
        sealer: Sealer,
    ) -> Result<PostgresBackend, PostgresError> {
        let conn = Connection::open(target)?;
        let backend = PostgresBackend {
            conn: Arc::new(conn),
            workspace,
            sealer,
            enforced_by_default: false,
        };
        backend.ensure_schema()?;
        Ok(backend)
    }

    /// Marks encryption as enforced by this backend's default (for the refusal's wording).
    pub fn enforced_by_default(mut self, yes: bool) -> Self {
        self.enforced_by_default = yes;
        self
    }

    /// The PostgreSQL workspace (`--workspace` or `TAILFORM_WORKSPACE`).
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }
}

impl Backend for PostgresBackend {
    fn describe(&self) -> String {
        format!(
            "PostgreSQL workspace `{}` on {}",
            self.workspace, self.conn.server
        )
    }

    fn load(&mut self) -> Result<State, BackendError> {
        Ok(self.read()?)
    }

    fn save(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.write(state, true)?)
    }

    fn overwrite(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.write(state, false)?)
    }

    fn lock(&mut self, operation: &str, timeout: Duration) -> Result<LockGuard, LockError> {
        self.take_lock(operation, timeout)
    }

    fn force_unlock(&mut self, lock_id: &str) -> Result<LockInfo, LockError> {
        self.remove_stale_lock(lock_id)
    }

    fn workspaces(&mut self) -> Result<Vec<String>, BackendError> {
        let conn = &self.conn;
        let rows = conn
            .block(
                conn.client
                    .query("SELECT name FROM tailform.states ORDER BY name", &[]),
            )
            .map_err(conn.error("list the workspaces"))?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    fn sealing(&self) -> &Sealer {
        &self.sealer
    }
}

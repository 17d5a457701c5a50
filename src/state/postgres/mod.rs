//! The PostgreSQL state backend (issue 8): several named states (workspaces) in one table,
//! shared by a team's laptops and CI runners.
//!
//! - **Schema.** `tailform.states(name, lineage, serial, data jsonb, updated_at)` and
//!   `tailform.locks(name, id, operation, who, host, pid, created)`, created when missing
//!   (under a transaction-level advisory lock, so two first runs do not race).
//! - **Saves** are one transaction: the row is read `FOR UPDATE` and the write is refused when
//!   the stored serial is not below the new one, or the lineage differs — a lost update is
//!   impossible even without the lock. `data` holds the document as the [`Sealer`] closes it,
//!   so secrets are age ciphertext there.
//! - **Locking** is a session-level `pg_try_advisory_lock` on a key derived from the workspace
//!   name, taken on the one connection that lives as long as the command: if the process dies,
//!   the server ends the session and the lock is free. The `locks` row names the holder so a
//!   refused run can say who it is; a row whose advisory lock is free is stale and is replaced
//!   (or removed by `tailform unlock`).
//! - **One connection.** Loads, saves and the lock share it and it is never re-opened: when it
//!   breaks, the lock is gone *and* the next save fails, so apply stops before another step
//!   (everything saved before is committed).
//! - **Encryption.** Secrets are sealed by default: the command layer turns
//!   `encryption.enforce` on for this backend unless `--allow-plaintext-secrets`.
//!
//! The connection runs on a private single-threaded runtime, driven while a call blocks on it
//! (see `state::backend` for why the seam is synchronous).

mod target;
mod tls;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use super::backend::{Backend, BackendError, LockGuard};
use super::lock::LockInfo;
use super::{LockError, State, StateFormatError, Workspace};
use crate::seal::{SealError, Sealer};

pub use target::{Target, TlsMode};
pub use tls::install_default_provider;

/// The schema tailform's tables live in.
pub const SCHEMA: &str = "tailform";

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
    Serial(#[from] crate::state::SerialExhausted),
    /// The stored state moved since it was read (optimistic check).
    #[error(
        "the state in workspace `{workspace}` was changed by another run since it was read (it \
         is at serial {stored}; this run would write serial {writing}): refusing to overwrite \
         it — run the command again"
    )]
    Stale {
        /// The workspace.
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
        /// The workspace.
        workspace: String,
        /// The lineage in the database.
        stored: uuid::Uuid,
        /// The lineage being written.
        ours: uuid::Uuid,
    },
    /// The stored document is not a state.
    #[error("the state in workspace `{workspace}` cannot be read")]
    Format {
        /// The workspace.
        workspace: String,
        /// What is wrong.
        #[source]
        source: StateFormatError,
    },
    /// Secrets could not be sealed or opened; nothing was written.
    #[error("the state in workspace `{workspace}`: {source}")]
    Seal {
        /// The workspace.
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

/// The one connection of a command, with the runtime that drives it.
struct Connection {
    runtime: tokio::runtime::Runtime,
    client: Client,
    server: String,
}

impl Connection {
    fn open(target: &Target) -> Result<Connection, PostgresError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PostgresError::Tls {
                detail: format!("cannot start the connection's runtime: {e}"),
            })?;
        let server = target.to_string();
        let connect = async {
            let (client, connection) = match target.tls {
                TlsMode::Disable => {
                    let (c, conn) = target.config.connect(tokio_postgres::NoTls).await?;
                    (c, tokio::spawn(log_end(conn)))
                }
                mode => {
                    let tls = tls::connector(mode).map_err(Connect::Setup)?;
                    let (c, conn) = target.config.connect(tls).await?;
                    (c, tokio::spawn(log_end(conn)))
                }
            };
            drop(connection);
            Ok::<Client, Connect>(client)
        };
        let client = runtime.block_on(connect).map_err(|e| match e {
            Connect::Setup(e) => e,
            Connect::Driver(source) => PostgresError::Connect {
                server: server.clone(),
                source,
            },
        })?;
        Ok(Connection {
            runtime,
            client,
            server,
        })
    }

    /// Runs `f` on the connection's runtime, from any thread (inside a multi-thread runtime it
    /// steps out with `block_in_place`; inside a single-threaded one, on a scoped thread).
    fn block<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        match Handle::try_current().map(|h| h.runtime_flavor()) {
            Err(_) => self.runtime.block_on(f),
            Ok(RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(|| self.runtime.block_on(f))
            }
            Ok(_) => std::thread::scope(|s| {
                s.spawn(|| self.runtime.block_on(f))
                    .join()
                    .expect("a PostgreSQL call does not panic")
            }),
        }
    }

    /// Maps a driver error: a closed connection, or the server ending the session (a `FATAL`
    /// error: terminated, shutting down), is [`PostgresError::ConnectionLost`].
    fn error(&self, action: &'static str) -> impl Fn(tokio_postgres::Error) -> PostgresError + '_ {
        move |source| {
            let fatal = source
                .as_db_error()
                .is_some_and(|d| matches!(d.severity(), "FATAL" | "PANIC"));
            if source.is_closed() || fatal {
                PostgresError::ConnectionLost {
                    server: self.server.clone(),
                    action,
                }
            } else {
                PostgresError::Query {
                    server: self.server.clone(),
                    action,
                    source,
                }
            }
        }
    }
}

enum Connect {
    Setup(PostgresError),
    Driver(tokio_postgres::Error),
}

impl From<tokio_postgres::Error> for Connect {
    fn from(e: tokio_postgres::Error) -> Self {
        Connect::Driver(e)
    }
}

/// Drives the connection until it ends; a broken one shows up at the next call.
async fn log_end<F: Future<Output = Result<(), tokio_postgres::Error>>>(conn: F) {
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "PostgreSQL connection ended");
    }
}

/// The advisory lock key of a workspace: the first 8 bytes of SHA-256 over the schema and the
/// name — stable across versions and machines.
pub fn advisory_key(workspace: &Workspace) -> i64 {
    let digest = Sha256::digest(format!("{SCHEMA}.states/{workspace}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The key that serialises creating the schema.
fn schema_key() -> i64 {
    let digest = Sha256::digest(format!("{SCHEMA}/schema").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

const CREATE_SCHEMA: &str = "
    CREATE SCHEMA IF NOT EXISTS tailform;
    CREATE TABLE IF NOT EXISTS tailform.states (
        name text PRIMARY KEY,
        lineage text NOT NULL,
        serial bigint NOT NULL,
        data jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS tailform.locks (
        name text PRIMARY KEY,
        id text NOT NULL,
        operation text NOT NULL,
        who text NOT NULL,
        host text NOT NULL,
        pid bigint NOT NULL,
        created timestamptz NOT NULL
    );";

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

    /// The workspace.
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    fn ensure_schema(&self) -> Result<(), PostgresError> {
        let conn = &self.conn;
        conn.block(async {
            let present: bool = conn
                .client
                .query_one(
                    "SELECT to_regclass('tailform.states') IS NOT NULL \
                     AND to_regclass('tailform.locks') IS NOT NULL",
                    &[],
                )
                .await?
                .get(0);
            if present {
                return Ok(());
            }
            conn.client
                .execute("SELECT pg_advisory_lock($1)", &[&schema_key()])
                .await?;
            let created = conn.client.batch_execute(CREATE_SCHEMA).await;
            conn.client
                .execute("SELECT pg_advisory_unlock($1)", &[&schema_key()])
                .await?;
            created
        })
        .map_err(conn.error("create the schema `tailform`"))
    }

    fn seal_error(&self, source: SealError) -> PostgresError {
        match source {
            SealError::Enforced if self.enforced_by_default => PostgresError::PlaintextRefused,
            source => PostgresError::Seal {
                workspace: self.workspace.to_string(),
                source,
            },
        }
    }

    /// Writes `state` with the next serial. With `check`, one transaction reads the stored row
    /// `FOR UPDATE` and refuses a moved or foreign state; without it (`--force`), the serial
    /// written is above the stored one.
    fn write(&mut self, state: &mut State, check: bool) -> Result<(), PostgresError> {
        let base = if check {
            state.serial
        } else {
            state.serial.max(self.stored()?.map_or(0, |s| s.1))
        };
        let next = crate::state::next_serial(base)?;
        let mut doc = {
            let old = std::mem::replace(&mut state.serial, next);
            let doc = state.to_json();
            state.serial = old;
            doc
        };
        self.sealer
            .close(&mut doc)
            .map_err(|e| self.seal_error(e))?;
        let conn = Arc::clone(&self.conn);
        let name = self.workspace.as_str();
        let lineage = state.lineage.to_string();
        let serial = i64::try_from(next).expect("serials stop at MAX_SERIAL (i64::MAX)");
        let client = &conn.client;
        let moved = conn
            .block(async {
                client.batch_execute("BEGIN").await?;
                let result = async {
                    let row = client
                        .query_opt(
                            "SELECT lineage, serial FROM tailform.states WHERE name = $1 \
                             FOR UPDATE",
                            &[&name],
                        )
                        .await?;
                    if check && let Some(row) = row {
                        let (l, s): (String, i64) = (row.get(0), row.get(1));
                        if l != lineage || s >= serial {
                            return Ok(Some((l, s)));
                        }
                    }
                    client
                        .execute(
                            "INSERT INTO tailform.states (name, lineage, serial, data, updated_at) \
                             VALUES ($1, $2, $3, $4, now()) ON CONFLICT (name) DO UPDATE SET \
                             lineage = EXCLUDED.lineage, serial = EXCLUDED.serial, \
                             data = EXCLUDED.data, updated_at = now()",
                            &[&name, &lineage, &serial, &doc],
                        )
                        .await?;
                    Ok(None)
                }
                .await;
                match &result {
                    Ok(None) => client.batch_execute("COMMIT").await?,
                    // The original error (or the refusal) matters, not the rollback's.
                    _ => drop(client.batch_execute("ROLLBACK").await),
                }
                result
            })
            .map_err(conn.error("save the state"))?;
        if let Some((lineage, stored)) = moved {
            self.refuse_moved(state, &lineage, u64::try_from(stored).unwrap_or(0), next)?;
        }
        state.serial = next;
        if self.sealer.take_envelope_changed() {
            self.purge_old_versions();
        }
        Ok(())
    }

    /// After a save that changed the encryption envelope (`state encrypt`, a roll-over), the
    /// row's previous versions — plaintext, or sealed to the old key — still sit in the table's
    /// storage until PostgreSQL reuses it. `VACUUM FULL` rewrites the table without them. Best
    /// effort: a role that may not vacuum gets a warning (the README says what else keeps old
    /// rows: WAL, replicas, backups).
    fn purge_old_versions(&self) {
        let conn = Arc::clone(&self.conn);
        let client = &conn.client;
        if let Err(e) = conn.block(client.batch_execute("VACUUM FULL tailform.states")) {
            tracing::warn!(
                error = %e,
                "could not VACUUM FULL tailform.states: earlier versions of the state may remain \
                 in the table's storage"
            );
        }
    }

    fn refuse_moved(
        &self,
        state: &State,
        lineage: &str,
        stored: u64,
        next: u64,
    ) -> Result<(), PostgresError> {
        let stored_lineage = lineage.parse::<uuid::Uuid>().unwrap_or_default();
        if stored_lineage != state.lineage {
            return Err(PostgresError::LineageMismatch {
                workspace: self.workspace.to_string(),
                stored: stored_lineage,
                ours: state.lineage,
            });
        }
        if stored >= next {
            return Err(PostgresError::Stale {
                workspace: self.workspace.to_string(),
                stored,
                writing: next,
            });
        }
        Ok(())
    }

    /// The stored (lineage, serial), when the workspace has a state.
    fn stored(&self) -> Result<Option<(String, u64)>, PostgresError> {
        let conn = &self.conn;
        let name = self.workspace.as_str();
        let row = conn
            .block(conn.client.query_opt(
                "SELECT lineage, serial FROM tailform.states WHERE name = $1",
                &[&name],
            ))
            .map_err(conn.error("read the state"))?;
        Ok(row.map(|r| {
            let serial: i64 = r.get(1);
            (r.get(0), u64::try_from(serial).unwrap_or(0))
        }))
    }

    /// The holder recorded for the workspace.
    fn holder(&self) -> Result<Option<LockInfo>, PostgresError> {
        let conn = &self.conn;
        let name = self.workspace.as_str();
        let row = conn
            .block(conn.client.query_opt(
                "SELECT id, operation, who, host, pid, to_json(created)#>>'{}' \
                 FROM tailform.locks WHERE name = $1",
                &[&name],
            ))
            .map_err(conn.error("read the lock holder"))?;
        Ok(row.map(|r| {
            let pid: i64 = r.get(4);
            let created: String = r.get(5);
            LockInfo {
                id: r.get(0),
                operation: r.get(1),
                who: r.get(2),
                host: r.get(3),
                pid: u32::try_from(pid).unwrap_or(0),
                created: created.parse().unwrap_or_default(),
            }
        }))
    }

    fn try_advisory(&self, key: i64) -> Result<bool, PostgresError> {
        let conn = &self.conn;
        let row = conn
            .block(
                conn.client
                    .query_one("SELECT pg_try_advisory_lock($1)", &[&key]),
            )
            .map_err(conn.error("take the state lock"))?;
        Ok(row.get(0))
    }

    /// Records this process as the holder (replacing a stale row).
    fn record_holder(&self, info: &LockInfo) -> Result<(), PostgresError> {
        let conn = &self.conn;
        let name = self.workspace.as_str();
        let pid = i64::from(info.pid);
        let created = info.created.to_string();
        conn.block(conn.client.execute(
            "INSERT INTO tailform.locks (name, id, operation, who, host, pid, created) \
             VALUES ($1, $2, $3, $4, $5, $6, ($7::text)::timestamptz) \
             ON CONFLICT (name) DO UPDATE SET id = EXCLUDED.id, operation = EXCLUDED.operation, \
             who = EXCLUDED.who, host = EXCLUDED.host, pid = EXCLUDED.pid, \
             created = EXCLUDED.created",
            &[
                &name,
                &info.id,
                &info.operation,
                &info.who,
                &info.host,
                &pid,
                &created,
            ],
        ))
        .map_err(conn.error("record the lock holder"))?;
        Ok(())
    }

    fn held_error(&self) -> LockError {
        match self.holder() {
            Ok(Some(holder)) => LockError::HeldShared {
                holder: Box::new(holder),
                workspace: self.workspace.to_string(),
            },
            Ok(None) => LockError::HeldUnrecorded {
                workspace: self.workspace.to_string(),
            },
            Err(e) => LockError::Postgres(e),
        }
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
        let conn = &self.conn;
        let name = self.workspace.as_str();
        let row = conn
            .block(
                conn.client
                    .query_opt("SELECT data FROM tailform.states WHERE name = $1", &[&name]),
            )
            .map_err(conn.error("read the state"))?;
        let Some(row) = row else {
            return Ok(State::new());
        };
        let mut doc: serde_json::Value = row.get(0);
        self.sealer.open(&mut doc).map_err(|e| self.seal_error(e))?;
        State::from_json(doc).map_err(|source| {
            PostgresError::Format {
                workspace: self.workspace.to_string(),
                source,
            }
            .into()
        })
    }

    fn save(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.write(state, true)?)
    }

    fn overwrite(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.write(state, false)?)
    }

    fn lock(&mut self, operation: &str, timeout: Duration) -> Result<LockGuard, LockError> {
        let key = advisory_key(&self.workspace);
        let deadline = Instant::now() + timeout;
        loop {
            if self.try_advisory(key)? {
                let info = LockInfo::for_this_process(operation);
                self.record_holder(&info)?;
                let held = PgLock {
                    conn: Arc::clone(&self.conn),
                    workspace: self.workspace.clone(),
                    key,
                    id: info.id.clone(),
                };
                return Ok(LockGuard::new(info, Box::new(held)));
            }
            if Instant::now() >= deadline {
                return Err(self.held_error());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn force_unlock(&mut self, lock_id: &str) -> Result<LockInfo, LockError> {
        let Some(holder) = self.holder()? else {
            return Err(LockError::WorkspaceNotLocked {
                workspace: self.workspace.to_string(),
            });
        };
        if holder.id != lock_id {
            return Err(LockError::IdMismatch {
                given: lock_id.to_owned(),
                holder: Box::new(holder),
            });
        }
        let key = advisory_key(&self.workspace);
        if !self.try_advisory(key)? {
            return Err(LockError::StillHeld {
                holder: Box::new(holder),
            });
        }
        let stale = PgLock {
            conn: Arc::clone(&self.conn),
            workspace: self.workspace.clone(),
            key,
            id: holder.id.clone(),
        };
        stale.release()?;
        Ok(holder)
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

/// A held advisory lock and its holder row; released on drop (and by the server when the
/// session ends).
struct PgLock {
    conn: Arc<Connection>,
    workspace: Workspace,
    key: i64,
    id: String,
}

impl PgLock {
    fn release(&self) -> Result<(), PostgresError> {
        let conn = &self.conn;
        let name = self.workspace.as_str();
        conn.block(async {
            conn.client
                .execute(
                    "DELETE FROM tailform.locks WHERE name = $1 AND id = $2",
                    &[&name, &self.id],
                )
                .await?;
            conn.client
                .execute("SELECT pg_advisory_unlock($1)", &[&self.key])
                .await
        })
        .map_err(conn.error("release the state lock"))?;
        Ok(())
    }
}

impl Drop for PgLock {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            // The session ending frees the advisory lock; the row left behind is stale and is
            // replaced by the next run.
            tracing::debug!(error = %e, "could not release the PostgreSQL lock explicitly");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_keys_are_stable_and_distinct() {
        let a: Workspace = "default".parse().unwrap();
        let b: Workspace = "prod".parse().unwrap();
        assert_eq!(advisory_key(&a), advisory_key(&a.clone()));
        assert_ne!(advisory_key(&a), advisory_key(&b));
        assert_ne!(advisory_key(&a), schema_key());
        // Pinned: the key must never change between versions, or two versions would not
        // exclude each other.
        let digest = Sha256::digest(b"tailform.states/default");
        assert_eq!(
            advisory_key(&a).to_be_bytes(),
            <[u8; 8]>::try_from(&digest[..8]).unwrap()
        );
    }
}

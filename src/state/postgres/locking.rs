//! The backend's locking: a session-level `pg_try_advisory_lock` on a key derived from the
//! workspace name, taken on the command's one connection (if the process dies the server ends
//! the session and the lock is free), and the `tailform.locks` row that names the holder so a
//! refused run can say who it is; a row whose advisory lock is free is stale and is replaced (or
//! removed by `tailform unlock`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::PostgresBackend;
use super::connection::Connection;
use super::schema::SCHEMA;
use crate::state::backend::LockGuard;
use crate::state::lock::{LockError, LockInfo};
use crate::state::postgres_error::PostgresError;
use crate::state::workspace::Workspace;

/// The advisory lock key of a workspace: the first 8 bytes of SHA-256 over the schema and the
/// name — stable across versions and machines.
pub fn advisory_key(workspace: &Workspace) -> i64 {
    let digest = Sha256::digest(format!("{SCHEMA}.states/{workspace}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

impl PostgresBackend {
    /// Takes the workspace's lock for `operation`, waiting up to `timeout`.
    pub(super) fn take_lock(
        &mut self,
        operation: &str,
        timeout: Duration,
    ) -> Result<LockGuard, LockError> {
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

    /// Removes the stale lock whose id is `lock_id`; refuses a live holder or another id.
    pub(super) fn remove_stale_lock(&mut self, lock_id: &str) -> Result<LockInfo, LockError> {
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
    use crate::state::postgres::schema::schema_key;

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

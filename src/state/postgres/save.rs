//! The backend's save: the state row in `tailform.states`, read and written in one transaction
//! that reads it `FOR UPDATE` and refuses the write when the stored serial is not below the new
//! one or the lineage differs — a lost update is impossible even without the lock. `data` holds
//! the document as the sealer closes it, so secrets are age ciphertext there.

use std::sync::Arc;

use super::PostgresBackend;
use crate::seal::SealError;
use crate::state::document::State;
use crate::state::postgres_error::PostgresError;
use crate::state::serial::next_serial;

impl PostgresBackend {
    /// Loads the workspace's state; a workspace without a row is a new, empty state.
    pub(super) fn read(&mut self) -> Result<State, PostgresError> {
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
        State::from_json(doc).map_err(|source| PostgresError::Format {
            workspace: self.workspace.to_string(),
            source,
        })
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
    pub(super) fn write(&mut self, state: &mut State, check: bool) -> Result<(), PostgresError> {
        let base = if check {
            state.serial
        } else {
            state.serial.max(self.stored()?.map_or(0, |s| s.1))
        };
        let next = next_serial(base)?;
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
}

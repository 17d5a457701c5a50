//! The backend's schema: `tailform.states` and `tailform.locks`, created when missing under a
//! transaction-level advisory lock, so two first runs do not race.

use sha2::{Digest, Sha256};

use super::PostgresBackend;
use crate::state::postgres_error::PostgresError;

/// The schema tailform's tables live in.
pub const SCHEMA: &str = "tailform";

/// The key that serialises creating the schema.
pub(super) fn schema_key() -> i64 {
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

impl PostgresBackend {
    /// Creates the tables when they are missing.
    pub(super) fn ensure_schema(&self) -> Result<(), PostgresError> {
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
}

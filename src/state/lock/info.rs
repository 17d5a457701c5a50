//! `LockInfo`: who holds a state lock — the lock id `tailform unlock` needs, the operation, user,
//! host, pid and start — as the file lock writes it in its JSON body and the PostgreSQL backend in
//! its `locks` row.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Who holds a lock, as written in the lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockInfo {
    /// The lock id `tailform unlock` needs.
    pub id: String,
    /// The operation (`plan`, `apply`, …).
    pub operation: String,
    /// User name.
    pub who: String,
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// When it was taken.
    pub created: Timestamp,
}

impl LockInfo {
    /// A new holder record for this process (a fresh lock id).
    pub(crate) fn for_this_process(operation: &str) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_owned(),
            who: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
            pid: std::process::id(),
            created: Timestamp::now(),
        }
    }
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ID {}, operation `{}`, by {} on {} (pid {}) since {}",
            self.id, self.operation, self.who, self.host, self.pid, self.created
        )
    }
}

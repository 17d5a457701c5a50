//! The state: what tailform created, the ids the API assigned and the one-time secrets it showed
//! once (DESIGN §7). This module owns the in-memory [`State`], its versioned JSON form, the
//! [`Backend`] seam where it is kept — in `file` and `lock` the atomic, locked state file on
//! disk; in `postgres` a team's shared database.
//!
//! The files, from the bottom up (an arrow only ever points down this list):
//!
//! - `serial`, `sibling`, `workspace`, `holder`, `stored_secret`, `strict_json`: small values and checks.
//! - `record`, `intent`, `document`: the records, the creates in flight, and [`State`] with its
//!   JSON document.
//! - `postgres_error`, `lock`: the errors and lock types both backends and the seam share.
//! - `backend`: the [`Backend`] trait, [`BackendError`] and [`LockGuard`].
//! - `file` (with `journal`), `file_backend`, `postgres`: the implementations.

mod backend;
mod document;
mod file;
mod file_backend;
mod holder;
mod intent;
mod journal;
mod lock;
pub mod postgres;
mod postgres_error;
mod record;
mod serial;
mod sibling;
mod stored_secret;
mod strict_json;
mod workspace;

pub use backend::{Backend, BackendError, LockGuard};
pub use document::{FORMAT_VERSION, State, StateFormatError};
pub use file::{StateFile, StateFileError};
pub use file_backend::FileBackend;
pub use holder::Holder;
pub use intent::Intent;
pub use journal::JournalError;
pub use lock::{LockError, LockInfo, StateLock};
pub use record::{
    BootstrapClient, ClientAttributes, ClientRecord, Deposed, DeposedTailnet, IdentityAttributes,
    IdentityRecord, KeyAttributes, KeyRecord, ManagedPolicy, PolicyRecord, Record, SettingsRecord,
    TailnetRecord, WebhookAttributes, WebhookRecord,
};
pub use serial::{MAX_SERIAL, SerialExhausted, next_serial};
pub use stored_secret::{SecretKnowledge, StoredSecret, UNSEAL_HINT};
pub use workspace::{DEFAULT_WORKSPACE, Workspace};

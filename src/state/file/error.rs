//! `StateFileError`: why the state file cannot be loaded or saved, naming the file.

use std::io;
use std::path::PathBuf;

use super::super::journal::JournalError;
use crate::state::document::StateFormatError;
use crate::state::serial::SerialExhausted;

/// Why the state file cannot be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum StateFileError {
    /// Reading failed.
    #[error("cannot read the state file `{}`", path.display())]
    Read {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file is not JSON.
    #[error("the state file `{}` cannot be parsed as JSON", path.display())]
    Json {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// The parse error (it carries a line and column, never file content).
        #[source]
        source: serde_json::Error,
    },
    /// The JSON is not a state document.
    #[error("the state file `{}` cannot be read", path.display())]
    Format {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: StateFormatError,
    },
    /// Group or others may read the file (it holds secrets).
    #[error(
        "the state file `{}` is readable by group or others (mode {mode:o}); it holds secrets — \
         run `chmod 600 {}` (or pass --insecure-permissions to read it anyway)",
        path.display(), path.display()
    )]
    InsecurePermissions {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The secrets could not be sealed or opened; nothing was written.
    #[error("the state file `{}`: {source}", path.display())]
    Seal {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// What went wrong.
        #[source]
        source: crate::seal::SealError,
    },
    /// The journal next to the file cannot be replayed; nothing was loaded.
    #[error("the state journal `{}`: {source}", path.display())]
    Journal {
        /// The journal.
        path: PathBuf,
        /// What is wrong.
        #[source]
        source: JournalError,
    },
    /// The path is not a regular file (or a link to one).
    #[error("cannot use `{}` as the state file", path.display())]
    NotAFile {
        /// The path as given.
        path: PathBuf,
        /// Why (a device, a directory, a link loop, …).
        #[source]
        source: io::Error,
    },
    /// Another run wrote the state since this one read it (the lock was bypassed or removed).
    #[error(
        "the state file `{}` was changed by another run since it was read (it is at serial \
         {stored}{other}; this run would write serial {writing}): refusing to overwrite it — run \
         the command again",
        path.display(),
        other = if *other_lineage { ", of another lineage" } else { "" }
    )]
    Moved {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// The serial on disk (file plus journal).
        stored: u64,
        /// The serial this save would have written.
        writing: u64,
        /// The file on disk holds another state altogether.
        other_lineage: bool,
    },
    /// The serial cannot be incremented any further.
    #[error("the state file `{}`: {source}", path.display())]
    Serial {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// The serial.
        #[source]
        source: SerialExhausted,
    },
    /// Writing failed; the previous state file is untouched.
    #[error("cannot write the state file `{}` (the previous version is untouched)", path.display())]
    Write {
        /// The state file's path (`--state`, default `state/tailform.json`).
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

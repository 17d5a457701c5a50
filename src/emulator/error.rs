//! `EmulatorError`: why the emulator could not start (or could not save its data at shutdown).
//! Each message is one sentence naming the address or file involved.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure to start or stop the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listen address is not a loopback address.
    #[error(
        "the emulator listens on loopback only, but `{addr}` is not a loopback address (use 127.0.0.1 or [::1])"
    )]
    NotLoopback {
        /// The refused address.
        addr: SocketAddr,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on `{addr}`")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The data file exists but could not be read.
    #[error("cannot read the emulator data file `{}`", path.display())]
    ReadData {
        /// The data file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The data file is not valid JSON of the expected shape.
    #[error("the emulator data file `{}` is corrupt (delete it to start afresh)", path.display())]
    CorruptData {
        /// The data file.
        path: PathBuf,
        /// What the parser found.
        #[source]
        source: serde_json::Error,
    },
    /// The data file parses but its parts contradict each other.
    #[error("the emulator data file `{}` is corrupt: {what} (delete it to start afresh)", path.display())]
    InconsistentData {
        /// The data file.
        path: PathBuf,
        /// What does not fit.
        what: String,
    },
    /// The data file was written by another layout version.
    #[error("the emulator data file `{}` has layout version {found}, but this tailform reads version 1", path.display())]
    UnsupportedDataVersion {
        /// The data file.
        path: PathBuf,
        /// The version found (`none` when absent).
        found: String,
    },
    /// The data file could not be written.
    #[error("cannot write the emulator data file `{}`", path.display())]
    WriteData {
        /// The data file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration contradicts the data file (e.g. another organization client id).
    #[error("the emulator data file `{}` holds a different organization client {what}; drop the option or use another data file", path.display())]
    ConfigConflict {
        /// The data file.
        path: PathBuf,
        /// `id` or `secret`.
        what: &'static str,
    },
    /// A configuration value is out of range.
    #[error("invalid emulator configuration: {0}")]
    InvalidConfig(String),
}

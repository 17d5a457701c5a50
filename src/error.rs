//! `Error`: every way a command can fail, as data. One `Display` per variant (lower-case, one
//! sentence, identifiers in backticks); `main` prints the chain once and exits 1.

use std::path::PathBuf;

/// A command failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot {action} `{}`", path.display())]
    Io {
        /// What was being done ("read", "write", "create folder").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The local API emulator could not start or stop.
    #[error(transparent)]
    Emulator(#[from] crate::emulator::EmulatorError),
    /// The command line is inconsistent in a way clap cannot express.
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// Wraps an I/O error with what was being done and where.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

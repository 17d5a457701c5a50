//! `Delivery` sinks (where a new secret is handed to its consumer after a create or rotation) and
//! `EnvName`, the variable name used by `tailform output --format env`.

use std::fmt;
use std::path::PathBuf;

/// One `deliver:` entry of an OAuth client or auth key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Write the secret to this file (mode 0600, atomically). Relative paths are relative to the
    /// folder of the manifest that declares it.
    File {
        /// Where to write.
        path: PathBuf,
    },
    /// Run this program with the secret on stdin only (never in argv or the environment). It runs
    /// in the folder of the manifest that declares it.
    Command {
        /// Program and arguments; never empty.
        argv: Vec<String>,
    },
}

/// Why a string is not a valid [`EnvName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an environment variable name is `[A-Z_][A-Z0-9_]*`")]
pub struct EnvNameError;

/// A shell environment variable name: `[A-Z_][A-Z0-9_]*`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvName(String);

impl EnvName {
    /// Parses and validates a variable name.
    pub fn parse(s: &str) -> Result<Self, EnvNameError> {
        let mut chars = s.chars();
        let first = chars.next().ok_or(EnvNameError)?;
        let ok_first = first.is_ascii_uppercase() || first == '_';
        let ok_rest = chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if ok_first && ok_rest {
            Ok(Self(s.to_owned()))
        } else {
            Err(EnvNameError)
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names() {
        assert!(EnvName::parse("TS_AUTHKEY").is_ok());
        assert!(EnvName::parse("_X1").is_ok());
        assert!(EnvName::parse("1X").is_err());
        assert!(EnvName::parse("ts").is_err());
        assert!(EnvName::parse("").is_err());
    }
}

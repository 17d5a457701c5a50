//! `Delivery` sinks (where a new secret is handed to its consumer after a create or rotation) and
//! `EnvName`, the variable name used by `tailform output --format env`.

use std::fmt;
use std::path::PathBuf;

use crate::address::Address;

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

    /// The name used when a resource sets no `envName`: `TAILFORM_` followed by the address
    /// without its leading `tailnet.`, upper-cased, with every character other than `A-Z` and
    /// `0-9` replaced by `_` (`tailnet.acme-prod.auth_key.web` → `TAILFORM_ACME_PROD_AUTH_KEY_WEB`).
    pub fn derive(address: &Address) -> EnvName {
        let text = address.to_string();
        let rest = text.strip_prefix("tailnet.").unwrap_or(&text);
        let mut name = String::with_capacity(rest.len() + 9);
        name.push_str("TAILFORM_");
        name.extend(rest.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        }));
        EnvName(name)
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

    #[test]
    fn derived_names() {
        let a: Address = "tailnet.acme-prod.auth_key.web".parse().unwrap();
        assert_eq!(
            EnvName::derive(&a).as_str(),
            "TAILFORM_ACME_PROD_AUTH_KEY_WEB"
        );
        let c: Address = "tailnet.a.oauth_client.ci-2".parse().unwrap();
        assert_eq!(EnvName::derive(&c).as_str(), "TAILFORM_A_OAUTH_CLIENT_CI_2");
        assert!(EnvName::parse(EnvName::derive(&c).as_str()).is_ok());
    }
}

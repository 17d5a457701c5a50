//! `Name`: the logical name of a tailnet, OAuth client or auth key in a manifest
//! (`[a-z0-9][a-z0-9-]{0,62}`), used in addresses and state keys.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid [`Name`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The string is empty.
    #[error("a name cannot be empty")]
    Empty,
    /// Longer than 63 characters.
    #[error("a name has at most 63 characters, this one has {0}")]
    TooLong(usize),
    /// The first character is not a lower-case letter or digit.
    #[error("a name starts with a lower-case letter or a digit")]
    BadStart,
    /// A character outside `[a-z0-9-]`.
    #[error("a name uses only lower-case letters, digits and `-` (found `{0}`)")]
    BadChar(char),
}

/// A logical resource name: `[a-z0-9][a-z0-9-]{0,62}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// Parses and validates a name.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let mut chars = s.chars();
        let first = chars.next().ok_or(NameError::Empty)?;
        if !(first.is_ascii_lowercase() || first.is_ascii_digit()) {
            return Err(NameError::BadStart);
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(NameError::BadChar(bad));
        }
        let len = s.chars().count();
        if len > 63 {
            return Err(NameError::TooLong(len));
        }
        Ok(Self(s.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Name {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Name::parse(&s)
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_rejects() {
        assert!(Name::parse("acme-prod").is_ok());
        assert!(Name::parse("0a").is_ok());
        assert_eq!(Name::parse(""), Err(NameError::Empty));
        assert_eq!(Name::parse("-a"), Err(NameError::BadStart));
        assert_eq!(Name::parse("Acme"), Err(NameError::BadStart));
        assert_eq!(Name::parse("a_b"), Err(NameError::BadChar('_')));
        assert_eq!(Name::parse(&"a".repeat(64)), Err(NameError::TooLong(64)));
        assert!(Name::parse(&"a".repeat(63)).is_ok());
    }
}

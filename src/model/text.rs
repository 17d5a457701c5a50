//! Free-text fields with API character rules: `DisplayName` (tailnets) and `Description`
//! (OAuth clients and auth keys).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid [`DisplayName`] or [`Description`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty where a value is required.
    #[error("cannot be empty")]
    Empty,
    /// Too many characters.
    #[error("has {len} characters; the limit is {max}")]
    TooLong {
        /// Characters found.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character the API refuses.
    #[error("contains `{found}`; allowed are {allowed}")]
    BadChar {
        /// The first refused character.
        found: char,
        /// What is allowed, in words.
        allowed: &'static str,
    },
}

/// A tailnet display name: `^[A-Za-z0-9' -]{1,50}$` — ASCII letters, digits, spaces, `'` and
/// `-`, 1–50 characters — unique in the organization. The grammar is the one verified against
/// the real API (FIDELITY-2 §1 #3, §6: KB-TN names the characters, SPUR measured the grammar);
/// letters outside ASCII are refused by the API.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    /// Maximum length the API accepts.
    pub const MAX: usize = 50;

    /// Parses and validates a display name.
    pub fn parse(s: &str) -> Result<Self, TextError> {
        if s.is_empty() {
            return Err(TextError::Empty);
        }
        check_chars(
            s,
            |c| c.is_ascii_alphanumeric() || c == ' ' || c == '\'' || c == '-',
            "ASCII letters, digits, spaces, `'` and `-`",
        )?;
        check_len(s, Self::MAX)?;
        Ok(Self(s.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An OAuth client or auth key description: up to 50 letters, digits, spaces and hyphens (the
/// OpenAPI text); may be empty.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Description(String);

impl Description {
    /// Maximum length the API accepts.
    pub const MAX: usize = 50;

    /// Parses and validates a description.
    pub fn parse(s: &str) -> Result<Self, TextError> {
        check_chars(
            s,
            |c| c.is_ascii_alphanumeric() || c == ' ' || c == '-',
            "ASCII letters, digits, spaces and `-`",
        )?;
        check_len(s, Self::MAX)?;
        Ok(Self(s.to_owned()))
    }

    /// The description as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn check_chars(s: &str, ok: impl Fn(char) -> bool, allowed: &'static str) -> Result<(), TextError> {
    match s.chars().find(|&c| !ok(c)) {
        Some(found) => Err(TextError::BadChar { found, allowed }),
        None => Ok(()),
    }
}

fn check_len(s: &str, max: usize) -> Result<(), TextError> {
    let len = s.chars().count();
    if len > max {
        return Err(TextError::TooLong { len, max });
    }
    Ok(())
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = TextError;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                <$t>::parse(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype_impls!(DisplayName);
string_newtype_impls!(Description);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names() {
        assert!(DisplayName::parse("Acme Prod").is_ok());
        assert!(DisplayName::parse("O'Brien-Co 2").is_ok());
        assert_eq!(DisplayName::parse(""), Err(TextError::Empty));
        assert!(matches!(
            DisplayName::parse("a.b"),
            Err(TextError::BadChar { found: '.', .. })
        ));
        assert!(DisplayName::parse(&"x".repeat(50)).is_ok());
        assert_eq!(
            DisplayName::parse(&"x".repeat(51)),
            Err(TextError::TooLong { len: 51, max: 50 })
        );
        assert!(matches!(
            DisplayName::parse("Zürich"),
            Err(TextError::BadChar { found: 'ü', .. })
        ));
    }

    #[test]
    fn descriptions() {
        assert!(Description::parse("").is_ok());
        assert!(Description::parse("CI provisioning").is_ok());
        assert!(matches!(
            Description::parse("ci_bot"),
            Err(TextError::BadChar { found: '_', .. })
        ));
        assert_eq!(
            Description::parse(&"a".repeat(51)),
            Err(TextError::TooLong { len: 51, max: 50 })
        );
    }
}

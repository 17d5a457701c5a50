//! `Workspace`: the name of one state among several in a shared backend (`--workspace NAME`,
//! default `default`), like Terraform's workspaces. Names are 1–64 letters, digits, `-`, `_`
//! and `.`, starting with a letter or digit, so they read the same in a lock message, a SQL row
//! and a CI variable.

use std::fmt;
use std::str::FromStr;

/// The workspace every backend starts with.
pub const DEFAULT_WORKSPACE: &str = "default";

/// A valid workspace name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Workspace(String);

impl Workspace {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `default`.
    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_WORKSPACE
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace(DEFAULT_WORKSPACE.to_owned())
    }
}

impl fmt::Display for Workspace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Workspace {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let starts_well = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if (1..=64).contains(&s.len()) && starts_well && s.chars().all(valid_char) {
            Ok(Workspace(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a workspace name: use 1-64 letters, digits, `-`, `_` or `.`, \
                 starting with a letter or digit"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert_eq!(
            "prod-eu.1".parse::<Workspace>().unwrap().as_str(),
            "prod-eu.1"
        );
        assert!(Workspace::default().is_default());
        for bad in ["", "-x", "a b", "ä", &"x".repeat(65)] {
            let err = bad.parse::<Workspace>().unwrap_err();
            assert!(err.contains("is not a workspace name"), "{err}");
        }
    }
}

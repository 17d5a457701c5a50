//! `PlanError`: a reason the plan cannot be made (a guarded delete, a tailnet to import, an
//! undefined tag on a tailnet whose policy tailform does not manage, a policy file the API
//! rejects). All are collected and reported together.

use std::fmt;

use crate::address::Address;
use crate::model::Origin;

/// One reason the plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// The address concerned.
    pub address: Address,
    /// Where in the manifests, when known.
    pub origin: Option<Origin>,
    /// One sentence.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl PlanError {
    /// A new error.
    pub fn new(address: Address, message: impl Into<String>) -> Self {
        Self {
            address,
            origin: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the manifest position.
    pub fn at(mut self, origin: &Origin) -> Self {
        self.origin = Some(origin.clone());
        self
    }

    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(origin) = &self.origin {
            write!(f, "{origin}: ")?;
        }
        write!(f, "`{}`: {}", self.address, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

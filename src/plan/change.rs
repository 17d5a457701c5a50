//! `Change`: one address's planned change as users see it — action, reason, before/after
//! attributes (never a secret), the attributes forcing replacement, and notes. Renderers consume
//! it; apply does not (apply runs `Step`s).

use std::sync::Arc;

use serde_json::Value;

use crate::address::Address;

use super::{Action, Reason};

/// One address's planned change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The address.
    pub address: Address,
    /// What happens.
    pub action: Action,
    /// Why (display only).
    pub reason: Option<Reason>,
    /// Set when the change concerns a deposed (previous) object: its id.
    pub deposed: Option<String>,
    /// Attributes before (as live/state know them); `None` when the object does not exist yet.
    /// Shared (`Arc`) because an unchanged object's before and after are one value: a plan of
    /// thousands of unchanged keys holds each view once.
    pub before: Option<Arc<Value>>,
    /// Attributes after; `None` when the object will not exist.
    pub after: Option<Arc<Value>>,
    /// Attributes whose change forces the replacement.
    pub replace_paths: Vec<String>,
    /// True when the object carries a secret (shown only as `(sensitive value)`).
    pub sensitive: bool,
    /// A unified diff (policy documents).
    pub diff: Option<String>,
    /// Extra lines for humans (rotation timing, why nothing happens to an invalid key, …).
    pub notes: Vec<String>,
    /// The address the object had before a `moved` entry renamed it.
    pub previous_address: Option<Address>,
    /// True when an in-place change gives the object a new secret (a webhook's rotation): the
    /// secret is shown as known after apply.
    pub new_secret: bool,
}

impl Change {
    /// A change with no attributes yet.
    pub fn new(address: Address, action: Action) -> Self {
        Self {
            address,
            action,
            reason: None,
            deposed: None,
            before: None,
            after: None,
            replace_paths: Vec::new(),
            sensitive: false,
            diff: None,
            notes: Vec::new(),
            previous_address: None,
            new_secret: false,
        }
    }

    /// Sets the reason.
    pub fn reason(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets before/after.
    pub fn values(mut self, before: Option<Value>, after: Option<Value>) -> Self {
        self.before = before.map(Arc::new);
        self.after = after.map(Arc::new);
        self
    }

    /// Sets before and after to the same attributes (the object stays as it is).
    pub fn unchanged(mut self, attributes: Value) -> Self {
        let shared = Arc::new(attributes);
        self.before = Some(shared.clone());
        self.after = Some(shared);
        self
    }

    /// True when the change destroys an existing object: deletes, and replacements whose old
    /// object is still live (a revoked, expired or vanished one is already gone).
    pub fn destroys(&self) -> bool {
        match self.action {
            Action::Delete => true,
            Action::Replace => !matches!(
                self.reason,
                Some(Reason::Missing | Reason::Invalid | Reason::TailnetRecreated)
            ),
            _ => false,
        }
    }

    /// Marks the object as carrying a secret.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

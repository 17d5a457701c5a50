//! `Action`: what a plan does to one address (DESIGN §5), with its Terraform JSON spelling and
//! its text symbol.

use serde::{Deserialize, Serialize};

/// What happens to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing to do.
    NoOp,
    /// Create a new object.
    Create,
    /// Drift seen during a refresh-only plan; nothing is changed.
    Read,
    /// Change the object in place (OAuth client PUT, policy POST).
    Update,
    /// Create a new object, then delete the old one.
    Replace,
    /// Delete the object.
    Delete,
    /// Drop the record from the state; nothing live is touched.
    Forget,
}

impl Action {
    /// The Terraform JSON `actions` list.
    pub fn json_actions(self) -> &'static [&'static str] {
        match self {
            Action::NoOp => &["no-op"],
            Action::Create => &["create"],
            Action::Read => &["read"],
            Action::Update => &["update"],
            Action::Replace => &["create", "delete"],
            Action::Delete => &["delete"],
            Action::Forget => &["forget"],
        }
    }

    /// The symbol in the text plan.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Read => "<=",
            Action::Update => "~",
            Action::Replace => "+/-",
            Action::Delete => "-",
            Action::Forget => ".",
        }
    }

    /// True for anything but `no-op` (and `read`, which changes nothing).
    pub fn is_change(self) -> bool {
        !matches!(self, Action::NoOp | Action::Read)
    }
}

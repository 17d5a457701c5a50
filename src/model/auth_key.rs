//! `AuthKey`: a desired auth key of a tailnet. Every attribute is immutable at the API, so any
//! change is a replace; rotation and invalid-key policy live here as data.

use std::collections::BTreeSet;

use super::{Delivery, Description, Duration, EnvName, Name, Origin, Tag};

/// What to do when the live key is invalid (revoked, expired, used one-off) or gone (404).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecreateIfInvalid {
    /// Recreate reusable keys only: a used one-off key is expected to be invalid.
    #[default]
    Auto,
    /// Always recreate.
    Always,
    /// Never recreate (keep the record, warn).
    Never,
}

impl RecreateIfInvalid {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Always => "always",
            Self::Never => "never",
        }
    }

    /// Parses the manifest spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(Self::Auto),
            "always" => Some(Self::Always),
            "never" => Some(Self::Never),
            _ => None,
        }
    }

    /// Whether an invalid key with this policy should be recreated.
    pub fn should_recreate(self, reusable: bool) -> bool {
        match self {
            Self::Auto => reusable,
            Self::Always => true,
            Self::Never => false,
        }
    }
}

/// The API's maximum (and default) auth key lifetime: 90 days.
pub const MAX_EXPIRY: Duration = Duration::from_days(90);

/// A desired auth key.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthKey {
    /// Logical name (address segment).
    pub name: Name,
    /// Where it is declared.
    pub origin: Origin,
    /// Description (may be empty).
    pub description: Description,
    /// Can register more than one device.
    pub reusable: bool,
    /// Devices registered with it are ephemeral.
    pub ephemeral: bool,
    /// Devices registered with it are pre-approved.
    pub preauthorized: bool,
    /// Tags given to devices registered with it.
    pub tags: BTreeSet<Tag>,
    /// Lifetime requested at creation (1 s … 90 d).
    pub expiry: Duration,
    /// Rotate when less than this is left; zero disables rotation. Always below `expiry`.
    pub rotate_before: Duration,
    /// Policy for invalid or vanished keys.
    pub recreate_if_invalid: RecreateIfInvalid,
    /// Created with this OAuth client's token (a client of the same tailnet).
    pub created_by: Option<Name>,
    /// Where its secret is delivered after a create or rotation.
    pub deliver: Vec<Delivery>,
    /// Variable name for `output --format env` (derived from the address when absent).
    pub env_name: Option<EnvName>,
    /// After a rotation, keep the previous key valid this long before revoking it.
    pub keep_previous: Option<Duration>,
}

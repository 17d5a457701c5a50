//! The validated desired state: what the manifests declare, as typed values. Only
//! `crate::validate` builds a [`Desired`] from manifests; every newtype here can be constructed
//! only through its `parse`, so an invalid name, tag, scope or duration cannot exist past
//! validation.

mod auth_key;
mod delivery;
mod duration;
mod federated_identity;
mod moved;

mod oauth_client;
mod policy;
mod scope;
mod settings;
mod tag;
mod tailnet;
mod text;
mod webhook;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use crate::name::{Name, NameError};
pub use auth_key::{AuthKey, MAX_EXPIRY, RecreateIfInvalid};
pub use delivery::{Delivery, EnvName, EnvNameError};
pub use duration::{Duration, DurationError};
pub use federated_identity::{FederatedIdentity, RESERVED_CLAIMS};
pub use moved::{Move, MoveError};
pub use oauth_client::OAuthClient;
pub use policy::{Policy, PolicyFile, tag_owners_of};
pub use scope::{Access, LegacyScope, Scope, ScopeResource, ScopeSet, ScopeSpelling, UnknownScope};
pub use settings::{Setting, SettingType, SettingValue, Settings};
pub use tag::{Tag, TagError, TagOwner};
pub use tailnet::{Tailnet, TailnetKind, TailnetRef};
pub use text::{Description, DisplayName, TextError};
pub use webhook::{ProviderType, Subscription, Webhook};

/// Where something is declared: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// The manifest file.
    pub file: Arc<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl Origin {
    /// The folder of the declaring file (base for relative paths in the manifest).
    pub fn dir(&self) -> &Path {
        match self.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// Everything the manifests declare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    /// Tailnets by logical name.
    pub tailnets: BTreeMap<Name, Tailnet>,
    /// `moved` entries: records to rename before diffing, in declaration order.
    pub moves: Vec<Move>,
}

//! `Audit`: what one API request touched (route template, tailnet, key, OAuth client, whether
//! its response was dropped), filled in by the handlers as they learn it and read by the stats
//! layer once the response is ready.

use std::sync::{Arc, Mutex, PoisonError};

/// What a request touched; every field is optional because a request can fail early.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuditRecord {
    /// The matched route template (`/api/v2/tailnet/{tailnet}/keys`).
    pub route: Option<String>,
    /// The resolved tailnet id.
    pub tailnet: Option<String>,
    /// The key (or webhook) created, read, updated or deleted.
    pub key_id: Option<String>,
    /// The OAuth client whose token (or credentials, at the token endpoint) made the request.
    pub client_id: Option<String>,
    /// The response was committed but not delivered (fault injection).
    pub dropped: bool,
}

/// A shared, per-request slot for an [`AuditRecord`] (cloned into request extensions).
#[derive(Debug, Clone, Default)]
pub(crate) struct Audit(Arc<Mutex<AuditRecord>>);

impl Audit {
    fn with(&self, f: impl FnOnce(&mut AuditRecord)) {
        let mut record = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut record);
    }

    /// Records the matched route template.
    pub fn route(&self, template: &str) {
        self.with(|r| r.route = Some(template.to_owned()));
    }

    /// Records the resolved tailnet.
    pub fn tailnet(&self, id: &str) {
        self.with(|r| r.tailnet = Some(id.to_owned()));
    }

    /// Records the key the request is about.
    pub fn key(&self, id: &str) {
        self.with(|r| r.key_id = Some(id.to_owned()));
    }

    /// Records the OAuth client behind the request.
    pub fn client(&self, id: &str) {
        self.with(|r| r.client_id = Some(id.to_owned()));
    }

    /// Marks the response as dropped after commit.
    pub fn dropped(&self) {
        self.with(|r| r.dropped = true);
    }

    /// A copy of what was recorded.
    pub fn snapshot(&self) -> AuditRecord {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

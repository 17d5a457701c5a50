//! `WebhookRecord`: a stored webhook endpoint, as plain data (the store holds them; the
//! handlers in `webhooks` act on them).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::secret_hash::SecretHash;

/// A stored webhook endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WebhookRecord {
    pub id: String,
    pub tailnet: String,
    pub endpoint_url: String,
    pub provider_type: String,
    pub subscriptions: Vec<String>,
    pub created: Timestamp,
    pub last_modified: Timestamp,
    /// The current signing secret's hash (the secret itself is shown once).
    pub secret: SecretHash,
}

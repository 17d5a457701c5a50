//! `Header`: the `encryption` object a sealed state document carries — the state key sealed to a
//! passphrase or recipients, its public recipient, and `enforce`.

use serde::{Deserialize, Serialize};

/// The header a sealed state document carries under `encryption` (no secret in clear).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Header {
    /// The state's X25519 identity, age-encrypted to `sealed_to`, base64.
    pub state_key: String,
    /// The state key's public recipient: new secrets are sealed to it.
    pub recipient: String,
    /// What the state key is sealed to: `passphrase`, or X25519 recipients (`age1…`).
    pub sealed_to: Vec<String>,
    /// Refuse to write a plaintext secret.
    pub enforce: bool,
}

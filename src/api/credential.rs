//! [`Credential`]: what a request authenticates with. An API key goes straight into HTTP Basic;
//! an OAuth client is exchanged for a short-lived access token (see `token`).

use crate::secret::Secret;

/// The credential a request is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A user API access token (`tskey-api-…`), sent as the HTTP Basic user name with an empty
    /// password. Never exchanged.
    ApiKey(Secret),
    /// An OAuth client: exchanged at `POST /api/v2/oauth/token` for a Bearer access token,
    /// which is cached (per client id, client secret and `tailnet`) until a minute before it
    /// expires.
    OAuth {
        /// The client id (not secret; it appears in errors).
        client_id: String,
        /// The client secret (`tskey-client-…`).
        client_secret: Secret,
        /// Sent as `tailnet=<id>` on the token endpoint: a token for an API-only tailnet the
        /// client's organisation created, rather than for the client's own tailnet.
        tailnet: Option<String>,
    },
}

impl Credential {
    /// An OAuth client credential for the client's own tailnet.
    pub fn oauth(client_id: impl Into<String>, client_secret: Secret) -> Self {
        Credential::OAuth {
            client_id: client_id.into(),
            client_secret,
            tailnet: None,
        }
    }

    /// The secret values this credential carries, to scrub them from anything echoed back.
    pub(super) fn secrets(&self) -> Vec<&str> {
        match self {
            Credential::ApiKey(key) => vec![key.expose()],
            Credential::OAuth { client_secret, .. } => vec![client_secret.expose()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let key = Credential::ApiKey(Secret::new("api-key-value-123"));
        let client = Credential::OAuth {
            client_id: "kClient1".into(),
            client_secret: Secret::new("client-secret-456"),
            tailnet: Some("T1".into()),
        };
        let text = format!("{key:?} {client:?}");
        assert!(!text.contains("api-key-value-123") && !text.contains("client-secret-456"));
        assert!(text.contains("kClient1"), "{text}");
    }
}

//! [`Credential`]: what a request authenticates with. An API key goes straight into HTTP Basic;
//! an OAuth client is exchanged for a short-lived access token (see `token`), and so is a
//! federated identity's OIDC token (see `identity`).

use super::identity::IdentityToken;
use super::token_cache::TokenKey;
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
    /// A federated identity (workload identity federation): an OIDC token from the CI job is
    /// exchanged at `POST /api/v2/oauth/token-exchange` for a Bearer access token, cached like
    /// an OAuth client's. No stored secret.
    Federated {
        /// The federated identity's id (`TAILSCALE_OAUTH_CLIENT_ID`; not secret).
        client_id: String,
        /// Where the OIDC token comes from.
        identity: IdentityToken,
        /// Sent as `tailnet=<id>` on the exchange, as for an OAuth client (unverified against
        /// the real API, which documents no such parameter for the exchange).
        tailnet: Option<String>,
    },
}

/// How a token-based credential gets its access token.
pub(super) enum Exchange<'a> {
    /// Client credentials at `POST /api/v2/oauth/token`.
    ClientSecret(&'a Secret),
    /// An OIDC token at `POST /api/v2/oauth/token-exchange`.
    Identity(&'a IdentityToken),
}

impl Exchange<'_> {
    /// The endpoint the exchange posts to.
    pub(super) fn path(&self) -> &'static str {
        match self {
            Exchange::ClientSecret(_) => "/api/v2/oauth/token",
            Exchange::Identity(_) => "/api/v2/oauth/token-exchange",
        }
    }
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

    /// The id of the OAuth client or federated identity (`None` for an API key).
    pub fn client_id(&self) -> Option<&str> {
        match self {
            Credential::ApiKey(_) => None,
            Credential::OAuth { client_id, .. } | Credential::Federated { client_id, .. } => {
                Some(client_id)
            }
        }
    }

    /// The same credential for another tailnet (`tailnet=<id>` on the token endpoint); `None`
    /// for an API key, which has no such parameter.
    pub fn for_tailnet(&self, tailnet: &str) -> Option<Credential> {
        match self {
            Credential::ApiKey(_) => None,
            Credential::OAuth {
                client_id,
                client_secret,
                ..
            } => Some(Credential::OAuth {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                tailnet: Some(tailnet.to_owned()),
            }),
            Credential::Federated {
                client_id,
                identity,
                ..
            } => Some(Credential::Federated {
                client_id: client_id.clone(),
                identity: identity.clone(),
                tailnet: Some(tailnet.to_owned()),
            }),
        }
    }

    /// The secret values this credential carries, to scrub them from anything echoed back.
    pub(super) fn secrets(&self) -> Vec<&str> {
        match self {
            Credential::ApiKey(key) => vec![key.expose()],
            Credential::OAuth { client_secret, .. } => vec![client_secret.expose()],
            Credential::Federated { identity, .. } => identity.secrets(),
        }
    }

    /// The token-cache key and the exchange, for a credential that uses access tokens.
    pub(super) fn token_source(&self) -> Option<(TokenKey, Exchange<'_>)> {
        match self {
            Credential::ApiKey(_) => None,
            Credential::OAuth {
                client_id,
                client_secret,
                tailnet,
            } => Some((
                TokenKey::new(client_id, client_secret, tailnet.as_deref()),
                Exchange::ClientSecret(client_secret),
            )),
            Credential::Federated {
                client_id,
                identity,
                tailnet,
            } => Some((
                TokenKey::new(client_id, &identity.cache_material(), tailnet.as_deref()),
                Exchange::Identity(identity),
            )),
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

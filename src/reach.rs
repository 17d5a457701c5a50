//! `Reach`: how tailform reaches a tailnet — which credential, and which `{tailnet}` path segment
//! (DESIGN §4). A tailnet tailform created is reached with its own OAuth client from the create
//! response (kept in the state), falling back to the organization's client minting a token with
//! `tailnet=<id>`; an existing tailnet is reached with the organization's credential (`-` for its
//! own tailnet, `tailnet=<id>` for another one); a `createdBy` key is created with its OAuth
//! client's own secret. Each [`Reach`] says whose credential it is ([`Via`]), so a refusal can
//! be explained (`tailform doctor`).

use crate::api::Credential;
use crate::model::TailnetRef;
use crate::state::{BootstrapClient, ClientRecord, DeposedTailnet, SecretKnowledge, TailnetRecord};

/// A credential and the path segment to use with it.
#[derive(Debug, Clone)]
pub struct Reach {
    /// The credential.
    pub credential: Credential,
    /// The `{tailnet}` path segment.
    pub path: String,
    /// Whose credential it is (to explain a refusal).
    pub via: Via,
}

/// Whose credential a [`Reach`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The tailnet's own OAuth client, from the create response kept in the state.
    OwnClient {
        /// Its client id.
        client_id: String,
    },
    /// The organization's credential, in its own tailnet.
    Organization,
    /// The organization's OAuth client minting its token with `tailnet=<id>`.
    OrganizationFor {
        /// The tailnet id sent as `tailnet=`.
        tailnet: String,
    },
    /// A `createdBy` OAuth client of the tailnet, from the state.
    CreatorClient {
        /// Its client id.
        client_id: String,
    },
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Via::OwnClient { client_id } => {
                write!(f, "its own OAuth client `{client_id}` (from the state)")
            }
            Via::Organization => f.write_str("the configured credential, in its own tailnet"),
            Via::OrganizationFor { tailnet } => {
                write!(
                    f,
                    "the organization's OAuth client with `tailnet={tailnet}`"
                )
            }
            Via::CreatorClient { client_id } => {
                write!(f, "the OAuth client `{client_id}` (from the state)")
            }
        }
    }
}

/// Why a tailnet cannot be reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReachError {
    /// The organization credential is an API key, which cannot reach other tailnets.
    #[error(
        "tailnet `{0}` can only be reached with an OAuth client: set TAILSCALE_OAUTH_CLIENT_ID \
         and TAILSCALE_OAUTH_CLIENT_SECRET (an API key only reaches its own tailnet)"
    )]
    NeedsOAuth(String),
    /// A `createdBy` client's secret is unknown (it was imported).
    #[error(
        "the OAuth client `{0}` has no known secret (it was imported), so keys cannot be created \
         with it; `--replace` the client first"
    )]
    ClientSecretUnknown(String),
    /// A `createdBy` client's secret is sealed and no configured key opens it.
    #[error(
        "the secret of the OAuth client `{0}` is encrypted in the state and no key given opens \
         it, so keys cannot be created with it; {hint}",
        hint = crate::state::UNSEAL_HINT
    )]
    ClientSecretSealed(String),
}

/// Reaches a tailnet tailform created.
pub fn created(org: &Credential, record: &TailnetRecord) -> Result<Reach, ReachError> {
    via(org, &record.id, record.oauth_client.as_ref())
}

/// Reaches a tailnet a replacement left behind.
pub fn deposed(org: &Credential, deposed: &DeposedTailnet) -> Result<Reach, ReachError> {
    via(org, &deposed.id, deposed.oauth_client.as_ref())
}

fn via(org: &Credential, id: &str, own: Option<&BootstrapClient>) -> Result<Reach, ReachError> {
    // A sealed (or missing) own secret falls back to the organization's client.
    let open = own.and_then(|c| {
        let secret = c.secret.as_ref()?.open()?;
        Some((c.id.clone(), secret.clone()))
    });
    match open {
        Some((client_id, secret)) => Ok(Reach {
            credential: Credential::oauth(client_id.clone(), secret),
            path: id.to_owned(),
            via: Via::OwnClient { client_id },
        }),
        None => organization_for(org, id),
    }
}

/// Reaches tailnet `id` with the organization's OAuth client, minting its token with
/// `tailnet=<id>`: the fallback for a tailnet tailform created (it needs `all`).
pub fn organization_for(org: &Credential, id: &str) -> Result<Reach, ReachError> {
    Ok(Reach {
        credential: with_tailnet_param(org, id)?,
        path: id.to_owned(),
        via: Via::OrganizationFor {
            tailnet: id.to_owned(),
        },
    })
}

/// Reaches an existing tailnet the manifest references.
pub fn existing(org: &Credential, tailnet: &TailnetRef) -> Result<Reach, ReachError> {
    match tailnet {
        TailnetRef::Own => Ok(Reach {
            credential: org.clone(),
            path: "-".into(),
            via: Via::Organization,
        }),
        TailnetRef::Id(id) => {
            let (credential, via) = match org {
                // An API key reaches only its own tailnet; if `id` is that tailnet, the API
                // accepts the explicit id, otherwise it answers 403 `user tailnet does not match`.
                Credential::ApiKey(_) => (org.clone(), Via::Organization),
                Credential::OAuth { .. } | Credential::Federated { .. } => (
                    with_tailnet_param(org, id)?,
                    Via::OrganizationFor {
                        tailnet: id.clone(),
                    },
                ),
            };
            Ok(Reach {
                credential,
                path: id.clone(),
                via,
            })
        }
    }
}

/// The credential a `createdBy` key is created with: its client's own secret, in the tailnet
/// reached by `tailnet`.
pub fn created_by(
    tailnet: &Reach,
    client_name: &str,
    client: &ClientRecord,
) -> Result<Reach, ReachError> {
    let secret = match SecretKnowledge::of(client.secret.as_ref()) {
        SecretKnowledge::Open(s) => s.clone(),
        SecretKnowledge::Sealed => {
            return Err(ReachError::ClientSecretSealed(client_name.to_owned()));
        }
        SecretKnowledge::Absent => {
            return Err(ReachError::ClientSecretUnknown(client_name.to_owned()));
        }
    };
    Ok(Reach {
        credential: Credential::oauth(client.id.clone(), secret),
        path: tailnet.path.clone(),
        via: Via::CreatorClient {
            client_id: client.id.clone(),
        },
    })
}

fn with_tailnet_param(org: &Credential, id: &str) -> Result<Credential, ReachError> {
    org.for_tailnet(id)
        .ok_or_else(|| ReachError::NeedsOAuth(id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn org() -> Credential {
        Credential::oauth("korg", Secret::new("org-secret"))
    }

    fn record(own: bool) -> TailnetRecord {
        TailnetRecord {
            id: "T1".into(),
            existing: false,
            display_name: None,
            org_id: None,
            dns_name: None,
            created_at: None,
            prevent_destroy: true,
            oauth_client: own.then(|| BootstrapClient {
                id: "kboot".into(),
                secret: Some(Secret::new("boot").into()),
            }),
            deposed: vec![],
        }
    }

    #[test]
    fn created_tailnets_use_their_own_client_then_the_org_client() {
        let r = created(&org(), &record(true)).unwrap();
        assert_eq!(r.path, "T1");
        assert_eq!(
            r.via.to_string(),
            "its own OAuth client `kboot` (from the state)"
        );
        assert!(
            matches!(&r.credential, Credential::OAuth { client_id, tailnet: None, .. } if client_id == "kboot")
        );
        let r = created(&org(), &record(false)).unwrap();
        assert_eq!(
            r.via,
            Via::OrganizationFor {
                tailnet: "T1".into()
            }
        );
        assert!(
            matches!(&r.credential, Credential::OAuth { client_id, tailnet: Some(t), .. } if client_id == "korg" && t == "T1")
        );
        let api_key = Credential::ApiKey(Secret::new("k"));
        assert_eq!(
            created(&api_key, &record(false)).unwrap_err(),
            ReachError::NeedsOAuth("T1".into())
        );
    }

    #[test]
    fn existing_tailnets() {
        let own = existing(&org(), &TailnetRef::Own).unwrap();
        assert_eq!(own.path, "-");
        assert!(matches!(
            own.credential,
            Credential::OAuth { tailnet: None, .. }
        ));
        let other = existing(&org(), &TailnetRef::Id("T9".into())).unwrap();
        assert_eq!(other.path, "T9");
        assert!(
            matches!(&other.credential, Credential::OAuth { tailnet: Some(t), .. } if t == "T9")
        );
    }
}

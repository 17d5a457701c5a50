//! The organization credential from the environment, with the Terraform provider's names
//! (DESIGN §4): `TAILSCALE_OAUTH_CLIENT_ID` + `TAILSCALE_OAUTH_CLIENT_SECRET` (an OAuth client;
//! `tailnets` to create tailnets, `all` to reach them), or `TAILSCALE_API_KEY`. Values never
//! appear on the command line, where other users could read them.
//!
//! Secretless login (workload identity federation): `TAILSCALE_OAUTH_CLIENT_ID` holding a
//! federated identity's id, with either `TAILSCALE_IDENTITY_TOKEN` (an OIDC token from any CI
//! system) or `TAILSCALE_AUDIENCE` inside GitHub Actions, where tailform fetches the job's token
//! itself from `ACTIONS_ID_TOKEN_REQUEST_URL` with `ACTIONS_ID_TOKEN_REQUEST_TOKEN` (the job
//! needs `permissions: id-token: write`). Precedence, decided here: a client secret wins over an
//! identity token, which wins over an audience; any of them wins over `TAILSCALE_API_KEY`, which
//! is then reported as ignored.

use crate::api::{Credential, IdentityToken};
use crate::secret::Secret;

/// Every variable [`from_vars`] reads (each holds the credential or half of it), the
/// provider's older unprefixed names of the OAuth pair included. A delivery command never sees
/// them (`crate::deliver`).
pub const ENV_VARS: [&str; 10] = [
    "TAILSCALE_OAUTH_CLIENT_ID",
    "TAILSCALE_OAUTH_CLIENT_SECRET",
    "TAILSCALE_API_KEY",
    "OAUTH_CLIENT_ID",
    "OAUTH_CLIENT_SECRET",
    "TAILSCALE_IDENTITY_TOKEN",
    "IDENTITY_TOKEN",
    "TAILSCALE_AUDIENCE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
];

/// Why no credential could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// Nothing is set.
    #[error(
        "no Tailscale credentials: set TAILSCALE_OAUTH_CLIENT_ID and \
         TAILSCALE_OAUTH_CLIENT_SECRET (an OAuth client with the `tailnets` and `all` scopes), or \
         TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_IDENTITY_TOKEN (a federated identity), or \
         TAILSCALE_API_KEY — or pass --emulator to try tailform against the local emulator"
    )]
    Missing,
    /// A client id with neither a secret nor an identity token nor an audience.
    #[error(
        "`TAILSCALE_OAUTH_CLIENT_ID` is set but nothing to log in with: set \
         TAILSCALE_OAUTH_CLIENT_SECRET (an OAuth client), or TAILSCALE_IDENTITY_TOKEN (an OIDC \
         token for a federated identity), or TAILSCALE_AUDIENCE inside GitHub Actions"
    )]
    ClientIdAlone,
    /// `TAILSCALE_AUDIENCE` outside GitHub Actions (or without `id-token: write`).
    #[error(
        "TAILSCALE_AUDIENCE is set but `{missing}` is not: tailform fetches the OIDC token itself \
         only inside a GitHub Actions job with `permissions: id-token: write`; elsewhere pass the \
         token in TAILSCALE_IDENTITY_TOKEN"
    )]
    NotInActions {
        /// The GitHub variable that is missing.
        missing: &'static str,
    },
    /// An identity token or audience without the federated identity's id.
    #[error("`{set}` is set but `TAILSCALE_OAUTH_CLIENT_ID` (the federated identity's id) is not")]
    IdentityWithoutId {
        /// The variable that is set.
        set: &'static str,
    },
    /// Only half of the OAuth pair is set.
    #[error("`{set}` is set but `{missing}` is not; both are needed")]
    HalfOAuth {
        /// The variable that is set.
        set: &'static str,
        /// The one that is missing.
        missing: &'static str,
    },
}

/// A credential with the variables it was read from (never their values).
#[derive(Debug, Clone)]
pub struct Found {
    /// The credential.
    pub credential: Credential,
    /// The variables that hold it, e.g. `["TAILSCALE_OAUTH_CLIENT_ID",
    /// "TAILSCALE_OAUTH_CLIENT_SECRET"]`.
    pub vars: Vec<&'static str>,
    /// Variables that are set but not used: `TAILSCALE_API_KEY` when an OAuth client is set too.
    pub ignored: Vec<&'static str>,
}

/// Reads the credential from `var` (the environment, or a test's map).
pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Credential, CredentialsError> {
    read_vars(var).map(|found| found.credential)
}

/// Reads the credential from `var`, with where it came from.
pub fn read_vars(var: impl Fn(&str) -> Option<String>) -> Result<Found, CredentialsError> {
    let non_empty = |name: &'static str| var(name).filter(|v| !v.is_empty()).map(|v| (name, v));
    let id = non_empty("TAILSCALE_OAUTH_CLIENT_ID").or_else(|| non_empty("OAUTH_CLIENT_ID"));
    let secret =
        non_empty("TAILSCALE_OAUTH_CLIENT_SECRET").or_else(|| non_empty("OAUTH_CLIENT_SECRET"));
    let identity = non_empty("TAILSCALE_IDENTITY_TOKEN").or_else(|| non_empty("IDENTITY_TOKEN"));
    let audience = non_empty("TAILSCALE_AUDIENCE");
    let api_key = non_empty("TAILSCALE_API_KEY").map(|(name, _)| name);
    let with_key_ignored = |credential, vars: Vec<&'static str>, mut ignored: Vec<&'static str>| {
        ignored.extend(api_key);
        Ok(Found {
            credential,
            vars,
            ignored,
        })
    };
    let Some((id_var, id)) = id else {
        if let Some((secret_var, _)) = secret {
            return Err(CredentialsError::HalfOAuth {
                set: secret_var,
                missing: "TAILSCALE_OAUTH_CLIENT_ID",
            });
        }
        if let Some((set, _)) = identity.as_ref().or(audience.as_ref()) {
            return Err(CredentialsError::IdentityWithoutId { set });
        }
        return non_empty("TAILSCALE_API_KEY")
            .map(|(name, k)| Found {
                credential: Credential::ApiKey(Secret::new(k)),
                vars: vec![name],
                ignored: Vec::new(),
            })
            .ok_or(CredentialsError::Missing);
    };
    if let Some((secret_var, secret)) = secret {
        let ignored = [identity.map(|(n, _)| n), audience.map(|(n, _)| n)]
            .into_iter()
            .flatten()
            .collect();
        return with_key_ignored(
            Credential::oauth(id, Secret::new(secret)),
            vec![id_var, secret_var],
            ignored,
        );
    }
    if let Some((token_var, token)) = identity {
        return with_key_ignored(
            Credential::Federated {
                client_id: id,
                identity: IdentityToken::Given(Secret::new(token)),
                tailnet: None,
            },
            vec![id_var, token_var],
            audience.map(|(n, _)| n).into_iter().collect(),
        );
    }
    let Some((audience_var, audience)) = audience else {
        return Err(CredentialsError::ClientIdAlone);
    };
    let request_url =
        non_empty("ACTIONS_ID_TOKEN_REQUEST_URL").ok_or(CredentialsError::NotInActions {
            missing: "ACTIONS_ID_TOKEN_REQUEST_URL",
        })?;
    let request_token =
        non_empty("ACTIONS_ID_TOKEN_REQUEST_TOKEN").ok_or(CredentialsError::NotInActions {
            missing: "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        })?;
    with_key_ignored(
        Credential::Federated {
            client_id: id,
            identity: IdentityToken::GitHubActions {
                request_url: request_url.1,
                request_token: Secret::new(request_token.1),
                audience,
            },
            tailnet: None,
        },
        vec![
            id_var,
            audience_var,
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        ],
        Vec::new(),
    )
}

/// Reads the credential from the process environment.
pub fn from_env() -> Result<Credential, CredentialsError> {
    read_env().map(|found| found.credential)
}

/// Reads the credential from the process environment, with where it came from.
pub fn read_env() -> Result<Found, CredentialsError> {
    read_vars(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn env_vars_lists_every_variable_read() {
        let read = std::cell::RefCell::new(Vec::new());
        let _ = from_vars(|name| {
            read.borrow_mut().push(name.to_owned());
            None
        });
        let _ = from_vars(|name| {
            read.borrow_mut().push(name.to_owned());
            (name == "OAUTH_CLIENT_ID").then(|| "k".to_owned())
        });
        let _ = from_vars(|name| {
            {
                read.borrow_mut().push(name.to_owned());
                name.ends_with("CLIENT_ID")
                    || name == "TAILSCALE_AUDIENCE"
                    || name.starts_with("ACTIONS_")
            }
            .then(|| "v".to_owned())
        });
        let read = read.into_inner();
        assert!(
            read.iter().all(|n| ENV_VARS.contains(&n.as_str())),
            "{read:?}"
        );
        assert!(
            ENV_VARS.iter().all(|n| read.iter().any(|r| r == n)),
            "{read:?}"
        );
    }

    #[test]
    fn oauth_pair_wins_over_api_key() {
        let c = from_vars(vars(&[
            ("TAILSCALE_OAUTH_CLIENT_ID", "k1"),
            ("TAILSCALE_OAUTH_CLIENT_SECRET", "s"),
            ("TAILSCALE_API_KEY", "a"),
        ]))
        .unwrap();
        assert!(matches!(c, Credential::OAuth { client_id, .. } if client_id == "k1"));
        let found = read_vars(vars(&[
            ("OAUTH_CLIENT_ID", "k1"),
            ("TAILSCALE_OAUTH_CLIENT_SECRET", "s"),
            ("TAILSCALE_API_KEY", "a"),
        ]))
        .unwrap();
        assert_eq!(
            found.vars,
            ["OAUTH_CLIENT_ID", "TAILSCALE_OAUTH_CLIENT_SECRET"]
        );
        assert_eq!(found.ignored, ["TAILSCALE_API_KEY"]);
        assert!(!format!("{found:?}").contains("\"s\""));
    }

    #[test]
    fn api_key_and_errors() {
        assert!(matches!(
            from_vars(vars(&[("TAILSCALE_API_KEY", "a")])).unwrap(),
            Credential::ApiKey(_)
        ));
        assert_eq!(from_vars(vars(&[])).unwrap_err(), CredentialsError::Missing);
        assert_eq!(
            from_vars(vars(&[("TAILSCALE_OAUTH_CLIENT_ID", "k")])).unwrap_err(),
            CredentialsError::ClientIdAlone
        );
        assert_eq!(
            from_vars(vars(&[("OAUTH_CLIENT_SECRET", "s")])).unwrap_err(),
            CredentialsError::HalfOAuth {
                set: "OAUTH_CLIENT_SECRET",
                missing: "TAILSCALE_OAUTH_CLIENT_ID"
            }
        );
        assert_eq!(
            from_vars(vars(&[("TAILSCALE_IDENTITY_TOKEN", "jwt")])).unwrap_err(),
            CredentialsError::IdentityWithoutId {
                set: "TAILSCALE_IDENTITY_TOKEN"
            }
        );
    }

    #[test]
    fn a_federated_identity_logs_in_with_a_given_token() {
        let found = read_vars(vars(&[
            ("TAILSCALE_OAUTH_CLIENT_ID", "kFed"),
            ("TAILSCALE_IDENTITY_TOKEN", "eyJ.secret-jwt.sig"),
            ("TAILSCALE_API_KEY", "a"),
        ]))
        .unwrap();
        assert!(matches!(
            &found.credential,
            Credential::Federated { client_id, identity: IdentityToken::Given(t), tailnet: None }
                if client_id == "kFed" && t.expose() == "eyJ.secret-jwt.sig"
        ));
        assert_eq!(
            found.vars,
            ["TAILSCALE_OAUTH_CLIENT_ID", "TAILSCALE_IDENTITY_TOKEN"]
        );
        assert_eq!(found.ignored, ["TAILSCALE_API_KEY"]);
        assert!(!format!("{found:?}").contains("secret-jwt"));
    }

    #[test]
    fn a_client_secret_wins_over_an_identity_token() {
        let found = read_vars(vars(&[
            ("TAILSCALE_OAUTH_CLIENT_ID", "k"),
            ("TAILSCALE_OAUTH_CLIENT_SECRET", "s"),
            ("TAILSCALE_IDENTITY_TOKEN", "jwt"),
        ]))
        .unwrap();
        assert!(matches!(found.credential, Credential::OAuth { .. }));
        assert_eq!(found.ignored, ["TAILSCALE_IDENTITY_TOKEN"]);
    }

    #[test]
    fn github_actions_needs_its_request_variables() {
        let found = read_vars(vars(&[
            ("TAILSCALE_OAUTH_CLIENT_ID", "kFed"),
            ("TAILSCALE_AUDIENCE", "api.tailscale.com/abc"),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "https://gh.example/token?api-version=2.0",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-token"),
        ]))
        .unwrap();
        assert!(matches!(
            &found.credential,
            Credential::Federated { identity: IdentityToken::GitHubActions { audience, request_url, .. }, .. }
                if audience == "api.tailscale.com/abc" && request_url.starts_with("https://gh.example/")
        ));
        assert!(!format!("{found:?}").contains("request-token"));
        assert_eq!(
            from_vars(vars(&[
                ("TAILSCALE_OAUTH_CLIENT_ID", "kFed"),
                ("TAILSCALE_AUDIENCE", "aud"),
            ]))
            .unwrap_err(),
            CredentialsError::NotInActions {
                missing: "ACTIONS_ID_TOKEN_REQUEST_URL"
            }
        );
    }
}

//! The organization credential from the environment, with the Terraform provider's names
//! (DESIGN §4): `TAILSCALE_OAUTH_CLIENT_ID` + `TAILSCALE_OAUTH_CLIENT_SECRET` (an OAuth client;
//! `tailnets` to create tailnets, `all` to reach them), or `TAILSCALE_API_KEY`. Values never
//! appear on the command line, where other users could read them.

use crate::api::Credential;
use crate::secret::Secret;

/// Every variable [`from_vars`] reads (each holds the credential or half of it), the
/// provider's older unprefixed names of the OAuth pair included. A delivery command never sees
/// them (`crate::deliver`).
pub const ENV_VARS: [&str; 5] = [
    "TAILSCALE_OAUTH_CLIENT_ID",
    "TAILSCALE_OAUTH_CLIENT_SECRET",
    "TAILSCALE_API_KEY",
    "OAUTH_CLIENT_ID",
    "OAUTH_CLIENT_SECRET",
];

/// Why no credential could be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// Nothing is set.
    #[error(
        "no Tailscale credentials: set TAILSCALE_OAUTH_CLIENT_ID and \
         TAILSCALE_OAUTH_CLIENT_SECRET (an OAuth client with the `tailnets` and `all` scopes), or \
         TAILSCALE_API_KEY — or pass --emulator to try tailform against the local emulator"
    )]
    Missing,
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
    match (id, secret) {
        (Some((id_var, id)), Some((secret_var, secret))) => Ok(Found {
            credential: Credential::oauth(id, Secret::new(secret)),
            vars: vec![id_var, secret_var],
            ignored: non_empty("TAILSCALE_API_KEY")
                .map(|(name, _)| name)
                .into_iter()
                .collect(),
        }),
        (Some(_), None) => Err(CredentialsError::HalfOAuth {
            set: "TAILSCALE_OAUTH_CLIENT_ID",
            missing: "TAILSCALE_OAUTH_CLIENT_SECRET",
        }),
        (None, Some(_)) => Err(CredentialsError::HalfOAuth {
            set: "TAILSCALE_OAUTH_CLIENT_SECRET",
            missing: "TAILSCALE_OAUTH_CLIENT_ID",
        }),
        (None, None) => non_empty("TAILSCALE_API_KEY")
            .map(|(name, k)| Found {
                credential: Credential::ApiKey(Secret::new(k)),
                vars: vec![name],
                ignored: Vec::new(),
            })
            .ok_or(CredentialsError::Missing),
    }
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
            CredentialsError::HalfOAuth {
                set: "TAILSCALE_OAUTH_CLIENT_ID",
                missing: "TAILSCALE_OAUTH_CLIENT_SECRET"
            }
        );
    }
}

//! Which credential doctor found and where it came from (variable names, never values): the
//! findings made before any request, and the credential summary of the JSON report.

use super::Source;
use super::credential::{api_key_id, credential_id};
use super::finding::{Check, CredentialKind, CredentialSummary, Finding};
use super::organization::ORG_CLIENT_FIX;
use crate::api::Credential;
use crate::credentials::CredentialsError;

/// No credential in the environment.
pub(super) fn missing_credential(e: &CredentialsError) -> Finding {
    match e {
        CredentialsError::Missing => Finding::problem(
            Check::Credential,
            "no credential: none of TAILSCALE_OAUTH_CLIENT_ID, TAILSCALE_OAUTH_CLIENT_SECRET and \
             TAILSCALE_API_KEY is set",
            ORG_CLIENT_FIX,
        ),
        CredentialsError::HalfOAuth { set, missing } => Finding::problem(
            Check::Credential,
            format!("`{set}` is set but `{missing}` is not"),
            format!("set `{missing}` too (the OAuth client's other half)"),
        ),
        CredentialsError::ClientIdAlone => Finding::problem(
            Check::Credential,
            "TAILSCALE_OAUTH_CLIENT_ID is set, but none of TAILSCALE_OAUTH_CLIENT_SECRET, \
             TAILSCALE_IDENTITY_TOKEN and TAILSCALE_AUDIENCE is",
            "set TAILSCALE_OAUTH_CLIENT_SECRET for an OAuth client, or TAILSCALE_IDENTITY_TOKEN \
             (or TAILSCALE_AUDIENCE in GitHub Actions) for a federated identity",
        ),
        CredentialsError::NotInActions { missing } => Finding::problem(
            Check::Credential,
            format!("TAILSCALE_AUDIENCE is set but `{missing}` is not"),
            "in GitHub Actions give the job `permissions: id-token: write`; elsewhere pass the \
             OIDC token in TAILSCALE_IDENTITY_TOKEN",
        ),
        CredentialsError::IdentityWithoutId { set } => Finding::problem(
            Check::Credential,
            format!("`{set}` is set but TAILSCALE_OAUTH_CLIENT_ID is not"),
            "set TAILSCALE_OAUTH_CLIENT_ID to the federated identity's id",
        ),
    }
}

/// The credential as the JSON report summarises it.
pub(super) fn summary(org: &Credential, source: Source<'_>, endpoint: &str) -> CredentialSummary {
    let (kind, from) = match (source, org) {
        (Source::Emulator, _) => (CredentialKind::Emulator, Vec::new()),
        (Source::Env(found), Credential::OAuth { .. }) => {
            (CredentialKind::OauthClient, found.vars.clone())
        }
        (Source::Env(found), Credential::ApiKey(_)) => (CredentialKind::ApiKey, found.vars.clone()),
        (Source::Env(found), Credential::Federated { .. }) => {
            (CredentialKind::FederatedIdentity, found.vars.clone())
        }
    };
    CredentialSummary {
        kind,
        id: credential_id(org),
        from,
        endpoint: endpoint.to_owned(),
        expires: None,
    }
}

/// Which credential, from where, for which endpoint.
pub(super) fn credential(org: &Credential, source: Source<'_>, endpoint: &str) -> Finding {
    let found = match source {
        Source::Emulator => {
            return Finding::ok(
                Check::Credential,
                format!(
                    "the embedded emulator's organization client `{}` (--emulator)",
                    credential_id(org).unwrap_or_default()
                ),
            );
        }
        Source::Env(found) => found,
    };
    let from = found.vars.join(" and ");
    let described = match org {
        Credential::OAuth { client_id, .. } => format!("OAuth client `{client_id}` from {from}"),
        Credential::Federated { client_id, .. } => {
            format!("federated identity `{client_id}` from {from} (no stored secret)")
        }
        Credential::ApiKey(key) => match api_key_id(key.expose()) {
            Some(id) => format!("API key `{id}` from {from}"),
            None => {
                return Finding::warning(
                    Check::Credential,
                    format!(
                        "an API key from {from}, for {endpoint}, but not one of the form \
                         `tskey-api-<id>-…`, so its id and expiry cannot be read"
                    ),
                    "check that TAILSCALE_API_KEY holds the whole API key",
                );
            }
        },
    };
    match found.ignored.as_slice() {
        [] => Finding::ok(Check::Credential, format!("{described}, for {endpoint}")),
        ignored => Finding::warning(
            Check::Credential,
            format!(
                "{described}, for {endpoint}; {} is set too and is ignored",
                ignored.join(" and ")
            ),
            format!(
                "unset {} so that what runs is what you read",
                ignored.join(" and ")
            ),
        ),
    }
}

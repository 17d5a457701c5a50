//! What `tailform doctor` reports: one [`Finding`] per check — what was checked, how it went,
//! the details in words and, for a warning or a problem, how to fix it — and the [`Report`]
//! that holds them with a summary of the credential in use.

use std::fmt;

use jiff::Timestamp;
use serde::{Serialize, Serializer};

use crate::model::Name;

/// How a check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything this check covers is there.
    Ok,
    /// Worth knowing, but plan and apply can go ahead.
    Warning,
    /// Plan or apply would fail (exit code 1).
    Problem,
}

impl Status {
    /// `ok`, `warning`, `problem`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Problem => "problem",
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// The manifests (`-f`, `tailform.yaml`).
    Manifests,
    /// The state (file or backend).
    State,
    /// Which credential is in use, and from where.
    Credential,
    /// That it authenticates (an OAuth client mints a token; the API accepts an API key).
    Token,
    /// When it expires.
    Expiry,
    /// The organization scope `tailnets` (list and create tailnets).
    TailnetsScope,
    /// The scope `all` (reach tailnets other than the client's own with `tailnet=`).
    AllScope,
    /// The organization's tailnet cap.
    TailnetCap,
    /// One tailnet of the manifests or the state.
    Tailnet(Name),
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Check::Manifests => f.write_str("manifests"),
            Check::State => f.write_str("state"),
            Check::Credential => f.write_str("credential"),
            Check::Token => f.write_str("token"),
            Check::Expiry => f.write_str("expiry"),
            Check::TailnetsScope => f.write_str("scope:tailnets"),
            Check::AllScope => f.write_str("scope:all"),
            Check::TailnetCap => f.write_str("tailnet-cap"),
            Check::Tailnet(name) => write!(f, "tailnet.{name}"),
        }
    }
}

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was checked.
    pub check: Check,
    /// How it went.
    pub status: Status,
    /// What was found, in words (never a secret).
    pub detail: String,
    /// What to do about it (warnings and problems).
    pub fix: Option<String>,
}

impl Finding {
    /// A check that passed.
    pub fn ok(check: Check, detail: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    /// Something worth knowing.
    pub fn warning(check: Check, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Warning,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// Something that stops plan or apply.
    pub fn problem(check: Check, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            status: Status::Problem,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    /// A problem when `needed`, a warning otherwise.
    pub fn missing(
        needed: bool,
        check: Check,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        if needed {
            Self::problem(check, detail, fix)
        } else {
            Self::warning(check, detail, fix)
        }
    }
}

/// The kind of credential in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An OAuth client (`TAILSCALE_OAUTH_CLIENT_ID` + `TAILSCALE_OAUTH_CLIENT_SECRET`).
    OauthClient,
    /// A user API key (`TAILSCALE_API_KEY`).
    ApiKey,
    /// A federated identity (`TAILSCALE_OAUTH_CLIENT_ID` + `TAILSCALE_IDENTITY_TOKEN`, or
    /// `TAILSCALE_AUDIENCE` in GitHub Actions): no stored secret.
    FederatedIdentity,
    /// The embedded emulator's organization client (`--emulator`).
    Emulator,
    /// None could be read from the environment.
    None,
}

/// The credential in use, for tools reading the JSON (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialSummary {
    /// Its kind.
    pub kind: CredentialKind,
    /// The OAuth client id, or the API key's id (read from the key).
    pub id: Option<String>,
    /// The environment variables it was read from.
    pub from: Vec<&'static str>,
    /// The API endpoint.
    pub endpoint: String,
    /// When it expires (API keys; OAuth clients never expire).
    pub expires: Option<Timestamp>,
}

/// Everything doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The credential in use.
    pub credential: CredentialSummary,
    /// Every finding, in the order checked.
    pub findings: Vec<Finding>,
}

impl Report {
    /// How many findings have `status`.
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// True when nothing stops plan or apply.
    pub fn passed(&self) -> bool {
        self.count(Status::Problem) == 0
    }
}

//! `tailform doctor`: prove the credential before anything is created. A read-only preflight
//! that says which credential is in use and from where (variable names, never a value); that it
//! authenticates (an OAuth client mints a token, a federated identity exchanges its OIDC token); when it expires (an API key's id is in the key,
//! and every scope may read its own key); which organization scopes it has (`tailnets` to list
//! and create tailnets, `all` to reach the tailnets it created), tested with harmless reads; the
//! tailnet cap and how many are used; and whether every tailnet of the manifests and the state is
//! reachable the way plan and apply would reach it (`crate::reach`), with what would be missing.
//!
//! Every check is a read or a token exchange through the client (`crate::api`); nothing is
//! created, changed or saved. [`examine`] turns its [`Inputs`] into a [`Report`] of typed
//! [`Finding`]s; `render` turns it into text or JSON (the command prints it). A problem is what
//! would make plan or apply fail; a warning is worth knowing but stops nothing.
//!
//! Layout: `finding` (the types), `credential` (naming it, its expiry — shared with plan and
//! apply), `credential_source` (which credential, from which variables), `organization` (token,
//! scopes, cap), `tailnets` (one finding per tailnet), `refusal`
//! (reading an API error as a diagnosis), `render`.

mod credential;
mod credential_source;
mod finding;
mod organization;
mod refusal;
pub mod render;
mod tailnets;

pub use credential::{Expiring, api_key_id, expiring, expiry_warning};
pub use finding::{Check, CredentialKind, CredentialSummary, Finding, Report, Status};

use crate::api::{Client, Credential};
use crate::credentials::{CredentialsError, Found};
use crate::model::{Desired, Duration, TailnetKind};
use crate::refresh::Scope;
use crate::state::State;

/// Something doctor was given to read, or why it could not be.
#[derive(Debug)]
pub enum Loaded<'a, T> {
    /// Read.
    Ready(&'a T),
    /// Not there: no manifest file (no `-f` and no `tailform.yaml`).
    Absent,
    /// There, but unusable (the diagnostics or the error were printed).
    Failed(&'a str),
}

// Copy whatever `T` is: only references inside.
impl<T> Clone for Loaded<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Loaded<'_, T> {}

/// Where the credential came from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The environment.
    Env(&'a Found),
    /// `--emulator`: the embedded emulator's organization client.
    Emulator,
}

/// The credential, ready to use, or why there is none.
#[derive(Debug, Clone, Copy)]
pub enum Api<'a> {
    /// A client and the organization credential.
    Ready {
        /// The API client.
        client: &'a Client,
        /// The organization credential.
        org: &'a Credential,
        /// Where it came from.
        source: Source<'a>,
    },
    /// No credential could be read.
    Missing(&'a CredentialsError),
}

/// What doctor examines.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The API endpoint, as configured.
    pub endpoint: &'a str,
    /// The credential.
    pub api: Api<'a>,
    /// The manifests.
    pub manifests: Loaded<'a, Desired>,
    /// The state.
    pub state: Loaded<'a, State>,
    /// Where the state lives ("state file `state/tailform.json`").
    pub state_location: &'a str,
    /// The organization's tailnet cap (`--max-tailnets`).
    pub max_tailnets: usize,
    /// Warn when an API key has less than this left (`--warn-expiry`).
    pub warn_expiry: Duration,
}

/// The manifests and state as the checks read them (empty when absent or unusable).
struct Context<'a> {
    desired: &'a Desired,
    state: &'a State,
    scope: Scope,
}

impl Context<'_> {
    /// True when plan would list the organization's tailnets: the manifests create a tailnet, or
    /// the state holds one tailform created.
    fn lists_tailnets(&self) -> bool {
        !self.scope.created.is_empty()
            || self
                .state
                .resources
                .values()
                .any(|r| matches!(r, crate::state::Record::Tailnet(t) if !t.existing))
    }

    /// Tailnets the manifests create that the state does not hold yet.
    fn to_create(&self) -> usize {
        self.desired
            .tailnets
            .iter()
            .filter(|(name, t)| {
                matches!(t.kind, TailnetKind::Created { .. })
                    && self
                        .state
                        .tailnet(&crate::address::Address::tailnet((*name).clone()))
                        .is_none()
            })
            .count()
    }

    /// True when plan reaches an existing tailnet with the organization credential.
    fn reaches_existing(&self) -> bool {
        !self.scope.existing.is_empty()
    }
}

/// Runs every check.
pub async fn examine(inputs: &Inputs<'_>) -> Report {
    let empty_desired = Desired::default();
    let empty_state = State::new();
    let mut findings = vec![
        organization::manifests(inputs.manifests),
        organization::state(inputs.state, inputs.state_location),
    ];
    let desired = match inputs.manifests {
        Loaded::Ready(d) => d,
        _ => &empty_desired,
    };
    let state = match inputs.state {
        Loaded::Ready(s) => s,
        _ => &empty_state,
    };
    let plan = Context {
        desired,
        state,
        scope: Scope::of(desired, state),
    };
    let (client, org, source) = match inputs.api {
        Api::Missing(e) => {
            findings.push(credential_source::missing_credential(e));
            return Report {
                credential: CredentialSummary {
                    kind: CredentialKind::None,
                    id: None,
                    from: Vec::new(),
                    endpoint: inputs.endpoint.to_owned(),
                    expires: None,
                },
                findings,
            };
        }
        Api::Ready {
            client,
            org,
            source,
        } => (client, org, source),
    };
    let mut summary = credential_source::summary(org, source, inputs.endpoint);
    findings.push(credential_source::credential(org, source, inputs.endpoint));
    let checks = organization::Org {
        client,
        org,
        plan: &plan,
        warn_expiry: inputs.warn_expiry,
        max_tailnets: inputs.max_tailnets,
    };
    let Some(expires) = checks.authenticate(&mut findings).await else {
        return Report {
            credential: summary,
            findings,
        };
    };
    summary.expires = expires;
    let listed = checks.tailnets_scope(&mut findings).await;
    checks.all_scope(listed.as_deref(), &mut findings).await;
    checks.cap(listed.as_deref(), &mut findings);
    for name in &plan.scope.tailnets {
        if let Some(finding) = tailnets::check(&checks, name, listed.as_deref()).await {
            findings.push(finding);
        }
    }
    Report {
        credential: summary,
        findings,
    }
}

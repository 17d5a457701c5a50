//! The plan: manifests (`Desired`) + state + live API → a dependency-ordered set of changes
//! (DESIGN §5). [`diff`] is pure: it reads values and returns a [`Plan`] (what to show, and the
//! `StepGraph` apply executes) or every [`PlanError`] at once. Per-kind rules live in
//! `tailnet`, `policy`, `oauth_client`, `auth_key` and `federated_identity`.

mod action;
mod auth_key;
mod change;
mod delivery;
mod error;
mod federated_identity;
mod graph;
mod moves;
mod narrowing;
mod oauth_client;
mod orphan;
mod policy;
mod reason;
mod requests;
mod secret_note;
mod settings;
mod step;
mod tailnet;
mod view;
mod webhook;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use crate::address::{Address, Member};
use crate::live::Live;
use crate::model::{Desired, Name, TailnetKind, TailnetRef};
use crate::state::Record;
use crate::state::State;

use secret_note::secret_note;
pub use secret_note::{SealedCredential, sealed_credentials};

pub use action::Action;
pub use change::Change;
pub use error::PlanError;
pub use graph::StepGraph;
pub use moves::{MoveStateError, Moved, follow as follow_moves};
pub use policy::TS_DEFAULT;
pub use reason::Reason;
pub use step::{PolicyWrite, Step, Target};

/// What shapes a plan besides its three inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Limit the plan to these addresses and what they depend on.
    pub targets: Vec<Address>,
    /// Force a replace of these addresses.
    pub replace: Vec<Address>,
    /// Allow deleting or replacing tailnets whose `preventDestroy` is false.
    pub allow_destroy: bool,
    /// Show drift only; plan no steps.
    pub refresh_only: bool,
    /// The organization's tailnet cap, the original tailnet included.
    pub max_tailnets: usize,
    /// Keep only changes at these exact addresses (apply's recovery rounds: what the user
    /// already approved). `None`: everything.
    pub restrict: Option<BTreeSet<Address>>,
    /// `destroy --target`: the targets are exactly what is destroyed (a tailnet with everything
    /// in it), without the dependencies `--target` adds for a create.
    pub destroy_targets: bool,
}

/// A computed plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Every address's change (no-ops included), sorted by address.
    pub changes: Vec<Change>,
    /// What apply executes.
    pub graph: StepGraph,
    /// Live keys in managed tailnets that tailform does not track (left untouched).
    pub unmanaged: usize,
    /// Warnings to show with the plan.
    pub warnings: Vec<String>,
    /// The clock the plan used (the server's).
    pub now: Timestamp,
    /// Existing tailnets the manifests reference (how apply reaches them; they have no record).
    pub existing: BTreeMap<Name, TailnetRef>,
    /// For each auth key, the OAuth client that creates (or created) it: rebuilds the graph.
    pub created_by: BTreeMap<Address, Address>,
    /// Records renamed by `moved` entries before the diff (apply saves them first).
    pub moved: Vec<Moved>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Objects created (replacements included).
    pub add: usize,
    /// Objects updated in place.
    pub change: usize,
    /// Objects deleted (replacements included).
    pub destroy: usize,
    /// Records dropped from the state.
    pub forget: usize,
    /// Replacements because a key is due for rotation.
    pub rotate: usize,
    /// Webhook secrets rotated because `rotateEvery` has passed.
    pub rotate_secrets: usize,
    /// Drift seen (refresh-only).
    pub drift: usize,
    /// Live keys in managed tailnets that tailform does not track.
    pub unmanaged: usize,
    /// Records renamed by `moved` entries.
    pub moved: usize,
}

impl Plan {
    /// The summary counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            unmanaged: self.unmanaged,
            ..Summary::default()
        };
        for c in &self.changes {
            if c.destroys() {
                s.destroy += 1;
            }
            match c.action {
                Action::Create | Action::Replace => s.add += 1,
                Action::Update => s.change += 1,
                Action::Delete => {}
                Action::Forget => s.forget += 1,
                Action::Read => s.drift += 1,
                Action::NoOp => {}
            }
            match c.reason {
                Some(Reason::Expiring { .. }) => s.rotate += 1,
                Some(Reason::RotationDue { .. }) => s.rotate_secrets += 1,
                _ => {}
            }
        }
        s.moved = self.moved.len();
        s
    }

    /// True when apply would change anything (or drift was seen under refresh-only); a
    /// followed move alone is a change (apply records it).
    pub fn has_changes(&self) -> bool {
        !self.moved.is_empty() || self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// Records the moves followed before this plan was made (on the state it was made from):
    /// each change of a moved object names its previous address.
    pub fn record_moves(&mut self, moved: Vec<Moved>) {
        for c in &mut self.changes {
            c.previous_address = moved.iter().find_map(|m| match m.from.member {
                crate::address::Member::Tailnet if c.address.tailnet == m.to.tailnet => {
                    Some(Address {
                        tailnet: m.from.tailnet.clone(),
                        member: c.address.member.clone(),
                    })
                }
                _ if c.address == m.to => Some(m.from.clone()),
                _ => None,
            });
        }
        self.moved = moved;
    }
}

/// Computes the plan.
pub fn diff(
    desired: &Desired,
    state: &State,
    live: &Live,
    options: &PlanOptions,
) -> Result<Plan, Vec<PlanError>> {
    let mut planner = Planner::new(desired, state, live, options);
    planner.check_replace_requests();
    planner.check_targets();
    planner.plan_intents();
    for name in planner.tailnet_names() {
        let fate = planner.plan_tailnet(&name);
        planner.plan_policy(&name, fate);
        planner.plan_clients(&name, fate);
        planner.plan_keys(&name, fate);
        planner.plan_identities(&name, fate);
        planner.plan_webhooks(&name, fate);
        planner.plan_settings(&name, fate);
        planner.count_unmanaged(&name);
    }
    planner.check_tailnet_cap();
    planner.finish()
}

/// What happens to a tailnet, which decides what happens to its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// An existing tailnet tailform references but does not own.
    Existing,
    /// Tracked and kept.
    Keep,
    /// Created by this apply (new, or again after it vanished): nothing exists inside yet.
    Fresh,
    /// A new tailnet replaces the tracked one, which is deleted last.
    Replaced,
    /// Deleted by this apply (children first).
    Deleted,
    /// Not in the manifests and no longer live: records are forgotten.
    Gone,
    /// The plan refused to touch it (an error was recorded): its contents are left alone.
    Blocked,
}

/// The diff's working set: the inputs and what has been decided so far.
pub(crate) struct Planner<'a> {
    desired: &'a Desired,
    state: &'a State,
    live: &'a Live,
    options: &'a PlanOptions,
    now: Timestamp,
    changes: Vec<Change>,
    steps: Vec<Step>,
    created_by: BTreeMap<Address, Address>,
    errors: Vec<PlanError>,
    warnings: Vec<String>,
    unmanaged: usize,
    /// Tailnets this apply creates (replacements included).
    creates_tailnets: usize,
    /// Tailnets deleted before anything is created at their address (orphans of an interrupted
    /// create), so they make room under the cap; a replaced tailnet's old copy is deleted last
    /// and is not counted.
    deletes_tailnets: usize,
    /// Live objects left by interrupted creates, planned for revocation.
    orphan_ids: BTreeSet<String>,
    /// Webhooks whose rotation an interrupted apply may have made (their secret is rotated
    /// again).
    interrupted_rotations: BTreeSet<Address>,
    /// Under `--refresh-only`: the state-only steps that accept the drift seen into the state
    /// (forget what is gone, record live expiries and policy ETags); they replace every other
    /// step.
    accept: Vec<Step>,
}

impl<'a> Planner<'a> {
    fn new(
        desired: &'a Desired,
        state: &'a State,
        live: &'a Live,
        options: &'a PlanOptions,
    ) -> Self {
        Self {
            desired,
            state,
            live,
            options,
            now: live.now,
            changes: Vec::new(),
            steps: Vec::new(),
            created_by: BTreeMap::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            unmanaged: 0,
            creates_tailnets: 0,
            deletes_tailnets: 0,
            orphan_ids: BTreeSet::new(),
            interrupted_rotations: BTreeSet::new(),
            accept: Vec::new(),
        }
    }

    /// Every tailnet in the manifests or the state, sorted.
    fn tailnet_names(&self) -> BTreeSet<Name> {
        let mut names: BTreeSet<Name> = self.desired.tailnets.keys().cloned().collect();
        names.extend(self.state.resources.keys().map(|a| a.tailnet.clone()));
        names
    }

    /// The names of one kind of member in a tailnet: declared in the manifests or recorded in
    /// the state.
    fn names_in(&self, tailnet: &Name, kind: crate::address::ResourceKind) -> BTreeSet<Name> {
        let mut names: BTreeSet<Name> = self
            .desired
            .tailnets
            .get(tailnet)
            .map(|t| t.declared(kind).into_iter().collect())
            .unwrap_or_default();
        names.extend(
            self.state
                .resources
                .keys()
                .filter(|a| &a.tailnet == tailnet && a.kind() == kind)
                .map(|a| a.name().clone()),
        );
        names
    }

    fn replace_requested(&self, address: &Address) -> bool {
        self.options.replace.contains(address)
    }

    /// Counts live keys in a tailnet that no record tracks (left untouched, shown in the
    /// summary). The tailnet's own bootstrap client is tracked by the tailnet's record. Access
    /// tokens (`keyType: "api"`) are not counted: tailform mints one per client and tailnet every
    /// hour, and they expire on their own.
    fn count_unmanaged(&mut self, tailnet: &Name) {
        let Some(contents) = self.live.contents(tailnet) else {
            return;
        };
        let tracked = self.tracked_key_ids(tailnet);
        let unmanaged = contents
            .keys
            .iter()
            .filter(|(id, key)| {
                !matches!(key.kind, crate::live::LiveKeyKind::AccessToken)
                    && !tracked.contains(id.as_str())
                    && !self.orphan_ids.contains(*id)
            })
            .count();
        self.unmanaged += unmanaged;
    }

    fn check_tailnet_cap(&mut self) {
        let Some(org) = &self.live.org_tailnets else {
            return;
        };
        let after = (org.len() + self.creates_tailnets).saturating_sub(self.deletes_tailnets);
        if self.creates_tailnets > 0 && after > self.options.max_tailnets {
            let first_new = self
                .changes
                .iter()
                .find(|c| {
                    c.address.member == Member::Tailnet
                        && matches!(c.action, Action::Create | Action::Replace)
                })
                .map(|c| c.address.clone());
            if let Some(address) = first_new {
                self.errors.push(
                    PlanError::new(
                        address,
                        format!(
                            "the organization would have {after} tailnets (it has {} now), \
                             above its cap of {}",
                            org.len(),
                            self.options.max_tailnets
                        ),
                    )
                    .hint("remove tailnets, or pass --max-tailnets if your contract allows more"),
                );
            }
        }
    }

    fn push(&mut self, change: Change, steps: impl IntoIterator<Item = Step>) {
        self.changes.push(change);
        self.steps.extend(steps);
    }

    fn finish(mut self) -> Result<Plan, Vec<PlanError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        if let Some(only) = &self.options.restrict {
            self.changes.retain(|c| only.contains(&c.address));
            self.steps.retain(|s| only.contains(s.address()));
        }
        if self.options.destroy_targets {
            let targets = &self.options.targets;
            let hit = |a: &Address| {
                targets
                    .iter()
                    .any(|t| t == a || (t.member == Member::Tailnet && t.tailnet == a.tailnet))
            };
            self.changes.retain(|c| hit(&c.address));
            self.steps.retain(|s| hit(s.address()));
        } else if !self.options.targets.is_empty() {
            self.apply_targets();
        }
        if self.options.refresh_only {
            self.keep_drift_only();
        }
        self.changes
            .sort_by(|a, b| (&a.address, &a.deposed).cmp(&(&b.address, &b.deposed)));
        for sealed in sealed_credentials(&self.steps, self.state) {
            self.warnings.push(sealed.to_string());
        }
        let graph = StepGraph::build(self.steps, &self.created_by);
        let mut existing: BTreeMap<Name, TailnetRef> = self
            .desired
            .tailnets
            .iter()
            .filter_map(|(name, t)| match &t.kind {
                TailnetKind::Existing(r) => Some((name.clone(), r.clone())),
                TailnetKind::Created { .. } => None,
            })
            .collect();
        // An existing tailnet the manifests dropped: apply still reaches it to delete what
        // tailform made there.
        for (address, record) in &self.state.resources {
            if let Record::Tailnet(t) = record
                && t.existing
                && !existing.contains_key(&address.tailnet)
                && let Some(r) = TailnetRef::parse(&t.id)
            {
                existing.insert(address.tailnet.clone(), r);
            }
        }
        Ok(Plan {
            changes: self.changes,
            graph,
            unmanaged: self.unmanaged,
            warnings: self.warnings,
            now: self.now,
            existing,
            created_by: self.created_by,
            moved: Vec::new(),
        })
    }
}

#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;

//! How a plan is narrowed after the diff: `--target` keeps the targeted addresses and what they
//! depend on; `--refresh-only` keeps only the drift, with the state-only steps that accept it.

use std::collections::BTreeSet;

use crate::address::{Address, Member};

use super::{Action, Planner, Reason, Step, Target};

impl Planner<'_> {
    /// Keeps only the targeted addresses and what they depend on (their tailnet, its policy,
    /// and the `createdBy` client of a key).
    pub(super) fn apply_targets(&mut self) {
        let mut keep: BTreeSet<Address> = BTreeSet::new();
        for t in &self.options.targets {
            keep.insert(t.clone());
            keep.insert(t.tailnet_address());
            if matches!(t.member, Member::OAuthClient(_) | Member::AuthKey(_)) {
                keep.insert(Address::policy(t.tailnet.clone()));
            }
            if let Some(client) = self.created_by.get(t) {
                keep.insert(client.clone());
            }
        }
        let before = self.changes.iter().filter(|c| c.action.is_change()).count();
        self.changes.retain(|c| keep.contains(&c.address));
        self.steps.retain(|s| keep.contains(s.address()));
        let after = self.changes.iter().filter(|c| c.action.is_change()).count();
        self.warnings.push(format!(
            "the plan is limited by --target: {after} of {before} changes are included; \
             run a full plan afterwards to check the rest"
        ));
    }

    /// Refresh-only: drift becomes `read`, everything else is dropped; nothing is executed.
    /// `--refresh-only`: drift is shown as `read`, nothing is created, updated or deleted; the
    /// only steps are those that record the drift in the state (an apply of the plan accepts
    /// it, as Terraform's `apply -refresh-only` does).
    pub(super) fn keep_drift_only(&mut self) {
        self.steps = std::mem::take(&mut self.accept);
        self.changes.retain_mut(|c| {
            let drift = matches!(
                c.reason,
                Some(Reason::Drift | Reason::Missing | Reason::Invalid)
            ) || (c.action == Action::Forget);
            if drift {
                c.action = Action::Read;
                c.replace_paths.clear();
                match c.reason {
                    // The object is gone: the refresh forgets the record, so the "after" is
                    // no object at all, and the plan says so instead of "unchanged".
                    Some(Reason::Missing) => {
                        c.after = None;
                        c.notes.push(
                            "applying this refresh-only plan forgets it from the state; \
                             nothing live is touched"
                                .into(),
                        );
                    }
                    Some(Reason::Invalid) => {
                        c.after = c.before.clone();
                        c.notes.push(
                            "the state keeps the record; a full apply recreates the key \
                             (or keeps it, under `recreateIfInvalid: never`)"
                                .into(),
                        );
                    }
                    _ => c.after = c.before.clone(),
                }
            }
            drift || c.action == Action::NoOp
        });
        let kept: BTreeSet<Address> = self
            .changes
            .iter()
            .filter(|c| c.action == Action::Read)
            .map(|c| c.address.clone())
            .collect();
        self.steps.retain(|s| kept.contains(s.address()));
    }

    /// Notes a state-only step that accepts drift at its address (used by `--refresh-only`).
    pub(crate) fn accept(&mut self, step: Step) {
        if self.options.refresh_only {
            self.accept.push(step);
        }
    }

    /// `accept` of forgetting the record at `address` (its object is gone).
    pub(crate) fn accept_gone(&mut self, address: &Address) {
        self.accept(Step::Forget {
            address: address.clone(),
            target: Target::Record,
        });
    }
}

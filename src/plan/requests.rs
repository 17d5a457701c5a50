//! What the user asks of the plan by address: `--replace` and `--target` of an address the
//! manifests and the state do not know is an error (with the closest known address), never a
//! silent no-op.

use std::collections::BTreeSet;

use crate::address::{Address, Member};

use super::{PlanError, Planner};

impl Planner<'_> {
    /// `--replace` of an address that is not managed is an error, not a silent no-op.
    pub(super) fn check_replace_requests(&mut self) {
        for address in &self.options.replace {
            let problem = match address.member {
                Member::Policy => Some("a policy cannot be replaced; it is updated in place"),
                _ if self.state.get(address).is_none() => {
                    Some("it is not in the state, so there is nothing to replace")
                }
                _ if !self.is_desired(address) => {
                    Some("it is not in the manifests (it would be deleted, not replaced)")
                }
                _ => None,
            };
            if let Some(problem) = problem {
                let mut error =
                    PlanError::new(address.clone(), format!("cannot replace it: {problem}"));
                if !self.is_known(address) {
                    error.hint = self.closest_known(address);
                }
                self.errors.push(error);
            }
        }
    }

    /// `--target` of an address that is neither in the manifests nor in the state is an error
    /// (it used to plan `0 of 0 changes` and exit 0), with the closest known address.
    pub(super) fn check_targets(&mut self) {
        for address in &self.options.targets {
            if self.is_known(address) {
                continue;
            }
            let mut error = PlanError::new(
                address.clone(),
                "cannot target it: it is neither in the manifests nor in the state",
            );
            error.hint = self.closest_known(address);
            self.errors.push(error);
        }
    }

    /// True when the manifests declare `address` or the state records it (a tailnet's policy
    /// address is known with its tailnet).
    pub(super) fn is_known(&self, address: &Address) -> bool {
        let tailnet_known = self.desired.tailnets.contains_key(&address.tailnet)
            || self.state.get(&address.tailnet_address()).is_some();
        match address.member {
            Member::Tailnet | Member::Policy => tailnet_known,
            _ => self.is_desired(address) || self.state.get(address).is_some(),
        }
    }

    /// "did you mean `…`?" with the known address closest to `address`, if one is close.
    pub(super) fn closest_known(&self, address: &Address) -> Option<String> {
        let mut known: BTreeSet<String> = self
            .state
            .resources
            .keys()
            .map(ToString::to_string)
            .collect();
        for (name, t) in &self.desired.tailnets {
            known.insert(Address::tailnet(name.clone()).to_string());
            known.insert(Address::policy(name.clone()).to_string());
            for kind in crate::address::ResourceKind::ALL {
                for own in t.declared(kind) {
                    if let Some(member) = Member::of(kind, Some(own)) {
                        known.insert(
                            Address {
                                tailnet: name.clone(),
                                member,
                            }
                            .to_string(),
                        );
                    }
                }
            }
        }
        let input = address.to_string();
        crate::suggest::did_you_mean(&input, known.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`?"))
    }

    pub(super) fn is_desired(&self, address: &Address) -> bool {
        self.desired
            .tailnets
            .get(&address.tailnet)
            .is_some_and(|t| t.declares(&address.member))
    }
}

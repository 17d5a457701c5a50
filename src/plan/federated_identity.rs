//! Federated identity rules: every field (scopes, tags, description, issuer, subject, audience,
//! claim rules) is an in-place `update` (PUT replaces the whole identity); an audience the
//! manifest does not set is the API's generated one and never compared; an invalid or vanished
//! identity is created again; `--replace` creates a new one before deleting the old; removed
//! from the manifests → deleted. An identity has no secret and no delivery.

use crate::address::{Address, ResourceKind};
use crate::live::LiveKeyKind;
use crate::model::Name;
use crate::state::{IdentityAttributes, IdentityRecord};

use super::oauth_client::Kind;
use super::view::{identity_attributes, identity_differs, identity_view};
use super::{Action, Change, Fate, Planner, Reason, Step, Target};

impl Planner<'_> {
    /// Plans every federated identity of a tailnet.
    pub(crate) fn plan_identities(&mut self, tailnet: &Name, fate: Fate) {
        let desired = self.desired.tailnets.get(tailnet);
        for name in self.names_in(tailnet, ResourceKind::FederatedIdentity) {
            let address = Address::federated_identity(tailnet.clone(), name.clone());
            let wanted = desired
                .and_then(|t| t.federated_identities.get(&name))
                .map(identity_attributes);
            let record = self.state.federated_identity(&address);
            self.plan_identity(&address, wanted, record, fate);
        }
    }

    fn plan_identity(
        &mut self,
        address: &Address,
        wanted: Option<IdentityAttributes>,
        record: Option<&IdentityRecord>,
        fate: Fate,
    ) {
        if let Some(r) = record {
            self.plan_deposed(address, &r.deposed, fate, Kind::Identity);
        }
        match fate {
            Fate::Blocked => return,
            Fate::Deleted => return self.delete_or_forget(address, record, Kind::Identity),
            Fate::Gone => return self.forget_record(address, record, Reason::Missing),
            Fate::Fresh | Fate::Replaced => {
                return match wanted {
                    Some(w) => {
                        let reason = record.map(|_| Reason::TailnetRecreated);
                        self.create_identity(address, w, record, reason, false)
                    }
                    None => self.forget_record(address, record, Reason::TailnetRecreated),
                };
            }
            Fate::Keep | Fate::Existing => {}
        }
        let (wanted, record) = match (wanted, record) {
            (Some(w), None) => return self.create_identity(address, w, None, None, false),
            (None, r) => return self.delete_or_forget(address, r, Kind::Identity),
            (Some(w), Some(r)) => (w, r),
        };
        let live = self.live_key(address, &record.id);
        let live_attrs = live.and_then(|k| match &k.kind {
            LiveKeyKind::Federated {
                scopes,
                tags,
                issuer,
                subject,
                audience,
                custom_claim_rules,
            } if !k.invalid => Some(IdentityAttributes {
                description: k.description.clone(),
                scopes: scopes.clone(),
                tags: tags.clone(),
                issuer: issuer.clone(),
                subject: subject.clone(),
                audience: Some(audience.clone()),
                custom_claim_rules: custom_claim_rules.clone(),
            }),
            _ => None,
        });
        let Some(live_attrs) = live_attrs else {
            let reason = if live.is_some() {
                Reason::Invalid
            } else {
                self.accept_gone(address);
                Reason::Missing
            };
            return self.create_identity(address, wanted, Some(record), Some(reason), false);
        };
        if self.replace_requested(address) {
            return self.create_identity(
                address,
                wanted,
                Some(record),
                Some(Reason::ByRequest),
                true,
            );
        }
        let before = identity_view(&live_attrs, Some(&record.id));
        if identity_differs(&live_attrs, &wanted) {
            let mut after = wanted.clone();
            if after.audience.is_none() {
                // Kept by the PUT: shown as it is, not as a change.
                after.audience = live_attrs.audience.clone();
            }
            let mut change = Change::new(address.clone(), Action::Update)
                .values(Some(before), Some(identity_view(&after, Some(&record.id))));
            if identity_differs(&live_attrs, &record.attributes) {
                change = change.reason(Reason::Drift);
            }
            return self.push(
                change,
                [Step::UpdateIdentity {
                    address: address.clone(),
                    attributes: wanted,
                }],
            );
        }
        self.changes
            .push(Change::new(address.clone(), Action::NoOp).unchanged(before));
    }

    fn create_identity(
        &mut self,
        address: &Address,
        wanted: IdentityAttributes,
        record: Option<&IdentityRecord>,
        reason: Option<Reason>,
        depose_current: bool,
    ) {
        let action = if record.is_some() {
            Action::Replace
        } else {
            Action::Create
        };
        let mut change = Change::new(address.clone(), action).values(
            record.map(|r| identity_view(&recorded(r), Some(&r.id))),
            Some(identity_view(&wanted, None)),
        );
        if let Some(reason) = reason {
            change = change.reason(reason);
        }
        let mut steps = vec![Step::CreateIdentity {
            address: address.clone(),
            attributes: wanted,
            depose_current,
        }];
        if let (true, Some(r)) = (depose_current, record) {
            steps.push(Step::DeleteIdentity {
                address: address.clone(),
                target: Target::Deposed(r.id.clone()),
            });
        }
        self.push(change, steps);
    }
}

/// A record's attributes with the audience the API holds filled in (for display).
pub(crate) fn recorded(record: &IdentityRecord) -> IdentityAttributes {
    let mut attributes = record.attributes.clone();
    if attributes.audience.is_none() {
        attributes.audience = record.audience.clone();
    }
    attributes
}

impl super::oauth_client::Tracked for IdentityRecord {
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self) -> serde_json::Value {
        identity_view(&recorded(self), Some(&self.id))
    }
    fn delivered(&self) -> &[String] {
        &[]
    }
    fn secret(&self) -> crate::state::SecretKnowledge<'_> {
        crate::state::SecretKnowledge::of(None)
    }
}

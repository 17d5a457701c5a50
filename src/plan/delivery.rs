//! Delivery steps (issue 6): after an OAuth client, auth key or webhook gets a new secret
//! (create, replace, rotation), every `deliver:` sink receives it — before the previous object is
//! revoked. A sink that does not have the current secret yet (its delivery failed, or it was
//! added to the manifest later) receives it on the next apply.

use crate::address::Address;
use crate::deliver::Sink;
use crate::model::{Delivery, Origin};
use crate::state::SecretKnowledge;

use super::oauth_client::Tracked;
use super::{Action, Fate, Planner, Reason, Step};

impl Planner<'_> {
    /// Plans the deliveries of `address` (after its own change was planned).
    pub(crate) fn plan_deliveries(
        &mut self,
        address: &Address,
        deliveries: &[Delivery],
        origin: &Origin,
        record: Option<&dyn Tracked>,
        fate: Fate,
    ) {
        if deliveries.is_empty() || matches!(fate, Fate::Blocked | Fate::Deleted | Fate::Gone) {
            return;
        }
        let delivered = record.map(Tracked::delivered);
        let knowledge = record.map_or(SecretKnowledge::Absent, Tracked::secret);
        let sinks: Vec<Sink> = deliveries
            .iter()
            .map(|d| Sink::resolve(d, origin))
            .collect();
        let new_secret = self.steps.iter().rev().any(|s| match s {
            Step::CreateKey { address: a, .. }
            | Step::CreateClient { address: a, .. }
            | Step::CreateWebhook { address: a, .. }
            | Step::RotateWebhook { address: a } => a == address,
            _ => false,
        });
        let due: Vec<Sink> = if new_secret {
            sinks
        } else {
            let delivered = delivered.unwrap_or_default();
            sinks
                .into_iter()
                .filter(|s| !delivered.contains(&s.id()))
                .collect()
        };
        if due.is_empty() {
            return;
        }
        if !new_secret
            && let Some(why) = super::secret_note::undeliverable(
                knowledge,
                &due.iter()
                    .map(Sink::describe)
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        {
            self.warnings.push(format!("{address}: {why}"));
            return;
        }
        let described: Vec<String> = due.iter().map(Sink::describe).collect();
        if let Some(change) = self
            .changes
            .iter_mut()
            .rev()
            .find(|c| &c.address == address && c.deposed.is_none())
        {
            if new_secret {
                change
                    .notes
                    .push(format!("then delivered to {}", described.join(", ")));
            } else {
                if change.action == Action::NoOp {
                    change.action = Action::Update;
                    change.reason = Some(Reason::DeliveryPending);
                }
                change.notes.push(format!(
                    "deliver the current secret to {}",
                    described.join(", ")
                ));
            }
        }
        self.steps.extend(due.into_iter().map(|sink| Step::Deliver {
            address: address.clone(),
            sink,
        }));
    }
}

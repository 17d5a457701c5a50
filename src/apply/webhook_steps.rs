//! The webhook steps against the API: create (its secret in the answer), PATCH of the
//! subscriptions, rotation (a new secret, the id kept) and delete — each read from the state when
//! it starts, its result handed back as a [`StateUpdate`].

use super::tailscale::{Op, TailscaleExecutor, api_failure, current_id};
use super::{Executor, StateUpdate, StepFailure};
use crate::api::WebhookRequest;
use crate::plan::{Step, Target};
use crate::state::{State, WebhookRecord};

impl TailscaleExecutor {
    /// Starts a webhook step (`CreateWebhook`, `UpdateWebhook`, `RotateWebhook`,
    /// `DeleteWebhook`).
    pub(super) fn webhook_step(&self, step: Step, state: &State) -> Result<Op, StepFailure> {
        let client = self.client.clone();
        let op: Op = match step {
            Step::CreateWebhook {
                address,
                attributes,
                depose_current,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                let now = self.now();
                Box::pin(async move {
                    let req = WebhookRequest {
                        endpoint_url: attributes.endpoint_url.clone(),
                        provider_type: attributes.provider_type.wire().to_owned(),
                        subscriptions: attributes.subscriptions.clone(),
                    };
                    let created = client
                        .create_webhook(&reach.credential, &reach.path, &req)
                        .await
                        .map_err(api_failure)?;
                    let issued = client.server_time().unwrap_or(now);
                    Ok(StateUpdate::WebhookCreated {
                        address,
                        record: WebhookRecord {
                            id: created.webhook.id,
                            secret: Some(created.secret.into()),
                            created: created.webhook.created,
                            rotated: Some(created.webhook.created.unwrap_or(issued)),
                            attributes,
                            delivered: Vec::new(),
                            deposed: Vec::new(),
                        },
                        depose_current,
                    })
                })
            }
            Step::UpdateWebhook {
                address,
                subscriptions,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                let id = current_id(state, &address)?;
                Box::pin(async move {
                    client
                        .set_webhook_subscriptions(&reach.credential, &id, &subscriptions)
                        .await
                        .map_err(api_failure)?;
                    Ok(StateUpdate::WebhookUpdated {
                        address,
                        subscriptions,
                    })
                })
            }
            Step::RotateWebhook { address } => {
                let reach = self.reach(&address.tailnet, state)?;
                let id = current_id(state, &address)?;
                let now = self.now();
                Box::pin(async move {
                    let rotated = client
                        .rotate_webhook(&reach.credential, &id)
                        .await
                        .map_err(api_failure)?;
                    Ok(StateUpdate::WebhookRotated {
                        address,
                        secret: rotated.secret,
                        rotated: client.server_time().unwrap_or(now),
                    })
                })
            }
            Step::DeleteWebhook { address, target } => {
                let reach = self.reach(&address.tailnet, state)?;
                let id = match &target {
                    Target::Current(id) | Target::Deposed(id) | Target::Orphan(id) => id.clone(),
                    Target::Record => current_id(state, &address)?,
                };
                Box::pin(async move {
                    client
                        .delete_webhook(&reach.credential, &id)
                        .await
                        .map_err(api_failure)?;
                    Ok(StateUpdate::ObjectDeleted { address, target })
                })
            }
            other => {
                return Err(StepFailure::new(format!(
                    "internal error: `{}` is not a webhook step",
                    other.describe()
                )));
            }
        };
        Ok(op)
    }
}

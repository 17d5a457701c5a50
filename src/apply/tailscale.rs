//! `TailscaleExecutor`: runs plan steps against the Tailscale API through `crate::api::Client`.
//! Credentials and ids are read from the state when a step starts (so a client created earlier
//! in the same apply can create keys); results come back as [`StateUpdate`]s.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use jiff::{SignedDuration, Timestamp};

use crate::address::{Address, Member};
use crate::api::{
    ApiError, AuthKeyRequest, Client, Credential, FederatedIdentityRequest, OAuthClientRequest,
    PolicyBody,
};
use crate::model::{Name, TailnetRef};
use crate::plan::{PolicyWrite, Step, TS_DEFAULT, Target};
use crate::policy_doc;
use crate::reach::{self, Reach, ReachError};
use crate::state::{
    BootstrapClient, ClientRecord, IdentityAttributes, IdentityRecord, KeyRecord, PolicyRecord,
    Record, State, TailnetRecord,
};

use super::{Executor, StateUpdate, StepFailure};

pub(super) type Op =
    Pin<Box<dyn Future<Output = Result<StateUpdate, StepFailure>> + Send + 'static>>;

/// Runs steps against the API.
#[derive(Debug, Clone)]
pub struct TailscaleExecutor {
    pub(super) client: Client,
    org: Credential,
    existing: BTreeMap<Name, TailnetRef>,
}

impl TailscaleExecutor {
    /// An executor using `org` for organization calls and `existing` to reach tailnets the
    /// manifests reference by id.
    pub fn new(client: Client, org: Credential, existing: BTreeMap<Name, TailnetRef>) -> Self {
        Self {
            client,
            org,
            existing,
        }
    }

    pub(super) fn reach(&self, tailnet: &Name, state: &State) -> Result<Reach, StepFailure> {
        if let Some(r) = self.existing.get(tailnet) {
            return reach::existing(&self.org, r).map_err(reach_failure);
        }
        match state.get(&Address::tailnet(tailnet.clone())) {
            Some(Record::Tailnet(t)) => reach::created(&self.org, t).map_err(reach_failure),
            _ => Err(StepFailure::new(format!(
                "`tailnet.{tailnet}` is not in the state, so its contents cannot be reached"
            ))),
        }
    }
}

fn reach_failure(e: ReachError) -> StepFailure {
    StepFailure::new(e.to_string())
}

pub(super) fn api_failure(e: ApiError) -> StepFailure {
    StepFailure {
        outcome_unknown: e.is_outcome_unknown(),
        message: e.to_string(),
    }
}

impl Executor for TailscaleExecutor {
    fn now(&self) -> Timestamp {
        self.client.server_time().unwrap_or_else(Timestamp::now)
    }

    fn rate_limited(&self) -> u64 {
        self.client.stats().rate_limited
    }

    fn start(
        &self,
        step: &Step,
        state: &State,
    ) -> Result<impl Future<Output = Result<StateUpdate, StepFailure>> + Send + 'static, StepFailure>
    {
        let client = self.client.clone();
        let op: Op = match step.clone() {
            Step::CreateTailnet {
                address,
                display_name,
                prevent_destroy,
                replacing,
            } => {
                let org = self.org.clone();
                Box::pin(async move {
                    let created =
                        client
                            .create_tailnet(&org, &display_name)
                            .await
                            .map_err(|e| match e {
                                ApiError::AlreadyExists { .. } => StepFailure::new(format!(
                                    "{e}; tailform never adopts a tailnet without its secret: \
                                 `tailform import {address} <id>` to manage it, or give \
                                 `{address}` another displayName"
                                )),
                                e => api_failure(e),
                            })?;
                    // Its bootstrap client is brand new: the policy step that uses it next may
                    // be refused while it propagates.
                    client.mark_new_credential(&created.oauth_client_id);
                    Ok(StateUpdate::TailnetCreated {
                        address,
                        record: TailnetRecord {
                            id: created.tailnet.id,
                            existing: false,
                            display_name: Some(created.tailnet.display_name),
                            org_id: created.tailnet.org_id,
                            dns_name: created.tailnet.dns_name,
                            created_at: created.tailnet.created_at,
                            prevent_destroy,
                            oauth_client: Some(BootstrapClient {
                                id: created.oauth_client_id,
                                secret: Some(created.oauth_client_secret.into()),
                            }),
                            deposed: Vec::new(),
                        },
                        replacing,
                    })
                })
            }
            Step::DeleteTailnet { address, target } => {
                let record = match (state.get(&address), &target) {
                    (Some(Record::Tailnet(t)), _) => Some(t),
                    (None, Target::Orphan(_)) => None,
                    _ => return Err(StepFailure::new(format!("`{address}` is not in the state"))),
                };
                let reach = match &target {
                    // An orphan's own client secret was lost with the create's response: reach
                    // it with the organization's client (`tailnet=<id>`).
                    Target::Orphan(id) => reach::deposed(
                        &self.org,
                        &crate::state::DeposedTailnet {
                            id: id.clone(),
                            oauth_client: None,
                        },
                    )
                    .map_err(reach_failure)?,
                    Target::Deposed(id) => {
                        let record = record.ok_or_else(|| {
                            StepFailure::new(format!("`{address}` is not in the state"))
                        })?;
                        let d = record.deposed.iter().find(|d| &d.id == id).ok_or_else(|| {
                            StepFailure::new(format!(
                                "previous tailnet {id} of `{address}` is not in the state"
                            ))
                        })?;
                        reach::deposed(&self.org, d).map_err(reach_failure)?
                    }
                    _ => {
                        let record = record.ok_or_else(|| {
                            StepFailure::new(format!("`{address}` is not in the state"))
                        })?;
                        reach::created(&self.org, record).map_err(reach_failure)?
                    }
                };
                let org = self.org.clone();
                Box::pin(async move {
                    if let Err(e) = client.delete_tailnet(&reach.credential, &reach.path).await {
                        // A tailnet that is already gone (a retried delete whose first answer was
                        // lost takes its tokens with it) is deleted: read before failing.
                        let gone = client
                            .list_tailnets(&org)
                            .await
                            .is_ok_and(|list| list.iter().all(|t| t.id != reach.path));
                        if !gone {
                            return Err(api_failure(e));
                        }
                        tracing::info!(tailnet = %reach.path, "the tailnet is already gone");
                    }
                    Ok(StateUpdate::TailnetDeleted { address, target })
                })
            }
            Step::WriteSettings {
                address,
                patch,
                record,
            } => {
                let reach = (!patch.is_empty())
                    .then(|| self.reach(&address.tailnet, state))
                    .transpose()?;
                Box::pin(async move {
                    if let Some(reach) = reach {
                        let fields = patch
                            .iter()
                            .map(|(s, v)| (s.as_str().to_owned(), v.to_json()))
                            .collect();
                        client
                            .set_settings(&reach.credential, &reach.path, fields)
                            .await
                            .map_err(api_failure)?;
                    }
                    Ok(StateUpdate::SettingsRecorded {
                        address,
                        values: record,
                    })
                })
            }
            Step::RecordExisting { address, id } => Box::pin(async move {
                Ok(StateUpdate::ExistingRecorded {
                    address,
                    id: id.as_path().to_owned(),
                })
            }),
            Step::RecordTailnet {
                address,
                prevent_destroy,
            } => Box::pin(async move {
                Ok(StateUpdate::TailnetSettings {
                    address,
                    prevent_destroy,
                })
            }),
            Step::WritePolicy {
                address,
                write,
                managed,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                Box::pin(async move {
                    let etag = write_policy(&client, &reach, &address, write).await?;
                    Ok(StateUpdate::PolicyRecorded {
                        address,
                        record: PolicyRecord { etag, managed },
                    })
                })
            }
            Step::CreateClient {
                address,
                attributes,
                depose_current,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                Box::pin(async move {
                    let req = OAuthClientRequest {
                        scopes: attributes.scopes.clone(),
                        tags: attributes.tags.clone(),
                        description: attributes.description.clone(),
                    };
                    let created = client
                        .create_oauth_client(&reach.credential, &reach.path, &req)
                        .await
                        .map_err(api_failure)?;
                    // A `createdBy` key may be created with it next, while it propagates.
                    client.mark_new_credential(&created.key.id);
                    Ok(StateUpdate::ClientCreated {
                        address,
                        record: ClientRecord {
                            id: created.key.id,
                            secret: Some(created.secret.into()),
                            created: created.key.created,
                            attributes,
                            delivered: Vec::new(),
                            deposed: Vec::new(),
                        },
                        depose_current,
                    })
                })
            }
            Step::UpdateClient {
                address,
                attributes,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                let id = current_id(state, &address)?;
                Box::pin(async move {
                    let req = OAuthClientRequest {
                        scopes: attributes.scopes.clone(),
                        tags: attributes.tags.clone(),
                        description: attributes.description.clone(),
                    };
                    client
                        .set_oauth_client(&reach.credential, &reach.path, &id, &req)
                        .await
                        .map_err(api_failure)?;
                    Ok(StateUpdate::ClientUpdated {
                        address,
                        attributes,
                    })
                })
            }
            Step::CreateIdentity {
                address,
                attributes,
                depose_current,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                Box::pin(async move {
                    let created = client
                        .create_federated_identity(
                            &reach.credential,
                            &reach.path,
                            &identity_request(&attributes),
                        )
                        .await
                        .map_err(api_failure)?;
                    let audience = created.federation.map(|f| f.audience);
                    Ok(StateUpdate::IdentityCreated {
                        address,
                        record: IdentityRecord {
                            id: created.id,
                            created: created.created,
                            audience: audience.filter(|a| !a.is_empty()),
                            attributes,
                            deposed: Vec::new(),
                        },
                        depose_current,
                    })
                })
            }
            Step::UpdateIdentity {
                address,
                attributes,
            } => {
                let reach = self.reach(&address.tailnet, state)?;
                let id = current_id(state, &address)?;
                Box::pin(async move {
                    let updated = client
                        .set_federated_identity(
                            &reach.credential,
                            &reach.path,
                            &id,
                            &identity_request(&attributes),
                        )
                        .await
                        .map_err(api_failure)?;
                    let audience = updated.federation.map(|f| f.audience);
                    Ok(StateUpdate::IdentityUpdated {
                        address,
                        attributes,
                        audience: audience.filter(|a| !a.is_empty()),
                    })
                })
            }
            Step::CreateKey {
                address,
                attributes,
                depose_current,
                keep_previous,
            } => {
                let tailnet = self.reach(&address.tailnet, state)?;
                let reach = match &attributes.created_by {
                    Some(client_name) => {
                        let client_address = Address {
                            tailnet: address.tailnet.clone(),
                            member: Member::OAuthClient(
                                Name::parse(client_name)
                                    .map_err(|e| StepFailure::new(e.to_string()))?,
                            ),
                        };
                        let record = state.oauth_client(&client_address).ok_or_else(|| {
                            StepFailure::new(format!("`{client_address}` is not in the state"))
                        })?;
                        reach::created_by(&tailnet, client_name, record).map_err(reach_failure)?
                    }
                    None => tailnet,
                };
                let now = self.now();
                Box::pin(async move {
                    let req = AuthKeyRequest {
                        reusable: attributes.reusable,
                        ephemeral: attributes.ephemeral,
                        preauthorized: attributes.preauthorized,
                        tags: attributes.tags.clone(),
                        expiry_seconds: attributes.expiry_seconds,
                        description: attributes.description.clone(),
                    };
                    let created = client
                        .create_auth_key(&reach.credential, &reach.path, &req)
                        .await
                        .map_err(api_failure)?;
                    let revoke_after = keep_previous.map(|d| {
                        let base = client.server_time().unwrap_or(now);
                        base.checked_add(SignedDuration::from_secs(
                            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                        ))
                        .unwrap_or(Timestamp::MAX)
                    });
                    Ok(StateUpdate::KeyCreated {
                        address,
                        record: KeyRecord {
                            id: created.key.id,
                            secret: Some(created.secret.into()),
                            created: created.key.created,
                            expires: created.key.expires,
                            attributes,
                            delivered: Vec::new(),
                            deposed: Vec::new(),
                        },
                        depose_current,
                        revoke_after,
                    })
                })
            }
            Step::DeleteClient { address, target }
            | Step::DeleteKey { address, target }
            | Step::DeleteIdentity { address, target } => {
                let reach = self.reach(&address.tailnet, state)?;
                let id = match &target {
                    Target::Current(id) | Target::Deposed(id) | Target::Orphan(id) => id.clone(),
                    Target::Record => current_id(state, &address)?,
                };
                Box::pin(async move {
                    client
                        .delete_key(&reach.credential, &reach.path, &id)
                        .await
                        .map_err(api_failure)?;
                    Ok(StateUpdate::ObjectDeleted { address, target })
                })
            }
            step @ (Step::CreateWebhook { .. }
            | Step::UpdateWebhook { .. }
            | Step::RotateWebhook { .. }
            | Step::DeleteWebhook { .. }) => self.webhook_step(step, state)?,
            Step::Deliver { address, sink } => {
                let secret = state
                    .get(&address)
                    .and_then(Record::secret)
                    .cloned()
                    .ok_or_else(|| {
                        StepFailure::new(format!(
                            "`{address}` has no secret in the state to deliver"
                        ))
                    })?;
                Box::pin(async move {
                    sink.deliver(&secret).await.map_err(|e| {
                        StepFailure::new(format!(
                            "delivery to {} failed: {e}; the secret is kept in the state and the next apply delivers it again",
                            sink.describe()
                        ))
                    })?;
                    Ok(StateUpdate::Delivered {
                        address,
                        sink: sink.id(),
                    })
                })
            }
            Step::ClearIntent { address, intent } => {
                Box::pin(async move { Ok(StateUpdate::IntentCleared { address, intent }) })
            }
            Step::Forget { address, target } => {
                Box::pin(async move { Ok(StateUpdate::Forgotten { address, target }) })
            }
            Step::RecordExpiry { address, expires } => {
                Box::pin(async move { Ok(StateUpdate::ExpiryRecorded { address, expires }) })
            }
        };
        Ok(op)
    }
}

pub(super) fn current_id(state: &State, address: &Address) -> Result<String, StepFailure> {
    state
        .get(address)
        .and_then(Record::id)
        .map(str::to_owned)
        .ok_or_else(|| StepFailure::new(format!("`{address}` is not in the state")))
}

/// Posts a policy; returns the ETag to record.
///
/// The first write on a tailnet created in this apply never depends on `If-Match: "ts-default"`
/// matching: whether an API-only tailnet's first policy counts as "the untouched default" is
/// unknown (FIDELITY-2 §1 #2). Merging `tagOwners` into it posts with the ETag the step has just
/// read; a whole `policy.file` is posted with `ts-default`, and on a 412 the policy is read once
/// more and posted with that ETag (no one else has written to a tailnet created seconds ago, so
/// a 412 there is not "changed since the plan").
async fn write_policy(
    client: &Client,
    reach: &Reach,
    address: &Address,
    write: PolicyWrite,
) -> Result<Option<String>, StepFailure> {
    let (text, if_match) = match write {
        PolicyWrite::RecordOnly { etag } => return Ok(etag),
        PolicyWrite::Text { text, if_match } => (text, if_match),
        PolicyWrite::MergeIntoDefault { tag_owners } => {
            let current = client
                .get_policy(&reach.credential, &reach.path)
                .await
                .map_err(api_failure)?;
            let text = policy_doc::edit_tag_owners(&current.text, &tag_owners, &Default::default())
                .map_err(|e| {
                    StepFailure::new(format!("the policy of `{address}` cannot be edited: {e}"))
                })?;
            (text, current.etag)
        }
    };
    let body = PolicyBody::HuJson(text);
    let mut result = client
        .set_policy(&reach.credential, &reach.path, &body, if_match.as_deref())
        .await;
    if if_match.as_deref() == Some(TS_DEFAULT)
        && result.as_ref().is_err_and(ApiError::is_precondition_failed)
    {
        tracing::info!(tailnet = %reach.path,
            "`ts-default` did not match the new tailnet's first policy: reading its ETag");
        let current = client
            .get_policy(&reach.credential, &reach.path)
            .await
            .map_err(api_failure)?;
        result = client
            .set_policy(
                &reach.credential,
                &reach.path,
                &body,
                current.etag.as_deref(),
            )
            .await;
    }
    match result {
        Ok(doc) => Ok(doc.etag),
        Err(e) if e.is_precondition_failed() => Err(StepFailure::new(format!(
            "the policy of `{}` changed since the plan was made (412 precondition failed: {}); \
             nothing was written — run `tailform plan` again to see the new difference",
            Address::tailnet(address.tailnet.clone()),
            e
        ))),
        Err(e) => Err(api_failure(e)),
    }
}

/// The request that creates or replaces a federated identity with `attributes`.
fn identity_request(attributes: &IdentityAttributes) -> FederatedIdentityRequest {
    FederatedIdentityRequest {
        scopes: attributes.scopes.clone(),
        tags: attributes.tags.clone(),
        description: attributes.description.clone(),
        issuer: attributes.issuer.clone(),
        subject: attributes.subject.clone(),
        audience: attributes.audience.clone(),
        custom_claim_rules: attributes.custom_claim_rules.clone(),
    }
}

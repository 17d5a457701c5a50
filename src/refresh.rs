//! The refresh: reads what the plan needs from the live API into a [`Live`] snapshot — the
//! organization's tailnet list once (only when tailform creates or tracks created tailnets), and
//! per managed tailnet one `GET …/keys?all=true`, one `GET …/acl` and, where the manifests or the
//! state have webhooks, one `GET …/webhooks` (and `GET …/settings` where settings are managed), all of it in parallel (a
//! converged refresh is two round trips: the tokens, then the reads). A key is read on its own
//! only when the list lacks its fields (old API: id-only entries).
//!
//! Parallel, but bounded: every read passes a [`Gate`] of `--parallelism` requests in flight (as
//! Terraform's refresh does), which halves when the API answers 429 and grows back when it is
//! calm, the rule apply follows. A token mint happens inside the read that needs it, so it is
//! bounded too. An organization with hundreds of tailnets therefore sends its reads in waves
//! instead of all at once into the rate limiter.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::api::{ApiError, Client, Credential, KeyInfo, KeyLookup, KeyType};
use crate::gate::Gate;
use crate::live::{
    Live, LiveKey, LiveKeyKind, LivePolicy, LiveTailnet, LiveWebhook, OrgTailnet, TailnetContents,
};
use crate::model::{Desired, Name, TailnetKind, TailnetRef};
use crate::policy_doc;
use crate::reach::{self, Reach, ReachError};
use crate::state::{Record, State};

/// Why the live state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// An API call failed.
    #[error("cannot read {what}")]
    Api {
        /// What was being read.
        what: String,
        /// The API error.
        #[source]
        source: ApiError,
    },
    /// A tailnet cannot be reached with the configured credentials.
    #[error(transparent)]
    Reach(#[from] ReachError),
    /// The live policy is not valid HuJSON.
    #[error("the live policy of `tailnet.{tailnet}` cannot be parsed: {detail}")]
    Policy {
        /// The tailnet.
        tailnet: Name,
        /// Why.
        detail: String,
    },
}

/// What a refresh reads: the tailnets, how to reach the existing ones, and which ones the
/// manifests want created. Saved with a plan so `apply PLANFILE` reads the same without the
/// manifests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Every tailnet in the manifests or the state.
    pub tailnets: BTreeSet<Name>,
    /// Existing tailnets the manifests reference.
    pub existing: BTreeMap<Name, TailnetRef>,
    /// Tailnets the manifests want tailform to create.
    pub created: BTreeSet<Name>,
    /// Tailnets whose webhooks are read (the manifests or the state have some there).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub webhooks: BTreeSet<Name>,
    /// Tailnets whose settings are read (the manifests set some, or the state records some).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub settings: BTreeSet<Name>,
}

impl Scope {
    /// The scope of a plan of `desired` against `state`.
    pub fn of(desired: &Desired, state: &State) -> Self {
        let mut scope = Scope::default();
        for (name, t) in &desired.tailnets {
            scope.tailnets.insert(name.clone());
            if !t.webhooks.is_empty() {
                scope.webhooks.insert(name.clone());
            }
            if t.settings.is_some() {
                scope.settings.insert(name.clone());
            }
            match &t.kind {
                TailnetKind::Existing(r) => {
                    scope.existing.insert(name.clone(), r.clone());
                }
                TailnetKind::Created { .. } => {
                    scope.created.insert(name.clone());
                }
            }
        }
        // An existing tailnet the manifests no longer name is still read: what tailform made in
        // it is deleted, which needs its live contents.
        for (address, record) in &state.resources {
            if let Record::Tailnet(t) = record
                && t.existing
                && !scope.existing.contains_key(&address.tailnet)
                && !desired.tailnets.contains_key(&address.tailnet)
                && let Some(r) = TailnetRef::parse(&t.id)
            {
                scope.existing.insert(address.tailnet.clone(), r);
            }
        }
        // A name is cloned only when new (not once per record).
        for address in state.resources.keys() {
            if !scope.tailnets.contains(&address.tailnet) {
                scope.tailnets.insert(address.tailnet.clone());
            }
            if address.kind() == crate::address::ResourceKind::Webhook
                && !scope.webhooks.contains(&address.tailnet)
            {
                scope.webhooks.insert(address.tailnet.clone());
            }
            if address.kind() == crate::address::ResourceKind::Settings {
                scope.settings.insert(address.tailnet.clone());
            }
        }
        // An interrupted webhook create is searched for among the tailnet's webhooks.
        for intent in &state.pending {
            if intent.address.kind() == crate::address::ResourceKind::Webhook {
                scope.webhooks.insert(intent.address.tailnet.clone());
            }
        }
        scope
    }
}

/// Reads the live state of every tailnet in `scope`.
///
/// Everything is read at once: the organization's tailnet list (when needed) and, beside it,
/// every tailnet's keys and policy. A tailnet tailform created is read *before* the list
/// confirms it still exists — its reads need only the credentials in the state — so a converged
/// refresh takes two round trips (token, then reads), not four (token, list, token, reads). When
/// the list does not show such a tailnet, it is `Gone` and whatever its reads answered (most
/// likely a refused token) is dropped.
pub async fn read(
    client: &Client,
    org: &Credential,
    scope: &Scope,
    state: &State,
) -> Result<Live, RefreshError> {
    read_through(client, org, scope, state, &Gate::new(DEFAULT_PARALLELISM)).await
}

/// `--parallelism`'s default, for a refresh that was given none.
pub const DEFAULT_PARALLELISM: usize = 10;

/// [`read`], with every request passing `gate`.
pub async fn read_through(
    client: &Client,
    org: &Credential,
    scope: &Scope,
    state: &State,
    gate: &Gate,
) -> Result<Live, RefreshError> {
    let needs_org_list = scope
        .tailnets
        .iter()
        .any(|n| scope.created.contains(n) || created_record(state, n).is_some());
    let mut tailnets = BTreeMap::new();
    let mut unreachable = Vec::new();
    let mut reads: JoinSet<Outcome> = JoinSet::new();
    for name in &scope.tailnets {
        let (created_id, reach) = match (scope.existing.get(name), created_record(state, name)) {
            (Some(r), _) => (None, reach::existing(org, r)?),
            (None, Some(record)) => match reach::created(org, record) {
                Ok(reach) => (Some(record.id.clone()), reach),
                // Unreachable is an error only if the tailnet still exists (decided below).
                Err(e) => {
                    unreachable.push((name.clone(), record.id.clone(), e));
                    continue;
                }
            },
            (None, None) => {
                tailnets.insert(name.clone(), LiveTailnet::NotCreated);
                continue;
            }
        };
        let (name, client, gate) = (name.clone(), client.clone(), gate.clone());
        let also = Extra {
            webhooks: scope.webhooks.contains(&name),
            settings: scope.settings.contains(&name),
        };
        reads.spawn(async move {
            let read = read_tailnet(&client, &gate, &name, &reach, also).await;
            Outcome::Listed {
                name,
                created_id,
                reach: Box::new(reach),
                read,
            }
        });
    }
    let org_tailnets = if needs_org_list {
        Some(gated(client, gate, org_tailnets(client, org)).await?)
    } else {
        None
    };
    let listed = |id: &str| {
        org_tailnets
            .as_ref()
            .is_some_and(|org| org.iter().any(|t| t.id == id))
    };
    for (name, id, e) in unreachable {
        if listed(&id) {
            return Err(e.into());
        }
        tailnets.insert(name, LiveTailnet::Gone);
    }
    while let Some(joined) = reads.join_next().await {
        let (name, contents) = match joined.expect("refresh tasks do not panic") {
            Outcome::Listed {
                name, created_id, ..
            } if created_id.as_deref().is_some_and(|id| !listed(id)) => {
                tailnets.insert(name, LiveTailnet::Gone);
                continue;
            }
            Outcome::Listed {
                name, reach, read, ..
            } => {
                let (contents, id_only) = read?;
                if id_only.is_empty() {
                    (name, contents)
                } else {
                    // Rare (the old API's id-only entries): read the ones the state tracks.
                    let tracked = tracked_ids(state, &name);
                    let ids: Vec<String> = id_only
                        .into_iter()
                        .filter(|id| tracked.contains(id))
                        .collect();
                    let (client, gate) = (client.clone(), gate.clone());
                    reads.spawn(async move {
                        let read = read_keys(&client, &gate, &name, &reach, contents, ids).await;
                        Outcome::Resolved { name, read }
                    });
                    continue;
                }
            }
            Outcome::Resolved { name, read } => (name, read?),
        };
        tracing::info!(tailnet = %name, keys = contents.keys.len(), etag = ?contents.policy.etag, "refreshed");
        tailnets.insert(name, LiveTailnet::Present(contents));
    }
    Ok(Live {
        now: client.server_time().unwrap_or_else(jiff::Timestamp::now),
        org_tailnets,
        tailnets,
    })
}

/// What a refresh task hands back.
enum Outcome {
    /// A tailnet's key list and policy, and the ids of id-only list entries.
    Listed {
        name: Name,
        /// The id of a tailnet tailform created (its existence is confirmed by the org list).
        created_id: Option<String>,
        /// Boxed: a credential is large next to the other variant.
        reach: Box<Reach>,
        read: Result<(TailnetContents, Vec<String>), RefreshError>,
    },
    /// The same tailnet after its tracked id-only entries were read one by one.
    Resolved {
        name: Name,
        read: Result<TailnetContents, RefreshError>,
    },
}

/// Runs `request` once `gate` has room, and tells the gate how it went (the client's 429 count).
async fn gated<T>(
    client: &Client,
    gate: &Gate,
    request: impl std::future::Future<Output = T>,
) -> T {
    let pass = gate.enter().await;
    let answer = request.await;
    pass.leave(client.stats().rate_limited);
    answer
}

async fn org_tailnets(client: &Client, org: &Credential) -> Result<Vec<OrgTailnet>, RefreshError> {
    let list = client
        .list_tailnets(org)
        .await
        .map_err(|source| RefreshError::Api {
            what: "the organization's tailnets".into(),
            source,
        })?;
    Ok(list
        .into_iter()
        .map(|t| OrgTailnet {
            id: t.id,
            display_name: t.display_name,
            created_at: t.created_at,
        })
        .collect())
}

fn created_record<'s>(state: &'s State, name: &Name) -> Option<&'s crate::state::TailnetRecord> {
    match state.get(&crate::address::Address::tailnet(name.clone())) {
        Some(Record::Tailnet(t)) if !t.existing => Some(t),
        _ => None,
    }
}

/// Ids the state tracks in a tailnet (current and deposed).
fn tracked_ids(state: &State, tailnet: &Name) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for (address, record) in &state.resources {
        if &address.tailnet != tailnet {
            continue;
        }
        match record {
            Record::AuthKey(k) => {
                ids.insert(k.id.clone());
                ids.extend(k.deposed.iter().map(|d| d.id.clone()));
            }
            Record::OAuthClient(c) => {
                ids.insert(c.id.clone());
                ids.extend(c.deposed.iter().map(|d| d.id.clone()));
            }
            _ => {}
        }
    }
    ids
}

/// A tailnet's key list and policy, read side by side; also the ids of list entries that
/// carry nothing but their id.
async fn read_tailnet(
    client: &Client,
    gate: &Gate,
    name: &Name,
    reach: &Reach,
    also: Extra,
) -> Result<(TailnetContents, Vec<String>), RefreshError> {
    let read_settings = async {
        if also.settings {
            Some(
                gated(
                    client,
                    gate,
                    client.get_settings(&reach.credential, &reach.path),
                )
                .await,
            )
        } else {
            None
        }
    };
    let read_webhooks = async {
        if also.webhooks {
            Some(
                gated(
                    client,
                    gate,
                    client.list_webhooks(&reach.credential, &reach.path),
                )
                .await,
            )
        } else {
            None
        }
    };
    let (keys, policy, webhooks, settings) = tokio::join!(
        gated(
            client,
            gate,
            client.list_keys(&reach.credential, &reach.path, true)
        ),
        gated(
            client,
            gate,
            client.get_policy(&reach.credential, &reach.path)
        ),
        read_webhooks,
        read_settings,
    );
    let settings = settings.transpose().map_err(|source| RefreshError::Api {
        what: format!("the settings of `tailnet.{name}` ({})", reach.path),
        source,
    })?;
    let webhooks = webhooks
        .transpose()
        .map_err(|source| RefreshError::Api {
            what: format!("the webhooks of `tailnet.{name}` ({})", reach.path),
            source,
        })?
        .map(|list| {
            list.into_iter()
                .map(|w| {
                    let live = LiveWebhook {
                        id: w.id.clone(),
                        endpoint_url: w.endpoint_url,
                        provider_type: w.provider_type,
                        subscriptions: w.subscriptions,
                        created: w.created,
                    };
                    (w.id, live)
                })
                .collect()
        });
    let keys = keys.map_err(|source| RefreshError::Api {
        what: format!("the keys of `tailnet.{name}` ({})", reach.path),
        source,
    })?;
    let policy = policy.map_err(|source| RefreshError::Api {
        what: format!("the policy file of `tailnet.{name}` ({})", reach.path),
        source,
    })?;
    let id_only = keys
        .iter()
        .filter(|k| lacks_fields(k))
        .map(|k| k.id.clone())
        .collect();
    let keys = keys
        .into_iter()
        .map(|info| (info.id.clone(), live_key(info)))
        .collect();
    let value = policy_doc::parse(&policy.text).map_err(|e| RefreshError::Policy {
        tailnet: name.clone(),
        detail: e.to_string(),
    })?;
    let contents = TailnetContents {
        keys,
        policy: LivePolicy {
            text: policy.text,
            value,
            etag: policy.etag,
        },
        webhooks,
        settings,
    };
    Ok((contents, id_only))
}

/// What a tailnet's read fetches besides its keys and policy.
#[derive(Debug, Clone, Copy)]
struct Extra {
    webhooks: bool,
    settings: bool,
}

/// Reads keys `ids` one by one into `contents` (a key that is gone is dropped).
async fn read_keys(
    client: &Client,
    gate: &Gate,
    name: &Name,
    reach: &Reach,
    mut contents: TailnetContents,
    ids: Vec<String>,
) -> Result<TailnetContents, RefreshError> {
    for id in ids {
        match gated(
            client,
            gate,
            client.get_key(&reach.credential, &reach.path, &id),
        )
        .await
        {
            Ok(KeyLookup::Found(full)) => {
                contents.keys.insert(id, live_key(full));
            }
            Ok(KeyLookup::NotFound) => {
                contents.keys.remove(&id);
            }
            Err(source) => {
                return Err(RefreshError::Api {
                    what: format!("key {id} of `tailnet.{name}`"),
                    source,
                });
            }
        }
    }
    Ok(contents)
}

/// An id-only list entry (the old API documented lists of `{"id": …}`).
fn lacks_fields(info: &KeyInfo) -> bool {
    info.created.is_none() && info.capabilities.is_none() && info.scopes.is_empty()
}

fn live_key(info: KeyInfo) -> LiveKey {
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let kind = match info.key_type {
        KeyType::Auth => {
            let caps = info.capabilities.unwrap_or_default();
            LiveKeyKind::Auth {
                reusable: caps.reusable,
                ephemeral: caps.ephemeral,
                preauthorized: caps.preauthorized,
                tags: sorted(caps.tags),
                expires: info.expires,
            }
        }
        KeyType::Client => LiveKeyKind::Client {
            scopes: sorted(info.scopes),
            tags: sorted(info.tags),
            updated: info.updated,
        },
        KeyType::Federated => {
            let f = info.federation.unwrap_or_default();
            LiveKeyKind::Federated {
                scopes: sorted(info.scopes),
                tags: sorted(info.tags),
                issuer: f.issuer,
                subject: f.subject,
                audience: f.audience,
                custom_claim_rules: f.custom_claim_rules,
            }
        }
        KeyType::Api => LiveKeyKind::AccessToken,
        _ => LiveKeyKind::Other,
    };
    LiveKey {
        id: info.id,
        kind,
        description: info.description,
        created: info.created,
        invalid: info.invalid,
    }
}

#[cfg(test)]
mod tests;

//! The Terraform-style baseline: what a provider that refreshes each managed resource with its
//! own read does — one GET per resource in the state, at most 10 in flight (Terraform's default
//! `-parallelism`), against the same emulator with the same credentials and token cache.
//!
//! The read per resource kind: a tailnet has no GET-by-id in the API, so it is the organization's
//! tailnet list; a policy is `GET …/acl`; an OAuth client or auth key is `GET …/keys/{id}`.
//! Every read starts at once (no graph order), which favours the baseline.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tailform::address::Member;
use tailform::api::{Client, ClientConfig, Credential};
use tailform::reach::{self, Reach};
use tailform::state::{Record, StateFile};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::Fail;
use super::measure::Tailform;
use super::world::{Requests, World};

/// Terraform's default parallelism.
pub const PARALLELISM: usize = 10;

/// A measured baseline refresh.
#[derive(Debug, Clone, Copy)]
pub struct BaselineRun {
    /// Wall time.
    pub wall: Duration,
    /// Requests made.
    pub requests: Requests,
}

/// One read the baseline makes.
enum Read {
    OrgList(Credential),
    Policy(Reach),
    Key(Reach, String),
}

impl Read {
    async fn run(self, client: Client) -> Result<(), tailform::api::ApiError> {
        match self {
            Read::OrgList(org) => client.list_tailnets(&org).await.map(drop),
            Read::Policy(r) => client.get_policy(&r.credential, &r.path).await.map(drop),
            Read::Key(r, id) => client.get_key(&r.credential, &r.path, &id).await.map(drop),
        }
    }
}

fn reads(tailform: &Tailform, org: &Credential) -> Result<Vec<Read>, Fail> {
    let state = StateFile::new(tailform.state_path()).load()?;
    let mut reaches = BTreeMap::new();
    for (address, record) in &state.resources {
        if let Record::Tailnet(t) = record {
            reaches.insert(address.tailnet.clone(), reach::created(org, t)?);
        }
    }
    let mut reads = Vec::with_capacity(state.resources.len());
    for (address, record) in &state.resources {
        let reach = || {
            reaches
                .get(&address.tailnet)
                .cloned()
                .ok_or_else(|| format!("no tailnet record for `{address}`"))
        };
        reads.push(match (&address.member, record) {
            (Member::Tailnet, _) => Read::OrgList(org.clone()),
            (Member::Policy, _) => Read::Policy(reach()?),
            (_, Record::AuthKey(k)) => Read::Key(reach()?, k.id.clone()),
            (_, Record::OAuthClient(c)) => Read::Key(reach()?, c.id.clone()),
            (_, other) => return Err(format!("unexpected record {other:?}").into()),
        });
    }
    Ok(reads)
}

/// Reads every managed resource one GET at a time, 10 in flight.
pub fn run(tailform: &Tailform, world: &World) -> Result<BaselineRun, Fail> {
    let org = world.org();
    let reads = reads(tailform, &org)?;
    let client = Client::new(ClientConfig::new(world.base_url()))?;
    world.reset_stats()?;
    let start = Instant::now();
    tailform.runtime().block_on(async {
        let permits = Arc::new(Semaphore::new(PARALLELISM));
        let mut tasks = JoinSet::new();
        for read in reads {
            let (permits, client) = (permits.clone(), client.clone());
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await?;
                read.run(client).await?;
                Ok::<(), Fail>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            done??;
        }
        Ok::<(), Fail>(())
    })?;
    Ok(BaselineRun {
        wall: start.elapsed(),
        requests: world.requests()?,
    })
}

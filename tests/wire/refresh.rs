//! The refresh (`tailform::refresh::read`) against the emulator: how many requests a converged
//! refresh makes, that a tailnet's reads do not wait for the organization's tailnet list (two
//! round trips, not four), and that a tailnet deleted outside tailform is `Gone` even though its
//! speculative reads fail.

use std::time::{Duration, Instant};

use serde_json::json;
use tailform::address::Address;
use tailform::api::CreatedTailnet;
use tailform::live::LiveTailnet;
use tailform::model::Name;
use tailform::refresh::{self, Scope};
use tailform::state::{BootstrapClient, Record, State, TailnetRecord};

use crate::support::{LIST_KEYS, LIST_TAILNETS, TOKEN, Wire, fast_retry};

const GET_POLICY: &str = "GET /api/v2/tailnet/{tailnet}/acl";

/// The record `apply` keeps for a tailnet it created.
fn record(created: &CreatedTailnet) -> Record {
    Record::Tailnet(TailnetRecord {
        id: created.tailnet.id.clone(),
        existing: false,
        display_name: Some(created.tailnet.display_name.clone()),
        org_id: created.tailnet.org_id.clone(),
        dns_name: created.tailnet.dns_name.clone(),
        created_at: created.tailnet.created_at,
        prevent_destroy: true,
        oauth_client: Some(BootstrapClient {
            id: created.oauth_client_id.clone(),
            secret: Some(created.oauth_client_secret.clone()),
        }),
        deposed: Vec::new(),
    })
}

/// Creates one tailnet per name; returns the state tracking them and the refresh scope.
async fn tracked(wire: &Wire, names: &[&str]) -> (State, Scope, Vec<CreatedTailnet>) {
    let mut state = State::new();
    let mut scope = Scope::default();
    let mut created = Vec::new();
    for name in names {
        let (tailnet, _) = wire.new_tailnet(name).await;
        let name = Name::parse(name).unwrap();
        state
            .resources
            .insert(Address::tailnet(name.clone()), record(&tailnet));
        scope.tailnets.insert(name.clone());
        scope.created.insert(name);
        created.push(tailnet);
    }
    (state, scope, created)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_converged_refresh_is_one_list_per_tailnet_and_two_round_trips() {
    let wire = Wire::start().await;
    let (state, scope, _) = tracked(&wire, &["alpha", "beta", "gamma"]).await;
    let latency = Duration::from_millis(300);
    wire.faults(json!({ "latencyMs": 300 })).await;
    wire.reset_stats().await;
    // A fresh client: its first request to each credential mints a token.
    let client = wire.client_with(fast_retry(0));
    let started = Instant::now();
    let live = refresh::read(&client, &wire.org(), &scope, &state)
        .await
        .unwrap();
    let took = started.elapsed();

    assert!(
        live.tailnets
            .values()
            .all(|t| matches!(t, LiveTailnet::Present(_)))
    );
    let stats = wire.stats().await;
    let calls = [TOKEN, LIST_TAILNETS, LIST_KEYS, GET_POLICY].map(|e| stats.calls(e));
    // One org token and one per tailnet; one org list; one key list and one policy per tailnet.
    assert_eq!(calls, [4, 1, 3, 3], "{:?}", stats.by_endpoint);
    assert_eq!(stats.total, 11);
    // Token, then reads: two latencies. Waiting for the org list before a tailnet's token would
    // make it four.
    assert!(
        took >= latency * 2 && took < latency * 3,
        "the refresh took {took:?} at {latency:?} per request"
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tailnet_deleted_outside_tailform_is_gone_though_its_reads_fail() {
    let wire = Wire::start().await;
    let (state, scope, created) = tracked(&wire, &["alpha", "beta"]).await;
    let beta = &created[1];
    let beta_cred = tailform::api::Credential::oauth(
        beta.oauth_client_id.clone(),
        beta.oauth_client_secret.clone(),
    );
    wire.client
        .delete_tailnet(&beta_cred, &beta.tailnet.id)
        .await
        .unwrap();

    let client = wire.client_with(fast_retry(0));
    let live = refresh::read(&client, &wire.org(), &scope, &state)
        .await
        .unwrap();

    let alpha = Name::parse("alpha").unwrap();
    let beta = Name::parse("beta").unwrap();
    assert!(matches!(live.tailnets[&alpha], LiveTailnet::Present(_)));
    assert_eq!(live.tailnets[&beta], LiveTailnet::Gone);
    let listed: Vec<&str> = live
        .org_tailnets
        .as_deref()
        .unwrap()
        .iter()
        .map(|t| t.display_name.as_str())
        .collect();
    assert_eq!(listed, ["example.com", "alpha"]);
    wire.shutdown().await;
}

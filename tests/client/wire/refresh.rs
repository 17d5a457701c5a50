//! The refresh (`tailform::refresh::read`) against the emulator: how many requests a converged
//! refresh makes, that a tailnet's reads do not wait for the organization's tailnet list (two
//! round trips, not four), and that a tailnet deleted outside tailform is `Gone` even though its
//! speculative reads fail; and that key lists of the old API's id-only shape are completed by
//! reading the keys the state tracks, one by one.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State as Upstream;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tailform::address::Address;
use tailform::api::{AuthKeyRequest, CreatedTailnet};
use tailform::live::{LiveKeyKind, LiveTailnet};
use tailform::model::Name;
use tailform::refresh::{self, Scope};
use tailform::state::{BootstrapClient, KeyAttributes, KeyRecord, Record, State, TailnetRecord};

use super::support::{LIST_KEYS, LIST_TAILNETS, TOKEN, Wire};
use crate::common::retry::fast_retry;

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
            secret: Some(created.oauth_client_secret.clone().into()),
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

/// Forwards to the emulator; a key list's entries are cut down to their ids.
async fn id_only_lists(
    Upstream(upstream): Upstream<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path_and_query().map_or("", |p| p.as_str());
    let mut req = reqwest::Client::new()
        .request(method.clone(), format!("{upstream}{path}"))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let answer = req.send().await.expect("the emulator answers");
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let etag = answer.headers().get("etag").cloned();
    let body = answer.bytes().await.unwrap();
    let body = if method == Method::GET && uri.path().ends_with("/keys") && status.is_success() {
        let list: Value = serde_json::from_slice(&body).unwrap();
        let ids: Vec<Value> = list["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| json!({ "id": k["id"] }))
            .collect();
        Bytes::from(json!({ "keys": ids }).to_string())
    } else {
        body
    };
    let mut out = HeaderMap::new();
    out.extend(content_type.map(|v| (axum::http::header::CONTENT_TYPE, v)));
    out.extend(etag.map(|v| (axum::http::header::ETAG, v)));
    (status, out, body).into_response()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_only_list_entries_of_tracked_keys_are_read_one_by_one() {
    let wire = Wire::start().await;
    let (mut state, scope, created) = tracked(&wire, &["alpha"]).await;
    let cred = tailform::api::Credential::oauth(
        created[0].oauth_client_id.clone(),
        created[0].oauth_client_secret.clone(),
    );
    wire.set_tag_owners(&cred, json!({ "tag:web": [] })).await;
    let request = |description: &str| AuthKeyRequest {
        tags: vec!["tag:web".into()],
        expiry_seconds: 3600,
        description: description.into(),
        ..AuthKeyRequest::default()
    };
    let mine = wire
        .client
        .create_auth_key(&cred, "-", &request("mine"))
        .await
        .unwrap();
    let other = wire
        .client
        .create_auth_key(&cred, "-", &request("other"))
        .await
        .unwrap();
    state.resources.insert(
        "tailnet.alpha.auth_key.mine".parse().unwrap(),
        Record::AuthKey(KeyRecord {
            id: mine.key.id.clone(),
            secret: Some(mine.secret.clone().into()),
            created: mine.key.created,
            expires: mine.key.expires,
            attributes: KeyAttributes {
                description: "mine".into(),
                reusable: false,
                ephemeral: false,
                preauthorized: false,
                tags: vec!["tag:web".into()],
                expiry_seconds: 3600,
                created_by: None,
            },
            delivered: Vec::new(),
            deposed: Vec::new(),
        }),
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new()
        .fallback(id_only_lists)
        .with_state(wire.emulator.base_url().to_owned());
    tokio::spawn(async move { axum::serve(listener, app).await });
    wire.reset_stats().await;
    let client = super::support::client_for(&proxy, fast_retry(0));
    let live = refresh::read(&client, &wire.org(), &scope, &state)
        .await
        .unwrap();

    let LiveTailnet::Present(alpha) = &live.tailnets[&Name::parse("alpha").unwrap()] else {
        panic!("alpha is present: {:?}", live.tailnets);
    };
    // The tracked key was read on its own: its fields are there.
    let read = &alpha.keys[&mine.key.id];
    assert_eq!(read.description, "mine");
    assert!(read.created.is_some());
    assert!(
        matches!(&read.kind, LiveKeyKind::Auth { tags, .. } if tags == &["tag:web"]),
        "{read:?}"
    );
    // The untracked one stays as listed (an id only), and was not read.
    let listed = &alpha.keys[&other.key.id];
    assert_eq!((listed.description.as_str(), listed.created), ("", None));
    let stats = wire.stats().await;
    assert_eq!(
        stats.calls("GET /api/v2/tailnet/{tailnet}/keys/{key_id}"),
        1,
        "{:?}",
        stats.by_endpoint
    );
    wire.shutdown().await;
}

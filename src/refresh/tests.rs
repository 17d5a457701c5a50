//! Unit tests of `refresh`.

use std::time::Duration;

use super::*;
use crate::api::{ClientConfig, RetryPolicy};
use crate::emulator::{Emulator, EmulatorConfig};
use crate::secret::Secret;

/// Many tailnets read through a gate of 8 while the API answers 429 to a third of the
/// requests: the refresh completes and the gate narrowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_pass_the_gate_and_a_rate_limit_narrows_it() {
    let emulator = Emulator::start(EmulatorConfig {
        seed: Some(3),
        max_tailnets: 20,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(ClientConfig {
        base_url: emulator.base_url().to_owned(),
        retry: RetryPolicy {
            max_retries: 12,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_retry_after: Duration::from_millis(5),
        },
        ..ClientConfig::default()
    })
    .unwrap();
    let org = Credential::oauth(
        emulator.org_client_id(),
        Secret::new(emulator.org_client_secret().expose()),
    );
    let mut scope = Scope::default();
    for i in 0..12 {
        let created = client
            .create_tailnet(&org, &format!("Gated {i}"))
            .await
            .unwrap();
        let name = Name::parse(&format!("t{i}")).unwrap();
        scope.tailnets.insert(name.clone());
        scope
            .existing
            .insert(name, TailnetRef::Id(created.tailnet.id.clone()));
    }
    let faults = reqwest::Client::new()
        .post(format!("{}/_emulator/faults", emulator.base_url()))
        .json(&serde_json::json!({"rate429": 0.35, "seed": 5, "retryAfterSeconds": 0}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    let gate = Gate::new(8);
    let live = read_through(&client, &org, &scope, &State::new(), &gate)
        .await
        .unwrap();
    assert_eq!(live.tailnets.len(), 12);
    assert!(
        live.tailnets
            .values()
            .all(|t| matches!(t, LiveTailnet::Present(_)))
    );
    assert!(client.stats().rate_limited > 0, "the faults answered 429s");
    assert!(gate.lowest() < 8, "halved at least once: {}", gate.lowest());
    emulator.shutdown().await;
}

//! The emulator the benchmark runs against: started in-process on its own tokio runtime (so its
//! request handling never waits behind tailform's tasks or the bench's blocking calls), with
//! the injected latency set and the request statistics read over its `/_emulator` controls.

use std::collections::BTreeMap;

use serde::Deserialize;
use tailform::api::Credential;
use tailform::emulator::{Emulator, EmulatorConfig};
use tokio::runtime::Runtime;

use super::Fail;

/// The token endpoint's line in the emulator's `byEndpoint` statistics.
const TOKEN_ENDPOINT: &str = "POST /api/v2/oauth/token";

/// A running emulator.
pub struct World {
    runtime: Runtime,
    emulator: Option<Emulator>,
    control: reqwest::Client,
}

/// What the emulator counted since the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Requests {
    /// Every `/api/v2` request except token exchanges.
    pub api: u64,
    /// `POST /api/v2/oauth/token` requests.
    pub mints: u64,
}

impl Requests {
    /// Every request.
    pub fn total(self) -> u64 {
        self.api + self.mints
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatsOut {
    total: u64,
    by_endpoint: BTreeMap<String, BTreeMap<String, u64>>,
}

impl World {
    /// Starts an emulator whose organization may hold `max_tailnets` tailnets.
    ///
    /// Its runtime has 4 worker threads (the machine may have 2 cores): the emulator stands for
    /// a remote API that serves requests side by side, and with one worker per core a request
    /// would queue behind another's work (serialising a list of 500 keys) — a server-side wait
    /// that is not tailform's. More threads give it no more CPU than the cores it shares with
    /// tailform. (Refresh at 10 × 500 @ 20 ms: 1.38-1.44x of its bound with 2 workers,
    /// 1.26-1.32x with 4, the same with 8.)
    pub fn start(max_tailnets: usize) -> Result<World, Fail> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("emulator")
            .worker_threads(4)
            .build()?;
        let emulator = runtime.block_on(Emulator::start(EmulatorConfig {
            seed: Some(1),
            max_tailnets,
            ..EmulatorConfig::default()
        }))?;
        Ok(World {
            runtime,
            emulator: Some(emulator),
            control: reqwest::Client::builder().no_proxy().build()?,
        })
    }

    fn emulator(&self) -> &Emulator {
        self.emulator
            .as_ref()
            .expect("invariant: the emulator runs until `World` is dropped")
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        self.emulator().base_url()
    }

    /// The organization's OAuth client.
    pub fn org(&self) -> Credential {
        let e = self.emulator();
        Credential::oauth(e.org_client_id(), e.org_client_secret().clone())
    }

    /// The organization client's id and secret, for a child process's environment.
    pub fn org_env(&self) -> [(&'static str, String); 3] {
        let e = self.emulator();
        [
            ("TAILSCALE_BASE_URL", e.base_url().to_owned()),
            ("TAILSCALE_OAUTH_CLIENT_ID", e.org_client_id().to_owned()),
            (
                "TAILSCALE_OAUTH_CLIENT_SECRET",
                e.org_client_secret().expose().to_owned(),
            ),
        ]
    }

    fn post(&self, path: &str, body: serde_json::Value) -> Result<(), Fail> {
        let url = format!("{}{path}", self.base_url());
        self.runtime.block_on(async {
            self.control
                .post(url)
                .json(&body)
                .send()
                .await?
                .error_for_status()?;
            Ok(())
        })
    }

    /// Delays every API response by `ms` milliseconds.
    pub fn set_latency(&self, ms: u64) -> Result<(), Fail> {
        self.post("/_emulator/faults", serde_json::json!({ "latencyMs": ms }))
    }

    /// Clears the request counters.
    pub fn reset_stats(&self) -> Result<(), Fail> {
        self.post("/_emulator/stats/reset", serde_json::json!({}))
    }

    /// The requests counted since the last reset.
    pub fn requests(&self) -> Result<Requests, Fail> {
        let url = format!("{}/_emulator/stats", self.base_url());
        let stats: StatsOut = self.runtime.block_on(async {
            let answer = self.control.get(url).send().await?.error_for_status()?;
            Ok::<_, Fail>(answer.json().await?)
        })?;
        let mints = stats
            .by_endpoint
            .get(TOKEN_ENDPOINT)
            .map_or(0, |by_status| by_status.values().sum());
        Ok(Requests {
            api: stats.total - mints,
            mints,
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

//! A local emulator of the Tailscale API: a faithful, strict, second implementation used by every
//! integration test, by `tailform emulator` and `tailform --emulator`, by benchmarks (injected
//! latency) and by the crash harness (injected faults).
//!
//! It keeps its own wire types (`wire`) and its own reading of scopes and tags (`scope`, `tags`):
//! nothing here comes from `crate::api` or `crate::model`, so a field or rule the client gets
//! wrong fails a test instead of passing on both sides. Behaviour follows
//! `TAILSCALE-API.md` (§9 is the checklist), `POLICY-WEBHOOKS.md` §1–§3 and `DESIGN.md` §10;
//! where those are uncertain the emulator is strict, and each file's header lists its decisions.
//!
//! When a request breaks several rules, the first of these answers: 401 (no or bad credentials)
//! → 403 tailnet mismatch → 403 missing scope → 400 body validation → 403 granting scopes the
//! caller lacks → 400 tags not permitted.
//!
//! Layout: `store` (the data), `clock`, `ids`, `scope`, `tags`, `policy_check` (pure rules);
//! `auth`, `token`, `token_exchange`, `tailnets`, `keys` (+ `key_requests`, `key_view`,
//! `federated`), `policy` (endpoints); `faults`, `propagation`, `stats`, `audit`, `controls`,
//! `api_keys`, `oidc` (test machinery, the test OIDC issuer, and the uncertain behaviours behind
//! switches); `persist` (`--data`); `state` and `server` (wiring).
//!
//! Where the real API's behaviour has been measured or documented since (FIDELITY-2), the
//! emulator does the same by default: display names of at most 50 ASCII characters,
//! `alreadyExists` for a repeated display name, unknown fields ignored on the create-tailnet body,
//! `{tailnet}` given as its DNS name, OAuth-minted tokens listed as `keyType: "api"`, the measured
//! error texts and token `scope`, `x-tailscale-request-id` on every response. Where it is
//! uncertain, a switch in `/_emulator/faults` turns it on: the propagation delay of new
//! credentials, and `If-Match: "ts-default"` never matching an API-only tailnet.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tailform::emulator::EmulatorError> {
//! use tailform::emulator::{Emulator, EmulatorConfig};
//! let emulator = Emulator::start(EmulatorConfig { seed: Some(1), ..EmulatorConfig::default() }).await?;
//! println!("{}", emulator.base_url());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```

mod api_error;
mod api_keys;
mod audit;
mod auth;
mod clock;
mod controls;
mod error;
mod faults;
mod federated;
mod ids;
mod key_requests;
mod key_view;
mod keys;
mod oidc;
mod persist;
mod policy;
mod policy_check;
mod propagation;
mod scope;
mod secret_hash;
mod server;
mod settings;
mod state;
mod stats;
mod store;
mod tags;
mod tailnet_settings;
mod tailnets;
mod token;
mod token_exchange;
mod webhook_record;
mod webhooks;
mod wire;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use error::EmulatorError;

use crate::secret::Secret;
use persist::DataFile;
use server::Running;
use state::Shared;
use store::{Genesis, Store};

/// How long `shutdown` waits for open connections before it stops serving anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How to start the emulator.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Seed for ids and secrets (random when `None`); with the same seed and the same requests
    /// the emulator answers the same ids and secrets.
    pub seed: Option<u64>,
    /// Persist everything in this file (loaded at start when it exists).
    pub data: Option<PathBuf>,
    /// The organization's tailnet cap, the original tailnet included (default 10).
    pub max_tailnets: usize,
    /// Fixed id for the organization's OAuth client.
    pub client_id: Option<String>,
    /// Fixed secret for the organization's OAuth client.
    pub client_secret: Option<String>,
    /// Where to listen; loopback only (default `127.0.0.1:0`, a free port).
    pub listen: SocketAddr,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            seed: None,
            data: None,
            max_tailnets: 10,
            client_id: None,
            client_secret: None,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("seed", &self.seed)
            .field("data", &self.data)
            .field("max_tailnets", &self.max_tailnets)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| crate::secret::REDACTED),
            )
            .field("listen", &self.listen)
            .finish()
    }
}

/// A running emulator (its server task lives in the current tokio runtime).
pub struct Emulator {
    base_url: String,
    org_client_id: String,
    org_client_secret: Secret,
    shared: Arc<Shared>,
    running: Running,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("org_client_id", &self.org_client_id)
            .field("org_client_secret", &self.org_client_secret)
            .field("shared", &self.shared)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Loads or creates the world, binds the listen address and starts serving.
    pub async fn start(config: EmulatorConfig) -> Result<Emulator, EmulatorError> {
        check_config(&config)?;
        let data = config.data.clone().map(DataFile::new);
        let store = load_or_create(&config, data.as_ref())?;
        let org_client_id = store.org.client_id.clone();
        if !store.keys.contains_key(&org_client_id) {
            return Err(EmulatorError::InconsistentData {
                path: config.data.clone().unwrap_or_default(),
                what: "the organization's OAuth client was deleted".to_owned(),
            });
        }
        let org_client_secret = store.org.client_secret.clone();
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| EmulatorError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
        if let Some(data) = &data {
            data.save(&store)
                .map_err(|source| EmulatorError::WriteData {
                    path: data.path().to_path_buf(),
                    source,
                })?;
        }
        let shared = Arc::new(Shared::new(store, data, config.max_tailnets));
        let running = server::spawn(listener, shared.clone());
        Ok(Emulator {
            base_url: format!("http://{addr}"),
            org_client_id,
            org_client_secret,
            shared,
            running,
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash, no `/api/v2`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The organization's OAuth client id (scopes `all` and `tailnets`).
    pub fn org_client_id(&self) -> &str {
        &self.org_client_id
    }

    /// The organization's OAuth client secret.
    pub fn org_client_secret(&self) -> &Secret {
        &self.org_client_secret
    }

    /// Stops serving (waiting up to 5 s for open requests) and saves the data file.
    pub async fn shutdown(self) {
        let Running { stop, mut task } = self.running;
        let _ = stop.send(());
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        if let Some((path, Err(e))) = self.shared.flush() {
            tracing::error!(
                "the emulator could not save its data file `{}`: {e}",
                path.display()
            );
        }
    }
}

fn check_config(config: &EmulatorConfig) -> Result<(), EmulatorError> {
    if !config.listen.ip().is_loopback() {
        return Err(EmulatorError::NotLoopback {
            addr: config.listen,
        });
    }
    if config.max_tailnets == 0 {
        return Err(EmulatorError::InvalidConfig(
            "the tailnet cap must be at least 1 (it counts the original tailnet)".to_owned(),
        ));
    }
    if config.client_id.as_deref() == Some("") || config.client_secret.as_deref() == Some("") {
        return Err(EmulatorError::InvalidConfig(
            "the organization client id and secret must not be empty".to_owned(),
        ));
    }
    Ok(())
}

fn load_or_create(
    config: &EmulatorConfig,
    data: Option<&DataFile>,
) -> Result<Store, EmulatorError> {
    let loaded = match data {
        Some(data) => data.load()?,
        None => None,
    };
    let Some(store) = loaded else {
        let genesis = Genesis {
            seed: config.seed,
            client_id: config.client_id.as_deref(),
            client_secret: config.client_secret.as_deref(),
        };
        return Ok(Store::new(&genesis, jiff::Timestamp::now()));
    };
    let path = || config.data.clone().unwrap_or_default();
    if config
        .client_id
        .as_deref()
        .is_some_and(|id| id != store.org.client_id)
    {
        return Err(EmulatorError::ConfigConflict {
            path: path(),
            what: "id",
        });
    }
    let stored_secret = Some(store.org.client_secret.expose());
    if config
        .client_secret
        .as_deref()
        .is_some_and(|s| Some(s) != stored_secret)
    {
        return Err(EmulatorError::ConfigConflict {
            path: path(),
            what: "secret",
        });
    }
    Ok(store)
}

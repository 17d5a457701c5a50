//! The fixture of the wire tests: an in-process emulator on a real loopback port, a
//! `tailform::api::Client` pointed at it, and a plain `reqwest` client for the emulator's test
//! controls (`/_emulator/…`) and for the few raw calls a test makes on purpose.
//!
//! Stats are read into this file's own serde types (not the emulator's), so a renamed field in
//! `/_emulator/stats` fails here.

#![allow(
    dead_code,
    reason = "each test module uses a different part of the fixture"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tailform::api::{
    ApiError, Client, ClientConfig, CreatedTailnet, Credential, Method, PolicyBody, RetryPolicy,
};
use tailform::emulator::{Emulator, EmulatorConfig};
use tailform::secret::Secret;

use crate::common::retry::fast_retry;

/// The seed every test's emulator starts with (same requests ⇒ same ids, secrets and faults).
pub const SEED: u64 = 2;

/// Route templates as `/_emulator/stats` names them in `byEndpoint`.
pub const TOKEN: &str = "POST /api/v2/oauth/token";
/// `GET /api/v2/organizations/-/tailnets`.
pub const LIST_TAILNETS: &str = "GET /api/v2/organizations/{org}/tailnets";
/// `POST /api/v2/organizations/-/tailnets`.
pub const CREATE_TAILNET: &str = "POST /api/v2/organizations/{org}/tailnets";
/// `GET /api/v2/tailnet/{tailnet}/keys`.
pub const LIST_KEYS: &str = "GET /api/v2/tailnet/{tailnet}/keys";
/// `POST /api/v2/tailnet/{tailnet}/keys`.
pub const CREATE_KEY: &str = "POST /api/v2/tailnet/{tailnet}/keys";

/// A running emulator, a typed client for it, and a raw HTTP client.
pub struct Wire {
    /// The emulator (its server task runs in the test's runtime).
    pub emulator: Emulator,
    /// The client under test (fast retries, at most 4).
    pub client: Client,
    /// A plain HTTP client for controls and deliberate raw calls.
    pub http: reqwest::Client,
}

impl Wire {
    /// An emulator with [`SEED`] and the default cap of 10 tailnets.
    pub async fn start() -> Wire {
        Wire::start_with(EmulatorConfig {
            seed: Some(SEED),
            ..EmulatorConfig::default()
        })
        .await
    }

    /// An emulator started with `config`.
    pub async fn start_with(config: EmulatorConfig) -> Wire {
        let emulator = Emulator::start(config)
            .await
            .expect("the emulator starts on a free loopback port");
        let client = client_for(emulator.base_url(), fast_retry(4));
        Wire {
            emulator,
            client,
            http: reqwest::Client::new(),
        }
    }

    /// Another client for the same emulator, with its own token cache, counters and retries.
    pub fn client_with(&self, retry: RetryPolicy) -> Client {
        client_for(self.emulator.base_url(), retry)
    }

    /// Stops the emulator.
    pub async fn shutdown(self) {
        self.emulator.shutdown().await;
    }

    /// `base_url + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.base_url())
    }

    /// The organization's OAuth client (scopes `all` and `tailnets`) for its own tailnet.
    pub fn org(&self) -> Credential {
        Credential::oauth(
            self.emulator.org_client_id(),
            self.emulator.org_client_secret().clone(),
        )
    }

    /// The organization's OAuth client, minting tokens with `tailnet=<id>`.
    pub fn org_for(&self, tailnet: &str) -> Credential {
        Credential::OAuth {
            client_id: self.emulator.org_client_id().to_owned(),
            client_secret: self.emulator.org_client_secret().clone(),
            tailnet: Some(tailnet.to_owned()),
        }
    }

    /// Creates an API-only tailnet through the client; returns it and its own client's
    /// credential.
    pub async fn new_tailnet(&self, display_name: &str) -> (CreatedTailnet, Credential) {
        let created = self
            .client
            .create_tailnet(&self.org(), display_name)
            .await
            .expect("the organization client creates a tailnet");
        let cred = Credential::oauth(
            created.oauth_client_id.clone(),
            created.oauth_client_secret.clone(),
        );
        (created, cred)
    }

    /// Replaces the policy of `cred`'s own tailnet with `{"tagOwners": owners}`.
    pub async fn set_tag_owners(&self, cred: &Credential, owners: Value) {
        self.client
            .set_policy(
                cred,
                "-",
                &PolicyBody::Json(json!({ "tagOwners": owners })),
                None,
            )
            .await
            .expect("the policy with these tagOwners is accepted");
    }

    /// `POST /_emulator/<path>` with a JSON body; asserts 200 and returns the answer.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(self.url(&format!("/_emulator/{path}")))
            .json(&body)
            .send()
            .await
            .expect("the control endpoint answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("the control body reads");
        assert_eq!(status, 200, "POST /_emulator/{path}: {text}");
        serde_json::from_str(&text).expect("controls answer JSON")
    }

    /// Moves the emulator clock forward.
    pub async fn advance(&self, seconds: i64) {
        self.control("clock", json!({ "advanceSeconds": seconds }))
            .await;
    }

    /// Replaces the injected faults (`{}` turns them off).
    pub async fn faults(&self, config: Value) {
        self.control("faults", config).await;
    }

    /// Uses an auth key as a device registration would.
    pub async fn use_key(&self, id: &str) -> Value {
        self.control(&format!("keys/{id}/use"), json!({})).await
    }

    /// Clears the request counters and log.
    pub async fn reset_stats(&self) {
        self.control("stats/reset", json!({})).await;
    }

    /// The request counters and log.
    pub async fn stats(&self) -> Stats {
        self.http
            .get(self.url("/_emulator/stats"))
            .send()
            .await
            .expect("the stats endpoint answers")
            .json()
            .await
            .expect("the stats are JSON of the documented shape")
    }

    /// A token minted with a raw form exchange (what the client itself does).
    pub async fn raw_token_form(&self, client_id: &str, secret: &Secret) -> TokenAnswer {
        let response = self
            .http
            .post(self.url("/api/v2/oauth/token"))
            .form(&[
                ("client_id", client_id),
                ("client_secret", secret.expose()),
                ("grant_type", "client_credentials"),
            ])
            .send()
            .await
            .expect("the token endpoint answers");
        token_answer(response).await
    }

    /// A token minted with the client credentials in HTTP Basic (what `golang.org/x/oauth2`
    /// tries first).
    pub async fn raw_token_basic(&self, client_id: &str, secret: &Secret) -> TokenAnswer {
        let response = self
            .http
            .post(self.url("/api/v2/oauth/token"))
            .basic_auth(client_id, Some(secret.expose()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("the token endpoint answers");
        token_answer(response).await
    }

    /// A raw `GET path` with `Authorization: Bearer <token>`: status and JSON body.
    pub async fn raw_get(&self, token: &Secret, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(token.expose())
            .send()
            .await
            .expect("the emulator answers");
        let status = response.status().as_u16();
        let body = response.json().await.expect("the emulator answers JSON");
        (status, body)
    }
}

/// A key list without its access tokens (`keyType: "api"`: the tokens the test itself minted).
pub fn without_tokens(keys: Vec<tailform::api::KeyInfo>) -> Vec<tailform::api::KeyInfo> {
    keys.into_iter()
        .filter(|k| k.key_type != tailform::api::KeyType::Api)
        .collect()
}

/// A client for `base_url` (the emulator, or a proxy in front of it).
pub fn client_for(base_url: &str, retry: RetryPolicy) -> Client {
    Client::new(ClientConfig {
        base_url: base_url.to_owned(),
        timeout: Duration::from_secs(10),
        retry,
        ..ClientConfig::default()
    })
    .expect("a loopback http:// endpoint is accepted")
}

/// A successful token answer, read into this file's own type.
#[derive(Debug, Deserialize)]
pub struct TokenAnswer {
    /// The access token.
    pub access_token: Secret,
    /// `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Space-delimited scopes.
    pub scope: String,
}

async fn token_answer(response: reqwest::Response) -> TokenAnswer {
    assert_eq!(response.status().as_u16(), 200, "token exchange");
    response
        .json()
        .await
        .expect("the token answer has the documented shape")
}

/// `GET /_emulator/stats`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Stats {
    /// Requests counted.
    pub total: u64,
    /// `"METHOD /route/template"` → status → count.
    pub by_endpoint: BTreeMap<String, BTreeMap<String, u64>>,
    /// The last requests, oldest first.
    pub log: Vec<LogEntry>,
}

/// One logged request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogEntry {
    /// Sequence number.
    pub seq: u64,
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The status answered (or that would have been, for a dropped response).
    pub status: u16,
    /// The tailnet the request acted on.
    pub tailnet: Option<String>,
    /// The key it named or created.
    pub key_id: Option<String>,
    /// The OAuth client whose token made it.
    pub client_id: Option<String>,
    /// The response was dropped after the request committed.
    #[serde(default)]
    pub dropped: bool,
}

impl Stats {
    /// Requests to `endpoint` answered with `status`.
    pub fn count(&self, endpoint: &str, status: u16) -> u64 {
        self.by_endpoint
            .get(endpoint)
            .and_then(|by_status| by_status.get(&status.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Requests to `endpoint`, whatever they were answered.
    pub fn calls(&self, endpoint: &str) -> u64 {
        self.by_endpoint
            .get(endpoint)
            .map_or(0, |by_status| by_status.values().sum())
    }

    /// Requests to `endpoint` answered with a 5xx status.
    pub fn server_errors(&self, endpoint: &str) -> u64 {
        [500, 502, 503, 504]
            .iter()
            .map(|s| self.count(endpoint, *s))
            .sum()
    }

    /// The log as `(method, path, status)`, oldest first.
    pub fn sequence(&self) -> Vec<(String, String, u16)> {
        self.log
            .iter()
            .map(|e| (e.method.clone(), e.path.clone(), e.status))
            .collect()
    }
}

/// `(method, path, status)`, to compare with [`Stats::sequence`].
pub fn step(method: &str, path: &str, status: u16) -> (String, String, u16) {
    (method.to_owned(), path.to_owned(), status)
}

/// The error a single, un-retried request gets for `status` and `message`.
pub fn status_error(method: Method, path: &str, status: u16, message: &str) -> ApiError {
    ApiError::Status {
        method,
        path: path.to_owned(),
        status,
        message: message.to_owned(),
        retry_after: None,
        attempts: 1,
        request_id: Default::default(),
    }
}

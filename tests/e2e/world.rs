//! The end-to-end harness: an emulator in-process on real loopback TCP, a temporary working
//! folder, and the real `tailform` binary run against it — so tests check exit code, stdout,
//! stderr and the state together, and read the emulator's request log to prove order.
//!
//! A world keeps its state in the state file ([`World::new`]) or in a workspace of its own on
//! the PostgreSQL server named by `TAILFORM_TEST_POSTGRES_URL` ([`World::postgres`]); the
//! [`on_each_backend!`] macro runs a suite against both. The PostgreSQL half is
//! `#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]`: reported as skipped unless ignored tests are
//! asked for (`--run-ignored all`, as `.ci/run` does), and then it fails without a server
//! (`tests/common/postgres.rs`).

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::{Value, json};
use tailform::emulator::{Emulator, EmulatorConfig};

use crate::common::command::{Run, Tailform};
use crate::common::postgres::{pg_connect, postgres_url, unique_workspace};

/// Where a world's state lives.
pub enum Backend {
    /// `state/tailform.json` in the world's folder.
    File,
    /// A workspace of its own on the test server.
    Postgres {
        /// The server's URL.
        url: String,
        /// The world's workspace.
        workspace: String,
    },
}

/// Runs each test against the state file and against PostgreSQL (`file::…`, `postgres::…`; the
/// latter ignored unless asked for, as every test that needs the server).
#[macro_export]
macro_rules! on_each_backend {
    ($( $(#[$meta:meta])* fn $name:ident($w:ident: World) $body:block )*) => {
        mod file {
            #[allow(unused_imports)]
            use super::*;
            $( $(#[$meta])* #[test] fn $name() { let $w = World::new(); $body } )*
        }
        mod postgres {
            #[allow(unused_imports)]
            use super::*;
            $( $(#[$meta])* #[test] #[ignore = "needs TAILFORM_TEST_POSTGRES_URL"] fn $name() {
                let $w = World::postgres(stringify!($name));
                $body
            } )*
        }
    };
}

/// A test world: emulator + temp folder + binary.
pub struct World {
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    emulator: Option<Emulator>,
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    http: reqwest::Client,
}

/// One request in the emulator's log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub method: String,
    pub path: String,
    pub status: u64,
}

impl World {
    /// A fresh world with a seeded emulator.
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let emulator = runtime
            .block_on(Emulator::start(EmulatorConfig {
                seed: Some(7),
                ..EmulatorConfig::default()
            }))
            .expect("emulator starts");
        let base_url = emulator.base_url().to_owned();
        let client_id = emulator.org_client_id().to_owned();
        let client_secret = emulator.org_client_secret().expose().to_owned();
        World {
            backend: Backend::File,
            dir: tempfile::tempdir().expect("temp dir"),
            runtime,
            emulator: Some(emulator),
            base_url,
            client_id,
            client_secret,
            http: reqwest::Client::new(),
        }
    }

    /// A fresh world whose state lives in a new workspace on the test server (panics without
    /// one: only ignored tests call it).
    pub fn postgres(test: &str) -> Self {
        let url = postgres_url();
        let mut w = World::new();
        w.backend = Backend::Postgres {
            url,
            workspace: unique_workspace(test),
        };
        w
    }

    /// True when the state lives in the state file.
    pub fn is_file(&self) -> bool {
        matches!(self.backend, Backend::File)
    }

    /// The environment that points the binary at this world's backend.
    pub fn backend_env(&self) -> Vec<(&'static str, String)> {
        match &self.backend {
            Backend::File => Vec::new(),
            Backend::Postgres { url, workspace } => vec![
                ("TAILFORM_BACKEND", url.clone()),
                ("TAILFORM_WORKSPACE", workspace.clone()),
                // The shared suites compare secrets in the stored document; encryption in the
                // database has its own tests.
                ("TAILFORM_ALLOW_PLAINTEXT_SECRETS", "1".to_owned()),
            ],
        }
    }

    /// A connection to the test server (driven on the world's runtime).
    pub fn pg(&self) -> tokio_postgres::Client {
        let Backend::Postgres { url, .. } = &self.backend else {
            panic!("not a PostgreSQL world")
        };
        pg_connect(&self.runtime, url)
    }

    /// The workspace of a PostgreSQL world.
    pub fn workspace(&self) -> &str {
        match &self.backend {
            Backend::Postgres { workspace, .. } => workspace,
            Backend::File => "default",
        }
    }

    /// The stored state document as it is (sealed secrets stay sealed), or `None` when
    /// nothing was saved yet.
    pub fn stored(&self) -> Option<Value> {
        match &self.backend {
            Backend::File => std::fs::read(self.path("state/tailform.json"))
                .ok()
                .map(|b| serde_json::from_slice(&b).expect("state is JSON")),
            Backend::Postgres { workspace, .. } => {
                let client = self.pg();
                let row = self
                    .runtime
                    .block_on(client.query_opt(
                        "SELECT data FROM tailform.states WHERE name = $1",
                        &[workspace],
                    ))
                    .expect("query the state");
                row.map(|r| sorted(r.get::<_, Value>(0)))
            }
        }
    }

    /// The recorded lock holder (`id`, `operation`, `pid`, …), if any.
    pub fn lock_holder(&self) -> Option<Value> {
        match &self.backend {
            Backend::File => std::fs::read(self.path("state/tailform.json.lock"))
                .ok()
                .and_then(|b| serde_json::from_slice(&b).ok()),
            Backend::Postgres { workspace, .. } => {
                let client = self.pg();
                let row = self
                    .runtime
                    .block_on(client.query_opt(
                        "SELECT json_build_object('id', id, 'operation', operation, 'who', who, \
                         'host', host, 'pid', pid, 'created', created) \
                         FROM tailform.locks WHERE name = $1",
                        &[workspace],
                    ))
                    .expect("query the lock");
                row.map(|r| r.get::<_, Value>(0))
            }
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file in the working folder (creating parents).
    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    /// Copies a file from the repository into the working folder.
    pub fn copy_from_repo(&self, repo_rel: &str, rel: &str) {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(repo_rel);
        self.write(rel, &std::fs::read_to_string(src).unwrap());
    }

    /// The binary, set up to talk to this world's emulator.
    pub fn command(&self, args: &[&str]) -> Tailform {
        Tailform::new()
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("TAILSCALE_BASE_URL", &self.base_url)
            .env("TAILSCALE_OAUTH_CLIENT_ID", &self.client_id)
            .env("TAILSCALE_OAUTH_CLIENT_SECRET", &self.client_secret)
            .envs(self.backend_env())
    }

    /// Runs the binary to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command(args).run()
    }

    /// Runs the binary with extra environment variables.
    pub fn run_env(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        self.command(args).envs(env.iter().copied()).run()
    }

    /// Runs the binary against another endpoint (a proxy in front of the emulator).
    pub fn run_via(&self, base_url: &str, args: &[&str]) -> Run {
        self.command(args).env("TAILSCALE_BASE_URL", base_url).run()
    }

    /// Runs async work on the world's runtime (e.g. starting a proxy).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Starts the binary with piped stdin and stdout (for interactive tests).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
    }

    /// Posts a HuJSON policy text to the emulator with `token`; returns the status.
    pub fn post_policy(&self, tailnet: &str, token: &str, text: &str) -> u16 {
        self.runtime.block_on(async {
            self.http
                .post(format!("{}/api/v2/tailnet/{tailnet}/acl", self.base_url))
                .bearer_auth(token)
                .header("Content-Type", "application/hujson")
                .body(text.to_owned())
                .send()
                .await
                .expect("request sent")
                .status()
                .as_u16()
        })
    }

    /// The stored state as JSON (the state file, or the workspace's row).
    pub fn state(&self) -> Value {
        self.stored().expect("a state was saved")
    }

    /// Every secret in the state file.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        collect_secrets(&self.state(), &mut out);
        out
    }

    /// A JSON request to the emulator's API or controls; returns (status, body).
    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.runtime.block_on(async {
            let mut req = self
                .http
                .request(method, format!("{}{path}", self.base_url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("request sent");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        })
    }

    /// A `POST` with a plain-text body (an emulator control); returns (status, body).
    pub fn post_text(&self, path: &str, body: &str) -> (u16, Value) {
        self.runtime.block_on(async {
            let resp = self
                .http
                .post(format!("{}{path}", self.base_url))
                .body(body.to_owned())
                .send()
                .await
                .expect("request sent");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        })
    }

    /// An access token of the org client, for `tailnet` (a tailnet id) or its own tailnet.
    pub fn token(&self, tailnet: Option<&str>) -> String {
        self.runtime.block_on(async {
            let mut form = vec![
                ("client_id", self.client_id.clone()),
                ("client_secret", self.client_secret.clone()),
            ];
            if let Some(t) = tailnet {
                form.push(("tailnet", t.to_owned()));
            }
            let resp: Value = self
                .http
                .post(format!("{}/api/v2/oauth/token", self.base_url))
                .form(&form)
                .send()
                .await
                .expect("token request")
                .json()
                .await
                .expect("token JSON");
            resp["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned()
        })
    }

    pub fn advance_clock(&self, seconds: u64) {
        let (s, _) = self.api(
            reqwest::Method::POST,
            "/_emulator/clock",
            None,
            Some(json!({"advanceSeconds": seconds})),
        );
        assert_eq!(s, 200);
    }

    pub fn use_key(&self, key_id: &str) {
        let (s, _) = self.api(
            reqwest::Method::POST,
            &format!("/_emulator/keys/{key_id}/use"),
            None,
            None,
        );
        assert_eq!(s, 200);
    }

    pub fn stats(&self) -> Value {
        self.api(reqwest::Method::GET, "/_emulator/stats", None, None)
            .1
    }

    pub fn reset_stats(&self) {
        let (s, _) = self.api(reqwest::Method::POST, "/_emulator/stats/reset", None, None);
        assert_eq!(s, 200);
    }

    /// Every logged API request, in order.
    pub fn log(&self) -> Vec<LogEntry> {
        self.stats()["log"]
            .as_array()
            .expect("log")
            .iter()
            .map(|e| LogEntry {
                method: e["method"].as_str().unwrap_or_default().to_owned(),
                path: e["path"].as_str().unwrap_or_default().to_owned(),
                status: e["status"].as_u64().unwrap_or_default(),
            })
            .collect()
    }

    /// The id recorded in the state at `address`.
    pub fn id_of(&self, address: &str) -> String {
        self.state()["resources"][address]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id at {address}"))
            .to_owned()
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(e) = self.emulator.take() {
            self.runtime.block_on(e.shutdown());
        }
    }
}

/// `value` with every object's keys in order (jsonb stores them its own way; the state file
/// writes them sorted).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

fn collect_secrets(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if let (true, Some(s)) = (k == "secret", v.as_str()) {
                    out.push(s.to_owned());
                }
                collect_secrets(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| collect_secrets(v, out)),
        _ => {}
    }
}

//! Shared harness for the emulator's integration tests: starts an in-process emulator on a real
//! loopback port and talks to it with a plain `reqwest` client written here (no code from
//! `tailform::api`), so the tests see exactly what any HTTP client sees.

#![allow(dead_code)]

use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::{Value, json};
use tailform::emulator::{Emulator, EmulatorConfig};

/// A running emulator plus an HTTP client.
pub struct Emu {
    pub emu: Emulator,
    pub http: Client,
    pub base: String,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
}

impl Reply {
    /// Asserts an error answer: exact status and exact `{"message": …}` body.
    #[track_caller]
    pub fn assert_error(&self, status: u16, message: &str) {
        assert_eq!(
            (self.status, &self.body),
            (status, &json!({ "message": message })),
            "body: {}",
            self.text
        );
    }

    /// Asserts a 200 and returns the JSON body.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "body: {}", self.text);
        &self.body
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The seed the tests use unless they test seeds.
pub const SEED: u64 = 7;

impl Emu {
    /// An emulator with the test seed.
    pub async fn start() -> Self {
        Self::start_with(EmulatorConfig {
            seed: Some(SEED),
            ..EmulatorConfig::default()
        })
        .await
    }

    /// An emulator with `config`.
    pub async fn start_with(config: EmulatorConfig) -> Self {
        let emu = Emulator::start(config).await.expect("emulator starts");
        let base = emu.base_url().to_owned();
        Self {
            emu,
            http: Client::new(),
            base,
        }
    }

    /// Stops the emulator.
    pub async fn shutdown(self) {
        self.emu.shutdown().await;
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body reads");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }

    /// Sends a request built by `build`.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        Self::reply(req.send().await.expect("request is answered")).await
    }

    /// `POST /api/v2/oauth/token` with a form.
    pub async fn token_form(&self, form: &[(&str, &str)]) -> Reply {
        self.send(self.http.post(self.url("/api/v2/oauth/token")).form(form))
            .await
    }

    /// A token for client `id`/`secret` with extra form fields; asserts 200.
    pub async fn token_for(&self, id: &str, secret: &str, extra: &[(&str, &str)]) -> String {
        let mut form = vec![("client_id", id), ("client_secret", secret)];
        form.extend_from_slice(extra);
        let reply = self.token_form(&form).await;
        reply.ok()["access_token"]
            .as_str()
            .expect("access_token is a string")
            .to_owned()
    }

    /// A token of the organization's client with extra form fields.
    pub async fn org_token_with(&self, extra: &[(&str, &str)]) -> String {
        let id = self.emu.org_client_id().to_owned();
        let secret = self.emu.org_client_secret().expose().to_owned();
        self.token_for(&id, &secret, extra).await
    }

    /// A token of the organization's client (scopes `all tailnets`).
    pub async fn org_token(&self) -> String {
        self.org_token_with(&[]).await
    }

    /// Any request with an optional bearer token and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.send(req).await
    }

    /// `GET path` with `token`.
    pub async fn get(&self, token: &str, path: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// `POST path` with `token` and a JSON body.
    pub async fn post(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// `PUT path` with `token` and a JSON body.
    pub async fn put(&self, token: &str, path: &str, body: Value) -> Reply {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// `DELETE path` with `token`.
    pub async fn delete(&self, token: &str, path: &str) -> Reply {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// Creates a tailnet with the org token; returns the create response.
    pub async fn create_tailnet(&self, org_token: &str, name: &str) -> Value {
        self.post(
            org_token,
            "/api/v2/organizations/-/tailnets",
            json!({ "displayName": name }),
        )
        .await
        .ok()
        .clone()
    }

    /// A token of a created tailnet's own client.
    pub async fn tailnet_token(&self, created: &Value) -> String {
        let id = created["oauthClient"]["id"].as_str().expect("client id");
        let secret = created["oauthClient"]["secret"].as_str().expect("secret");
        self.token_for(id, secret, &[]).await
    }

    /// Posts a HuJSON policy to `tailnet` (`-` for the token's own).
    pub async fn set_policy(&self, token: &str, tailnet: &str, text: &str) -> Reply {
        self.send(
            self.http
                .post(self.url(&format!("/api/v2/tailnet/{tailnet}/acl")))
                .bearer_auth(token)
                .header("Content-Type", "application/hujson")
                .body(text.to_owned()),
        )
        .await
    }

    /// Defines `tags` (owners `[]`) in the token's tailnet policy.
    pub async fn define_tags(&self, token: &str, tags: &[&str]) {
        let owners: serde_json::Map<String, Value> =
            tags.iter().map(|t| ((*t).to_owned(), json!([]))).collect();
        let policy = json!({ "tagOwners": owners }).to_string();
        self.set_policy(token, "-", &policy).await.ok();
    }

    /// Creates an OAuth client in the token's tailnet; returns the create response (asserts 200).
    pub async fn create_client(&self, token: &str, scopes: &[&str], tags: &[&str]) -> Value {
        self.post(
            token,
            "/api/v2/tailnet/-/keys",
            json!({"keyType": "client", "scopes": scopes, "tags": tags, "description": "test client"}),
        )
        .await
        .ok()
        .clone()
    }

    /// A token of a client created by [`Emu::create_client`].
    pub async fn client_token(&self, client: &Value, extra: &[(&str, &str)]) -> String {
        let id = client["id"].as_str().expect("client id");
        let secret = client["key"].as_str().expect("client secret");
        self.token_for(id, secret, extra).await
    }

    /// Creates a tagged auth key; returns the reply.
    pub async fn create_auth_key(&self, token: &str, tags: &[&str], extra: Value) -> Reply {
        let mut body = json!({"capabilities": {"devices": {"create": {"tags": tags}}}});
        if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
            body.extend(extra);
        }
        self.post(token, "/api/v2/tailnet/-/keys", body).await
    }

    /// Moves the emulator clock forward.
    pub async fn advance(&self, seconds: i64) -> Value {
        self.send(
            self.http
                .post(self.url("/_emulator/clock"))
                .json(&json!({ "advanceSeconds": seconds })),
        )
        .await
        .ok()
        .clone()
    }

    /// `GET /_emulator/stats`.
    pub async fn stats(&self) -> Value {
        self.send(self.http.get(self.url("/_emulator/stats")))
            .await
            .ok()
            .clone()
    }

    /// `POST /_emulator/faults`.
    pub async fn faults(&self, config: Value) -> Reply {
        self.send(self.http.post(self.url("/_emulator/faults")).json(&config))
            .await
    }
}

/// The ids of a key list, in order (auth keys and OAuth clients; access tokens left out).
pub fn ids(list: &Value) -> Vec<String> {
    list["keys"]
        .as_array()
        .expect("keys is a list")
        .iter()
        // Access tokens (`keyType: "api"`, listed with `all=true`) have tests of their own.
        .filter(|k| k["keyType"] != "api")
        .map(|k| k["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The sorted key names of a JSON object.
pub fn keys_of(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    keys.sort();
    keys
}

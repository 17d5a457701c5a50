//! Shared test fixtures for the API client tests: fast configs, generated credentials, a token
//! endpoint mock, request filters, and `RawServer`, a hand-written TCP server for the failures
//! wiremock cannot produce (dropped connections, stalls, chunked oversized bodies).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tailform::api::{Client, ClientConfig, Credential};
use tailform::secret::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::retry::fast_retry;

/// A config for `base_url` with fast retries and a 5 s timeout.
pub fn config(base_url: &str) -> ClientConfig {
    ClientConfig {
        base_url: base_url.to_owned(),
        timeout: Duration::from_secs(5),
        retry: fast_retry(3),
        ..ClientConfig::default()
    }
}

/// A client for a wiremock server.
pub fn client(server: &MockServer) -> Client {
    Client::new(config(&server.uri())).expect("a loopback endpoint is accepted")
}

/// A random token-shaped value (never a real secret).
pub fn generated(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// A generated API key credential and its value.
pub fn api_key() -> (Credential, String) {
    let value = generated("tskey-api-kTEST-");
    (Credential::ApiKey(Secret::new(value.clone())), value)
}

/// A generated OAuth client credential and its secret.
pub fn oauth(client_id: &str, tailnet: Option<&str>) -> (Credential, String) {
    let secret = generated("tskey-client-kTEST-");
    let cred = Credential::OAuth {
        client_id: client_id.to_owned(),
        client_secret: Secret::new(secret.clone()),
        tailnet: tailnet.map(str::to_owned),
    };
    (cred, secret)
}

/// Mounts `POST /api/v2/oauth/token` answering `access_token` for an hour.
pub async fn mount_token(server: &MockServer, access_token: &str) {
    Mock::given(method("POST"))
        .and(path("/api/v2/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "all",
            "tags": "tag:a tag:b"
        })))
        .mount(server)
        .await;
}

/// Requests received with `method` on `path`.
pub async fn received(server: &MockServer, m: &str, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on by default")
        .into_iter()
        .filter(|r| r.method.as_str() == m && r.url.path() == p)
        .collect()
}

/// A header of a received request as text.
pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The form fields of a received request, in order.
pub fn form(req: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// What [`RawServer`] does after reading a complete request.
#[derive(Clone)]
pub enum Behaviour {
    /// Close the connection without answering.
    Drop,
    /// Keep the connection open and never answer.
    Stall,
    /// Write these bytes, then keep the connection open (a stalled body if they are short).
    WriteThenStall(Vec<u8>),
}

/// A minimal HTTP/1.1 server on loopback that records each request head and then misbehaves.
pub struct RawServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    heads: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    /// Starts serving with `behaviour` for every connection.
    pub async fn start(behaviour: Behaviour) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let url = format!("http://{}", listener.local_addr().expect("bound address"));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let recorded = heads.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (behaviour, recorded) = (behaviour.clone(), recorded.clone());
                tokio::spawn(async move { serve(stream, behaviour, recorded).await });
            }
        });
        RawServer { url, heads }
    }

    /// The request lines received so far (`POST /api/v2/... HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        self.heads.lock().expect("not poisoned").clone()
    }
}

async fn serve(mut stream: TcpStream, behaviour: Behaviour, heads: Arc<Mutex<Vec<String>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    heads
        .lock()
        .expect("not poisoned")
        .push(head.lines().next().unwrap_or_default().to_owned());
    match behaviour {
        Behaviour::Drop => drop(stream),
        Behaviour::Stall => {
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Behaviour::WriteThenStall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    }
}

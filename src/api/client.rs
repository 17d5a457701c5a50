//! [`Client`]: the shared state behind every call — one `reqwest::Client` (keep-alive,
//! connection reuse), the checked endpoint, the token cache, request counters, the server's
//! clock, the OAuth clients created in this run (still waited for while they propagate) and who
//! hears about those waits. Cheap to clone: everything sits behind one `Arc`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jiff::Timestamp;

use super::config::{ClientConfig, check_endpoint};
use super::error::ApiError;
use super::propagation::{NewCredentials, PropagationWait, WaitObserver};
use super::token_cache::TokenCache;

/// Counters since the client was created (shared by clones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// HTTP requests attempted, including retries, token exchanges and attempts that could not
    /// connect.
    pub requests: u64,
    /// Requests sent again: after a transient failure, or after a 401 with a re-minted token.
    pub retries: u64,
    /// Token exchanges attempted (`POST /api/v2/oauth/token`).
    pub token_mints: u64,
    /// Answers with status 429 (rate limited); callers lower their concurrency when it grows.
    pub rate_limited: u64,
}

/// The Tailscale API client.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    /// `config.base_url`, checked and without a trailing `/`.
    base: String,
    tokens: TokenCache,
    requests: AtomicU64,
    retries: AtomicU64,
    token_mints: AtomicU64,
    rate_limited: AtomicU64,
    server_time: Mutex<Option<Timestamp>>,
    new_credentials: NewCredentials,
    wait_observer: Mutex<Option<WaitObserver>>,
}

impl Client {
    /// Builds a client. Refuses `http://` unless the host is loopback (127.0.0.0/8, `::1`,
    /// `localhost`): [`ApiError::InsecureEndpoint`]. Redirects are not followed (the API does
    /// not redirect, and a redirect must never carry credentials elsewhere). System proxies
    /// apply, except to a loopback endpoint.
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let endpoint = check_endpoint(&config.base_url)?;
        let connect_timeout = (config.timeout / 2).min(Duration::from_secs(10));
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none());
        if endpoint.loopback {
            builder = builder.no_proxy();
        }
        if endpoint.plain_http {
            // No TLS is ever negotiated (plain HTTP, redirects off), so the system's root
            // certificates are not loaded: parsing them costs milliseconds of every command.
            builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
        }
        let http = builder.build().map_err(|e| ApiError::ClientSetup {
            cause: e.to_string(),
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                base: endpoint.base,
                tokens: TokenCache::default(),
                requests: AtomicU64::new(0),
                retries: AtomicU64::new(0),
                token_mints: AtomicU64::new(0),
                rate_limited: AtomicU64::new(0),
                server_time: Mutex::new(None),
                new_credentials: NewCredentials::default(),
                wait_observer: Mutex::new(None),
            }),
        })
    }

    /// Request counters (shared by all clones).
    pub fn stats(&self) -> RequestStats {
        RequestStats {
            requests: self.inner.requests.load(Ordering::Relaxed),
            retries: self.inner.retries.load(Ordering::Relaxed),
            token_mints: self.inner.token_mints.load(Ordering::Relaxed),
            rate_limited: self.inner.rate_limited.load(Ordering::Relaxed),
        }
    }

    /// The server's clock: the `Date` header of the most recent response that had one. The
    /// reconciler measures key expiry against this, not the local clock.
    pub fn server_time(&self) -> Option<Timestamp> {
        *self
            .inner
            .server_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells the client that the OAuth client `client_id` was created in this run: until a
    /// request made with it succeeds, the 401, 403 or 404 a credential answers while it
    /// propagates is waited out (see `propagation`) instead of failing at once.
    pub fn mark_new_credential(&self, client_id: &str) {
        self.inner.new_credentials.mark(client_id);
    }

    /// Who hears about each wait for a new credential (`None`: nobody; waits are logged at
    /// info level either way).
    pub fn set_wait_observer(&self, observer: Option<WaitObserver>) {
        *self
            .inner
            .wait_observer
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = observer;
    }

    pub(super) fn new_credentials(&self) -> &NewCredentials {
        &self.inner.new_credentials
    }

    /// Logs a wait and tells the observer.
    pub(super) fn report_wait(&self, wait: &PropagationWait) {
        tracing::info!(client_id = %wait.client_id, status = wait.status,
            waited_ms = u64::try_from(wait.waited.as_millis()).unwrap_or(u64::MAX),
            "a new OAuth client is refused; waiting for it to propagate");
        let observer = self
            .inner
            .wait_observer
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(observer) = observer {
            observer(wait);
        }
    }

    pub(super) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }

    pub(super) fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub(super) fn base(&self) -> &str {
        &self.inner.base
    }

    pub(super) fn tokens(&self) -> &TokenCache {
        &self.inner.tokens
    }

    pub(super) fn count_request(&self) {
        self.inner.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_retry(&self) {
        self.inner.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_rate_limited(&self) {
        self.inner.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_mint(&self) {
        self.inner.token_mints.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn record_server_time(&self, at: Timestamp) {
        // Only ever replaced whole, so a poisoned lock still holds a valid value.
        *self
            .inner
            .server_time
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(at);
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base)
            .field("user_agent", &self.inner.config.user_agent)
            .field("timeout", &self.inner.config.timeout)
            .field("retry", &self.inner.config.retry)
            .field("stats", &self.stats())
            .field("tokens", &self.inner.tokens)
            .finish_non_exhaustive()
    }
}

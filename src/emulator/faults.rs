//! Injected faults for `/api/v2` (set by `POST /_emulator/faults`): latency on every response,
//! 429 with `Retry-After`, 500/502/503/504 *before* the handler runs (nothing committed), and
//! responses dropped *after* a mutating request committed (the body stream fails, so the client
//! sees a transport error while the object exists).
//!
//! The same config carries two fidelity switches for behaviours of the real API that are
//! uncertain, each off by default: `credentialDelayMs` (with `credentialDelayStatus` and
//! `credentialDelayAt`, see `propagation`) and `strictTsDefault` (see `policy`).
//!
//! Decisions come from a ChaCha20 stream seeded by the config's `seed` (0 when absent); every API
//! request draws the same four numbers whatever the rates, so a run is reproducible.
//! `retryAfterSeconds` (default 1) is our addition so that fault tests stay fast.
//! "Mutating" means POST, PUT, PATCH or DELETE on `/api/v2` except the token endpoint; only a 2xx
//! response is dropped (a refused request committed nothing).
//!
//! Latency is the time from a request's arrival to its response, as a client on a real network
//! sees a remote server: the handler runs when the request arrives and the response leaves
//! `latency` after the arrival (or when ready, if the handler took longer). The emulator's own
//! work — serialising a list of thousands of keys — is thus part of the latency, as a remote
//! server's is, instead of being added to it while competing with the client for this
//! machine's CPU; a request takes exactly the latency the benchmark's lower bounds assume.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::Frame;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::api_error::ApiError;
use super::audit::Audit;
use super::state::Shared;

/// The route of the token endpoint, which is never "mutating" for drops.
pub(crate) const TOKEN_ROUTE: &str = "/api/v2/oauth/token";
/// The federated token exchange's route (never a "mutating" request either).
pub(crate) const TOKEN_EXCHANGE_ROUTE: &str = "/api/v2/oauth/token-exchange";

/// What `POST /_emulator/faults` sets; missing fields mean "no fault".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FaultConfig {
    #[serde(default)]
    pub latency_ms: u64,
    #[serde(default, rename = "rate429")]
    pub rate_429: f64,
    #[serde(default, rename = "rate5xx")]
    pub rate_5xx: f64,
    #[serde(default)]
    pub drop_response_after_commit: f64,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "one")]
    pub retry_after_seconds: u64,
    /// For this long after an OAuth client is created, the emulator refuses it (see
    /// `propagation`); 0 (the default) makes new credentials usable at once.
    #[serde(default)]
    pub credential_delay_ms: u64,
    /// What a propagating credential is answered: 401, 403 or 404 (the default, as measured:
    /// "a newly created OAuth client can answer 404 for a short while").
    #[serde(default = "not_found")]
    pub credential_delay_status: u16,
    /// Where a propagating credential is refused: on `use` (the default: tokens are minted, the
    /// requests made with them refused) or at the `token` endpoint.
    #[serde(default)]
    pub credential_delay_at: DelayAt,
    /// `If-Match: "ts-default"` never matches the policy of an API-only tailnet (only the
    /// original tailnet's untouched default); off by default.
    #[serde(default)]
    pub strict_ts_default: bool,
}

/// Where a propagating credential is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum DelayAt {
    /// Requests made with the credential's tokens.
    #[default]
    Use,
    /// `POST /api/v2/oauth/token` with the credential.
    Token,
}

fn one() -> u64 {
    1
}

fn not_found() -> u16 {
    404
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            rate_429: 0.0,
            rate_5xx: 0.0,
            drop_response_after_commit: 0.0,
            seed: 0,
            retry_after_seconds: 1,
            credential_delay_ms: 0,
            credential_delay_status: 404,
            credential_delay_at: DelayAt::Use,
            strict_ts_default: false,
        }
    }
}

impl FaultConfig {
    /// Refuses rates outside [0, 1].
    pub fn check(&self) -> Result<(), ApiError> {
        let rates = [
            ("rate429", self.rate_429),
            ("rate5xx", self.rate_5xx),
            ("dropResponseAfterCommit", self.drop_response_after_commit),
        ];
        for (name, rate) in rates {
            if !(0.0..=1.0).contains(&rate) {
                return Err(ApiError::bad_request(format!(
                    "{name} must be between 0 and 1, got {rate}"
                )));
            }
        }
        if !matches!(self.credential_delay_status, 401 | 403 | 404) {
            return Err(ApiError::bad_request(format!(
                "credentialDelayStatus must be 401, 403 or 404, got {}",
                self.credential_delay_status
            )));
        }
        Ok(())
    }
}

/// The injector: its config and its seeded stream.
#[derive(Debug)]
pub(crate) struct Faults {
    config: FaultConfig,
    rng: ChaCha20Rng,
}

impl Default for Faults {
    fn default() -> Self {
        Self::new(FaultConfig::default())
    }
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FaultPlan {
    pub latency: Duration,
    /// Answer this status instead of running the handler.
    pub fail_before: Option<StatusCode>,
    /// Drop the response after the handler committed.
    pub drop_after: bool,
    pub retry_after_seconds: u64,
}

impl Faults {
    /// An injector for `config`, its stream restarted from `config.seed`.
    pub fn new(config: FaultConfig) -> Self {
        let rng = ChaCha20Rng::seed_from_u64(config.seed);
        Self { config, rng }
    }

    /// The current config.
    pub fn config(&self) -> &FaultConfig {
        &self.config
    }

    /// Decides the fate of one API request.
    pub fn plan(&mut self, mutating: bool) -> FaultPlan {
        let throttle = self.rng.random::<f64>() < self.config.rate_429;
        let fail = self.rng.random::<f64>() < self.config.rate_5xx;
        let which = self.rng.random_range(0..4usize);
        let drop = self.rng.random::<f64>() < self.config.drop_response_after_commit;
        let server_errors = [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::GATEWAY_TIMEOUT,
        ];
        let fail_before = if throttle {
            Some(StatusCode::TOO_MANY_REQUESTS)
        } else if fail {
            Some(server_errors[which])
        } else {
            None
        };
        FaultPlan {
            latency: Duration::from_millis(self.config.latency_ms),
            fail_before,
            drop_after: mutating && drop,
            retry_after_seconds: self.config.retry_after_seconds,
        }
    }
}

fn fault_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::TOO_MANY_REQUESTS => "rate limit exceeded, please retry later",
        StatusCode::BAD_GATEWAY => "bad gateway",
        StatusCode::SERVICE_UNAVAILABLE => "service unavailable, please try again later",
        StatusCode::GATEWAY_TIMEOUT => "request took too long to process, please try again later",
        _ => "internal server error",
    }
}

/// The route layer on `/api/v2`: records the route template, then applies the fault plan.
pub(crate) async fn inject(
    State(shared): State<Arc<Shared>>,
    req: Request,
    next: Next,
) -> Response {
    let audit = req.extensions().get::<Audit>().cloned().unwrap_or_default();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    if let Some(route) = &route {
        audit.route(route);
    }
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && route.as_deref() != Some(TOKEN_ROUTE)
        && route.as_deref() != Some(TOKEN_EXCHANGE_ROUTE);
    let plan = shared.faults().plan(mutating);
    let leaves = tokio::time::Instant::now() + plan.latency;
    let delay = || async {
        if !plan.latency.is_zero() {
            sleep_precisely(leaves).await;
        }
    };
    if let Some(status) = plan.fail_before {
        delay().await;
        let mut response = ApiError::new(status, fault_message(status)).into_response();
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(plan.retry_after_seconds));
        }
        return response;
    }
    let response = next.run(req).await;
    delay().await;
    if plan.drop_after && response.status().is_success() {
        audit.dropped();
        let (parts, _) = response.into_parts();
        return Response::from_parts(parts, Body::new(BrokenBody));
    }
    response
}

/// Sleeps until `deadline` with sub-millisecond precision. tokio's timer rounds a deadline up
/// to its next millisecond tick, so a 20 ms latency took 20–21 ms (5 % of every hop of a
/// benchmark); the last millisecond is slept on a blocking thread instead (the OS timer is
/// precise to tens of microseconds).
async fn sleep_precisely(deadline: tokio::time::Instant) {
    const TICK: Duration = Duration::from_millis(1);
    if let Some(early) = deadline.checked_sub(TICK) {
        tokio::time::sleep_until(early).await;
    }
    let rest = deadline.saturating_duration_since(tokio::time::Instant::now());
    if !rest.is_zero() {
        // A panic here is impossible (a sleep); a cancelled task just answers early.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(rest)).await;
    }
}

/// A body whose first read fails: hyper aborts the connection without a complete response.
struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "response dropped by fault injection",
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_reproducible_and_follow_the_rates() {
        let config = FaultConfig {
            rate_5xx: 0.5,
            seed: 9,
            ..FaultConfig::default()
        };
        let mut a = Faults::new(config.clone());
        let mut b = Faults::new(config);
        let plans_a: Vec<_> = (0..50).map(|_| a.plan(true)).collect();
        let plans_b: Vec<_> = (0..50).map(|_| b.plan(true)).collect();
        assert_eq!(plans_a, plans_b);
        let failed = plans_a.iter().filter(|p| p.fail_before.is_some()).count();
        assert!((10..40).contains(&failed), "{failed} of 50 failed");
        assert!(plans_a.iter().all(|p| !p.drop_after));
    }

    #[test]
    fn rates_must_be_probabilities() {
        let bad = FaultConfig {
            rate_429: 1.5,
            ..FaultConfig::default()
        };
        assert_eq!(
            bad.check().unwrap_err().message,
            "rate429 must be between 0 and 1, got 1.5"
        );
    }
}

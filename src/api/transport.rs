//! One HTTP request, made well: `execute` is the retry loop around a single attempt (connect,
//! send, read the status and headers, read the body incrementally up to `max_body_bytes`, all
//! under `timeout`); what happens after each attempt is decided by `retry::decide`. Every
//! response's `Date` is recorded for [`Client::server_time`]; a failed response's
//! `x-tailscale-request-id` goes into the error and the `-v` log. Authentication is not decided
//! here: the caller passes the `Authorization` header (`send`) or none (the token exchange).

use std::time::Duration;

use jiff::Timestamp;
use reqwest::header::{self, HeaderValue};
use serde::de::DeserializeOwned;

use super::body;
use super::client::Client;
use super::error::{ApiError, RequestId, UnknownCause, human};
use super::request::{Idempotency, Method, Request};
use super::retry::{self, Observed, Verdict};

/// How much of an error body is read (the message is at most a few hundred characters).
const ERROR_BODY_CAP: usize = 64 * 1024;

/// The response header Tailscale support finds a request by.
pub(super) const REQUEST_ID: &str = "x-tailscale-request-id";

/// A successful (2xx) answer.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: u16,
    /// The `ETag` header, raw.
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A complete HTTP answer of any status, after retries.
pub(super) struct Received {
    pub(super) status: u16,
    pub(super) retry_after: Option<Duration>,
    pub(super) etag: Option<String>,
    pub(super) content_type: Option<String>,
    pub(super) body: Vec<u8>,
    /// `x-tailscale-request-id`.
    pub(super) request_id: Option<String>,
    /// Requests sent for it, including retries.
    pub(super) attempts: u32,
}

/// Why one attempt produced no usable answer.
enum Failure {
    /// Nothing was sent (refused, DNS, TLS, connect timeout).
    Connect(String),
    /// No complete answer within the timeout.
    Timeout,
    /// The connection broke after (possibly) sending.
    Lost(String),
    /// The request could not be built.
    Fatal(String),
    /// A success body over `max_body_bytes`.
    TooLarge { status: u16 },
}

impl Failure {
    fn observed(&self) -> Observed {
        match self {
            Failure::Connect(_) => Observed::NeverSent,
            Failure::Timeout | Failure::Lost(_) => Observed::Ambiguous,
            Failure::Fatal(_) | Failure::TooLarge { .. } => Observed::Fatal,
        }
    }
}

impl Client {
    /// Sends a request that carries no `Authorization` (the token exchange). `secrets` are
    /// scrubbed from any error message.
    pub(super) async fn send_unauthenticated(
        &self,
        req: &Request,
        secrets: &[&str],
    ) -> Result<Answer, ApiError> {
        let received = self.execute(req, None, secrets).await?;
        into_answer(req, received, 0, secrets)
    }

    /// Sends a request to another host with its own `Authorization` (the GitHub Actions OIDC
    /// token endpoint; `req.origin` says where). `secrets` are scrubbed from any error message.
    pub(super) async fn send_elsewhere(
        &self,
        req: &Request,
        auth: &HeaderValue,
        secrets: &[&str],
    ) -> Result<Answer, ApiError> {
        let received = self.execute(req, Some(auth), secrets).await?;
        into_answer(req, received, 0, secrets)
    }

    /// Attempts `req` until `retry::decide` stops: returns the accepted answer (any status) or
    /// the error.
    pub(super) async fn execute(
        &self,
        req: &Request,
        auth: Option<&HeaderValue>,
        secrets: &[&str],
    ) -> Result<Received, ApiError> {
        let mut retries = 0u32;
        loop {
            self.count_request();
            let started = std::time::Instant::now();
            let outcome = self.attempt(req, auth).await;
            let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match &outcome {
                Ok(r) if r.status >= 400 => {
                    tracing::info!(method = %req.method, path = %req.path, status = r.status,
                        request_id = r.request_id.as_deref().unwrap_or("-"), ms, "request failed");
                }
                _ => {
                    tracing::debug!(method = %req.method, path = %req.path,
                        status = outcome.as_ref().ok().map(|r| r.status), ms, "request");
                }
            }
            if matches!(&outcome, Ok(r) if r.status == 429) {
                self.count_rate_limited();
            }
            let (observed, retry_after) = match &outcome {
                Ok(r) => (Observed::Status(r.status), r.retry_after),
                Err(f) => (f.observed(), None),
            };
            let verdict = retry::decide(
                &self.config().retry,
                req.idempotency,
                retries,
                observed,
                retry_after,
                rand::random::<f64>(),
            );
            let Verdict::Retry(delay) = verdict else {
                return self.conclude(req, verdict, outcome, retries + 1, secrets);
            };
            let status = outcome.as_ref().ok().map(|r| r.status);
            tracing::debug!(method = %req.method, path = %req.path, ?status, attempt = retries + 1,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "retrying");
            retries += 1;
            self.count_retry();
            tokio::time::sleep(delay).await;
        }
    }

    /// The result of the last attempt, once no retry follows.
    fn conclude(
        &self,
        req: &Request,
        verdict: Verdict,
        outcome: Result<Received, Failure>,
        attempts: u32,
        secrets: &[&str],
    ) -> Result<Received, ApiError> {
        match (verdict, outcome) {
            (Verdict::Accept, Ok(mut received)) => {
                received.attempts = attempts;
                let max = self.config().retry.max_retry_after;
                received.retry_after = received.retry_after.map(|d| d.min(max));
                Ok(received)
            }
            (_, Err(Failure::TooLarge { status })) => {
                let limit = self.config().max_body_bytes;
                Err(unreadable(
                    req,
                    status,
                    format!("the body is larger than the {limit}-byte limit"),
                ))
            }
            (Verdict::Unknown, outcome) => Err(ApiError::OutcomeUnknown {
                method: req.method,
                path: req.path.clone(),
                cause: self.unknown_cause(outcome, secrets),
            }),
            (_, outcome) => Err(ApiError::Transport {
                method: req.method,
                path: req.path.clone(),
                attempts,
                cause: match outcome {
                    Err(f) => self.describe(&f),
                    Ok(r) => format!("unexpected status {}", r.status),
                },
            }),
        }
    }

    fn unknown_cause(&self, outcome: Result<Received, Failure>, secrets: &[&str]) -> UnknownCause {
        match outcome {
            Ok(r) => UnknownCause::ServerError {
                status: r.status,
                message: body::error_message(r.status, &r.body, secrets),
            },
            Err(Failure::Timeout) => UnknownCause::Timeout {
                after: self.config().timeout,
            },
            Err(f) => UnknownCause::ConnectionLost {
                detail: self.describe(&f),
            },
        }
    }

    fn describe(&self, failure: &Failure) -> String {
        match failure {
            Failure::Connect(c) | Failure::Lost(c) | Failure::Fatal(c) => c.clone(),
            Failure::Timeout => format!(
                "no complete response within {}",
                human(self.config().timeout)
            ),
            Failure::TooLarge { .. } => "the response body is too large".to_owned(),
        }
    }

    /// One attempt, bounded by the configured timeout.
    async fn attempt(
        &self,
        req: &Request,
        auth: Option<&HeaderValue>,
    ) -> Result<Received, Failure> {
        let timeout = self.config().timeout;
        match tokio::time::timeout(timeout, self.exchange(req, auth)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Failure::Timeout),
        }
    }

    async fn exchange(
        &self,
        req: &Request,
        auth: Option<&HeaderValue>,
    ) -> Result<Received, Failure> {
        let method = match req.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .http()
            .request(
                method,
                format!(
                    "{}{}",
                    req.origin.as_deref().unwrap_or(self.base()),
                    req.path
                ),
            )
            .header(header::ACCEPT, req.accept.as_str());
        if let Some(media) = req.body.media() {
            builder = builder
                .header(header::CONTENT_TYPE, media.as_str())
                .body(req.body.encode());
        }
        if let Some(etag) = &req.if_match {
            builder = builder.header(header::IF_MATCH, etag.as_str());
        }
        if let Some(auth) = auth {
            builder = builder.header(header::AUTHORIZATION, auth.clone());
        }
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let date = text(header::DATE).as_deref().and_then(retry::http_date);
        if let Some(at) = date {
            self.record_server_time(at);
        }
        let retry_after = text(header::RETRY_AFTER)
            .and_then(|v| retry::parse_retry_after(&v, date, Timestamp::now()));
        let etag = text(header::ETAG);
        let content_type = text(header::CONTENT_TYPE);
        let request_id = text(header::HeaderName::from_static(REQUEST_ID));
        let body = self.read_body(&mut response, status).await?;
        Ok(Received {
            status,
            retry_after,
            etag,
            content_type,
            body,
            request_id,
            attempts: 1,
        })
    }

    /// Reads the body chunk by chunk. A success body over `max_body_bytes` is a failure (never
    /// buffered further); an error body is cut at a small cap (only its message matters).
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        status: u16,
    ) -> Result<Vec<u8>, Failure> {
        let success = (200..300).contains(&status);
        let cap = if success {
            self.config().max_body_bytes
        } else {
            self.config().max_body_bytes.min(ERROR_BODY_CAP)
        };
        let too_large = |len: usize| len > cap;
        if success
            && response
                .content_length()
                .is_some_and(|n| usize::try_from(n).map_or(true, too_large))
        {
            return Err(Failure::TooLarge { status });
        }
        // Sized from Content-Length when there is one (never beyond the cap).
        let expected = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .map_or(0, |n| n.min(cap));
        let mut body = Vec::with_capacity(expected);
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if too_large(body.len() + chunk.len()) {
                if success {
                    return Err(Failure::TooLarge { status });
                }
                body.extend_from_slice(&chunk[..cap - body.len()]);
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A 2xx answer, or the error for any other status.
pub(super) fn into_answer(
    req: &Request,
    received: Received,
    prior_attempts: u32,
    secrets: &[&str],
) -> Result<Answer, ApiError> {
    if (200..300).contains(&received.status) {
        return Ok(Answer {
            status: received.status,
            etag: received.etag,
            content_type: received.content_type,
            body: received.body,
        });
    }
    Err(ApiError::Status {
        method: req.method,
        path: req.path.clone(),
        status: received.status,
        message: body::error_message(received.status, &received.body, secrets),
        retry_after: received.retry_after,
        attempts: prior_attempts + received.attempts,
        request_id: RequestId(received.request_id),
    })
}

/// Decodes a 2xx JSON answer and converts it. A body that cannot be used is a `Decode` error,
/// except for a request that is not idempotent: there the server acted (it said 2xx) and the
/// answer — with its one-time secret — is lost, so the caller must read before retrying.
pub(super) fn read<T, U>(
    req: &Request,
    answer: Answer,
    convert: impl FnOnce(T) -> Result<U, String>,
) -> Result<U, ApiError>
where
    T: DeserializeOwned,
{
    body::decode::<T>(&answer.body, answer.content_type.as_deref())
        .and_then(convert)
        .map_err(|detail| unreadable(req, answer.status, detail))
}

/// The error for a body that cannot be used (see [`read`]).
pub(super) fn unreadable(req: &Request, status: u16, detail: String) -> ApiError {
    let success = (200..300).contains(&status);
    if success && req.idempotency == Idempotency::NotIdempotent {
        ApiError::OutcomeUnknown {
            method: req.method,
            path: req.path.clone(),
            cause: UnknownCause::UnreadableResponse { status, detail },
        }
    } else {
        ApiError::Decode {
            method: req.method,
            path: req.path.clone(),
            status,
            detail,
        }
    }
}

/// Sorts a reqwest error into what it proves about the request.
fn classify(err: reqwest::Error) -> Failure {
    let cause = chain(&err);
    if err.is_connect() {
        Failure::Connect(cause)
    } else if err.is_timeout() {
        Failure::Timeout
    } else if err.is_builder() {
        Failure::Fatal(cause)
    } else {
        Failure::Lost(cause)
    }
}

/// The error and its sources, without the URL, as one line.
fn chain(err: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        let text = e.to_string();
        let text = text
            .split(" for url (")
            .next()
            .unwrap_or_default()
            .to_owned();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

//! The Tailscale API client: the only code in tailform that talks HTTP to the real API (or to the
//! emulator, which serves the same API).
//!
//! Layers, each in its own file:
//!
//! | file | owns |
//! |---|---|
//! | [`config`](ClientConfig) | `ClientConfig`, `RetryPolicy`, endpoint validation (https or loopback only) |
//! | `credential` | [`Credential`]: an API key, an OAuth client or a federated identity |
//! | `identity` | [`IdentityToken`]: where a federated identity's OIDC token comes from (given, or fetched from GitHub Actions) |
//! | `jwt` | the check of an OIDC token before it is sent (three parts, `exp` in the future); pure |
//! | `request` | one request as plain data (method, path, body, idempotency) |
//! | `endpoint` | every request the client makes, built by pure functions |
//! | `client` | [`Client`]: one shared `reqwest::Client`, counters, server clock |
//! | `transport` | one HTTP request: the retry loop around an attempt, timeouts, size cap, the server clock |
//! | `send` | the one authenticated `send()`: auth headers, 401 → re-mint, propagation waits |
//! | `propagation` | waiting for credentials created in this run to become usable |
//! | `retry` | the pure retry decision: what is retried, what is an unknown outcome, backoff, `Retry-After` |
//! | `body` | response bodies: error messages, safe excerpts, secret scrubbing, decode failures |
//! | `token_cache` | the OAuth token cache (one mint per key at a time, shared by clones); no HTTP |
//! | `token` | the token exchanges at `POST /api/v2/oauth/token` and `/oauth/token-exchange`, through the cache |
//! | `wire` | serde types of the wire format, private, converted into the public types |
//! | `types` | the public result and request types |
//! | `ops` | the typed operations (thin: build a request, send it, convert the answer) |
//! | `error` | [`ApiError`] |
//!
//! Facts about the real API come from `shared/api/TAILSCALE-API.md` and
//! `shared/api/POLICY-WEBHOOKS.md`. Where they are uncertain, the client is tolerant: unknown
//! fields are ignored, missing fields take defaults, timestamps may carry fractional seconds, and
//! a key that is gone may answer either `404` or `200` with `"invalid": true` (two distinct
//! outcomes, both reported).
//!
//! Safety rules enforced here:
//! - No secret (API key, client secret, access token, a created key's value) ever appears in an
//!   error, a log line or `Debug` output; they live in [`Secret`](crate::secret::Secret), URLs
//!   never carry one, and error-body excerpts are scrubbed.
//! - A request that creates something is never blindly retried: when its outcome is ambiguous
//!   the caller gets [`ApiError::OutcomeUnknown`] and must read before retrying.

mod body;
mod client;
mod config;
mod credential;
mod endpoint;
mod error;
mod identity;
mod jwt;
mod ops;
mod propagation;
mod request;
mod retry;
mod send;
mod settings;
mod token;
mod token_cache;
mod transport;
mod types;
mod webhook;
mod wire;

pub use client::{Client, RequestStats};
pub use config::{ClientConfig, RetryPolicy};
pub use credential::Credential;
pub use error::{ApiError, RequestId, UnknownCause};
pub use identity::IdentityToken;
pub use jwt::JwtProblem;
pub use propagation::{PropagationPolicy, PropagationWait, WaitObserver};
pub use request::Method;
pub use types::{
    AuthKeyRequest, CreatedKey, CreatedTailnet, Deleted, DeviceCapabilities,
    FederatedIdentityRequest, Federation, KeyInfo, KeyLookup, KeyType, OAuthClientRequest,
    PolicyBody, PolicyDocument, PolicyValidation, TailnetInfo,
};
pub use webhook::{WebhookInfo, WebhookRequest, WebhookWithSecret};

//! Client configuration ([`ClientConfig`], [`RetryPolicy`]) and the validation of the endpoint
//! URL: `https://` anywhere, plain `http://` only to a loopback host (the emulator), because
//! credentials travel in every request.

use std::net::IpAddr;
use std::time::Duration;

use super::error::ApiError;
use super::propagation::PropagationPolicy;

/// How the client reaches the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Host base, e.g. `https://api.tailscale.com`; the client appends `/api/v2/...`. A path
    /// prefix (a reverse proxy) is kept; a trailing `/` is ignored.
    pub base_url: String,
    /// `User-Agent` header; default `tailform/<version>`.
    pub user_agent: String,
    /// Deadline for one HTTP attempt: connecting, sending, and reading the whole response. A
    /// stalled server ends in a timeout error, never a hang. Default 30 s. The connect phase
    /// alone is limited to half of this (at most 10 s), so that a connect timeout is recognised
    /// as "never sent" and can be retried even for creates.
    pub timeout: Duration,
    /// Retry behaviour.
    pub retry: RetryPolicy,
    /// Largest response body accepted (default 8 MiB). A larger body is an error
    /// ([`ApiError::Decode`]), and is never buffered beyond this size.
    pub max_body_bytes: usize,
    /// How long to wait for OAuth clients created in this run to become usable (see
    /// `propagation`).
    pub propagation: PropagationPolicy,
}

impl ClientConfig {
    /// The default configuration for `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            ..ClientConfig::default()
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            base_url: "https://api.tailscale.com".to_owned(),
            user_agent: concat!("tailform/", env!("CARGO_PKG_VERSION")).to_owned(),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            max_body_bytes: 8 * 1024 * 1024,
            propagation: PropagationPolicy::default(),
        }
    }
}

/// When and how long to wait before sending a request again.
///
/// Delays grow exponentially from `base_delay` (doubling per retry, capped at `max_delay`) with
/// jitter (each delay is drawn uniformly from its upper half). A server's `Retry-After` replaces
/// the computed delay, clamped to `max_retry_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 8, so at most 9 requests). Generous because a
    /// rate-limited API answers 429 in bursts and every retried request is safe to repeat (a
    /// create is retried only when it provably never reached the server).
    pub max_retries: u32,
    /// Delay before the first retry, before jitter (default 200 ms).
    pub base_delay: Duration,
    /// Largest computed delay (default 10 s).
    pub max_delay: Duration,
    /// Largest honoured `Retry-After` (default 60 s).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 8,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// A checked base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Endpoint {
    /// Scheme, host, port and path prefix, without a trailing `/`.
    pub base: String,
    /// The host is loopback (the emulator): system proxies are bypassed.
    pub loopback: bool,
    /// Plain `http://` (loopback only): no TLS is ever negotiated.
    pub plain_http: bool,
}

/// Checks `raw` and normalises it. Refuses plain HTTP to a non-loopback host, other schemes,
/// credentials, queries and fragments in the URL.
pub(super) fn check_endpoint(raw: &str) -> Result<Endpoint, ApiError> {
    let url = url::Url::parse(raw.trim()).map_err(|e| ApiError::InvalidEndpoint {
        url: display_safe(raw),
        reason: e.to_string(),
    })?;
    let invalid = |reason: &str| ApiError::InvalidEndpoint {
        url: display_safe(raw),
        reason: reason.to_owned(),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "it must not contain credentials; pass them as TAILSCALE_API_KEY or TAILSCALE_OAUTH_CLIENT_*",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not have a query or a fragment"));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(invalid("it has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(ApiError::InsecureEndpoint {
                url: display_safe(raw),
            });
        }
        other => return Err(invalid(&format!("scheme `{other}` is not http or https"))),
    }
    let base = url.as_str().trim_end_matches('/').to_owned();
    Ok(Endpoint {
        base,
        loopback,
        plain_http: url.scheme() == "http",
    })
}

/// `raw` with any `user:password@` part replaced, for error messages.
fn display_safe(raw: &str) -> String {
    let raw = raw.trim();
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, raw),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => format!("(redacted)@{}", &rest[at + 1..]),
        None => rest.to_owned(),
    };
    match scheme {
        Some(s) => format!("{s}://{rest}"),
        None => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_accepted_and_normalised() {
        assert_eq!(
            check_endpoint("https://api.tailscale.com/").unwrap(),
            Endpoint {
                base: "https://api.tailscale.com".into(),
                loopback: false,
                plain_http: false,
            }
        );
        assert_eq!(
            check_endpoint("https://proxy.example/tailscale/")
                .unwrap()
                .base,
            "https://proxy.example/tailscale"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.3.4.5",
            "http://[::1]:9000/",
            "http://localhost:1234",
            "http://LOCALHOST",
        ] {
            let e = check_endpoint(ok).unwrap();
            assert!(e.loopback && e.plain_http, "{ok}");
        }
        // TLS to a loopback host (a local proxy) keeps certificate checks.
        let tls = check_endpoint("https://127.0.0.1:8443").unwrap();
        assert!(tls.loopback && !tls.plain_http);
        for bad in ["http://example.com", "http://10.0.0.1:80", "http://[::2]"] {
            let err = check_endpoint(bad).unwrap_err();
            assert!(
                matches!(err, ApiError::InsecureEndpoint { ref url } if url == bad),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(
            check_endpoint("http://example.com")
                .unwrap_err()
                .to_string(),
            "refusing to send credentials over plain HTTP to `http://example.com`: use https://, \
             or http:// only with a loopback host (127.0.0.0/8, ::1, localhost)"
        );
    }

    #[test]
    fn other_problems_are_invalid_endpoints() {
        let reason = |u: &str| match check_endpoint(u).unwrap_err() {
            ApiError::InvalidEndpoint { reason, .. } => reason,
            other => panic!("{u}: {other:?}"),
        };
        assert_eq!(
            reason("ftp://x.example"),
            "scheme `ftp` is not http or https"
        );
        assert_eq!(
            reason("https://x.example/?a=b"),
            "it must not have a query or a fragment"
        );
        assert_eq!(reason("not a url"), "relative URL without a base");
    }

    #[test]
    fn credentials_in_the_url_are_refused_and_never_echoed() {
        let err = check_endpoint("https://user:hunter2@api.example/").unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("https://(redacted)@api.example/"), "{text}");
        let err = check_endpoint("http://user:hunter2@example.com").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("hunter2"));
    }
}

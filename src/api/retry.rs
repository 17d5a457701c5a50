//! The retry decision, as a pure function of what one attempt observed: retry (after how long),
//! accept the answer, give up, or declare the outcome unknown. Also backoff with jitter and
//! `Retry-After` parsing (both forms). No I/O and no clock: callers pass `now` and the jitter.
//!
//! Rules:
//! - Retryable statuses are 429, 500, 502, 503 and 504; connect failures and timeouts are
//!   retryable too.
//! - Idempotent requests (GET, PUT, DELETE, the token exchange, `acl/validate`) are retried on
//!   all of them.
//! - Non-idempotent requests (creates, the policy POST) are retried only when the request
//!   provably did not reach the server or was provably not processed:
//!   - a connect failure (nothing was sent);
//!   - 429, because a rate limiter rejects a request before it is processed (that is what the
//!     status means, RFC 6585 §4: the user "has sent too many requests"; nothing was done).
//!
//!   Everything else that is ambiguous (timeout or connection loss after sending, a 5xx other
//!   than 501) is an unknown outcome, answered at once and never retried blindly.

use std::time::Duration;

use jiff::Timestamp;

use super::config::RetryPolicy;
use super::request::Idempotency;

/// What one attempt observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Observed {
    /// A complete HTTP answer with this status.
    Status(u16),
    /// The request was never sent (connection refused, DNS, TLS handshake, connect timeout).
    NeverSent,
    /// The request may have been sent, but no complete answer came (timeout, reset, closed).
    Ambiguous,
    /// A failure that repeating cannot fix (a malformed request).
    Fatal,
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Hand the answer to the caller (success or a definitive error status).
    Accept,
    /// Send again after this delay.
    Retry(Duration),
    /// A non-idempotent request may have taken effect: report `OutcomeUnknown`.
    Unknown,
    /// Stop and report the transport failure.
    GiveUp,
}

/// Statuses worth repeating.
pub(super) fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// Decides after an attempt. `retries_done` counts the retries already made for this call;
/// `jitter` is uniform in `[0, 1)`.
pub(super) fn decide(
    policy: &RetryPolicy,
    idempotency: Idempotency,
    retries_done: u32,
    observed: Observed,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Verdict {
    let budget_left = retries_done < policy.max_retries;
    let delay = match retry_after {
        Some(hint) => hint.min(policy.max_retry_after),
        None => backoff(policy, retries_done, jitter),
    };
    let idempotent = idempotency == Idempotency::Idempotent;
    match observed {
        Observed::Status(status) if !idempotent && status >= 500 && status != 501 => {
            Verdict::Unknown
        }
        Observed::Status(status) if is_retryable_status(status) && budget_left => {
            Verdict::Retry(delay)
        }
        Observed::Status(_) => Verdict::Accept,
        Observed::NeverSent if budget_left => Verdict::Retry(delay),
        Observed::Ambiguous if !idempotent => Verdict::Unknown,
        Observed::Ambiguous if budget_left => Verdict::Retry(delay),
        Observed::NeverSent | Observed::Ambiguous | Observed::Fatal => Verdict::GiveUp,
    }
}

/// The delay before retry number `retries_done + 1`: `base · 2^retries_done`, capped at
/// `max_delay`, then drawn from its upper half (`jitter` in `[0, 1)`), so concurrent clients
/// spread out but never retry sooner than half the nominal delay.
pub(super) fn backoff(policy: &RetryPolicy, retries_done: u32, jitter: f64) -> Duration {
    let factor = 2u32.saturating_pow(retries_done.min(31));
    let nominal = policy
        .base_delay
        .saturating_mul(factor)
        .min(policy.max_delay);
    let jitter = jitter.clamp(0.0, 1.0);
    nominal.mul_f64(0.5 + 0.5 * jitter)
}

/// Parses `Retry-After`: delta-seconds (`"120"`) or an HTTP-date
/// (`"Wed, 21 Oct 2015 07:28:00 GMT"`). A date is measured from the server's own `Date` when it
/// sent one (immune to clock skew), else from the local clock; a date in the past means now.
/// Unparseable values are ignored (normal backoff applies).
pub(super) fn parse_retry_after(
    value: &str,
    server_now: Option<Timestamp>,
    local_now: Timestamp,
) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = http_date(value)?;
    let now = server_now.unwrap_or(local_now);
    let wait = at.duration_since(now);
    Some(wait.try_into().unwrap_or(Duration::ZERO))
}

/// Parses an HTTP-date in its preferred (IMF-fixdate) form, which is RFC 2822-compatible.
/// The obsolete RFC 850 and asctime forms are not accepted.
pub(super) fn http_date(value: &str) -> Option<Timestamp> {
    static PARSER: jiff::fmt::rfc2822::DateTimeParser = jiff::fmt::rfc2822::DateTimeParser::new();
    PARSER.parse_timestamp(value.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            max_retry_after: Duration::from_secs(5),
        }
    }

    const IDEM: Idempotency = Idempotency::Idempotent;
    const CREATE: Idempotency = Idempotency::NotIdempotent;

    #[test]
    fn backoff_doubles_caps_and_jitters_in_the_upper_half() {
        let p = policy();
        assert_eq!(backoff(&p, 0, 1.0), Duration::from_millis(100));
        assert_eq!(backoff(&p, 0, 0.0), Duration::from_millis(50));
        assert_eq!(backoff(&p, 1, 1.0), Duration::from_millis(200));
        assert_eq!(backoff(&p, 2, 1.0), Duration::from_millis(300));
        assert_eq!(backoff(&p, 40, 0.5), Duration::from_millis(225));
    }

    #[test]
    fn idempotent_requests_retry_transient_failures_within_budget() {
        let p = policy();
        for status in [429, 500, 502, 503, 504] {
            assert_eq!(
                decide(&p, IDEM, 0, Observed::Status(status), None, 1.0),
                Verdict::Retry(Duration::from_millis(100)),
                "{status}"
            );
            assert_eq!(
                decide(&p, IDEM, 2, Observed::Status(status), None, 1.0),
                Verdict::Accept
            );
        }
        for status in [200, 400, 401, 403, 404, 409, 412, 501] {
            assert_eq!(
                decide(&p, IDEM, 0, Observed::Status(status), None, 1.0),
                Verdict::Accept
            );
        }
        assert_eq!(
            decide(&p, IDEM, 1, Observed::Ambiguous, None, 1.0),
            Verdict::Retry(Duration::from_millis(200))
        );
        assert_eq!(
            decide(&p, IDEM, 2, Observed::Ambiguous, None, 1.0),
            Verdict::GiveUp
        );
        assert_eq!(
            decide(&p, IDEM, 0, Observed::Fatal, None, 1.0),
            Verdict::GiveUp
        );
    }

    #[test]
    fn creates_retry_only_what_never_reached_the_server() {
        let p = policy();
        assert_eq!(
            decide(&p, CREATE, 0, Observed::NeverSent, None, 1.0),
            Verdict::Retry(Duration::from_millis(100))
        );
        assert_eq!(
            decide(&p, CREATE, 2, Observed::NeverSent, None, 1.0),
            Verdict::GiveUp
        );
        assert_eq!(
            decide(&p, CREATE, 0, Observed::Status(429), None, 1.0),
            Verdict::Retry(Duration::from_millis(100))
        );
        assert_eq!(
            decide(&p, CREATE, 2, Observed::Status(429), None, 1.0),
            Verdict::Accept
        );
        for status in [500, 502, 503, 504, 505] {
            assert_eq!(
                decide(&p, CREATE, 0, Observed::Status(status), None, 1.0),
                Verdict::Unknown
            );
        }
        assert_eq!(
            decide(&p, CREATE, 0, Observed::Status(501), None, 1.0),
            Verdict::Accept
        );
        assert_eq!(
            decide(&p, CREATE, 0, Observed::Status(400), None, 1.0),
            Verdict::Accept
        );
        assert_eq!(
            decide(&p, CREATE, 0, Observed::Ambiguous, None, 1.0),
            Verdict::Unknown
        );
    }

    #[test]
    fn retry_after_replaces_the_backoff_and_is_clamped() {
        let p = policy();
        assert_eq!(
            decide(
                &p,
                IDEM,
                0,
                Observed::Status(429),
                Some(Duration::ZERO),
                1.0
            ),
            Verdict::Retry(Duration::ZERO)
        );
        assert_eq!(
            decide(
                &p,
                CREATE,
                0,
                Observed::Status(429),
                Some(Duration::from_secs(3600)),
                1.0
            ),
            Verdict::Retry(Duration::from_secs(5))
        );
    }

    #[test]
    fn retry_after_both_forms() {
        let now: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("0", None, now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after(" 120 ", None, now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 10:00:30 GMT", None, now),
            Some(Duration::from_secs(30))
        );
        let server_now: Timestamp = "2026-11-22T10:00:20Z".parse().unwrap();
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 10:00:30 GMT", Some(server_now), now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 22 Nov 2026 09:00:00 GMT", None, now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", None, now), None);
        assert_eq!(parse_retry_after("-5", None, now), None);
        assert_eq!(parse_retry_after("", None, now), None);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some("1994-11-06T08:49:37Z".parse().unwrap())
        );
        assert_eq!(http_date("yesterday"), None);
    }
}

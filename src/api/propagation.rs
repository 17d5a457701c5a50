//! New credentials are not usable at once: "a newly created OAuth client can answer 404 for a
//! short while, and the failures clear on their own as its scopes propagate" (FIDELITY-2 §1 #1,
//! §3, measured by a third party against the real API). Which status it answers meanwhile — 401
//! at the token endpoint, 403 or 404 on use, or both — is not known (FIDELITY-2 §10), so all three
//! are treated alike.
//!
//! The client is told which OAuth clients were created in this run ([`Client::mark_new_credential`]:
//! a created tailnet's bootstrap client, a created OAuth client). Until a request made with one of
//! them succeeds, a 401, 403 or 404 from the token endpoint or from a request made with its token
//! is retried with backoff ([`PropagationPolicy`]: from `base_delay`, doubling, at most
//! `max_delay` apart, for at most `timeout` per call; 0 disables waiting), each wait is reported
//! to the client's wait observer (apply's progress line) and logged, and when the budget is spent
//! the call fails with [`ApiError::NotYetUsable`], which says the credential may still be
//! propagating. Every other credential fails at once, as before.
//!
//! The first success confirms the credential: from then on a 404 is an answer (a key that is
//! gone), not propagation. A 404 that is a real answer before the first success (a credential
//! whose very first request reads something missing) is waited out once, within the budget; in
//! an apply that never happens (a new credential is first used to read its tailnet's policy or to
//! create a key).
//!
//! [`Client::mark_new_credential`]: super::Client::mark_new_credential
//! [`ApiError::NotYetUsable`]: super::ApiError::NotYetUsable

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long, and how often, to retry a credential created in this run while the API still
/// refuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropagationPolicy {
    /// The most one call waits (default 60 s); `0` disables waiting.
    pub timeout: Duration,
    /// The first wait (default 250 ms); each next one doubles.
    pub base_delay: Duration,
    /// The longest wait between two attempts (default 2 s).
    pub max_delay: Duration,
}

impl Default for PropagationPolicy {
    fn default() -> Self {
        PropagationPolicy {
            timeout: Duration::from_secs(60),
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(2),
        }
    }
}

/// Statuses a credential that is still propagating may answer.
pub(super) fn refuses(status: u16) -> bool {
    matches!(status, 401 | 403 | 404)
}

/// The wait before attempt `attempts + 1` of a call that has been refused for `elapsed`, or
/// `None` once the budget is spent. Never longer than what is left of the budget.
pub(super) fn next_delay(
    policy: &PropagationPolicy,
    attempts: u32,
    elapsed: Duration,
) -> Option<Duration> {
    let left = policy
        .timeout
        .checked_sub(elapsed)
        .filter(|d| !d.is_zero())?;
    let nominal = policy
        .base_delay
        .saturating_mul(2u32.saturating_pow(attempts.min(31)))
        .min(policy.max_delay);
    Some(nominal.min(left))
}

/// One call's wait for a new credential.
#[derive(Debug)]
pub(super) struct Wait {
    started: Instant,
    attempts: u32,
}

impl Wait {
    /// Starts counting at the first refusal.
    pub fn start() -> Self {
        Wait {
            started: Instant::now(),
            attempts: 0,
        }
    }

    /// Time since the first refusal.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// How long the call waited, for its error: zero when waiting is off.
    pub fn waited(&self, policy: &PropagationPolicy) -> Duration {
        if policy.timeout.is_zero() {
            Duration::ZERO
        } else {
            self.elapsed()
        }
    }

    /// The next delay, or `None` once the budget is spent.
    pub fn next(&mut self, policy: &PropagationPolicy) -> Option<Duration> {
        let delay = next_delay(policy, self.attempts, self.elapsed())?;
        self.attempts += 1;
        Some(delay)
    }
}

/// The OAuth clients created in this run that no request has confirmed yet (by client id; ids
/// are not secret).
#[derive(Debug, Default)]
pub(super) struct NewCredentials {
    clients: Mutex<HashSet<String>>,
}

impl NewCredentials {
    fn clients(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // One insert or remove at a time: a poisoned set is still consistent.
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Remembers a client created in this run.
    pub fn mark(&self, client_id: &str) {
        self.clients().insert(client_id.to_owned());
    }

    /// True while the client is new and unconfirmed.
    pub fn contains(&self, client_id: &str) -> bool {
        self.clients().contains(client_id)
    }

    /// A request made with the client succeeded: it has propagated.
    pub fn confirm(&self, client_id: &str) {
        self.clients().remove(client_id);
    }
}

/// One wait for a new credential, as reported to the wait observer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropagationWait {
    /// The OAuth client being waited for.
    pub client_id: String,
    /// The status it was refused with.
    pub status: u16,
    /// How long this call has been waiting.
    pub waited: Duration,
}

impl fmt::Display for PropagationWait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "waiting for the new OAuth client {} to become usable (HTTP {}, {} s so far)",
            self.client_id,
            self.status,
            self.waited.as_secs()
        )
    }
}

/// Receives every wait for a new credential (apply prints them as progress).
pub type WaitObserver = Arc<dyn Fn(&PropagationWait) + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(timeout_ms: u64) -> PropagationPolicy {
        PropagationPolicy {
            timeout: Duration::from_millis(timeout_ms),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
        }
    }

    #[test]
    fn delays_double_up_to_the_cap_and_never_pass_the_budget() {
        let p = policy(1_000);
        let ms = Duration::from_millis;
        assert_eq!(next_delay(&p, 0, ms(0)), Some(ms(100)));
        assert_eq!(next_delay(&p, 1, ms(100)), Some(ms(200)));
        assert_eq!(next_delay(&p, 2, ms(300)), Some(ms(400)));
        assert_eq!(next_delay(&p, 9, ms(700)), Some(ms(300)), "what is left");
        assert_eq!(next_delay(&p, 3, ms(1_000)), None);
        assert_eq!(next_delay(&p, 40, ms(5_000)), None);
    }

    #[test]
    fn a_zero_budget_never_waits() {
        assert_eq!(next_delay(&policy(0), 0, Duration::ZERO), None);
    }

    #[test]
    fn refused_statuses() {
        for s in [401, 403, 404] {
            assert!(refuses(s), "{s}");
        }
        for s in [200, 400, 409, 412, 429, 500] {
            assert!(!refuses(s), "{s}");
        }
    }

    #[test]
    fn new_credentials_are_confirmed_once() {
        let new = NewCredentials::default();
        new.mark("kNew");
        assert!(new.contains("kNew") && !new.contains("kOld"));
        new.confirm("kNew");
        assert!(!new.contains("kNew"));
    }

    #[test]
    fn the_progress_line() {
        let wait = PropagationWait {
            client_id: "kAbc123CNTRL".into(),
            status: 404,
            waited: Duration::from_millis(3_400),
        };
        assert_eq!(
            wait.to_string(),
            "waiting for the new OAuth client kAbc123CNTRL to become usable (HTTP 404, 3 s so far)"
        );
    }
}

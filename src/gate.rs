//! Concurrency that adapts to rate limits: the AIMD rule ([`Aimd`], pure) and an async gate
//! built on it ([`Gate`]) that bounds how many requests are in flight at once.
//!
//! The rule, as apply has always used it: start at `--parallelism`; whenever the API answered
//! a 429 since the last look, halve the limit (never below 1); after as many calm completions
//! as the limit, raise it by one, up to `--parallelism` again. The 429s are the client's own
//! count (`api::RequestStats::rate_limited`), so every request made through that client counts,
//! whoever made it.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// What one observation did to the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapted {
    /// New 429s: the limit was halved to this.
    Halved(usize),
    /// A calm window passed: the limit was raised to this.
    Raised(usize),
    /// No change.
    Same,
}

/// The AIMD limit: halve on rate limits, grow back by one per calm window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aimd {
    parallelism: usize,
    limit: usize,
    calm: usize,
    rate_limited_seen: u64,
}

impl Aimd {
    /// Starts at `parallelism` (at least 1).
    pub fn new(parallelism: usize) -> Self {
        let parallelism = parallelism.max(1);
        Aimd {
            parallelism,
            limit: parallelism,
            calm: 0,
            rate_limited_seen: 0,
        }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// `finished` more operations completed, and the client has now seen `rate_limited` 429s
    /// in all.
    pub fn observe(&mut self, finished: usize, rate_limited: u64) -> Adapted {
        if rate_limited > self.rate_limited_seen {
            self.rate_limited_seen = rate_limited;
            self.limit = (self.limit / 2).max(1);
            self.calm = 0;
            return Adapted::Halved(self.limit);
        }
        self.calm += finished;
        if self.calm >= self.limit && self.limit < self.parallelism {
            self.limit += 1;
            self.calm = 0;
            return Adapted::Raised(self.limit);
        }
        Adapted::Same
    }
}

struct GateState {
    aimd: Aimd,
    in_flight: usize,
    lowest: usize,
}

/// An async gate: at most [`Aimd::limit`] holders of a [`Pass`] at once. Cloning shares it.
#[derive(Clone)]
pub struct Gate {
    state: Arc<Mutex<GateState>>,
    opened: Arc<Notify>,
}

impl Gate {
    /// A gate for `parallelism` requests at once.
    pub fn new(parallelism: usize) -> Self {
        let aimd = Aimd::new(parallelism);
        let lowest = aimd.limit();
        Gate {
            state: Arc::new(Mutex::new(GateState {
                aimd,
                in_flight: 0,
                lowest,
            })),
            opened: Arc::new(Notify::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until fewer than the limit hold a pass, then takes one.
    pub async fn enter(&self) -> Pass {
        loop {
            let opened = self.opened.notified();
            {
                let mut state = self.lock();
                if state.in_flight < state.aimd.limit() {
                    state.in_flight += 1;
                    return Pass {
                        gate: self.clone(),
                        done: false,
                    };
                }
            }
            opened.await;
        }
    }

    /// The lowest limit so far (what a report shows after a storm of 429s).
    pub fn lowest(&self) -> usize {
        self.lock().lowest
    }

    fn leave(&self, rate_limited: Option<u64>) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(seen) = rate_limited {
            match state.aimd.observe(1, seen) {
                Adapted::Halved(limit) => {
                    state.lowest = state.lowest.min(limit);
                    tracing::info!(limit, "rate limited: read concurrency halved");
                }
                Adapted::Raised(limit) => tracing::debug!(limit, "read concurrency raised"),
                Adapted::Same => {}
            }
        }
        drop(state);
        self.opened.notify_waiters();
    }
}

/// One holder's place in the gate; leaving it (or dropping it) lets the next one in.
pub struct Pass {
    gate: Gate,
    done: bool,
}

impl Pass {
    /// Leaves, telling the gate how many 429s the client has seen in all by now.
    pub fn leave(mut self, rate_limited: u64) {
        self.done = true;
        self.gate.leave(Some(rate_limited));
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        if !self.done {
            self.gate.leave(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aimd_halves_on_new_rate_limits_and_grows_back_after_calm_windows() {
        let mut aimd = Aimd::new(8);
        assert_eq!(aimd.observe(1, 0), Adapted::Same);
        assert_eq!(aimd.observe(1, 3), Adapted::Halved(4));
        assert_eq!(
            aimd.observe(1, 3),
            Adapted::Same,
            "the same 429s count once"
        );
        assert_eq!(aimd.observe(1, 4), Adapted::Halved(2));
        assert_eq!(aimd.observe(1, 5), Adapted::Halved(1));
        assert_eq!(aimd.observe(1, 6), Adapted::Halved(1), "never below 1");
        assert_eq!(aimd.observe(1, 6), Adapted::Raised(2));
        assert_eq!(aimd.observe(1, 6), Adapted::Same);
        assert_eq!(aimd.observe(1, 6), Adapted::Raised(3));
        let mut full = Aimd::new(2);
        assert_eq!(full.observe(5, 0), Adapted::Same, "never above parallelism");
        assert_eq!(Aimd::new(0).limit(), 1);
    }

    #[tokio::test]
    async fn the_gate_holds_at_most_its_limit_and_narrows_on_rate_limits() {
        let gate = Gate::new(3);
        let a = gate.enter().await;
        let b = gate.enter().await;
        let c = gate.enter().await;
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.enter().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "a fourth waits");
        // A 429 halves the limit to 1: two more must leave before anyone enters.
        a.leave(1);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "2 in flight, limit 1");
        b.leave(2); // more 429s: the limit stays at 1 (a calm one would have raised it to 2)
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "1 in flight, limit 1");
        drop(c);
        let d = tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("enters once the gate has room")
            .unwrap();
        assert_eq!(gate.lowest(), 1);
        d.leave(1);
    }
}

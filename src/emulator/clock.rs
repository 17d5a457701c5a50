//! The emulator's clock: system time plus an offset that only `POST /_emulator/clock` moves, and
//! the two text forms the API uses (RFC 3339 for bodies, IMF-fixdate for the `Date` header).
//!
//! Every expiry, purge and `Date` header reads this clock, so tests move time forward instead of
//! sleeping.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// System time plus a persisted offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Clock {
    offset_seconds: i64,
}

impl Clock {
    /// The emulator's "now".
    pub fn now(&self) -> Timestamp {
        plus_seconds(Timestamp::now(), self.offset_seconds)
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&mut self, seconds: i64) {
        self.offset_seconds = self.offset_seconds.saturating_add(seconds);
    }
}

/// `ts` truncated to whole seconds (keys carry seconds precision).
pub(crate) fn whole_seconds(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).unwrap_or(ts)
}

/// `ts + seconds`, saturating at the end of time.
pub(crate) fn plus_seconds(ts: Timestamp, seconds: i64) -> Timestamp {
    // Only calendar units can make `saturating_add` fail; a `SignedDuration` never does.
    ts.saturating_add(SignedDuration::from_secs(seconds))
        .unwrap_or(ts)
}

/// RFC 3339 UTC with seconds precision: `2021-12-09T23:22:39Z`. (jiff's own printer shows no
/// fraction for a whole second, and is several times faster than `strftime`; every key in a
/// list goes through here.)
pub(crate) fn rfc3339(ts: Timestamp) -> String {
    whole_seconds(ts).to_string()
}

/// RFC 3339 UTC with the full (nanosecond) precision, as the organization API sends `createdAt`.
pub(crate) fn rfc3339_precise(ts: Timestamp) -> String {
    ts.to_string()
}

/// The HTTP `Date` form (IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(ts: Timestamp) -> String {
    ts.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let ts: Timestamp = "2021-12-09T23:22:39.123456789Z".parse().unwrap();
        assert_eq!(rfc3339(ts), "2021-12-09T23:22:39Z");
        assert_eq!(rfc3339_precise(ts), "2021-12-09T23:22:39.123456789Z");
        assert_eq!(http_date(ts), "Thu, 09 Dec 2021 23:22:39 GMT");
        assert_eq!(rfc3339(plus_seconds(ts, 7_776_000)), "2022-03-09T23:22:39Z");
        let midnight: Timestamp = "2026-01-01T00:00:00.5Z".parse().unwrap();
        assert_eq!(rfc3339(midnight), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn advance_moves_now() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(3600);
        let moved = clock.now().duration_since(before).as_secs();
        assert!((3600..3610).contains(&moved), "moved {moved}s");
    }
}

//! `Duration`: a whole number of seconds written as `3600s`, `90m`, `12h`, `30d`, `2w` or a
//! combination (`1d12h`). Used for expiry, rotation windows and overlap windows.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a string is not a valid [`Duration`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty string.
    #[error("a duration cannot be empty")]
    Empty,
    /// A number without a unit, or an unknown unit.
    #[error("a duration is a number followed by a unit: s, m, h, d or w (e.g. `30d`, `12h`)")]
    BadUnit,
    /// The number does not fit.
    #[error("the duration is too large")]
    Overflow,
}

/// A span of whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(u64);

impl Duration {
    /// Zero seconds.
    pub const ZERO: Duration = Duration(0);

    /// From seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// From days.
    pub const fn from_days(days: u64) -> Self {
        Self(days * 86_400)
    }

    /// The number of seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Parses `30d`, `12h`, `3600s`, `1d12h`, …
    pub fn parse(s: &str) -> Result<Self, DurationError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        let mut total: u64 = 0;
        let mut digits = String::new();
        for c in s.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let unit: u64 = match c {
                's' => 1,
                'm' => 60,
                'h' => 3_600,
                'd' => 86_400,
                'w' => 604_800,
                _ => return Err(DurationError::BadUnit),
            };
            if digits.is_empty() {
                return Err(DurationError::BadUnit);
            }
            let n: u64 = digits.parse().map_err(|_| DurationError::Overflow)?;
            total = n
                .checked_mul(unit)
                .and_then(|v| total.checked_add(v))
                .ok_or(DurationError::Overflow)?;
            digits.clear();
        }
        if !digits.is_empty() {
            // A bare `0` is unambiguous (used to disable rotation).
            if digits.chars().all(|c| c == '0') && total == 0 {
                return Ok(Duration(0));
            }
            return Err(DurationError::BadUnit);
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    /// The shortest exact form: `30d`, `12h`, `90m`, `45s`, or a combination like `1d12h`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= secs {
                write!(f, "{}{unit}", rest / secs)?;
                rest %= secs;
            }
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Duration::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(Duration::parse("3600s").unwrap().as_secs(), 3600);
        assert_eq!(Duration::parse("12h").unwrap().as_secs(), 43_200);
        assert_eq!(Duration::parse("30d").unwrap().as_secs(), 2_592_000);
        assert_eq!(Duration::parse("1d12h").unwrap().as_secs(), 129_600);
        assert_eq!(Duration::parse("2w").unwrap().as_secs(), 1_209_600);
        assert_eq!(Duration::parse("0").unwrap().as_secs(), 0);
        assert_eq!(Duration::parse("30"), Err(DurationError::BadUnit));
        assert_eq!(Duration::parse("30y"), Err(DurationError::BadUnit));
        assert_eq!(Duration::parse("d"), Err(DurationError::BadUnit));
        assert_eq!(Duration::parse(""), Err(DurationError::Empty));
        assert_eq!(
            Duration::parse("99999999999999999999d"),
            Err(DurationError::Overflow)
        );
    }

    #[test]
    fn displays_shortest() {
        assert_eq!(Duration::from_days(30).to_string(), "30d");
        assert_eq!(Duration::from_secs(129_600).to_string(), "1d12h");
        assert_eq!(Duration::from_secs(61).to_string(), "1m1s");
        assert_eq!(Duration::ZERO.to_string(), "0s");
    }
}

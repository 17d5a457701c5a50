//! The parsers of option values (durations, the request timeout, values that may hold a password).

use crate::model::{Duration, DurationError};
use crate::secret::Secret;

/// A value that may hold a password (a database URL): redacted in `Debug`.
pub(super) fn parse_secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    Duration::parse(s).map_err(|e| e.to_string())
}

/// Why a `--request-timeout` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestTimeoutError {
    /// Not a duration.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// Zero: no request could ever finish (and a zero timer is no limit to some clients).
    #[error("a request timeout must be at least 1s (`{given}` is zero); the default is 30s")]
    Zero {
        /// The value as written.
        given: String,
    },
}

pub(super) fn parse_request_timeout(s: &str) -> Result<Duration, RequestTimeoutError> {
    let timeout = Duration::parse(s)?;
    if timeout == Duration::ZERO {
        return Err(RequestTimeoutError::Zero {
            given: s.trim().to_owned(),
        });
    }
    Ok(timeout)
}

//! Retry policies for tests of `tailform::api::Client`.

use std::time::Duration;

use tailform::api::RetryPolicy;

/// Retries with tiny delays, so a test only waits for what the server asks (a `Retry-After`
/// of up to 2 s is still honoured).
pub fn fast_retry(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_retry_after: Duration::from_secs(2),
    }
}

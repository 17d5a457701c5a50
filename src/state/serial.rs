//! The state's serial: incremented on every save, compared by every backend's compare-and-swap,
//! and bounded so that it never wraps.

/// The highest serial a state may have: the PostgreSQL backend stores it as a `bigint`, and a
/// state must fit in either backend.
pub const MAX_SERIAL: u64 = i64::MAX as u64;

/// A save would take the serial past [`MAX_SERIAL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the state's serial {serial} is at the maximum ({MAX_SERIAL}), so it cannot be saved again \
     (nothing was written); a serial this high comes from a hand edit: set `serial` back to the \
     last real value"
)]
pub struct SerialExhausted {
    /// The state's serial.
    pub serial: u64,
}

/// The serial after `serial`, refused past [`MAX_SERIAL`].
pub fn next_serial(serial: u64) -> Result<u64, SerialExhausted> {
    serial
        .checked_add(1)
        .filter(|n| *n <= MAX_SERIAL)
        .ok_or(SerialExhausted { serial })
}

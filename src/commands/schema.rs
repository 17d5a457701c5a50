//! `tailform schema` (under construction on the `manifest` branch).

use crate::error::Error;
use crate::exit::Exit;

/// Runs `tailform schema`.
pub fn run() -> Result<Exit, Error> {
    Err(Error::Usage("`schema` is not implemented yet".into()))
}

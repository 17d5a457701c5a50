//! `tailform validate` (under construction on the `manifest` branch).

use crate::cli::{GlobalArgs, ValidateArgs};
use crate::error::Error;
use crate::exit::Exit;

/// Runs `tailform validate`.
pub fn run(_global: &GlobalArgs, _args: ValidateArgs) -> Result<Exit, Error> {
    Err(Error::Usage("`validate` is not implemented yet".into()))
}

//! `tailform emulator` (under construction on the `emulator` branch).

use crate::cli::{EmulatorArgs, GlobalArgs};
use crate::error::Error;
use crate::exit::Exit;

/// Runs `tailform emulator`.
pub fn run(_global: &GlobalArgs, _args: EmulatorArgs) -> Result<Exit, Error> {
    Err(Error::Usage("`emulator` is not implemented yet".into()))
}

//! `tailform unlock LOCK_ID`: remove a stale state lock (one whose process is gone) from the
//! state file or the PostgreSQL workspace; refused when the id differs or a running process
//! still holds it.

use super::console::errln;
use crate::cli::{GlobalArgs, UnlockArgs};
use crate::error::Error;
use crate::exit::Exit;

use super::session;

/// Runs `tailform unlock`.
pub fn run(global: &GlobalArgs, args: &UnlockArgs) -> Result<Exit, Error> {
    let holder = session::backend(global)?.force_unlock(&args.lock_id)?;
    errln!("Removed the state lock held by {holder}.");
    Ok(Exit::Success)
}

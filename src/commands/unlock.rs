//! `tailform unlock LOCK_ID`: remove a stale state lock (one whose process is gone); refused when
//! the id differs or a running process still holds it.

use crate::cli::{GlobalArgs, UnlockArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::state::StateLock;

use super::session;

/// Runs `tailform unlock`.
pub fn run(global: &GlobalArgs, args: &UnlockArgs) -> Result<Exit, Error> {
    let holder = StateLock::force_unlock(&session::state_path(global), &args.lock_id)?;
    eprintln!("Removed the state lock held by {holder}.");
    Ok(Exit::Success)
}

//! Asking the user to type `yes` (Terraform's prompt): apply's confirmation, and `state rm` of a
//! record whose secret would be lost with it.

#![allow(
    clippy::print_stdout,
    reason = "the prompt is written where the answer is typed"
)]

use std::io::{BufRead, Write};

use super::console::{out, outln};
use crate::error::Error;

/// Prints `question` and reads one line: `Some(true)` for `yes`, `Some(false)` for anything
/// else, `None` when standard input is closed (nobody can answer: the caller says which flag
/// skips the question).
pub(super) fn ask(question: &str) -> Result<Option<bool>, Error> {
    out!("{question}");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::io("read", "standard input", e))?;
    if read == 0 {
        return Ok(None);
    }
    outln!();
    Ok(Some(answer.trim() == "yes"))
}

//! The user's terminal: what commands print to stdout and stderr, without ever panicking.
//!
//! `println!` panics when stdout is a pipe whose reader has gone (`tailform apply | head -3`,
//! a CI log collector that exits early). During an apply that panic would stop the run between
//! two API calls, so commands print through [`out!`], [`outln!`] and [`errln!`] instead:
//!
//! - a reader that went away (`BrokenPipe`) is not an error: the rest of the output is dropped
//!   and the command goes on to its end, saving the state as usual;
//! - any other failure to write stdout (a full disk behind `> plan.txt`) is remembered, and
//!   [`take_stdout_failure`] turns it into an error and exit code 1 once the command is done;
//! - a failure to write stderr is ignored: there is nowhere left to report it.

use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::sync::Mutex;

/// The first stdout failure that was not a closed pipe.
static STDOUT_FAILURE: Mutex<Option<io::Error>> = Mutex::new(None);

/// Writes to stdout; see the module documentation for what happens when that fails.
pub fn write_out(args: fmt::Arguments<'_>) {
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush())
        && e.kind() != ErrorKind::BrokenPipe
    {
        let mut failure = STDOUT_FAILURE.lock().unwrap_or_else(|p| p.into_inner());
        failure.get_or_insert(e);
    }
}

/// Writes to stderr, ignoring failures.
pub fn write_err(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// The first failure to write stdout other than a closed pipe, if there was one.
pub fn take_stdout_failure() -> Option<io::Error> {
    STDOUT_FAILURE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

/// `print!` that does not panic.
macro_rules! out {
    ($($arg:tt)*) => { $crate::commands::console::write_out(format_args!($($arg)*)) };
}

/// `println!` that does not panic.
macro_rules! outln {
    () => { $crate::commands::console::write_out(format_args!("\n")) };
    ($($arg:tt)*) => {
        $crate::commands::console::write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that does not panic.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::commands::console::write_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, out, outln};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_failure_is_taken_once() {
        STDOUT_FAILURE
            .lock()
            .unwrap()
            .get_or_insert(io::Error::new(ErrorKind::StorageFull, "disk full"));
        let taken = take_stdout_failure().expect("recorded");
        assert_eq!(taken.kind(), ErrorKind::StorageFull);
        assert!(take_stdout_failure().is_none());
    }
}

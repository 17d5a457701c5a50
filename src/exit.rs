//! `Exit`: how a command ended, decided in one place and mapped to the process exit code
//! (0 success or no changes, 1 error, 2 changes present under `--detailed-exitcode`).

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success (or no changes).
    Success,
    /// Changes are present (`plan --detailed-exitcode`).
    Changes,
    /// Something failed; the details were already reported.
    Failure,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Changes => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

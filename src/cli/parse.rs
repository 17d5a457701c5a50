//! Reading the command line, and rendering its errors from a parse that ignores the environment
//! when that parse fails the same way.

use clap::FromArgMatches;

use super::Cli;
use super::help::command;

/// Parses the process's command line, exiting with clap's message on an error.
///
/// A usage line in an error lists the options that were given, and clap counts one set by an
/// environment variable (`TAILSCALE_BASE_URL`, `TAILFORM_STATE`, …) as given, so `tailform
/// unlock` with `TAILSCALE_BASE_URL` set printed `Usage: tailform unlock --endpoint <URL>
/// <LOCK_ID>`, as if `--endpoint` were required. The error is therefore rendered from a parse
/// that ignores the environment, whenever that parse fails the same way.
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    }
}

/// [`parse`] of `args` (the program name first), returning clap's error instead of exiting.
pub fn parse_from(args: &[std::ffi::OsString]) -> Result<Cli, clap::Error> {
    let err = match command().try_get_matches_from(args) {
        Ok(matches) => {
            return Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command()));
        }
        Err(e) => e,
    };
    if !err.use_stderr() {
        return Err(err); // --help, --version
    }
    match without_env(command()).try_get_matches_from(args) {
        Err(plain) if plain.kind() == err.kind() => Err(plain),
        _ => Err(err),
    }
}

/// `cmd` with no argument read from the environment.
fn without_env(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|arg| arg.env(None))
        .mut_subcommands(without_env)
}

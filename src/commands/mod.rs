//! One thin file per subcommand: parse nothing, decide nothing; call the pipeline and report.
//! [`run`] is the single entry point from `main`.

mod apply;
mod completions;
mod confirm;
mod console;
mod doctor;
mod emulator;
mod graph;
mod habits;
mod import;
mod output;
mod plan;
mod planning;
mod rerun;
mod schema;
pub mod session;
mod show;
mod state;
mod unlock;
mod validate;
mod version;

pub use validate::summary as validate_summary;

use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::error::Error;
use crate::exit::Exit;

/// Parses the command line, runs the command, prints any error once and returns the exit code.
///
/// A command line clap refuses exits 1, like every other error (clap's own default is 2, which
/// `plan --detailed-exitcode` means "changes": a typo in a CI script must not read as drift).
/// Terraform's single-dash spellings (`-auto-approve`, `-out=FILE`) get a hint first.
pub fn run() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match crate::cli::parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e, &args),
    };
    let result = dispatch(cli).and_then(|exit| match console::take_stdout_failure() {
        Some(e) => Err(Error::Stdout(e)),
        None => Ok(exit),
    });
    match result {
        Ok(exit) => exit.into(),
        Err(err) => {
            report(&err);
            Exit::Failure.into()
        }
    }
}

/// Logs go to stderr: warnings by default, more with `-v` (info), `-vv` (debug), `-vvv`
/// (trace), only errors with `-q`; `TAILFORM_LOG` (an `EnvFilter` directive) overrides.
fn init_logging(global: &crate::cli::GlobalArgs) {
    let level = match (global.quiet, global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("TAILFORM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("tailform={level}")));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}

fn dispatch(cli: Cli) -> Result<Exit, Error> {
    init_logging(&cli.global);
    if let Some(dir) = &cli.global.directory {
        std::env::set_current_dir(dir).map_err(|e| Error::io("change to folder", dir, e))?;
    }
    let global = cli.global;
    match cli.command {
        Command::Validate(args) => validate::run(&global, args),
        Command::Schema => schema::run(),
        Command::Emulator(args) => emulator::run(&global, args),
        Command::Completions(args) => Ok(completions::run(&args)),
        Command::Plan(args) => plan::run(&global, args),
        Command::Apply(args) => apply::run(&global, args),
        Command::Destroy(args) => apply::destroy(&global, args),
        Command::Show(args) => show::run(&global, &args),
        Command::Graph(args) => graph::run(&global, &args),
        Command::Doctor(args) => doctor::run(&global, &args),
        Command::Output(args) => output::run(&global, &args),
        Command::Import(args) => import::run(&global, args),
        Command::State(command) => state::run(&global, command),
        Command::Unlock(args) => unlock::run(&global, &args),
        Command::Version(args) => Ok(version::run(&args)),
    }
}

/// Prints clap's message (help and `--version` are not errors) and, for a Terraform spelling, the
/// tailform one.
fn usage_error(e: &clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    let _ = e.print();
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => Exit::Success.into(),
        _ => {
            for hint in args
                .iter()
                .filter_map(|a| habits::spelling_hint(&a.to_string_lossy()))
            {
                console::errln!("hint: {hint}");
            }
            Exit::Failure.into()
        }
    }
}

/// Prints an error and its causes to stderr, once.
fn report(err: &Error) {
    let mut msg = format!("error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        msg.push_str(&format!("\n  caused by: {cause}"));
        source = cause.source();
    }
    console::errln!("{msg}");
}

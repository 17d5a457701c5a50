//! `tailform completions SHELL`: shell completion scripts generated from the clap definitions.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;

/// Prints the completion script for the requested shell on stdout.
pub fn run(args: &CompletionsArgs) -> Exit {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "tailform", &mut std::io::stdout());
    Exit::Success
}

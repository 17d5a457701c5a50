//! The command line (DESIGN §9): clap definitions turned into typed commands. Nothing else lives
//! here; each command's behaviour is in `crate::commands`.
//!
//! Layout: this file has the top-level [`Cli`] and the options every command accepts
//! ([`GlobalArgs`]); `commands` the subcommands and their arguments; `help` which global options
//! each command's `--help` shows and under which heading; `parse` reading the command line (and
//! rendering its errors); `values` the parsers of option values.

use std::path::PathBuf;

use clap::{Args, Parser};

use crate::model::Duration;
use crate::secret::Secret;
use crate::state::Workspace;

mod commands;
mod help;
mod parse;
mod values;

pub use commands::*;
pub use help::{command, heading, shown_globals};
pub use parse::{parse, parse_from};
pub use values::RequestTimeoutError;
use values::{parse_duration, parse_request_timeout, parse_secret};

/// tailform: declarative plan/apply for Tailscale tailnets, OAuth clients and auth keys.
#[derive(Debug, Parser)]
#[command(name = "tailform", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Options accepted before or after the command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts, before or after its name. Each is grouped under a heading in
/// `--help` (see [`heading`]) and shown only in the help of the commands it matters to (see
/// [`shown_globals`]); every command accepts all of them.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Use the embedded API emulator (kept in state/emulator.json): no Tailscale account needed.
    #[arg(long, global = true, help_heading = heading::API)]
    pub emulator: bool,

    /// Tailscale API base URL (plain http:// only for a loopback host).
    #[arg(
        long,
        global = true,
        env = "TAILSCALE_BASE_URL",
        value_name = "URL",
        help_heading = heading::API
    )]
    pub endpoint: Option<String>,

    /// Give up on one API request after this long, at least 1s (retried when that is safe).
    #[arg(
        long,
        global = true,
        default_value = "30s",
        value_name = "DURATION",
        value_parser = parse_request_timeout,
        help_heading = heading::API
    )]
    pub request_timeout: Duration,

    /// The organization's tailnet cap, the original tailnet included.
    #[arg(
        long,
        global = true,
        default_value_t = 10,
        value_name = "N",
        help_heading = heading::API
    )]
    pub max_tailnets: usize,

    /// State file [default: state/tailform.json].
    #[arg(
        long,
        global = true,
        env = "TAILFORM_STATE",
        value_name = "PATH",
        help_heading = heading::STATE
    )]
    pub state: Option<PathBuf>,

    /// Keep the state in PostgreSQL: a libpq URL, `postgres://user@host/db?sslmode=…` (PG*
    /// variables fill in what it leaves out).
    #[arg(
        long,
        global = true,
        env = "TAILFORM_BACKEND",
        value_name = "URL",
        hide_env_values = true,
        value_parser = parse_secret,
        help_heading = heading::STATE
    )]
    pub backend: Option<Secret>,

    /// Which state of a shared backend.
    #[arg(
        long,
        global = true,
        env = "TAILFORM_WORKSPACE",
        default_value = "default",
        value_name = "NAME",
        help_heading = heading::STATE
    )]
    pub workspace: Workspace,

    /// How long to wait for the state lock [default: fail at once].
    #[arg(
        long,
        global = true,
        value_name = "DURATION",
        value_parser = parse_duration,
        help_heading = heading::STATE
    )]
    pub lock_timeout: Option<Duration>,

    /// Let PostgreSQL hold secrets unencrypted (refused by default).
    #[arg(
        long,
        global = true,
        env = "TAILFORM_ALLOW_PLAINTEXT_SECRETS",
        value_parser = clap::builder::BoolishValueParser::new(),
        help_heading = heading::STATE
    )]
    pub allow_plaintext_secrets: bool,

    /// Read a state file even when group or others can read it.
    #[arg(long, global = true, help_heading = heading::STATE)]
    pub insecure_permissions: bool,

    /// Seal secrets to the age recipients in FILE (`age1…` lines), not TAILFORM_PASSPHRASE;
    /// repeatable.
    #[arg(
        long = "age-recipients",
        global = true,
        value_name = "FILE",
        help_heading = heading::ENCRYPTION
    )]
    pub age_recipients: Vec<PathBuf>,

    /// Open secrets with the age identities in FILE (`AGE-SECRET-KEY-1…` lines); repeatable.
    #[arg(
        long = "age-identity",
        global = true,
        value_name = "FILE",
        help_heading = heading::ENCRYPTION
    )]
    pub age_identity: Vec<PathBuf>,

    /// Change to DIR before doing anything.
    #[arg(short = 'C', global = true, value_name = "DIR", help_heading = heading::GLOBAL)]
    pub directory: Option<PathBuf>,

    /// No colour (nor when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true, help_heading = heading::GLOBAL)]
    pub no_color: bool,

    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(
        short,
        long,
        global = true,
        action = clap::ArgAction::Count,
        help_heading = heading::GLOBAL
    )]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(
        short,
        long,
        global = true,
        conflicts_with = "verbose",
        help_heading = heading::GLOBAL
    )]
    pub quiet: bool,

    /// How long to keep retrying an OAuth client created in this run while the API still
    /// refuses it (401/403/404: new credentials take a moment to propagate); 0 disables waiting.
    #[arg(
        long,
        global = true,
        env = "TAILFORM_PROPAGATION_TIMEOUT",
        default_value = "60s",
        value_name = "DURATION",
        value_parser = parse_duration,
        help_heading = heading::API
    )]
    pub propagation_timeout: Duration,

    /// Warn (doctor, plan, apply) when the credential in use — an API key — expires within this
    /// long (0 never warns).
    #[arg(
        long,
        global = true,
        env = "TAILFORM_WARN_EXPIRY",
        default_value = "14d",
        value_name = "DURATION",
        value_parser = parse_duration,
        help_heading = heading::API
    )]
    pub warn_expiry: Duration,
}

#[cfg(test)]
mod tests;

//! The command line (DESIGN §9): clap definitions turned into typed commands. Nothing else lives
//! here; each command's behaviour is in `crate::commands`.

use std::path::PathBuf;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use crate::address::Address;
use crate::model::{Duration, DurationError};
use crate::secret::Secret;
use crate::state::Workspace;

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

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests without touching the API.
    Validate(ValidateArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the live tailnets match the manifests.
    Apply(ApplyArgs),
    /// Delete everything the state tracks (same guards as apply: `preventDestroy`,
    /// `--allow-destroy`).
    Destroy(DestroyArgs),
    /// Show a saved plan, or the state (secrets redacted).
    Show(ShowArgs),
    /// Print the plan's dependency graph as Graphviz DOT.
    Graph(GraphArgs),
    /// Check the credential, its scopes and every tailnet's reach before a real apply
    /// (read-only; exit 1 on any problem).
    Doctor(DoctorArgs),
    /// Print secrets and ids from the state.
    Output(OutputArgs),
    /// Adopt an existing object into the state.
    Import(ImportArgs),
    /// Inspect or edit the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Remove a stale state lock.
    Unlock(UnlockArgs),
    /// Serve the local Tailscale API emulator.
    Emulator(EmulatorArgs),
    /// Print the manifest JSON Schema (for editors).
    Schema,
    /// Print shell completions.
    Completions(CompletionsArgs),
    /// Print the version and the commit it was built from.
    Version(VersionArgs),
}

/// `tailform version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = VersionFormat::Text)]
    pub format: VersionFormat,
}

/// Formats for `tailform version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionFormat {
    /// `tailform 0.1.0 (commit …, target)`.
    Text,
    /// `{"version", "commit", "target"}`.
    Json,
}

/// Manifest inputs shared by validate, plan and apply.
#[derive(Debug, Clone, Args)]
pub struct ManifestArgs {
    /// Manifest file or folder (all *.yaml / *.yml inside, sorted); repeatable
    /// [default: tailform.yaml].
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
}

/// `tailform validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Manifests to check.
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Output format: text (with source snippets), json (a list of diagnostics), github
    /// (GitHub Actions `::error` annotations).
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Text, hide_possible_values = true)]
    pub format: DiagnosticFormat,
}

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Human-readable, with source snippets.
    Text,
    /// A JSON list of diagnostics.
    Json,
    /// GitHub Actions `::error` annotations.
    Github,
}

/// Plan output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Terraform-like text.
    Text,
    /// Terraform-compatible JSON (`format_version`, `resource_changes`).
    Json,
    /// Markdown for pull-request comments.
    Markdown,
}

/// Options that shape a plan (shared by plan and apply).
#[derive(Debug, Clone, Args)]
pub struct PlanOptions {
    /// Limit the plan to ADDR and what it depends on; repeatable.
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<Address>,
    /// Force a replace of ADDR (e.g. to rotate a leaked key now); repeatable.
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<Address>,
    /// Allow deleting or replacing tailnets whose manifest says `preventDestroy: false`.
    #[arg(long)]
    pub allow_destroy: bool,
}

/// `tailform plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Manifests.
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Plan shaping.
    #[command(flatten)]
    pub options: PlanOptions,
    /// Save the plan to FILE for `tailform apply FILE` (never contains a secret).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format: text (Terraform-like), json (the keys of `terraform show -json`),
    /// markdown (a pull-request comment).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text, hide_possible_values = true)]
    pub format: PlanFormat,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Show drift only; plan no changes.
    #[arg(long)]
    pub refresh_only: bool,
}

/// `tailform apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `tailform plan --out` (applied without a prompt, refused when stale).
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Manifests.
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Plan shaping.
    #[command(flatten)]
    pub options: PlanOptions,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Maximum concurrent API operations.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// If the state cannot be saved, print the secrets held only in memory in clear (they are
    /// printed redacted otherwise).
    #[arg(long)]
    pub reveal_on_failure: bool,
    /// Accept drift into the state: forget records whose objects are gone, record live
    /// expiries and policy edits; never create, update or delete anything.
    #[arg(long)]
    pub refresh_only: bool,
}

/// `tailform destroy`.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Destroy only ADDR (a tailnet: with everything in it); repeatable. The rest stays as the
    /// manifests declare it, so they are read (`-f`).
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<Address>,
    /// Manifests, read only with --target [default: tailform.yaml].
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Allow deleting tailnets whose last apply recorded `preventDestroy: false`.
    #[arg(long)]
    pub allow_destroy: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Maximum concurrent API operations.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// If the state cannot be saved, print the secrets held only in memory in clear.
    #[arg(long)]
    pub reveal_on_failure: bool,
}

impl DestroyArgs {
    /// The apply that destroys: no manifests, only these options.
    pub fn into_apply(self) -> ApplyArgs {
        ApplyArgs {
            plan_file: None,
            manifests: self.manifests,
            options: PlanOptions {
                target: self.target,
                replace: Vec::new(),
                allow_destroy: self.allow_destroy,
            },
            auto_approve: self.auto_approve,
            parallelism: self.parallelism,
            reveal_on_failure: self.reveal_on_failure,
            refresh_only: false,
        }
    }
}

/// `tailform show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan saved by `tailform plan --out`; without it, the state.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
    pub format: ShowFormat,
}

/// Formats for `tailform show`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// For people.
    Text,
    /// Terraform's `show -json` shapes (a plan's `resource_changes`; the state's `values`).
    Json,
}

/// `tailform graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// Graph this saved plan instead of planning now.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// Manifests.
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Plan shaping.
    #[command(flatten)]
    pub options: PlanOptions,
}

/// `tailform doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Manifests whose tailnets to check [default: tailform.yaml when it exists].
    #[command(flatten)]
    pub manifests: ManifestArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// Formats for `tailform doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One line per finding and a summary.
    Text,
    /// A JSON document (`format_version`, `findings`).
    Json,
}

/// Formats for `tailform output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One `address  value` line per secret.
    Text,
    /// A JSON object keyed by address.
    Json,
    /// `NAME=value` lines for shell `eval`.
    Env,
}

/// `tailform output`.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Only this address.
    #[arg(value_name = "ADDR")]
    pub address: Option<Address>,
    /// Output format: text (`address  value` lines), json (an object keyed by address), env
    /// (`NAME='value'` lines for `eval`).
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, hide_possible_values = true)]
    pub format: OutputFormat,
    /// Show secret values on a terminal (they are always shown when stdout is not a terminal).
    #[arg(long)]
    pub reveal: bool,
    /// Manifests, for `envName:` overrides [default: tailform.yaml when it exists].
    #[command(flatten)]
    pub manifests: ManifestArgs,
}

/// `tailform import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Address to import into.
    #[arg(value_name = "ADDR")]
    pub address: Address,
    /// Live id (tailnet id `T…`, client or key id `k…`).
    #[arg(value_name = "ID")]
    pub id: String,
    /// Manifests (the address must be declared).
    #[command(flatten)]
    pub manifests: ManifestArgs,
}

/// `tailform state …`.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the addresses in the state.
    List,
    /// Show one object's state (secrets redacted).
    Show {
        /// The address.
        #[arg(value_name = "ADDR")]
        address: Address,
    },
    /// Forget an object (it stays live, unmanaged). A record holding a secret asks first: the
    /// secret is gone with it.
    Rm {
        /// The address.
        #[arg(value_name = "ADDR")]
        address: Address,
        /// Remove it without asking, even when its secret is lost with it.
        #[arg(long)]
        force: bool,
    },
    /// Rename a record (its object, id and secret stay): `state mv FROM TO`, as a `moved:`
    /// entry does. Same kind only; an OAuth client or auth key stays in its tailnet.
    Mv {
        /// The address in the state.
        #[arg(value_name = "FROM")]
        from: Address,
        /// The new address.
        #[arg(value_name = "TO")]
        to: Address,
    },
    /// Encrypt the state's secrets (with TAILFORM_PASSPHRASE or --age-recipients) and enforce
    /// encryption from now on.
    Encrypt,
    /// Write the state's secrets in plaintext again (needs the key that opens them).
    Decrypt,
    /// Copy this backend's state to another backend (for example the local file to PostgreSQL).
    Push {
        /// Where to: a `postgres://` URL (the workspace is --workspace) or a state file path.
        #[arg(long, value_name = "URL|PATH", value_parser = parse_secret)]
        to: Secret,
        /// Overwrite a destination with another lineage or a newer serial.
        #[arg(long)]
        force: bool,
    },
    /// Copy another backend's state into this one (for example PostgreSQL to a local file).
    Pull {
        /// Where from: a `postgres://` URL (the workspace is --workspace) or a state file path.
        #[arg(long, value_name = "URL|PATH", value_parser = parse_secret)]
        from: Secret,
        /// Overwrite this backend's state when it has another lineage or a newer serial.
        #[arg(long)]
        force: bool,
    },
    /// List the workspaces (named states) the backend holds.
    Workspaces,
}

/// `tailform unlock`.
#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The lock id printed by the failed command.
    #[arg(value_name = "LOCK_ID")]
    pub lock_id: String,
}

/// `tailform emulator`.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// Address to listen on (loopback only).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "HOST:PORT")]
    pub listen: String,
    /// Persist everything in FILE (atomically) across restarts.
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// Seed for deterministic ids and secrets.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Fixed id for the organization's OAuth client.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Fixed secret for the organization's OAuth client.
    #[arg(long, value_name = "SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
}

/// `tailform completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The headings global options are listed under in `--help`, after the command's own options.
pub mod heading {
    /// Where the API is and how it is reached.
    pub const API: &str = "API options";
    /// Where the state lives and how it is locked and read.
    pub const STATE: &str = "State options";
    /// The keys that seal and open the state's secrets.
    pub const ENCRYPTION: &str = "Encryption options";
    /// Options that matter to every command.
    pub const GLOBAL: &str = "Global options";
}

/// Groups of global options, by what a command does with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Uses {
    /// Talks to the Tailscale API: `--emulator`, `--endpoint`, `--request-timeout` and the
    /// tailnet cap.
    Api,
    /// Validates manifests or serves the emulator: the tailnet cap (`--max-tailnets`).
    TailnetCap,
    /// Reads the state: `--state`, `--backend`, `--workspace`, `--insecure-permissions`.
    ReadsState,
    /// Locks the state: `--lock-timeout`.
    Locks,
    /// Writes the state: `--allow-plaintext-secrets`.
    WritesState,
    /// Opens sealed secrets: `--age-identity`.
    OpensSecrets,
    /// Seals secrets: `--age-recipients`.
    SealsSecrets,
    /// Checks the credential's expiry: `--warn-expiry`.
    WarnsExpiry,
}

/// The global options of each group, by clap id (the field name).
fn group(uses: Uses) -> &'static [&'static str] {
    match uses {
        Uses::Api => &["emulator", "endpoint", "request_timeout", "max_tailnets"],
        Uses::TailnetCap => &["max_tailnets"],
        Uses::ReadsState => &["state", "backend", "workspace", "insecure_permissions"],
        Uses::Locks => &["lock_timeout"],
        Uses::WritesState => &["allow_plaintext_secrets", "propagation_timeout"],
        Uses::OpensSecrets => &["age_identity"],
        Uses::SealsSecrets => &["age_recipients"],
        Uses::WarnsExpiry => &["warn_expiry"],
    }
}

/// What each command does, which decides the global options its `--help` shows (they are
/// accepted everywhere). The key is the command's path below `tailform`. A command not listed
/// here shows them all: add a line when adding a command (a test checks that each is listed).
const COMMAND_USES: &[(&str, &[Uses])] = {
    use Uses::*;
    const EVERYTHING: &[Uses] = &[
        Api,
        ReadsState,
        Locks,
        WritesState,
        OpensSecrets,
        SealsSecrets,
        WarnsExpiry,
    ];
    const COPIES_STATE: &[Uses] = &[ReadsState, Locks, WritesState, OpensSecrets, SealsSecrets];
    &[
        ("validate", &[TailnetCap]),
        // Plan locks the state and opens tailnets' own OAuth client secrets; it writes nothing.
        ("plan", &[Api, ReadsState, Locks, OpensSecrets, WarnsExpiry]),
        ("apply", EVERYTHING),
        ("destroy", EVERYTHING),
        // Graph makes a plan (or reads a saved one) and prints it.
        ("graph", &[Api, ReadsState, Locks, OpensSecrets]),
        // Doctor reads the state (tailnets' own OAuth clients) and writes nothing.
        ("doctor", &[Api, ReadsState, OpensSecrets, WarnsExpiry]),
        // Show prints a saved plan or the state, secrets redacted.
        ("show", &[ReadsState]),
        (
            "import",
            &[
                Api,
                ReadsState,
                Locks,
                WritesState,
                OpensSecrets,
                SealsSecrets,
            ],
        ),
        ("output", &[ReadsState, OpensSecrets]),
        ("state", &[ReadsState]),
        ("state list", &[ReadsState]),
        ("state show", &[ReadsState]),
        ("state rm", &[ReadsState, Locks, WritesState]),
        ("state mv", &[ReadsState, Locks, WritesState]),
        ("state encrypt", COPIES_STATE),
        ("state decrypt", COPIES_STATE),
        ("state push", COPIES_STATE),
        ("state pull", COPIES_STATE),
        ("state workspaces", &[ReadsState]),
        ("unlock", &[ReadsState]),
        ("emulator", &[TailnetCap]),
        ("schema", &[]),
        ("completions", &[]),
        ("version", &[]),
    ]
};

/// The global options (by clap id) that `path`'s help shows, or `None` for all of them.
pub fn shown_globals(path: &str) -> Option<Vec<&'static str>> {
    let (_, uses) = COMMAND_USES.iter().find(|(p, _)| *p == path)?;
    let mut ids: Vec<&str> = uses
        .iter()
        .flat_map(|u| group(*u).iter().copied())
        .collect();
    ids.extend(["directory", "no_color", "verbose", "quiet"]);
    Some(ids)
}

/// The command line as clap sees it: [`Cli`] with each command's help showing only the global
/// options that matter to it ([`shown_globals`]); the others stay accepted, and hidden.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    // Building propagates the global options into every subcommand, where they can be hidden.
    cmd.build();
    let globals: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    for sub in cmd.get_subcommands_mut() {
        hide_unused_globals(sub, "", &globals);
    }
    cmd
}

fn hide_unused_globals(cmd: &mut clap::Command, parent: &str, globals: &[String]) {
    let path = if parent.is_empty() {
        cmd.get_name().to_owned()
    } else {
        format!("{parent} {}", cmd.get_name())
    };
    if let Some(shown) = shown_globals(&path) {
        let mut hidden = false;
        let taken = std::mem::take(cmd).mut_args(|arg| {
            let id = arg.get_id().as_str();
            if globals.iter().any(|g| g == id) && !shown.contains(&id) {
                hidden = true;
                arg.hide(true)
            } else {
                arg
            }
        });
        *cmd = if hidden {
            taken.after_help("The other options of `tailform --help` are accepted too.")
        } else {
            taken
        };
    }
    for sub in cmd.get_subcommands_mut() {
        hide_unused_globals(sub, &path, globals);
    }
}

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

/// A value that may hold a password (a database URL): redacted in `Debug`.
fn parse_secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    Duration::parse(s).map_err(|e| e.to_string())
}

/// Why a `--request-timeout` value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestTimeoutError {
    /// Not a duration.
    #[error(transparent)]
    Duration(#[from] DurationError),
    /// Zero: no request could ever finish (and a zero timer is no limit to some clients).
    #[error("a request timeout must be at least 1s (`{given}` is zero); the default is 30s")]
    Zero {
        /// The value as written.
        given: String,
    },
}

fn parse_request_timeout(s: &str) -> Result<Duration, RequestTimeoutError> {
    let timeout = Duration::parse(s)?;
    if timeout == Duration::ZERO {
        return Err(RequestTimeoutError::Zero {
            given: s.trim().to_owned(),
        });
    }
    Ok(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_command_in_the_help_table_exists_and_each_grouped_option_is_global() {
        let cmd = command();
        let globals: Vec<String> = cmd
            .get_arguments()
            .filter(|a| a.is_global_set())
            .map(|a| a.get_id().to_string())
            .collect();
        for (path, uses) in COMMAND_USES {
            let mut sub = &cmd;
            for name in path.split(' ') {
                sub = sub
                    .find_subcommand(name)
                    .unwrap_or_else(|| panic!("`{path}` is not a command"));
            }
            for id in uses.iter().flat_map(|u| group(*u)) {
                assert!(
                    globals.iter().any(|g| g == id),
                    "`{id}` is not a global option"
                );
            }
        }
    }

    #[test]
    fn every_command_is_in_the_help_table() {
        fn walk(cmd: &clap::Command, parent: &str, out: &mut Vec<String>) {
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let path = if parent.is_empty() {
                    sub.get_name().to_owned()
                } else {
                    format!("{parent} {}", sub.get_name())
                };
                walk(sub, &path, out);
                out.push(path);
            }
        }
        let mut paths = Vec::new();
        walk(&command(), "", &mut paths);
        for path in paths {
            assert!(
                COMMAND_USES.iter().any(|(p, _)| *p == path),
                "`{path}` is missing from COMMAND_USES"
            );
        }
    }

    #[test]
    fn a_hidden_global_option_is_still_accepted() {
        let args: Vec<std::ffi::OsString> = [
            "tailform",
            "schema",
            "--request-timeout",
            "5s",
            "--state",
            "x.json",
        ]
        .map(Into::into)
        .to_vec();
        let cli = parse_from(&args).unwrap();
        assert_eq!(cli.global.request_timeout, Duration::from_secs(5));
        let help = command()
            .find_subcommand_mut("schema")
            .unwrap()
            .render_help()
            .to_string();
        assert!(!help.contains("--request-timeout"), "{help}");
        assert!(help.contains("Global options:\n  -C <DIR>"), "{help}");
    }

    #[test]
    fn global_options_after_the_command() {
        let cli = Cli::try_parse_from(["tailform", "plan", "-v", "--state", "x.json"]).unwrap();
        assert_eq!(cli.global.verbose, 1);
        assert_eq!(cli.global.state, Some(PathBuf::from("x.json")));
    }

    #[test]
    fn the_propagation_timeout_defaults_to_a_minute_and_may_be_zero() {
        let cli = Cli::try_parse_from(["tailform", "plan"]).unwrap();
        assert_eq!(cli.global.propagation_timeout, Duration::from_secs(60));
        let cli = Cli::try_parse_from(["tailform", "apply", "--propagation-timeout", "0"]).unwrap();
        assert_eq!(cli.global.propagation_timeout, Duration::ZERO);
    }

    #[test]
    fn a_request_timeout_is_at_least_one_second() {
        assert_eq!(parse_request_timeout("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(
            parse_request_timeout("0m"),
            Err(RequestTimeoutError::Zero { given: "0m".into() })
        );
        assert!(matches!(
            parse_request_timeout("soon"),
            Err(RequestTimeoutError::Duration(_))
        ));
    }
}

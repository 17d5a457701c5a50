//! The subcommands and their arguments.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use crate::address::Address;
use crate::secret::Secret;

use super::values::parse_secret;

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

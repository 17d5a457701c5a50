//! Which global options each command's `--help` shows, and under which heading: every command
//! accepts all of them, but lists only those it uses.

use clap::CommandFactory;

use super::Cli;

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
pub(super) enum Uses {
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
pub(super) fn group(uses: Uses) -> &'static [&'static str] {
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
pub(super) const COMMAND_USES: &[(&str, &[Uses])] = {
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

//! What plan, apply and the state commands share: the manifests, the state backend (the state
//! file, or PostgreSQL with `--backend`) and its lock, the async runtime, the API client and the
//! organization credential — with `--emulator`, an embedded emulator persisted next to the
//! state, its credentials wired automatically.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::api::{Client, ClientConfig, Credential};
use crate::cli::GlobalArgs;
use crate::emulator::{Emulator, EmulatorConfig};
use crate::error::Error;
use crate::model::Desired;
use crate::seal::{Keys, Mode, Sealer};
use crate::state::postgres::{PostgresBackend, Target};
use crate::state::{Backend, FileBackend, LockGuard, StateFile};
use crate::validate::{self, Diagnostic, TextOptions, ValidateOptions};

/// The default state file.
pub const DEFAULT_STATE: &str = "state/tailform.json";
/// The API endpoint without `--endpoint` or `TAILSCALE_BASE_URL`.
pub const DEFAULT_ENDPOINT: &str = "https://api.tailscale.com";
/// The embedded emulator's data file, next to the state file.
pub const EMULATOR_DATA: &str = "emulator.json";

/// The state file path.
pub fn state_path(global: &GlobalArgs) -> PathBuf {
    global
        .state
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE))
}

/// The state's backend — PostgreSQL with `--backend`, the state file otherwise — with
/// encryption at rest configured from the environment and the `--age-recipients` /
/// `--age-identity` files.
pub fn backend(global: &GlobalArgs) -> Result<Box<dyn Backend>, Error> {
    backend_with(global, Mode::Keep)
}

/// The state's backend, with a given encryption mode (`state encrypt` / `state decrypt`).
pub fn backend_with(global: &GlobalArgs, mode: Mode) -> Result<Box<dyn Backend>, Error> {
    configured(global, mode, true)
}

/// The configured backend as one side of `state push` / `state pull`: there `--workspace`
/// names the other side's workspace when this side is the state file.
pub fn backend_to_copy(global: &GlobalArgs) -> Result<Box<dyn Backend>, Error> {
    configured(global, Mode::Keep, false)
}

fn configured(
    global: &GlobalArgs,
    mode: Mode,
    workspace_applies: bool,
) -> Result<Box<dyn Backend>, Error> {
    match &global.backend {
        Some(url) => {
            if global.state.is_some() {
                return Err(Error::Usage(
                    "both --state (TAILFORM_STATE) and --backend (TAILFORM_BACKEND) say where \
                     the state lives: use one"
                        .into(),
                ));
            }
            if !Target::is_url(url.expose()) {
                return Err(Error::Usage(
                    "--backend (TAILFORM_BACKEND) takes a `postgres://` URL; a state file is \
                     named with --state PATH"
                        .into(),
                ));
            }
            backend_at(global, url.expose(), mode)
        }
        None if workspace_applies && !global.workspace.is_default() => Err(Error::Usage(format!(
            "workspace `{}` needs a shared backend (--backend postgres://…); a state file holds \
             one state — use --state PATH for another",
            global.workspace
        ))),
        None => backend_at(global, &state_path(global).to_string_lossy(), mode),
    }
}

/// The backend `spec` names: a `postgres://` URL (workspace `--workspace`) or a state file
/// path. `state push` / `state pull` name the other side this way.
pub fn backend_at(global: &GlobalArgs, spec: &str, mode: Mode) -> Result<Box<dyn Backend>, Error> {
    if !Target::is_url(spec) {
        return Ok(Box::new(FileBackend::new(state_file_at(
            global,
            spec.into(),
            mode,
        )?)));
    }
    let var = |name: &str| std::env::var(name).ok();
    let target = Target::parse(spec, var)?;
    // A shared database gets encrypted secrets unless the user opts out.
    let user_enforce = var("TAILFORM_ENCRYPTION_ENFORCE").is_some();
    let enforce = !global.allow_plaintext_secrets;
    let keys = Keys::load(
        |name| match name {
            "TAILFORM_ENCRYPTION_ENFORCE" if enforce => Some("1".to_owned()),
            _ => var(name),
        },
        &global.age_recipients,
        &global.age_identity,
    )?;
    let backend = PostgresBackend::connect(
        &target,
        global.workspace.clone(),
        Sealer::new(keys).mode(mode),
    )?
    .enforced_by_default(enforce && !user_enforce);
    Ok(Box::new(backend))
}

fn state_file_at(global: &GlobalArgs, path: PathBuf, mode: Mode) -> Result<StateFile, Error> {
    let keys = Keys::load(
        |name| std::env::var(name).ok(),
        &global.age_recipients,
        &global.age_identity,
    )?;
    Ok(StateFile::new(path)
        .allow_insecure_permissions(global.insecure_permissions)
        .sealer(Sealer::new(keys).mode(mode)))
}

/// Takes the state lock for `operation`, waiting up to `--lock-timeout`.
pub fn lock(
    global: &GlobalArgs,
    backend: &mut dyn Backend,
    operation: &str,
) -> Result<LockGuard, Error> {
    let timeout = Duration::from_secs(global.lock_timeout.map_or(0, |d| d.as_secs()));
    Ok(backend.lock(operation, timeout)?)
}

/// True when stderr gets colour.
pub fn stderr_color(global: &GlobalArgs) -> bool {
    !global.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// True when stdout gets colour.
pub fn stdout_color(global: &GlobalArgs) -> bool {
    !global.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
}

/// Loads and validates the manifests; prints every diagnostic (warnings too) to stderr.
pub fn manifests(global: &GlobalArgs, files: &[PathBuf]) -> Result<Desired, Error> {
    manifests_or_diagnostics(global, files).map_err(|diags| manifests_error(&diags))
}

/// The error for invalid manifests with these diagnostics.
pub fn manifests_error(diags: &[Diagnostic]) -> Error {
    Error::Manifests {
        errors: diags.iter().filter(|d| d.is_error()).count(),
    }
}

/// [`manifests`], returning the diagnostics when the manifests are invalid (`plan --format
/// json` puts them in its document; [`manifests_error`] is the error).
pub fn manifests_or_diagnostics(
    global: &GlobalArgs,
    files: &[PathBuf],
) -> Result<Desired, Vec<Diagnostic>> {
    let opts = ValidateOptions {
        max_tailnets: global.max_tailnets,
    };
    match validate::load_and_validate(files, &opts) {
        Ok(v) => {
            if !global.quiet {
                print_diagnostics(global, &v.warnings);
            }
            Ok(v.desired)
        }
        Err(diags) => {
            print_diagnostics(global, &diags);
            Err(diags)
        }
    }
}

fn print_diagnostics(global: &GlobalArgs, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let opts = TextOptions {
        color: stderr_color(global),
        ..TextOptions::default()
    };
    let _ = validate::render_text(&mut std::io::stderr().lock(), diags, opts);
}

/// The runtime, client and credential of a command that talks to the API.
pub struct Session {
    /// The async runtime every API call runs on.
    pub runtime: tokio::runtime::Runtime,
    /// The API client.
    pub client: Client,
    /// The organization credential.
    pub org: Credential,
    emulator: Option<Emulator>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("client", &self.client)
            .field("org", &self.org)
            .field("emulator", &self.emulator.is_some())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Opens a session: the endpoint from `--endpoint`/`TAILSCALE_BASE_URL` and the credential
    /// from the environment, or with `--emulator` the embedded emulator.
    pub fn open(global: &GlobalArgs) -> Result<Session, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("start", "the async runtime", e))?;
        if global.emulator {
            StateFile::new(state_path(global))
                .ensure_folder()
                .map_err(|e| Error::io("create folder for", state_path(global), e))?;
            let data = emulator_data_path(&state_path(global));
            let config = EmulatorConfig {
                data: Some(data),
                max_tailnets: global.max_tailnets,
                ..EmulatorConfig::default()
            };
            let emulator = runtime.block_on(Emulator::start(config))?;
            let client = Client::new(client_config(global, emulator.base_url()))?;
            print_waits(&client, global.quiet);
            let org = Credential::oauth(
                emulator.org_client_id().to_owned(),
                emulator.org_client_secret().clone(),
            );
            return Ok(Session {
                runtime,
                client,
                org,
                emulator: Some(emulator),
            });
        }
        let endpoint = global
            .endpoint
            .clone()
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned());
        let org = crate::credentials::from_env()?;
        let client = Client::new(client_config(global, &endpoint))?;
        print_waits(&client, global.quiet);
        Ok(Session {
            runtime,
            client,
            org,
            emulator: None,
        })
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(emulator) = self.emulator.take() {
            self.runtime.block_on(emulator.shutdown());
        }
    }
}

fn client_config(global: &GlobalArgs, base_url: &str) -> ClientConfig {
    let mut config = ClientConfig::new(base_url);
    config.timeout = Duration::from_secs(global.request_timeout.as_secs().max(1));
    config.propagation.timeout = Duration::from_secs(global.propagation_timeout.as_secs());
    config
}

/// Prints each wait for a new credential on stderr (plain lines; apply's progress takes over
/// during its walk), unless `--quiet`.
pub(super) fn print_waits(client: &Client, quiet: bool) {
    if quiet {
        client.set_wait_observer(None);
        return;
    }
    client.set_wait_observer(Some(std::sync::Arc::new(|wait| {
        super::console::write_err(format_args!("{wait}\n"));
    })));
}

/// `state/emulator.json` for `state/tailform.json`.
pub fn emulator_data_path(state: &Path) -> PathBuf {
    state
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
        .join(EMULATOR_DATA)
}

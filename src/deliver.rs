//! Delivery of a new secret to where it is used (issue 6): `deliver:` sinks run after an OAuth
//! client or auth key is created or rotated — a file written with mode 0600, atomically; or a
//! command that gets the secret on **stdin only** (never in its argv or environment). This module
//! owns the sink value and the I/O of running one; the plan decides when.
//!
//! **A command's environment** is tailform's own minus tailform's credentials and keys
//! ([`is_withheld`]): every `TAILFORM_*` variable (`TAILFORM_PASSPHRASE`,
//! `TAILFORM_PASSPHRASE_FALLBACK`, `TAILFORM_BACKEND` — a database URL that may hold a password —
//! and the `TAILFORM_…` names `tailform output --format env` exports secrets under), the
//! organization credential ([`crate::credentials::ENV_VARS`]: `TAILSCALE_OAUTH_CLIENT_ID`,
//! `TAILSCALE_OAUTH_CLIENT_SECRET`, `TAILSCALE_API_KEY`, `OAUTH_CLIENT_ID`,
//! `OAUTH_CLIENT_SECRET`) and the backend's `PGPASSWORD`. Everything else passes through
//! unchanged — `PATH`, `HOME`, `VAULT_ADDR`, `VAULT_TOKEN`, `AWS_*`, `TAILSCALE_BASE_URL`, … — so
//! the tool a command runs finds its own configuration and credentials (an allow-list would break
//! exactly those).

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::model::{Delivery, Origin};
use crate::secret::Secret;

/// How long a delivery command may run.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The libpq password variable the PostgreSQL backend reads.
const PGPASSWORD: &str = "PGPASSWORD";

/// One resolved `deliver:` entry (no secret: it is read from the state when the step runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Sink {
    /// Write the secret to this file.
    File {
        /// The file (relative paths resolved against the declaring manifest's folder).
        path: PathBuf,
    },
    /// Run this program with the secret on stdin.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Working folder (the declaring manifest's).
        dir: PathBuf,
    },
}

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The file could not be written.
    #[error("cannot write `{}`: {detail}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The OS error.
        detail: String,
    },
    /// The command could not start.
    #[error("cannot run `{program}`: {detail}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        detail: String,
    },
    /// The command failed.
    #[error("`{program}` exited with {status}{stderr}")]
    Failed {
        /// The program.
        program: String,
        /// Its exit status.
        status: String,
        /// The start of its stderr (the secret scrubbed out), prefixed with `: `.
        stderr: String,
    },
    /// The command ran too long.
    #[error("`{program}` did not finish within {} s", COMMAND_TIMEOUT.as_secs())]
    Timeout {
        /// The program.
        program: String,
    },
}

impl Sink {
    /// Resolves a manifest entry against the folder of the manifest that declares it.
    pub fn resolve(delivery: &Delivery, origin: &Origin) -> Self {
        let dir = origin.dir().to_path_buf();
        match delivery {
            Delivery::File { path } => Sink::File {
                path: dir.join(path),
            },
            Delivery::Command { argv } => Sink::Command {
                argv: argv.clone(),
                dir,
            },
        }
    }

    /// A stable id, recorded in the state once this sink has the current secret.
    pub fn id(&self) -> String {
        match self {
            Sink::File { path } => format!("file:{}", path.display()),
            Sink::Command { argv, .. } => format!(
                "command:{}",
                serde_json::to_string(argv).expect("strings serialise")
            ),
        }
    }

    /// For humans: `file secrets/web.key`, `command vault kv put …`.
    pub fn describe(&self) -> String {
        match self {
            Sink::File { path } => format!("file {}", path.display()),
            Sink::Command { argv, .. } => format!("command `{}`", argv.join(" ")),
        }
    }

    /// Hands `secret` to the sink.
    pub async fn deliver(&self, secret: &Secret) -> Result<(), DeliveryError> {
        match self {
            Sink::File { path } => {
                let path = path.clone();
                let bytes = secret.expose().as_bytes().to_vec();
                tokio::task::spawn_blocking(move || write_private(&path, &bytes))
                    .await
                    .unwrap_or_else(|e| {
                        Err(DeliveryError::File {
                            path: PathBuf::new(),
                            detail: e.to_string(),
                        })
                    })
            }
            Sink::Command { argv, dir } => run_command(argv, dir, secret).await,
        }
    }
}

/// Writes `bytes` to `path` with mode 0600, atomically (temporary file in the same folder,
/// fsync, rename); creates a missing folder with mode 0700.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DeliveryError> {
    let err = |e: std::io::Error| DeliveryError::File {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(err)?;
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".tailform-deliver-")
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(&dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

async fn run_command(argv: &[String], dir: &Path, secret: &Secret) -> Result<(), DeliveryError> {
    let program = argv.first().cloned().unwrap_or_default();
    // A relative path with a `/` (`./deliver.sh`) means the manifest's folder; say so explicitly
    // (how std resolves a relative program with another working folder is platform-specific).
    let resolved = if program.contains('/') && Path::new(&program).is_relative() {
        dir.join(&program)
    } else {
        PathBuf::from(&program)
    };
    let mut command = tokio::process::Command::new(&resolved);
    for (name, _) in std::env::vars_os() {
        if is_withheld(&name) {
            command.env_remove(name);
        }
    }
    let mut child = command
        .arg0(&program)
        .args(&argv[1..])
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| DeliveryError::Spawn {
            program: program.clone(),
            detail: e.to_string(),
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its stdin is its own business: only the exit status counts.
        let _ = stdin.write_all(secret.expose().as_bytes()).await;
        drop(stdin);
    }
    let output = match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => {
            return Err(DeliveryError::Spawn {
                program,
                detail: e.to_string(),
            });
        }
        Err(_) => return Err(DeliveryError::Timeout { program }),
    };
    if output.status.success() {
        return Ok(());
    }
    let mut stderr: String = String::from_utf8_lossy(&output.stderr)
        .chars()
        .take(300)
        .collect();
    stderr = stderr
        .replace(secret.expose(), crate::secret::REDACTED)
        .trim()
        .to_owned();
    Err(DeliveryError::Failed {
        program,
        status: output.status.to_string(),
        stderr: if stderr.is_empty() {
            String::new()
        } else {
            format!(": {stderr}")
        },
    })
}

/// True for a variable of tailform's environment that a delivery command does not inherit (the
/// list is in the module doc): every `TAILFORM_*` name, the organization credential and
/// `PGPASSWORD`.
pub fn is_withheld(name: &OsStr) -> bool {
    let name = name.as_bytes();
    name.starts_with(b"TAILFORM_")
        || name == PGPASSWORD.as_bytes()
        || crate::credentials::ENV_VARS
            .iter()
            .any(|v| v.as_bytes() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[tokio::test]
    async fn file_sink_writes_0600_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Sink::File {
            path: dir.path().join("new/sub/web.key"),
        };
        sink.deliver(&Secret::new("s3cr3t")).await.unwrap();
        let path = dir.path().join("new/sub/web.key");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cr3t");
        assert_eq!(std::fs::metadata(&path).unwrap().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::metadata(dir.path().join("new")).unwrap().mode() & 0o777,
            0o700
        );
        sink.deliver(&Secret::new("rotated")).await.unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "rotated");
    }

    #[test]
    fn tailforms_credentials_and_keys_are_withheld_from_commands() {
        for name in [
            "TAILSCALE_OAUTH_CLIENT_ID",
            "TAILSCALE_OAUTH_CLIENT_SECRET",
            "TAILSCALE_API_KEY",
            "OAUTH_CLIENT_ID",
            "OAUTH_CLIENT_SECRET",
            "TAILFORM_PASSPHRASE",
            "TAILFORM_PASSPHRASE_FALLBACK",
            "TAILFORM_BACKEND",
            "TAILFORM_DEMO_AUTH_KEY_WEB",
            "PGPASSWORD",
        ] {
            assert!(is_withheld(OsStr::new(name)), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "VAULT_TOKEN",
            "TAILSCALE_BASE_URL",
            "PGHOST",
            "TAILFORM",
            "tailform_passphrase",
        ] {
            assert!(!is_withheld(OsStr::new(name)), "{name}");
        }
    }

    #[tokio::test]
    async fn a_failing_command_reports_its_stderr_without_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Sink::Command {
            argv: vec![
                "sh".into(),
                "-c".into(),
                "read s; echo \"bad value $s\" >&2; exit 3".into(),
            ],
            dir: dir.path().to_path_buf(),
        };
        let err = sink.deliver(&Secret::new("topsecret\n")).await.unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            "`sh` exited with exit status: 3: bad value (sensitive value)"
        );
        let missing = Sink::Command {
            argv: vec!["/nonexistent/tool".into()],
            dir: dir.path().to_path_buf(),
        };
        assert!(matches!(
            missing.deliver(&Secret::new("x")).await,
            Err(DeliveryError::Spawn { .. })
        ));
    }
}

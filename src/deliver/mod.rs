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
//!
//! **A command's output** never reaches a message whole: stdout is discarded, and a failure shows
//! the exit status and the first non-blank line of stderr (at most [`STDERR_LINE_CHARS`]
//! characters) with every run of [`MIN_FRAGMENT`] or more characters that appears contiguously in
//! the secret removed ([`scrub_first_line`]). Runs are matched ignoring ASCII case and
//! whitespace, and may continue past the line shown, so a secret wrapped over lines (`fold -w 8`)
//! or cut into pieces by spaces is removed too — also where the first line holds fewer than
//! [`MIN_FRAGMENT`] of its characters and the rest follows on the next lines. A command that
//! encodes the secret some other way (base64, reversed) is beyond recognition.

use std::ffi::OsStr;
use std::ops::Range;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::model::{Delivery, Origin};
use crate::secret::Secret;

/// How long a delivery command may run.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// The shortest run of the secret's characters removed from a failed command's stderr (a
/// secret shorter than this is removed when all of it appears).
pub const MIN_FRAGMENT: usize = 8;

/// How much of a failed command's first stderr line is shown.
pub const STDERR_LINE_CHARS: usize = 200;

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
        /// The delivery target from the manifest's `file:` sink.
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
        /// The first non-blank line of its stderr (runs of the secret removed), prefixed with
        /// `: `; empty when there is none.
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

/// Writes `bytes` to `path` with mode 0600, atomically (`atomic_file`: a symbolic link is
/// written through, a non-regular file refused); creates a missing folder with mode 0700.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), DeliveryError> {
    let err = |e: std::io::Error| DeliveryError::File {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let target = crate::atomic_file::resolve(path).map_err(err)?;
    let dir = crate::atomic_file::folder_of(&target);
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(err)?;
    }
    crate::atomic_file::replace(&target, bytes, 0o600, || Ok(())).map_err(err)
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
    Err(DeliveryError::Failed {
        program,
        status: output.status.to_string(),
        stderr: scrub_first_line(&output.stderr, secret.expose())
            .map(|line| format!(": {line}"))
            .unwrap_or_default(),
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

/// The first non-blank line of `stderr` (at most [`STDERR_LINE_CHARS`] characters, trimmed) with
/// every run of at least [`MIN_FRAGMENT`] characters that appears contiguously in `secret`
/// replaced by one [`REDACTED`](crate::secret::REDACTED); `None` when nothing is left to show.
///
/// Whitespace is skipped on both sides and ASCII case ignored when matching, and a run may go on
/// past the end of the line (the following text is looked at for up to the secret's length), so
/// a wrapped secret is removed from the first line even where that line holds only a short
/// piece of it.
pub fn scrub_first_line(stderr: &[u8], secret: &str) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let start = first_non_blank_line(&text)?;
    let line = text[start..].lines().next().unwrap_or_default();
    let shown_end = start
        + line
            .char_indices()
            .nth(STDERR_LINE_CHARS)
            .map_or(line.len(), |(i, _)| i);
    let needle: Vec<char> = comparable(secret).map(|(_, c)| c).collect();
    // The characters that may begin or continue a run overlapping the part shown.
    let hay: Vec<(usize, char)> = comparable(&text[start..])
        .map(|(i, c)| (start + i, c))
        .scan(0usize, |past, (i, c)| {
            if i >= shown_end {
                *past += 1;
            }
            (*past <= needle.len()).then_some((i, c))
        })
        .collect();
    let min = MIN_FRAGMENT.min(needle.len());
    // Every run that is long enough, merged where they overlap or touch.
    let mut removed: Vec<Range<usize>> = Vec::new();
    for i in (0..hay.len()).take_while(|&i| min > 0 && hay[i].0 < shown_end) {
        let run = longest_run_at(&hay[i..], &needle);
        if run < min {
            continue;
        }
        let (last, c) = hay[i + run - 1];
        let range = hay[i].0..last + c.len_utf8();
        match removed.last_mut() {
            Some(prev) if range.start <= prev.end => prev.end = prev.end.max(range.end),
            _ => removed.push(range),
        }
    }
    let mut out = String::new();
    let mut at = start;
    for range in removed {
        if range.start >= shown_end {
            break;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(crate::secret::REDACTED);
        at = range.end.min(shown_end);
    }
    if at < shown_end {
        out.push_str(&text[at..shown_end]);
    }
    let out = out.trim();
    (!out.is_empty()).then(|| out.to_owned())
}

/// The byte offset of the first line with a non-whitespace character.
fn first_non_blank_line(text: &str) -> Option<usize> {
    let first = text.find(|c: char| !c.is_whitespace())?;
    Some(text[..first].rfind('\n').map_or(0, |nl| nl + 1))
}

/// The characters of `text` that take part in matching (no whitespace), lower-cased, with their
/// byte offsets.
fn comparable(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    text.char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(i, c)| (i, c.to_ascii_lowercase()))
}

/// The length of the longest prefix of `hay` that appears contiguously in `needle`.
fn longest_run_at(hay: &[(usize, char)], needle: &[char]) -> usize {
    (0..needle.len())
        .map(|j| {
            hay.iter()
                .zip(&needle[j..])
                .take_while(|((_, h), n)| h == *n)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;

//! One sequence's world: `tailform emulator --data` in a process of its own (its data file is
//! the ground truth: every object it holds, with its secret), a temporary working folder, the
//! state in `state/tailform.json` or in a PostgreSQL workspace of its own, and the real binary
//! run against them over loopback.
//!
//! A full disk: on the file backend the state folder is a small tmpfs when this process may
//! mount one (root with CAP_SYS_ADMIN), filled by hand during an apply; otherwise the folder is
//! made read-only (as `tests/e2e/failures.rs` does: the same "the state cannot be written" path,
//! EACCES instead of ENOSPC). On PostgreSQL the apply's database session is terminated instead.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use tailform::seal::{Keys, Sealer};
use tailform::state::State;

pub const BIN: &str = env!("CARGO_BIN_EXE_tailform");

/// Where the state lives.
pub enum Backend {
    File,
    Postgres { url: String, workspace: String },
}

/// How a full disk is made on the file backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disk {
    /// The state folder is a 4 MiB tmpfs, filled by hand.
    Tmpfs,
    /// The state folder is made read-only.
    ReadOnly,
}

/// One finished (or killed) run of the binary.
#[derive(Debug, Clone)]
pub struct Run {
    /// What was run, for reports (`apply --auto-approve [key]`).
    pub label: String,
    /// The exit code; `None` when a signal ended it.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The harness killed it.
    pub killed: bool,
}

/// The environment and arguments that hand a command the encryption key (or none).
#[derive(Debug, Clone, Default)]
pub struct KeyEnv {
    pub env: Vec<(String, String)>,
    pub args: Vec<String>,
    /// `[key]`, `[no key]`, `[fallback → new key]`, for reports.
    pub note: &'static str,
}

/// The state as the checker reads it: with the key, journal replayed (a secret the key does
/// not open stays `StoredSecret::Sealed` in its record).
pub struct Loaded {
    pub state: State,
}

pub struct World {
    emulator: Child,
    pub base_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    pub disk: Disk,
    mounted: Option<PathBuf>,
    rt: tokio::runtime::Runtime,
    http: reqwest::Client,
    pg: Option<tokio_postgres::Client>,
}

impl World {
    /// A fresh world; `postgres` is the server URL for the PostgreSQL backend.
    pub fn new(seed: u64, postgres: Option<&str>) -> World {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        std::fs::create_dir_all(dir.path().join("emu")).unwrap();
        std::fs::create_dir_all(dir.path().join("plans")).unwrap();
        std::fs::create_dir_all(dir.path().join("keys")).unwrap();
        let mut emulator = Command::new(BIN)
            .args([
                "emulator",
                "--max-tailnets",
                "11",
                "--seed",
                &seed.to_string(),
            ])
            .arg("--data")
            .arg(dir.path().join("emu/emulator.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the emulator starts");
        let mut lines = BufReader::new(emulator.stdout.take().unwrap()).lines();
        let mut value = |key: &str| {
            let line = lines.next().expect("an announcement line").unwrap();
            line.strip_prefix(&format!("{key}="))
                .unwrap_or_else(|| panic!("unexpected emulator line: {line}"))
                .to_owned()
        };
        let base_url = value("TAILSCALE_BASE_URL");
        let client_id = value("TAILSCALE_OAUTH_CLIENT_ID");
        let client_secret = value("TAILSCALE_OAUTH_CLIENT_SECRET");
        let (backend, pg) = match postgres {
            None => (Backend::File, None),
            Some(url) => {
                let workspace = format!(
                    "seq-{seed}-{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..10]
                );
                let client = rt.block_on(async {
                    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                        .await
                        .expect("connect to the test PostgreSQL server");
                    tokio::spawn(connection);
                    client
                });
                (
                    Backend::Postgres {
                        url: url.to_owned(),
                        workspace,
                    },
                    Some(client),
                )
            }
        };
        let mut world = World {
            emulator,
            base_url,
            client_id,
            client_secret,
            dir,
            backend,
            disk: Disk::ReadOnly,
            mounted: None,
            rt,
            http: reqwest::Client::new(),
            pg,
        };
        if world.is_file() {
            let state = world.path("state");
            std::fs::create_dir_all(&state).unwrap();
            let ok = Command::new("mount")
                .args(["-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs"])
                .arg(&state)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                world.disk = Disk::Tmpfs;
                world.mounted = Some(state);
            } else {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
            }
        }
        world
    }

    pub fn is_file(&self) -> bool {
        matches!(self.backend, Backend::File)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn state_path(&self) -> PathBuf {
        self.path("state/tailform.json")
    }

    fn backend_env(&self) -> Vec<(&'static str, String)> {
        match &self.backend {
            Backend::File => Vec::new(),
            Backend::Postgres { url, workspace } => vec![
                ("TAILFORM_BACKEND", url.clone()),
                ("TAILFORM_WORKSPACE", workspace.clone()),
                ("TAILFORM_ALLOW_PLAINTEXT_SECRETS", "1".to_owned()),
            ],
        }
    }

    /// The binary with `args`, pointed at this world, handed `key`.
    pub fn command(&self, args: &[&str], key: &KeyEnv) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(&key.args)
            .args(args)
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("TAILSCALE_BASE_URL", &self.base_url)
            .env("TAILSCALE_OAUTH_CLIENT_ID", &self.client_id)
            .env("TAILSCALE_OAUTH_CLIENT_SECRET", &self.client_secret)
            .envs(self.backend_env())
            .envs(key.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        cmd
    }

    /// Runs to completion.
    pub fn run(&self, args: &[&str], key: &KeyEnv) -> Run {
        self.run_with(self.command(args, key), args, key)
    }

    /// Runs a prepared command to completion.
    pub fn run_with(&self, mut cmd: Command, args: &[&str], key: &KeyEnv) -> Run {
        let out = cmd.output().expect("the binary runs");
        Run {
            label: label(args, key),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            killed: false,
        }
    }

    /// A JSON request to the emulator; (status, body).
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.rt.block_on(async {
            let mut req = self
                .http
                .request(method, format!("{}{path}", self.base_url));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("the emulator answers");
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        })
    }

    pub fn set_faults(&self, faults: Value) {
        let (s, b) = self.request(
            reqwest::Method::POST,
            "/_emulator/faults",
            None,
            Some(faults),
        );
        assert_eq!(s, 200, "faults: {b}");
    }

    pub fn advance_clock(&self, seconds: u64) {
        let (s, b) = self.request(
            reqwest::Method::POST,
            "/_emulator/clock",
            None,
            Some(json!({ "advanceSeconds": seconds })),
        );
        assert_eq!(s, 200, "clock: {b}");
    }

    pub fn use_key(&self, id: &str) -> u16 {
        self.request(
            reqwest::Method::POST,
            &format!("/_emulator/keys/{id}/use"),
            None,
            None,
        )
        .0
    }

    pub fn reset_stats(&self) {
        let (s, _) = self.request(reqwest::Method::POST, "/_emulator/stats/reset", None, None);
        assert_eq!(s, 200);
    }

    /// The request log since the last reset.
    pub fn log(&self) -> Vec<Value> {
        let (_, stats) = self.request(reqwest::Method::GET, "/_emulator/stats", None, None);
        stats["log"].as_array().cloned().unwrap_or_default()
    }

    /// Revokes a key or client out of band, with an organization token for its tailnet.
    pub fn revoke(&self, tailnet: &str, id: &str) -> u16 {
        let token = self.rt.block_on(async {
            let form = [
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("tailnet", tailnet),
            ];
            let v: Value = self
                .http
                .post(format!("{}/api/v2/oauth/token", self.base_url))
                .form(&form)
                .send()
                .await
                .expect("token request")
                .json()
                .await
                .expect("token JSON");
            v["access_token"].as_str().unwrap_or_default().to_owned()
        });
        self.request(
            reqwest::Method::DELETE,
            &format!("/api/v2/tailnet/{tailnet}/keys/{id}"),
            Some(&token),
            None,
        )
        .0
    }

    /// The emulator's data file and its clock's "now".
    pub fn emulator_data(&self) -> (Value, String) {
        let (_, clock) = self.request(reqwest::Method::GET, "/_emulator/clock", None, None);
        let data = std::fs::read(self.path("emu/emulator.json")).expect("the emulator data file");
        (
            serde_json::from_slice(&data).expect("the emulator data is JSON"),
            clock["now"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Loads the state as tailform would with `keys` (file with its journal, or the row).
    pub fn load(&self, keys: Keys) -> Result<Loaded, String> {
        let sealer = Sealer::new(keys);
        match &self.backend {
            Backend::File => {
                let file = tailform::state::StateFile::new(self.state_path()).sealer(sealer);
                let state = file.load().map_err(|e| e.to_string())?;
                Ok(Loaded { state })
            }
            Backend::Postgres { url, workspace } => {
                use tailform::state::Backend as _;
                let target = tailform::state::postgres::Target::parse(url, |_| None)
                    .map_err(|e| e.to_string())?;
                let ws = workspace.parse().map_err(|_| "workspace name".to_owned())?;
                let mut b =
                    tailform::state::postgres::PostgresBackend::connect(&target, ws, sealer)
                        .map_err(|e| e.to_string())?;
                let state = b.load().map_err(|e| e.to_string())?;
                Ok(Loaded { state })
            }
        }
    }

    /// The ids of the intents the stored state holds (read without a key: cheap).
    pub fn pending_ids(&self) -> std::collections::BTreeSet<String> {
        match &self.backend {
            Backend::File => tailform::state::StateFile::new(self.state_path())
                .load()
                .map(|s| s.pending.iter().map(|i| i.id.to_string()).collect())
                .unwrap_or_default(),
            Backend::Postgres { workspace, .. } => {
                let client = self.pg.as_ref().expect("a PostgreSQL world");
                self.rt
                    .block_on(client.query(
                        "SELECT p->>'id' FROM tailform.states, \
                         jsonb_array_elements(data->'pending') AS p WHERE name = $1",
                        &[workspace],
                    ))
                    .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect())
                    .unwrap_or_default()
            }
        }
    }

    /// Every stored byte of the state: each file under the state's folder (the state, its
    /// backup, journal, lock, temporary files), or the workspace's row.
    pub fn stored(&self) -> Vec<(String, Vec<u8>)> {
        match &self.backend {
            Backend::File => {
                let mut out = Vec::new();
                walk(&self.path("state"), &mut out);
                out
            }
            Backend::Postgres { workspace, .. } => {
                let client = self.pg.as_ref().expect("a PostgreSQL world");
                let rows = self
                    .rt
                    .block_on(client.query(
                        "SELECT data::text FROM tailform.states WHERE name = $1",
                        &[workspace],
                    ))
                    .unwrap_or_default();
                rows.iter()
                    .map(|r| {
                        (
                            format!("tailform.states[{workspace}]"),
                            r.get::<_, String>(0).into_bytes(),
                        )
                    })
                    .collect()
            }
        }
    }

    /// True when the stored document carries an `encryption` header.
    pub fn stored_encrypted(&self) -> bool {
        let doc = match &self.backend {
            Backend::File => std::fs::read(self.state_path())
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok()),
            Backend::Postgres { .. } => self
                .stored()
                .into_iter()
                .next()
                .and_then(|(_, b)| serde_json::from_slice::<Value>(&b).ok()),
        };
        doc.is_some_and(|d| d.get("encryption").is_some())
    }

    /// Removes the lock by hand: the lock file, or the holder's row.
    pub fn remove_lock(&self) {
        match &self.backend {
            Backend::File => {
                let _ = std::fs::remove_file(self.path("state/tailform.json.lock"));
            }
            Backend::Postgres { workspace, .. } => {
                let client = self.pg.as_ref().expect("a PostgreSQL world");
                let _ = self.rt.block_on(
                    client.execute("DELETE FROM tailform.locks WHERE name = $1", &[workspace]),
                );
            }
        }
    }

    /// Makes the state unwritable: fills the tmpfs leaving `free_pages` pages, or makes the
    /// folder read-only; for PostgreSQL terminates the sessions named `app`. Undone by
    /// [`World::restore_writes`].
    pub fn break_writes(&self, free_pages: u64, app: &str) {
        match &self.backend {
            Backend::File if self.disk == Disk::Tmpfs => {
                let path = self.path("state/.filler");
                let Ok(mut f) = std::fs::File::create(&path) else {
                    return;
                };
                let chunk = vec![0u8; 64 * 1024];
                while f.write_all(&chunk).is_ok() {}
                let small = vec![0u8; 4096];
                while f.write_all(&small).is_ok() {}
                let _ = f.sync_all();
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                let _ = f.set_len(len.saturating_sub(free_pages * 4096));
            }
            Backend::File => set_read_only(&self.path("state"), true),
            Backend::Postgres { .. } => {
                let client = self.pg.as_ref().expect("a PostgreSQL world");
                let _ = self.rt.block_on(client.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
                    &[&app],
                ));
            }
        }
    }

    pub fn restore_writes(&self) {
        match &self.backend {
            Backend::File if self.disk == Disk::Tmpfs => {
                let _ = std::fs::remove_file(self.path("state/.filler"));
            }
            Backend::File => set_read_only(&self.path("state"), false),
            Backend::Postgres { .. } => {}
        }
    }

    /// Writes a file in the working folder.
    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = self.emulator.kill();
        let _ = self.emulator.wait();
        if let Some(path) = self.mounted.take() {
            let _ = Command::new("umount").arg("-l").arg(&path).status();
        } else if self.is_file() {
            set_read_only(&self.path("state"), false);
        }
        if let Backend::Postgres { workspace, .. } = &self.backend
            && let Some(client) = &self.pg
        {
            let _ = self.rt.block_on(async {
                client
                    .execute("DELETE FROM tailform.states WHERE name = $1", &[workspace])
                    .await?;
                client
                    .execute("DELETE FROM tailform.locks WHERE name = $1", &[workspace])
                    .await
            });
        }
    }
}

/// `apply --auto-approve [key]`.
pub fn label(args: &[&str], key: &KeyEnv) -> String {
    let mut s = args.join(" ");
    if !key.note.is_empty() {
        s.push(' ');
        s.push_str(key.note);
    }
    s
}

fn walk(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == ".filler") {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), bytes));
        }
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Read-only for real: root ignores permission bits, so as root the folder is made immutable.
fn set_read_only(dir: &Path, on: bool) {
    use std::os::unix::fs::PermissionsExt;
    if on {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500));
        if is_root() {
            let _ = Command::new("chattr").arg("+i").arg(dir).status();
        }
    } else {
        if is_root() {
            let _ = Command::new("chattr")
                .arg("-i")
                .arg(dir)
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
}

/// Spawns `cmd` with piped streams, reading both in threads.
pub struct Spawned {
    pub child: Child,
    stdout: std::sync::mpsc::Receiver<Vec<u8>>,
    seen: Vec<u8>,
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Spawned {
    pub fn start(mut cmd: Command, stdin: bool) -> Spawned {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin {
            cmd.stdin(Stdio::piped());
        }
        let mut child = cmd.spawn().expect("the binary starts");
        let mut out = child.stdout.take().unwrap();
        let mut err = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match std::io::Read::read(&mut out, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut err, &mut v);
            v
        });
        Spawned {
            child,
            stdout: rx,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Waits until stdout contains `text` (true) or the process closed it (false).
    pub fn wait_for(&mut self, text: &str, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if String::from_utf8_lossy(&self.seen).contains(text) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(chunk) => self.seen.extend(chunk),
                Err(_) => return false,
            }
        }
    }

    pub fn send(&mut self, text: &str) {
        if let Some(stdin) = self.child.stdin.as_mut() {
            let _ = stdin.write_all(text.as_bytes());
        }
        self.child.stdin = None;
    }

    /// Waits for the end (killing first when `kill`), collecting both streams.
    pub fn finish(mut self, label: String, kill: bool) -> Run {
        if kill {
            let _ = self.child.kill(); // SIGKILL
        }
        self.child.stdin = None;
        let status = self.child.wait().expect("wait for the binary");
        while let Ok(chunk) = self.stdout.recv() {
            self.seen.extend(chunk);
        }
        let stderr = self.stderr.take().unwrap().join().unwrap_or_default();
        Run {
            label,
            code: status.code(),
            stdout: String::from_utf8_lossy(&self.seen).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            killed: kill && status.code().is_none(),
        }
    }

    /// True once the process has ended.
    pub fn done(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }
}

//! The one way the tests run the `tailform` binary: [`Tailform`] builds the command (the binary
//! itself, a bash script that calls it, or the binary on a pseudo-terminal) and [`Run`] holds
//! what it did, checked with chained expectations:
//!
//! ```ignore
//! Tailform::new()
//!     .args(["validate", "-f", "examples/quickstart.yaml"])
//!     .run()
//!     .success()
//!     .stdout_is("")
//!     .stderr_is("valid: 1 tailnet, 1 OAuth client, 2 auth keys\n");
//! ```
//!
//! Both types are `#[must_use]`: a command never run, or a run whose result is dropped, is a
//! warning (an error under `clippy -- -D warnings`). A [`Run`] whose exit status no expectation
//! looked at fails the test when it is dropped, so no test can judge a run by its output alone.
//! Every failed expectation prints the command, its exit code and both streams.
//!
//! Unlike `Command`, the environment is inherited unless a test clears it: each caller states
//! what the binary sees ([`Tailform::env_clear`], [`Tailform::env`], [`Tailform::env_remove`]).

use std::cell::Cell;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The binary under test, for scripts that name it (run them with [`Tailform::bash`]).
pub const BIN: &str = env!("CARGO_BIN_EXE_tailform");

/// How the binary is started.
#[derive(Debug)]
enum Launch {
    /// Directly.
    Direct,
    /// By `bash -e -u -o pipefail -c SCRIPT` (the script calls [`BIN`]).
    Bash(String),
    /// On a pseudo-terminal: util-linux `script -qec "BIN ARGS…" /dev/null`, so the binary sees
    /// a terminal as it does in a user's shell.
    Terminal,
}

/// A command line for the binary, not yet run.
#[must_use = "a command does nothing until `.run()` or `.spawn()`"]
#[derive(Debug)]
pub struct Tailform {
    launch: Launch,
    args: Vec<OsString>,
    env_clear: bool,
    /// Set (`Some`) or removed (`None`), in order, after the clear.
    env: Vec<(OsString, Option<OsString>)>,
    dir: Option<PathBuf>,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
}

impl Tailform {
    /// The binary, with the test's environment and folder.
    pub fn new() -> Self {
        Tailform {
            launch: Launch::Direct,
            args: Vec::new(),
            env_clear: false,
            env: Vec::new(),
            dir: None,
            stdin: None,
            stdout: None,
            stderr: None,
        }
    }

    /// A bash script (run with `-e -u -o pipefail`) that calls the binary as [`BIN`].
    pub fn bash(script: &str) -> Self {
        Tailform {
            launch: Launch::Bash(script.to_owned()),
            ..Tailform::new()
        }
    }

    /// Runs the binary on a pseudo-terminal (util-linux `script`, part of every Debian system).
    pub fn on_terminal(mut self) -> Self {
        self.launch = Launch::Terminal;
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Starts from an empty environment (and forgets variables set before).
    pub fn env_clear(mut self) -> Self {
        self.env_clear = true;
        self.env.clear();
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.env.push((key.as_ref().to_owned(), None));
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = Some(dir.as_ref().to_owned());
        self
    }

    pub fn stdin(mut self, stdin: Stdio) -> Self {
        self.stdin = Some(stdin);
        self
    }

    pub fn stdout(mut self, stdout: Stdio) -> Self {
        self.stdout = Some(stdout);
        self
    }

    pub fn stderr(mut self, stderr: Stdio) -> Self {
        self.stderr = Some(stderr);
        self
    }

    /// Runs to completion, capturing both streams (stdin is closed).
    pub fn run(self) -> Run {
        let shown = self.shown();
        let output = self
            .command()
            .output()
            .unwrap_or_else(|e| panic!("`{shown}` does not start: {e}"));
        Run::new(shown, output)
    }

    /// Runs to completion with `input` written to its stdin, capturing both streams.
    pub fn run_with_stdin(self, input: &str) -> Run {
        use std::io::Write;
        let shown = self.shown();
        let mut child = self
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .command()
            .spawn()
            .unwrap_or_else(|e| panic!("`{shown}` does not start: {e}"));
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(input.as_bytes())
            .unwrap_or_else(|e| panic!("`{shown}`: writing stdin: {e}"));
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("`{shown}`: waiting: {e}"));
        Run::new(shown, output)
    }

    /// Starts it (streams are inherited unless set); the test waits for it.
    pub fn spawn(self) -> Child {
        let shown = self.shown();
        self.command()
            .spawn()
            .unwrap_or_else(|e| panic!("`{shown}` does not start: {e}"))
    }

    /// The command line as failure messages show it.
    fn shown(&self) -> String {
        let args = self
            .args
            .iter()
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ");
        match &self.launch {
            Launch::Direct => format!("tailform {args}"),
            Launch::Terminal => format!("tailform {args} (on a terminal)"),
            Launch::Bash(script) => format!("bash -c <<'EOF'\n{script}\nEOF"),
        }
    }

    /// The only place a `Command` for the binary is built.
    fn command(self) -> Command {
        let mut cmd = match self.launch {
            Launch::Direct => {
                let mut cmd = Command::new(BIN);
                cmd.args(&self.args);
                cmd
            }
            Launch::Terminal => {
                let mut line = shell_quoted(OsStr::new(BIN));
                for arg in &self.args {
                    line.push(' ');
                    line.push_str(&shell_quoted(arg));
                }
                let mut cmd = Command::new("script");
                cmd.args(["-qec", &line, "/dev/null"]);
                cmd
            }
            Launch::Bash(script) => {
                assert!(self.args.is_empty(), "a script carries its own arguments");
                let mut cmd = Command::new("bash");
                cmd.args(["-e", "-u", "-o", "pipefail", "-c", &script]);
                cmd
            }
        };
        if self.env_clear {
            cmd.env_clear();
        }
        for (key, value) in self.env {
            match value {
                Some(value) => cmd.env(key, value),
                None => cmd.env_remove(key),
            };
        }
        if let Some(dir) = self.dir {
            cmd.current_dir(dir);
        }
        if let Some(s) = self.stdin {
            cmd.stdin(s);
        }
        if let Some(s) = self.stdout {
            cmd.stdout(s);
        }
        if let Some(s) = self.stderr {
            cmd.stderr(s);
        }
        cmd
    }
}

/// `arg` in single quotes for `sh`.
fn shell_quoted(arg: &OsStr) -> String {
    format!("'{}'", arg.to_string_lossy().replace('\'', r"'\''"))
}

/// What one run of the binary did. Check its exit status (`.code(n)`, `.success()`, or read it
/// with `.exit_code()`), or the test fails when the run is dropped.
#[must_use = "check the run's exit status with `.code(n)` or `.success()`"]
#[derive(Debug)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    code: i32,
    status: StatusCheck,
}

/// Fails the test if the run's exit status was never looked at. A field of its own, so a test
/// may move `stdout` and `stderr` out of a [`Run`].
#[derive(Debug)]
struct StatusCheck {
    command: String,
    code: i32,
    checked: Cell<bool>,
}

impl Drop for StatusCheck {
    fn drop(&mut self) {
        if !self.checked.get() && !std::thread::panicking() {
            panic!(
                "`{}` exited with {}, but the test never checked its exit status (`.code(n)`, \
                 `.success()`)",
                self.command, self.code
            );
        }
    }
}

impl Run {
    fn new(command: String, output: Output) -> Self {
        let code = output.status.code().unwrap_or(-1);
        Run {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code,
            status: StatusCheck {
                command,
                code,
                checked: Cell::new(false),
            },
        }
    }

    /// Asserts the exit code, showing both streams when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        self.status.checked.set(true);
        assert_eq!(
            self.code, expected,
            "`{}`: exit code {} (expected {expected})\n--- stdout\n{}\n--- stderr\n{}",
            self.status.command, self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit code 0.
    #[track_caller]
    pub fn success(&self) -> &Self {
        self.code(0)
    }

    /// The exit code (-1 when a signal ended the process), for a test that decides on it itself.
    pub fn exit_code(&self) -> i32 {
        self.status.checked.set(true);
        self.code
    }

    /// Asserts the whole of stdout.
    #[track_caller]
    pub fn stdout_is(&self, expected: impl AsRef<str>) -> &Self {
        let expected = expected.as_ref();
        assert_eq!(self.stdout, expected, "stdout of {}", self.context());
        self
    }

    /// Asserts the whole of stderr.
    #[track_caller]
    pub fn stderr_is(&self, expected: impl AsRef<str>) -> &Self {
        let expected = expected.as_ref();
        assert_eq!(self.stderr, expected, "stderr of {}", self.context());
        self
    }

    /// Asserts that stdout contains `part`.
    #[track_caller]
    pub fn stdout_has(&self, part: &str) -> &Self {
        assert!(
            self.stdout.contains(part),
            "stdout lacks {part:?}: {}",
            self.context()
        );
        self
    }

    /// Asserts that stderr contains `part`.
    #[track_caller]
    pub fn stderr_has(&self, part: &str) -> &Self {
        assert!(
            self.stderr.contains(part),
            "stderr lacks {part:?}: {}",
            self.context()
        );
        self
    }

    /// Asserts that stdout or stderr contains `part` (messages whose stream is not the point).
    #[track_caller]
    pub fn output_has(&self, part: &str) -> &Self {
        assert!(
            self.stdout.contains(part) || self.stderr.contains(part),
            "neither stream has {part:?}: {}",
            self.context()
        );
        self
    }

    /// The command, its exit code and both streams, for failure messages.
    fn context(&self) -> String {
        format!(
            "`{}` (exit code {})\n--- stdout\n{}\n--- stderr\n{}",
            self.status.command, self.code, self.stdout, self.stderr
        )
    }
}

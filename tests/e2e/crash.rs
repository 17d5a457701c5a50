//! The crash harness (issue 5): start `tailform emulator --data`, apply a 30-resource manifest,
//! `kill -9` tailform at a random moment, run apply again until it recovers, then check every
//! invariant (`tests/common/invariants.rs`) and that `plan` shows no changes.
//!
//! 50 iterations in CI. A long run: `TAILFORM_CRASH_ITERATIONS=1000 cargo test --release --test
//! e2e crash::crash_harness -- --nocapture`; it prints iterations, the kill points reached and
//! the violations.

#![allow(clippy::print_stdout, reason = "the harness's figures are its report")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::command::Tailform;
use crate::common::invariants;

struct EmulatorProcess {
    child: Child,
    base_url: String,
    client_id: String,
    client_secret: String,
}

impl EmulatorProcess {
    fn start(dir: &Path, seed: u64) -> Self {
        let mut child = Tailform::new()
            .args([
                "emulator",
                "--max-tailnets",
                "11",
                "--seed",
                &seed.to_string(),
                "--data",
            ])
            .arg(dir.join("emulator.json"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut value = |key: &str| {
            let line = lines.next().expect("an announcement line").unwrap();
            line.strip_prefix(&format!("{key}="))
                .unwrap_or_else(|| panic!("{line}"))
                .to_owned()
        };
        let base_url = value("TAILSCALE_BASE_URL");
        let client_id = value("TAILSCALE_OAUTH_CLIENT_ID");
        let client_secret = value("TAILSCALE_OAUTH_CLIENT_SECRET");
        EmulatorProcess {
            child,
            base_url,
            client_id,
            client_secret,
        }
    }

    fn tailform(&self, dir: &Path, args: &[&str]) -> Tailform {
        Tailform::new()
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("NO_COLOR", "1")
            .env("TAILSCALE_BASE_URL", &self.base_url)
            .env("TAILSCALE_OAUTH_CLIENT_ID", &self.client_id)
            .env("TAILSCALE_OAUTH_CLIENT_SECRET", &self.client_secret)
    }

    fn set_latency(&self, ms: u64) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            reqwest::Client::new()
                .post(format!("{}/_emulator/faults", self.base_url))
                .json(&serde_json::json!({ "latencyMs": ms }))
                .send()
                .await
                .expect("faults set");
        });
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small deterministic random stream (splitmix64), so an iteration can be replayed by seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Where an apply was when it was killed: records and pending intents in the state (the file
/// with its journal replayed).
fn kill_point(state: &Path) -> String {
    if !state.exists() {
        return "before the first save".into();
    }
    match tailform::state::StateFile::new(state).load() {
        Err(e) => format!("unloadable state: {e}"),
        Ok(s) => format!(
            "{} record(s), {} pending",
            s.resources.len(),
            s.pending.len()
        ),
    }
}

/// Injected latency, so an apply lasts long enough to be interrupted anywhere in it.
const LATENCY_MS: u64 = 10;

/// How long one uninterrupted apply of the manifest takes here (the window kills fall in).
fn calibrate(manifest: &Path) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(manifest, dir.path().join("tailform.yaml")).unwrap();
    let emulator = EmulatorProcess::start(dir.path(), 0);
    emulator.set_latency(LATENCY_MS);
    let started = Instant::now();
    let apply = emulator
        .tailform(dir.path(), &["apply", "--auto-approve"])
        .run();
    let elapsed = started.elapsed();
    apply.success(); // the uninterrupted apply works
    elapsed
}

/// What one iteration saw.
struct Iteration {
    kill_point: String,
    orphans_revoked: usize,
    violations: Vec<String>,
}

fn run_iteration(seed: u64, manifest: &Path, window: Duration) -> Iteration {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(manifest, dir.path().join("tailform.yaml")).unwrap();
    let emulator = EmulatorProcess::start(dir.path(), seed);
    emulator.set_latency(LATENCY_MS);
    let mut rng = Rng(seed);
    let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX).max(1);
    let kill_after = Duration::from_micros(rng.next() % window_us);
    let started = Instant::now();
    let mut apply = emulator
        .tailform(dir.path(), &["apply", "--auto-approve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let point = loop {
        if let Some(status) = apply.try_wait().unwrap() {
            break format!("finished ({status})");
        }
        if started.elapsed() >= kill_after {
            apply.kill().unwrap(); // SIGKILL
            apply.wait().unwrap();
            break kill_point(&dir.path().join("state/tailform.json"));
        }
        std::thread::sleep(Duration::from_millis(1));
    };
    emulator.set_latency(0);
    let mut violations = Vec::new();
    let mut orphans_revoked = 0;
    let mut recovered = false;
    for _ in 0..3 {
        let out = emulator
            .tailform(dir.path(), &["apply", "--auto-approve"])
            .stdout(Stdio::null())
            .run();
        orphans_revoked += out
            .stderr
            .lines()
            .filter(|l| l.contains(" orphaned ") && l.contains(": done"))
            .count();
        if out.exit_code() == 0 {
            recovered = true;
            break;
        }
    }
    if !recovered {
        violations.push("apply did not recover in three runs".into());
    }
    let plan = emulator
        .tailform(dir.path(), &["plan", "--detailed-exitcode"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .run();
    if plan.exit_code() != 0 {
        violations.push(format!(
            "plan after recovery is not empty (exit code {})",
            plan.exit_code()
        ));
    }
    violations.extend(invariants::check(
        &invariants::Emulator {
            base_url: &emulator.base_url,
            client_id: &emulator.client_id,
            client_secret: &emulator.client_secret,
        },
        &dir.path().join("state/tailform.json"),
    ));
    Iteration {
        kill_point: point,
        orphans_revoked,
        violations,
    }
}

#[test]
fn crash_harness() {
    let iterations: u64 = std::env::var("TAILFORM_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/crash/manifest.yaml");
    let mut points: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let window = calibrate(&manifest);
    let started = Instant::now();
    let mut orphans = 0;
    for seed in 1..=iterations {
        let it = run_iteration(seed, &manifest, window);
        *points.entry(it.kill_point.clone()).or_default() += 1;
        orphans += it.orphans_revoked;
        if !it.violations.is_empty() {
            failures.push(format!(
                "seed {seed} (killed at {}): {}",
                it.kill_point,
                it.violations.join("; ")
            ));
        }
    }
    println!(
        "crash harness: {iterations} iterations in {:.0}s (kills uniform over an apply of {} ms), {} distinct kill points, {orphans} orphan(s) revoked by recovery, {} invariant violation(s)",
        started.elapsed().as_secs_f64(),
        window.as_millis(),
        points.len(),
        failures.len()
    );
    for (point, n) in &points {
        println!("  killed at {point}: {n}");
    }
    assert!(
        failures.is_empty(),
        "invariant violations:\n{}",
        failures.join("\n")
    );
    assert!(
        points.len() >= 5.min(iterations as usize),
        "the kills reached too few points: {points:?}"
    );
}

//! CPU time and peak memory of one `tailform plan`, measured in a fresh child process (this same
//! binary, started with `--plan-child`) so that the peak resident size is the plan's own and the
//! emulator's work (in the parent) is not counted.
//!
//! CPU time is the sum over the process's threads of `/proc/self/task/*/schedstat` (nanoseconds
//! on a CPU); peak memory is `VmHWM` from `/proc/self/status`. Both are Linux-only; elsewhere the
//! child reports zeros.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tailform::api::{Client, ClientConfig, Credential};
use tailform::refresh::{self, Scope};
use tailform::render::{self, PlanView, text::Style};
use tailform::secret::Secret;
use tailform::state::StateFile;
use tailform::validate::{ValidateOptions, load_and_validate};

use super::Fail;
use super::measure::{self, MAX_TAILNETS};
use super::world::World;

/// The flag that makes this binary the measured child.
pub const CHILD_FLAG: &str = "--plan-child";

/// CPU per phase of one plan, and the child's peak memory.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct PlanCpu {
    /// Manifest files read, parsed and validated (µs of CPU).
    pub parse_validate_us: u64,
    /// State file read and parsed.
    pub state_us: u64,
    /// Refresh, client side: runtime and HTTP client set-up, requests, decoding.
    pub refresh_us: u64,
    /// `plan::diff`.
    pub diff_us: u64,
    /// `PlanView` and the text plan.
    pub render_text_us: u64,
    /// The JSON and Markdown plans (not part of a default `plan`).
    pub render_other_us: u64,
    /// Freeing the manifests, state, snapshot, plan and view (a process pays it at exit).
    pub teardown_us: u64,
    /// Wall time of everything above.
    pub wall_us: u64,
    /// Peak resident memory (KiB).
    pub peak_rss_kib: u64,
    /// Resources in the manifests.
    pub resources: usize,
    /// Changes in the plan (no-ops excluded).
    pub changes: usize,
    /// Size of the text plan (bytes).
    pub text_bytes: usize,
}

impl PlanCpu {
    /// Parse, validate, state, diff, text render and teardown: a plan without its network part.
    pub fn planning(&self) -> Duration {
        Duration::from_micros(
            self.parse_validate_us
                + self.state_us
                + self.diff_us
                + self.render_text_us
                + self.teardown_us,
        )
    }
}

/// CPU time of the whole process so far. The kernel brings a running thread's figure up to date
/// only when it is descheduled (or at a timer tick), so the calling thread yields first; the
/// other threads are idle between phases, so theirs are exact.
pub fn process_cpu() -> Duration {
    std::thread::yield_now();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let mut ns = 0u64;
    for task in tasks.flatten() {
        let Ok(text) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        ns += text
            .split_whitespace()
            .next()
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Duration::from_nanos(ns)
}

/// `VmHWM` in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Measures CPU between checkpoints.
struct Meter(Duration);

impl Meter {
    fn lap(&mut self) -> u64 {
        let now = process_cpu();
        let lap = now.saturating_sub(self.0);
        self.0 = now;
        u64::try_from(lap.as_micros()).unwrap_or(u64::MAX)
    }
}

fn env(name: &str) -> Result<String, Fail> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// The child: one plan of `manifests` against the state at `state`, endpoint and credentials
/// from the environment; prints its [`PlanCpu`] as one JSON line.
#[allow(
    clippy::print_stdout,
    reason = "the child reports to its parent on stdout"
)]
pub fn child(manifests: &Path, state: &Path) -> Result<(), Fail> {
    let wall = Instant::now();
    let mut meter = Meter(process_cpu());
    let mut cpu = PlanCpu::default();
    let opts = ValidateOptions {
        max_tailnets: MAX_TAILNETS,
    };
    let desired = load_and_validate(&[manifests.to_path_buf()], &opts)
        .map_err(|d| measure::describe_all(&d))?
        .desired;
    cpu.parse_validate_us = meter.lap();
    let state = StateFile::new(state).load()?;
    cpu.state_us = meter.lap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let client = Client::new(ClientConfig::new(env("TAILSCALE_BASE_URL")?))?;
    let org = Credential::oauth(
        env("TAILSCALE_OAUTH_CLIENT_ID")?,
        Secret::new(env("TAILSCALE_OAUTH_CLIENT_SECRET")?),
    );
    let scope = Scope::of(&desired, &state);
    let live = runtime.block_on(refresh::read(&client, &org, &scope, &state))?;
    cpu.refresh_us = meter.lap();
    let plan = measure::diff(&desired, &state, &live)?;
    cpu.diff_us = meter.lap();
    let view = PlanView::new(&plan);
    let text = render::text::render(&view, Style::new(false));
    cpu.render_text_us = meter.lap();
    std::hint::black_box(render::json::render(&view));
    std::hint::black_box(render::markdown::render(&view));
    cpu.render_other_us = meter.lap();
    cpu.resources = desired
        .tailnets
        .values()
        .map(|t| 2 + t.oauth_clients.len() + t.auth_keys.len())
        .sum();
    cpu.changes = plan.changes.iter().filter(|c| c.action.is_change()).count();
    cpu.text_bytes = text.len();
    drop((text, view));
    drop((plan, live, state, desired));
    cpu.teardown_us = meter.lap();
    cpu.wall_us = u64::try_from(wall.elapsed().as_micros()).unwrap_or(u64::MAX);
    cpu.peak_rss_kib = peak_rss_kib();
    println!("{}", serde_json::to_string(&cpu)?);
    Ok(())
}

/// Runs the child `runs` times against `world`; the run with the median planning CPU.
pub fn measure(
    world: &World,
    manifests: &Path,
    state: &Path,
    runs: usize,
) -> Result<PlanCpu, Fail> {
    let mut all = (0..runs.max(1))
        .map(|_| measure_once(world, manifests, state))
        .collect::<Result<Vec<_>, _>>()?;
    all.sort_by_key(PlanCpu::planning);
    Ok(all[all.len() / 2])
}

fn measure_once(world: &World, manifests: &Path, state: &Path) -> Result<PlanCpu, Fail> {
    let output = Command::new(std::env::current_exe()?)
        .arg(CHILD_FLAG)
        .arg(manifests)
        .arg(state)
        .envs(world.org_env())
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "the plan child failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    let line = String::from_utf8_lossy(&output.stdout);
    Ok(serde_json::from_str(line.trim())?)
}

//! tailform's performance against the lower bound the API allows (issue 7).
//!
//! Starts the emulator in-process with injected latency (0 ms and 20 ms) and measures, for
//! 10 API-only tailnets × {10, 100, 500} auth keys plus 2 OAuth clients each:
//! - **plan on a converged state**: wall time (refresh alone, and the whole plan), requests
//!   made, and the ratio to the refresh's lower bound;
//! - **apply from empty** (the plan before it included): wall time, requests, ratio to its
//!   lower bound, and the time spent saving the state file;
//! - **a Terraform-style baseline**: one GET per managed resource at parallelism 10;
//! - **CPU and peak memory** of planning 5,040 resources at 0 ms, in a fresh child process.
//!
//! Lower bounds (latency `L`, `P` = parallelism): `max(hops × L, requests ÷ P × L)`, where
//! `hops` is the longest chain of requests that each need the previous one's answer. The
//! README's "Performance" section explains each chain.
//!
//! Run: `cargo bench --bench perf` (a few minutes; prints Markdown tables on stdout, progress on
//! stderr), or `cargo bench --bench perf -- --quick` for 10 × 10 only; `--latency MS` and
//! `--keys N` (each repeatable) pick other worlds; `--fast` skips the apply with the state file;
//! `PERF_TRACE=1` logs every request's timing; `PERF_PLAN_RUNS=N` plans N times instead of 9
//! (for profiling).

#[path = "perf/baseline.rs"]
mod baseline;
#[path = "perf/cpu.rs"]
mod cpu;
#[path = "perf/manifest.rs"]
mod manifest;
#[path = "perf/measure.rs"]
mod measure;
#[path = "perf/world.rs"]
mod world;

use std::path::{Path, PathBuf};
use std::time::Duration;

use baseline::BaselineRun;
use cpu::PlanCpu;
use manifest::Size;
use measure::{ApplyRun, MAX_TAILNETS, Persistence, PlanRun, Tailform};
use world::{Requests, World};

/// The binary's allocator (see `src/main.rs`), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Any failure: the bench stops and says why.
pub type Fail = Box<dyn std::error::Error + Send + Sync>;

/// Injected latencies (ms).
const LATENCIES: [u64; 2] = [0, 20];
/// API-only tailnets in every world.
const TAILNETS: usize = 10;
/// Plans measured per world (the median is reported).
const PLAN_RUNS: usize = 9;
/// CPU children per state (the median is reported).
const CPU_RUNS: usize = 5;

/// Refresh's critical path: a tailnet's token mint, then its keys list ∥ policy read (the
/// organization's token mint and tailnet list run beside it).
const REFRESH_HOPS: u32 = 2;
/// Apply from empty's critical path: org token mint → org tailnet list (the plan) → create
/// tailnet → tailnet token mint → policy read → policy write → create client → client token
/// mint → create key.
const APPLY_HOPS: u32 = 9;

/// One world's measurements.
struct Row {
    latency: u64,
    size: Size,
    /// Apply with the state file (absent under `--fast`).
    apply: Option<ApplyRun>,
    /// Apply with the state in memory.
    apply_memory: ApplyRun,
    plan: PlanMedians,
    baseline: BaselineRun,
}

fn lower_bound(latency: u64, hops: u32, requests: u64, parallelism: Option<usize>) -> Duration {
    let l = Duration::from_millis(latency);
    let chain = l * hops;
    let throughput = parallelism.map_or(Duration::ZERO, |p| {
        Duration::from_secs_f64(l.as_secs_f64() * requests as f64 / p as f64)
    });
    chain.max(throughput)
}

fn ratio(wall: Duration, bound: Duration) -> String {
    if bound.is_zero() {
        "—".to_owned()
    } else {
        format!("{:.2}", wall.as_secs_f64() / bound.as_secs_f64())
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// The medians of several plans, each figure on its own.
#[derive(Debug, Clone, Copy)]
struct PlanMedians {
    refresh: Duration,
    refresh_cpu: Duration,
    total: Duration,
    requests: Requests,
}

fn medians(runs: &[PlanRun]) -> PlanMedians {
    let median = |f: &dyn Fn(&PlanRun) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort();
        v[v.len() / 2]
    };
    PlanMedians {
        refresh: median(&|r| r.phases.refresh),
        refresh_cpu: median(&|r| r.phases.refresh_cpu),
        total: median(&|r| r.phases.total()),
        requests: runs[0].requests,
    }
}

/// Applies the manifests from empty to a fresh emulator with the state file; the world is dropped.
fn apply_with_file(latency: u64, manifests: &Path) -> Result<ApplyRun, Fail> {
    let dir = tempfile::tempdir()?;
    let world = World::start(MAX_TAILNETS)?;
    world.set_latency(latency)?;
    let tailform = Tailform::new(manifests, &dir.path().join("state").join("tailform.json"))?;
    let apply = tailform.apply(&world, Persistence::File)?;
    eprintln!(
        "   apply (state file): {} steps in {}, {} saving the state",
        apply.steps,
        ms(apply.wall),
        ms(apply.saves.total)
    );
    Ok(apply)
}

/// Measures one world; with `cpu`, also the CPU child against it (converged) and against a
/// fresh emulator (from empty).
fn measure_world(
    latency: u64,
    size: Size,
    options: &Selection,
) -> Result<(Row, Option<[PlanCpu; 2]>), Fail> {
    eprintln!(
        "== {latency} ms, {} tailnets x {} keys",
        size.tailnets, size.keys
    );
    let dir = tempfile::tempdir()?;
    let manifests = dir.path().join("manifests");
    std::fs::create_dir(&manifests)?;
    manifest::write(&manifests, size)?;
    let with_cpu = latency == 0 && Some(size.keys) == options.keys.iter().copied().max();
    let from_empty = if with_cpu {
        let fresh = World::start(MAX_TAILNETS)?;
        let empty = dir.path().join("empty.json");
        Some(cpu::measure(&fresh, &manifests, &empty, CPU_RUNS)?)
    } else {
        None
    };
    let apply = if options.fast {
        None
    } else {
        Some(apply_with_file(latency, &manifests)?)
    };
    let world = World::start(MAX_TAILNETS)?;
    world.set_latency(latency)?;
    let state = dir.path().join("state").join("tailform.json");
    let tailform = Tailform::new(&manifests, &state)?;
    let apply_memory = tailform.apply(&world, Persistence::Memory)?;
    eprintln!(
        "   apply (state in memory): {} steps in {}",
        apply_memory.steps,
        ms(apply_memory.wall)
    );
    let runs = std::env::var("PERF_PLAN_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(PLAN_RUNS);
    let plans = (0..runs)
        .map(|_| tailform.plan(&world, false))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = medians(&plans);
    eprintln!("   plan: refresh {}", ms(plan.refresh));
    let baseline = baseline::run(&tailform, &world)?;
    eprintln!("   baseline: {}", ms(baseline.wall));
    let cpus = match from_empty {
        Some(empty) => {
            world.set_latency(0)?;
            Some([cpu::measure(&world, &manifests, &state, CPU_RUNS)?, empty])
        }
        None => None,
    };
    let row = Row {
        latency,
        size,
        apply,
        apply_memory,
        plan,
        baseline,
    };
    Ok((row, cpus))
}

#[allow(clippy::print_stdout, reason = "a bench program reports on stdout")]
fn print_plan_table(rows: &[Row]) {
    println!("### Plan on a converged state (refresh only)\n");
    println!(
        "| latency | tailnets × keys | requests + token mints | refresh | lower bound | refresh ÷ bound | refresh CPU (tailform + emulator) | whole plan | whole plan ÷ bound |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        // The refresh passes a gate of `refresh::DEFAULT_PARALLELISM` requests in flight (a
        // token mint inside the read that needs it), so its bound counts that throughput too.
        let bound = lower_bound(
            r.latency,
            REFRESH_HOPS,
            r.plan.requests.total(),
            Some(tailform::refresh::DEFAULT_PARALLELISM),
        );
        println!(
            "| {} ms | {} × {} | {} + {} | {} | {} | {} | {} | {} | {} |",
            r.latency,
            r.size.tailnets,
            r.size.keys,
            r.plan.requests.api,
            r.plan.requests.mints,
            ms(r.plan.refresh),
            ms(bound),
            ratio(r.plan.refresh, bound),
            ms(r.plan.refresh_cpu),
            ms(r.plan.total),
            ratio(r.plan.total, bound),
        );
    }
    println!();
}

#[allow(clippy::print_stdout, reason = "a bench program reports on stdout")]
fn print_apply_table(rows: &[Row]) {
    println!(
        "### Apply from empty (its plan included, parallelism {})\n",
        measure::PARALLELISM
    );
    println!(
        "| latency | tailnets × keys | steps | requests + token mints | lower bound | apply | apply ÷ bound | state saves | time saving the state | apply, state in memory | ÷ bound |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let m = &r.apply_memory;
        let bound = lower_bound(
            r.latency,
            APPLY_HOPS,
            m.requests.total(),
            Some(measure::PARALLELISM),
        );
        let (wall, wall_ratio, saves, saving) = match &r.apply {
            Some(a) => (
                ms(a.wall),
                ratio(a.wall, bound),
                format!("{} (last {} KiB)", a.saves.count, a.saves.last_bytes / 1024),
                format!(
                    "{} ({:.0} %, longest {})",
                    ms(a.saves.total),
                    100.0 * a.saves.total.as_secs_f64() / a.wall.as_secs_f64(),
                    ms(a.saves.max)
                ),
            ),
            None => ("not run".into(), "—".into(), "—".into(), "—".into()),
        };
        println!(
            "| {} ms | {} × {} | {} | {} + {} | {} | {wall} | {wall_ratio} | {saves} | {saving} | {} | {} |",
            r.latency,
            r.size.tailnets,
            r.size.keys,
            m.steps,
            m.requests.api,
            m.requests.mints,
            ms(bound),
            ms(m.wall),
            ratio(m.wall, bound),
        );
    }
    println!();
    for r in rows {
        if let Some(a) = r.apply.as_ref().and_then(|a| a.anatomy) {
            println!(
                "- {} × {}: one save of the final state ({} KiB) takes {}: `State::to_json` {}, `to_vec_pretty` {}, writing + fsync + backup link + rename + folder fsync {}.",
                r.size.tailnets,
                r.size.keys,
                a.bytes / 1024,
                ms(a.save),
                ms(a.to_json),
                ms(a.pretty),
                ms(a.save.saturating_sub(a.to_json + a.pretty)),
            );
        }
    }
    println!();
}

#[allow(clippy::print_stdout, reason = "a bench program reports on stdout")]
fn print_baseline_table(rows: &[Row]) {
    println!(
        "### Terraform-style baseline (one GET per managed resource, parallelism {})\n",
        baseline::PARALLELISM
    );
    println!(
        "| latency | tailnets × keys | resources | requests + token mints | baseline | tailform plan | baseline ÷ tailform |"
    );
    println!("|---|---|---|---|---|---|---|");
    for r in rows {
        let plan = r.plan.total;
        println!(
            "| {} ms | {} × {} | {} | {} + {} | {} | {} | {:.1} |",
            r.latency,
            r.size.tailnets,
            r.size.keys,
            r.size.resources(),
            r.baseline.requests.api,
            r.baseline.requests.mints,
            ms(r.baseline.wall),
            ms(plan),
            r.baseline.wall.as_secs_f64() / plan.as_secs_f64(),
        );
    }
    println!();
}

#[allow(clippy::print_stdout, reason = "a bench program reports on stdout")]
fn print_cpu_table(cpus: &[PlanCpu; 2]) {
    let us = |v: u64| ms(Duration::from_micros(v));
    println!("### CPU and memory of one plan at 0 ms (fresh process)\n");
    println!(
        "| state | resources | changes | parse + validate | state file | diff | text render | teardown | **planning CPU** | refresh (client side) | JSON + Markdown render | wall | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (label, c) in ["converged", "empty"].iter().zip(cpus) {
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} | **{}** | {} | {} | {} | {:.1} MiB |",
            c.resources,
            c.changes,
            us(c.parse_validate_us),
            us(c.state_us),
            us(c.diff_us),
            us(c.render_text_us),
            us(c.teardown_us),
            ms(c.planning()),
            us(c.refresh_us),
            us(c.render_other_us),
            us(c.wall_us),
            c.peak_rss_kib as f64 / 1024.0,
        );
    }
    println!();
}

#[allow(clippy::print_stdout, reason = "a bench program reports on stdout")]
fn print_machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "Machine: {model}, {cores} cores available, {} {}.\n",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
}

/// What to measure.
struct Selection {
    latencies: Vec<u64>,
    keys: Vec<usize>,
    /// Skip the apply with the state file (minutes at 10 × 500).
    fast: bool,
}

impl Selection {
    /// Everything the issue asks for.
    fn full() -> Self {
        Selection {
            latencies: LATENCIES.to_vec(),
            keys: vec![10, 100, 500],
            fast: false,
        }
    }

    /// `--quick`, `--fast`, `--latency MS` and `--keys N` (repeatable) narrow the run.
    fn parse(args: &[String]) -> Result<Self, Fail> {
        let mut selection = Selection::full();
        let (mut latencies, mut keys) = (Vec::new(), Vec::new());
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || -> Result<u64, Fail> {
                let v = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
                Ok(v.parse()?)
            };
            match arg.as_str() {
                "--quick" => selection.keys = vec![10],
                "--fast" => selection.fast = true,
                "--latency" => latencies.push(value()?),
                "--keys" => keys.push(usize::try_from(value()?)?),
                other => return Err(format!("unknown argument `{other}`; {USAGE}").into()),
            }
        }
        if !latencies.is_empty() {
            selection.latencies = latencies;
        }
        if !keys.is_empty() {
            selection.keys = keys;
        }
        Ok(selection)
    }
}

const USAGE: &str =
    "usage: cargo bench --bench perf [-- [--quick] [--fast] [--latency MS]... [--keys N]...]";

fn run(selection: &Selection) -> Result<(), Fail> {
    let mut rows = Vec::new();
    let mut cpus = None;
    for &latency in &selection.latencies {
        for &k in &selection.keys {
            let size = Size {
                tailnets: TAILNETS,
                keys: k,
            };
            let (row, measured) = measure_world(latency, size, selection)?;
            rows.push(row);
            cpus = cpus.or(measured);
        }
    }
    print_machine();
    print_plan_table(&rows);
    print_apply_table(&rows);
    print_baseline_table(&rows);
    if let Some(cpus) = &cpus {
        print_cpu_table(cpus);
    }
    Ok(())
}

fn main() -> Result<(), Fail> {
    if std::env::var_os("PERF_TRACE").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter("tailform=debug")
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .with_writer(std::io::stderr)
            .init();
    }
    // `cargo bench` passes `--bench`; anything else unknown is an error.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.as_slice() {
        [flag, manifests, state] if flag == cpu::CHILD_FLAG => {
            cpu::child(&PathBuf::from(manifests), &PathBuf::from(state))
        }
        _ => run(&Selection::parse(&args)?),
    }
}

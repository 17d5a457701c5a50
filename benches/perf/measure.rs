//! tailform's side of the benchmark, driven through its library exactly as `tailform plan` and
//! `tailform apply --auto-approve` drive it (manifests → validate → state → refresh → diff →
//! render → apply with the state file), each run with a fresh API client (a fresh process's
//! token cache and connection pool).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tailform::address::Address;
use tailform::api::{Client, ClientConfig, Credential};
use tailform::apply::{self, ApplyOptions, Silent, StateSink, TailscaleExecutor};
use tailform::live::Live;
use tailform::model::Desired;
use tailform::plan::{self, Plan, PlanOptions};
use tailform::refresh::{self, Scope};
use tailform::render::{self, PlanView, text::Style};
use tailform::state::{BackendError, State, StateFile, StateFileError};
use tailform::validate::{ValidateOptions, load_and_validate};
use tokio::runtime::Runtime;

use super::Fail;
use super::world::{Requests, World};

/// The organization cap: ten API-only tailnets plus the original one.
pub const MAX_TAILNETS: usize = 11;

/// `apply --parallelism` (tailform's default).
pub const PARALLELISM: usize = 10;

/// One benchmark world on tailform's side: its manifests, its state file and the runtime its
/// API calls run on (a multi-threaded runtime, as the CLI uses).
pub struct Tailform {
    runtime: Runtime,
    manifests: PathBuf,
    state: PathBuf,
}

/// Wall time of each phase of a plan.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanPhases {
    /// Load and validate the manifests, load the state file.
    pub load: Duration,
    /// Read the live API.
    pub refresh: Duration,
    /// CPU this process spent during the refresh: tailform's side and the emulator's.
    pub refresh_cpu: Duration,
    /// Diff and render the text plan.
    pub diff_render: Duration,
}

impl PlanPhases {
    /// The whole plan.
    pub fn total(&self) -> Duration {
        self.load + self.refresh + self.diff_render
    }
}

/// A measured plan.
#[derive(Debug, Clone, Copy)]
pub struct PlanRun {
    /// Phase times.
    pub phases: PlanPhases,
    /// Requests made.
    pub requests: Requests,
}

/// Time spent saving the state during an apply.
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveStats {
    /// Saves.
    pub count: usize,
    /// Time in `StateFile::save`, summed.
    pub total: Duration,
    /// The longest save.
    pub max: Duration,
    /// Size of the last file written.
    pub last_bytes: u64,
}

/// One save of the final state, taken apart (medians of a few saves).
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveAnatomy {
    /// `StateFile::save` as a whole.
    pub save: Duration,
    /// `State::to_json` (the JSON value tree).
    pub to_json: Duration,
    /// `serde_json::to_vec_pretty` of that tree.
    pub pretty: Duration,
    /// Bytes written.
    pub bytes: usize,
}

/// A measured apply from an empty state.
#[derive(Debug, Clone, Copy)]
pub struct ApplyRun {
    /// Manifests to the last saved result, the plan before it included.
    pub wall: Duration,
    /// Steps applied.
    pub steps: usize,
    /// Requests made.
    pub requests: Requests,
    /// State saves.
    pub saves: SaveStats,
    /// One save of the final state, taken apart (state file only).
    pub anatomy: Option<SaveAnatomy>,
}

/// Where apply saves the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// The state file, as `tailform apply` does: every save written, fsynced and renamed.
    File,
    /// Nowhere during the apply, once at the end (not timed): what the walk and the API alone
    /// cost. A diagnostic, not something tailform offers.
    Memory,
}

/// The state file (every save timed), or memory.
struct TimedSink {
    file: StateFile,
    persistence: Persistence,
    stats: SaveStats,
}

impl TimedSink {
    /// Runs one save (or, in memory, only counts it) and records how long it took.
    fn timed(
        &mut self,
        state: &mut State,
        save: impl FnOnce(&StateFile, &mut State) -> Result<(), StateFileError>,
    ) -> Result<(), BackendError> {
        let start = Instant::now();
        let result = match self.persistence {
            Persistence::File => save(&self.file, state).map_err(BackendError::from),
            Persistence::Memory => {
                state.serial += 1;
                Ok(())
            }
        };
        let took = start.elapsed();
        self.stats.count += 1;
        self.stats.total += took;
        self.stats.max = self.stats.max.max(took);
        self.stats.last_bytes = std::fs::metadata(self.file.path()).map_or(0, |m| m.len());
        result
    }
}

/// The same calls `tailform apply` makes: journal lines during the walk, one full save at the
/// end.
impl StateSink for TimedSink {
    fn save(&mut self, state: &mut State) -> Result<(), BackendError> {
        self.timed(state, |file, state| file.save(state))
    }

    fn save_changes(&mut self, state: &mut State, changed: &[Address]) -> Result<(), BackendError> {
        self.timed(state, |file, state| file.save_changes(state, changed))
    }

    fn settle(&mut self, state: &mut State) -> Result<(), BackendError> {
        match self.persistence {
            Persistence::File => self.timed(state, |file, state| file.settle(state)),
            Persistence::Memory => Ok(()),
        }
    }
}

impl Tailform {
    /// A world whose manifests are in `manifests` and whose state goes to `state`.
    pub fn new(manifests: &Path, state: &Path) -> Result<Tailform, Fail> {
        Ok(Tailform {
            runtime: tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("tailform")
                .build()?,
            manifests: manifests.to_path_buf(),
            state: state.to_path_buf(),
        })
    }

    /// The runtime tailform's API calls run on.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The state file's path.
    pub fn state_path(&self) -> &Path {
        &self.state
    }

    fn load(&self) -> Result<(Desired, State), Fail> {
        let opts = ValidateOptions {
            max_tailnets: MAX_TAILNETS,
        };
        let desired = load_and_validate(std::slice::from_ref(&self.manifests), &opts)
            .map_err(|d| describe_all(&d))?
            .desired;
        let state = StateFile::new(&self.state).load()?;
        Ok((desired, state))
    }

    fn refresh(
        &self,
        client: &Client,
        org: &Credential,
        desired: &Desired,
        state: &State,
    ) -> Result<Live, Fail> {
        let scope = Scope::of(desired, state);
        Ok(self
            .runtime
            .block_on(refresh::read(client, org, &scope, state))?)
    }

    /// `tailform plan` against `world`; fails unless the plan is `expect_changes`.
    pub fn plan(&self, world: &World, expect_changes: bool) -> Result<PlanRun, Fail> {
        let client = Client::new(ClientConfig::new(world.base_url()))?;
        let org = world.org();
        world.reset_stats()?;
        let start = Instant::now();
        let (desired, state) = self.load()?;
        let (loaded, cpu_before) = (Instant::now(), super::cpu::process_cpu());
        let live = self.refresh(&client, &org, &desired, &state)?;
        let (refreshed, cpu_after) = (Instant::now(), super::cpu::process_cpu());
        let plan = diff(&desired, &state, &live)?;
        let text = render::text::render(&PlanView::new(&plan), Style::new(false));
        let done = Instant::now();
        if plan.has_changes() != expect_changes || text.is_empty() {
            return Err(format!(
                "the plan {} changes, expected {}",
                if plan.has_changes() { "has" } else { "has no" },
                if expect_changes { "some" } else { "none" }
            )
            .into());
        }
        Ok(PlanRun {
            phases: PlanPhases {
                load: loaded - start,
                refresh: refreshed - loaded,
                refresh_cpu: cpu_after.saturating_sub(cpu_before),
                diff_render: done - refreshed,
            },
            requests: world.requests()?,
        })
    }

    /// `tailform apply --auto-approve` from an empty state, saving it as `persistence` says;
    /// fails unless every step succeeds.
    pub fn apply(&self, world: &World, persistence: Persistence) -> Result<ApplyRun, Fail> {
        let client = Client::new(ClientConfig::new(world.base_url()))?;
        let org = world.org();
        world.reset_stats()?;
        let start = Instant::now();
        let (desired, mut state) = self.load()?;
        let live = self.refresh(&client, &org, &desired, &state)?;
        let plan = diff(&desired, &state, &live)?;
        let text = render::text::render(&PlanView::new(&plan), Style::new(false));
        let executor = TailscaleExecutor::new(client.clone(), org, plan.existing.clone());
        let mut sink = TimedSink {
            file: StateFile::new(&self.state),
            persistence,
            stats: SaveStats::default(),
        };
        let options = ApplyOptions {
            parallelism: PARALLELISM,
        };
        let report = self.runtime.block_on(apply::apply(
            &plan.graph,
            &mut state,
            &mut sink,
            &executor,
            &Silent,
            options,
        ))?;
        let wall = start.elapsed();
        if !report.succeeded() || text.is_empty() {
            return Err(format!("apply failed: {:?}", report.failed.first()).into());
        }
        let anatomy = match persistence {
            Persistence::Memory => {
                sink.file.save(&mut state)?;
                None
            }
            Persistence::File => Some(anatomy(&sink.file, &mut state)?),
        };
        Ok(ApplyRun {
            wall,
            steps: report.applied.len(),
            requests: world.requests()?,
            saves: sink.stats,
            anatomy,
        })
    }
}

/// Saves `state` a few times, timing the whole save and its serialisation steps.
fn anatomy(file: &StateFile, state: &mut State) -> Result<SaveAnatomy, Fail> {
    const RUNS: usize = 5;
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let doc = state.to_json();
        let built = Instant::now();
        let bytes = serde_json::to_vec_pretty(&doc)?;
        let printed = Instant::now();
        file.save(state)?;
        runs.push(SaveAnatomy {
            save: printed.elapsed(),
            to_json: built - start,
            pretty: printed - built,
            bytes: bytes.len(),
        });
    }
    let median = |f: fn(&SaveAnatomy) -> Duration| {
        let mut v: Vec<Duration> = runs.iter().map(f).collect();
        v.sort();
        v[RUNS / 2]
    };
    Ok(SaveAnatomy {
        save: median(|a| a.save),
        to_json: median(|a| a.to_json),
        pretty: median(|a| a.pretty),
        bytes: runs[0].bytes,
    })
}

/// The plan with the benchmark's options.
pub fn diff(desired: &Desired, state: &State, live: &Live) -> Result<Plan, Fail> {
    let options = PlanOptions {
        max_tailnets: MAX_TAILNETS,
        ..PlanOptions::default()
    };
    plan::diff(desired, state, live, &options).map_err(|e| describe_all(&e))
}

/// Every problem, one per line.
pub fn describe_all<T: std::fmt::Display>(problems: &[T]) -> Fail {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
        .into()
}

//! Apply: executes a plan's `StepGraph` (DESIGN §6). Steps run with bounded concurrency in
//! dependency order; before each create its intent is saved; each result is applied to the state
//! and **saved before any further step starts** (results that finish together, and the intents
//! of the steps that start next, share one save);
//! a failed step marks everything that depends on it skipped while independent work continues.
//! Which ready step starts next is [`ready`]'s business: steps others wait for first, tailnets
//! taking turns.
//! If the state cannot be saved, no further step starts and the error names every address whose
//! result is held only in memory.
//!
//! Concurrency adapts to rate limits (AIMD): it starts at `--parallelism`, halves whenever the API
//! has answered 429 since the last batch (the client already waited as `Retry-After` asked), and
//! grows back by one after each window of as many steps as the current limit without a 429.

mod executor;
mod intent;
mod ready;
mod report;
mod reporter;
mod sink;
mod tailscale;
mod update;
mod webhook_steps;

use std::collections::HashMap;

use petgraph::stable_graph::NodeIndex;
use tokio::task::JoinSet;

use crate::address::Address;
use crate::plan::StepGraph;
use crate::state::{BackendError, Record, State};

use ready::Ready;

pub use executor::{Executor, StepFailure};
pub use report::{ApplyReport, FailedStep, ReportedStep, SaveFailed};
pub use reporter::{Reporter, Silent};
pub use sink::StateSink;
use sink::{blocking, save};
pub use tailscale::TailscaleExecutor;
pub use update::StateUpdate;

/// How apply runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Maximum steps in flight.
    pub parallelism: usize,
}

/// Runs the plan. Returns the report, or [`SaveFailed`] when the state could not be saved
/// (the in-memory `state` then holds results the file lacks).
pub async fn apply<E, S, R>(
    graph: &StepGraph,
    state: &mut State,
    sink: &mut S,
    executor: &E,
    reporter: &R,
    options: ApplyOptions,
) -> Result<ApplyReport, Box<SaveFailed>>
where
    E: Executor,
    S: StateSink + ?Sized,
    R: Reporter,
{
    Walker::new(graph, options)
        .run(state, sink, executor, reporter)
        .await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Waiting,
    Running,
    Done,
    Failed,
    Skipped,
}

type Finished = (NodeIndex, Result<StateUpdate, StepFailure>);

struct Walker<'g> {
    graph: &'g StepGraph,
    parallelism: usize,
    status: HashMap<NodeIndex, Status>,
    waiting_on: HashMap<NodeIndex, usize>,
    ready: Ready,
    tasks: HashMap<tokio::task::Id, NodeIndex>,
    /// Concurrency control: the current limit, steps finished since the last change, and the
    /// executor's 429 count last seen.
    limit: usize,
    calm: usize,
    rate_limited_seen: u64,
    /// The intent recorded for each running create.
    intents: HashMap<NodeIndex, uuid::Uuid>,
    /// Creates absorbed since the last save: their new secrets are only in memory until it.
    fresh_secrets: Vec<Address>,
    report: ApplyReport,
}

impl<'g> Walker<'g> {
    fn new(graph: &'g StepGraph, options: ApplyOptions) -> Self {
        let mut waiting_on = HashMap::new();
        let mut initial = Vec::new();
        for (node, _) in graph.steps() {
            let deps = graph.dependencies(node).count();
            waiting_on.insert(node, deps);
            if deps == 0 {
                initial.push(node);
            }
        }
        // Deterministic start order: by address, then by what the step does.
        initial.sort_by_cached_key(|&n| {
            let step = graph.step(n);
            (step.address().clone(), step.describe())
        });
        let mut ready = Ready::new(graph);
        for node in initial {
            ready.push(graph, node);
        }
        Self {
            graph,
            parallelism: options.parallelism.max(1),
            status: graph.steps().map(|(n, _)| (n, Status::Waiting)).collect(),
            waiting_on,
            ready,
            tasks: HashMap::new(),
            limit: options.parallelism.max(1),
            calm: 0,
            rate_limited_seen: 0,
            intents: HashMap::new(),
            fresh_secrets: Vec::new(),
            report: ApplyReport::default(),
        }
    }

    async fn run<E: Executor, S: StateSink + ?Sized, R: Reporter>(
        mut self,
        state: &mut State,
        sink: &mut S,
        executor: &E,
        reporter: &R,
    ) -> Result<ApplyReport, Box<SaveFailed>> {
        let mut running: JoinSet<Finished> = JoinSet::new();
        self.rate_limited_seen = executor.rate_limited();
        // Results absorbed but not yet saved.
        let mut unsaved: Vec<Address> = Vec::new();
        loop {
            // One save covers the results just absorbed and the intents of the steps about to
            // start: results are on disk before any further step starts, and each intent
            // before its create.
            let launch = self.next_batch(running.len());
            self.record_intents(&launch, state, executor.now());
            if !launch.is_empty() || !unsaved.is_empty() {
                if let Err(source) = save(sink, state, &unsaved) {
                    return Err(self.stop(source, running, state, reporter, unsaved).await);
                }
                unsaved.clear();
                self.fresh_secrets.clear();
            }
            for node in launch {
                self.launch(node, state, executor, reporter, &mut running);
            }
            let Some(first) = running.join_next_with_id().await else {
                if self.ready.is_empty() {
                    break;
                }
                continue;
            };
            let mut finished = vec![self.joined(first)];
            while let Some(more) = running.try_join_next_with_id() {
                finished.push(self.joined(more));
            }
            self.adapt(finished.len(), executor.rate_limited());
            unsaved = self.absorb(finished, state, reporter);
        }
        self.skip_rest(reporter);
        if let Err(e) = blocking(|| sink.settle(state)) {
            // Every result is already durable (in the journal); the next save compacts.
            tracing::warn!(error = %e, "could not fold the state journal into the state file");
        }
        Ok(self.report)
    }

    /// AIMD: halve the limit when new 429s arrived, grow it by one after a calm window.
    fn adapt(&mut self, finished: usize, rate_limited: u64) {
        if rate_limited > self.rate_limited_seen {
            self.rate_limited_seen = rate_limited;
            self.limit = (self.limit / 2).max(1);
            self.calm = 0;
            let lowest = self
                .report
                .lowest_concurrency
                .map_or(self.limit, |l| l.min(self.limit));
            self.report.lowest_concurrency = Some(lowest);
            tracing::info!(limit = self.limit, "rate limited: concurrency halved");
            return;
        }
        self.calm += finished;
        if self.calm >= self.limit && self.limit < self.parallelism {
            self.limit += 1;
            self.calm = 0;
            tracing::debug!(limit = self.limit, "concurrency raised");
        }
    }

    fn next_batch(&mut self, in_flight: usize) -> Vec<NodeIndex> {
        let mut batch = Vec::new();
        while in_flight + batch.len() < self.limit {
            match self.ready.pop() {
                Some(n) => batch.push(n),
                None => break,
            }
        }
        batch
    }

    fn record_intents(&mut self, launch: &[NodeIndex], state: &mut State, now: jiff::Timestamp) {
        for &node in launch {
            if let Some(intent) = intent::intent_for(self.graph.step(node), state, now) {
                self.intents.insert(node, intent.id);
                state.pending.push(intent);
            }
        }
    }

    /// Drops the intent recorded for `node` (its result is known: saved, or nothing happened).
    fn clear_intent(&mut self, node: NodeIndex, state: &mut State) {
        if let Some(id) = self.intents.remove(&node) {
            state.pending.retain(|i| i.id != id);
        }
    }

    fn launch<E: Executor, R: Reporter>(
        &mut self,
        node: NodeIndex,
        state: &State,
        executor: &E,
        reporter: &R,
        running: &mut JoinSet<Finished>,
    ) {
        let step = self.graph.step(node);
        tracing::debug!(step = %step.describe(), "starting");
        reporter.started(step);
        self.status.insert(node, Status::Running);
        let handle = match executor.start(step, state) {
            Ok(op) => running.spawn(async move { (node, op.await) }),
            Err(failure) => running.spawn(async move { (node, Err(failure)) }),
        };
        self.tasks.insert(handle.id(), node);
    }

    /// Applies finished steps to the state; returns the addresses whose results need saving.
    fn absorb<R: Reporter>(
        &mut self,
        finished: Vec<Finished>,
        state: &mut State,
        reporter: &R,
    ) -> Vec<Address> {
        let mut changed = Vec::new();
        for (node, result) in finished {
            let step = self.graph.step(node);
            let address = step.address().clone();
            match result {
                Ok(update) => {
                    let detail = detail(&update);
                    update.apply_to(state);
                    self.clear_intent(node, state);
                    reporter.applied(step, &detail);
                    if step.creates_secret() {
                        self.fresh_secrets.push(address.clone());
                    }
                    self.report.applied.push(ReportedStep::of(step));
                    self.status.insert(node, Status::Done);
                    self.release(node);
                }
                Err(failure) => {
                    if failure.outcome_unknown {
                        // The intent stays: the next plan reads the API for the orphan.
                        self.intents.remove(&node);
                        self.report.outcome_unknown.push(address.clone());
                    } else {
                        self.clear_intent(node, state);
                    }
                    reporter.failed(step, &failure.message);
                    let unknown = failure.outcome_unknown;
                    self.report.failed.push(FailedStep {
                        step: ReportedStep::of(step),
                        failure,
                    });
                    self.status.insert(node, Status::Failed);
                    self.skip_dependents(node, unknown, reporter);
                }
            }
            changed.push(address);
        }
        changed
    }

    fn release(&mut self, node: NodeIndex) {
        for dep in self.graph.dependents(node) {
            let count = self
                .waiting_on
                .get_mut(&dep)
                .expect("every node has a count");
            *count -= 1;
            if *count == 0 && self.status[&dep] == Status::Waiting {
                self.ready.push(self.graph, dep);
            }
        }
    }

    fn skip_dependents<R: Reporter>(&mut self, node: NodeIndex, after_unknown: bool, reporter: &R) {
        let mut stack: Vec<NodeIndex> = self.graph.dependents(node).collect();
        while let Some(n) = stack.pop() {
            if self.status[&n] != Status::Waiting {
                continue;
            }
            self.status.insert(n, Status::Skipped);
            let step = self.graph.step(n);
            reporter.skipped(step);
            self.report.skipped.push(ReportedStep::of(step));
            if after_unknown {
                self.report
                    .skipped_after_unknown
                    .push(step.address().clone());
            }
            stack.extend(self.graph.dependents(n));
        }
    }

    fn skip_rest<R: Reporter>(&mut self, reporter: &R) {
        let mut rest: Vec<NodeIndex> = self
            .status
            .iter()
            .filter(|(_, s)| **s == Status::Waiting)
            .map(|(n, _)| *n)
            .collect();
        rest.sort();
        for n in rest {
            self.status.insert(n, Status::Skipped);
            let step = self.graph.step(n);
            reporter.skipped(step);
            self.report.skipped.push(ReportedStep::of(step));
        }
    }

    /// The state cannot be saved: start nothing more, let in-flight steps finish (their results
    /// stay in memory), and report what is unsaved.
    async fn stop<R: Reporter>(
        mut self,
        source: BackendError,
        mut running: JoinSet<Finished>,
        state: &mut State,
        reporter: &R,
        mut unsaved: Vec<Address>,
    ) -> Box<SaveFailed> {
        self.ready.clear();
        while let Some(done) = running.join_next_with_id().await {
            let finished = self.joined(done);
            unsaved.extend(self.absorb(vec![finished], state, reporter));
        }
        self.skip_rest(reporter);
        unsaved.sort();
        unsaved.dedup();
        let mut unsaved_secrets: Vec<Address> = std::mem::take(&mut self.fresh_secrets)
            .into_iter()
            .filter(|a| state.get(a).and_then(Record::secret).is_some())
            .collect();
        unsaved_secrets.sort();
        unsaved_secrets.dedup();
        Box::new(SaveFailed {
            source,
            unsaved,
            unsaved_secrets,
            report: self.report,
        })
    }
}

impl Walker<'_> {
    /// The result of a joined task; a panicked step becomes that step's failure (a bug, but the
    /// walk and the results already in memory stay intact).
    fn joined(
        &mut self,
        result: Result<(tokio::task::Id, Finished), tokio::task::JoinError>,
    ) -> Finished {
        match result {
            Ok((id, finished)) => {
                self.tasks.remove(&id);
                finished
            }
            Err(e) => {
                let node = self
                    .tasks
                    .remove(&e.id())
                    .expect("every spawned step task is registered");
                (
                    node,
                    Err(StepFailure::new("internal error: the step's task panicked")),
                )
            }
        }
    }
}

/// A short, secret-free description of a result (the new id).
fn detail(update: &StateUpdate) -> String {
    match update {
        StateUpdate::TailnetCreated { record, .. } => format!("id {}", record.id),
        StateUpdate::ClientCreated { record, .. } => format!("id {}", record.id),
        StateUpdate::KeyCreated { record, .. } => format!("id {}", record.id),
        StateUpdate::WebhookCreated { record, .. } => format!("id {}", record.id),
        StateUpdate::WebhookRotated { .. } => "new secret recorded".to_owned(),
        StateUpdate::IdentityCreated { record, .. } => match &record.audience {
            Some(audience) => format!("id {}, audience {audience}", record.id),
            None => format!("id {}", record.id),
        },
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests;

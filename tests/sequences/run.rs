//! Runs one sequence: a fresh world, the generated manifest, each operation in turn with its
//! commands, and a checkpoint of every invariant after each operation (and in the middle of
//! `lock_rm`, between the two applies). The first checkpoint that finds a violation ends the
//! sequence.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::check::{self, Memory, StateView, Truth, Violation};
use super::manifest::Manifest;
use super::ops::{KeyKind, Op};
use super::rng::Rng;
use super::world::{KeyEnv, Run, Spawned, World};

/// The latency injected while an apply is to be interrupted (kill, full disk), so that it lasts
/// long enough to be interrupted anywhere.
const SLOW_MS: u64 = 25;

/// An encryption key the harness made.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Key {
    Passphrase(String),
    /// `keys/age<N>.key` and `.pub`.
    Age(u32),
}

/// A plan saved by `plan --out`.
#[derive(Debug, Clone)]
struct Saved {
    path: String,
    /// [`Seq::changes`] when it was made: a plan applied after anything changed may leave
    /// work for the next plan (the change was not in it).
    changes: u64,
}

/// How sequences run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Trace every operation.
    pub verbose: bool,
    /// Identical key pairs in the manifest.
    pub twins: bool,
    /// Violation classes (`b/plaintext-at-rest`) that are counted but neither end a sequence
    /// nor fail the test.
    pub tolerate: Vec<String>,
}

/// What a sequence did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Operations run (the failing one included).
    pub ops: usize,
    pub commands: usize,
    /// Invariant evaluations (each checkpoint evaluates (a), (b), (c), after a successful apply
    /// (d) too; each command (e); each apply (f)).
    pub checks: usize,
    pub violations: Vec<Violation>,
    /// Violations of tolerated classes (the sequence went on).
    pub tolerated: Vec<Violation>,
    /// Index of the operation whose checkpoint failed.
    pub failed_at: Option<usize>,
    /// The failing operation's commands, exit codes and stderr (redacted).
    pub evidence: Vec<String>,
    /// One line per operation (with `TAILFORM_SEQUENCE_VERBOSE`).
    pub trace: Vec<String>,
    /// How often the interesting paths were reached (kills that landed, orphans, …).
    pub events: std::collections::BTreeMap<&'static str, usize>,
}

struct Seq {
    world: World,
    seed: u64,
    manifest: Manifest,
    /// Operations so far that may change the manifest, the state or the live objects.
    changes: u64,
    /// The key every command is handed (none: the user has no key).
    key: Option<Key>,
    /// A `state encrypt` succeeded (and no `state decrypt` since): encryption must be on.
    encrypting: bool,
    keys_made: u32,
    memory: Memory,
    saved: Option<Saved>,
    plans: Vec<PathBuf>,
    plans_made: u32,
    /// The view of the last checkpoint.
    view: StateView,
    /// The stored bytes' fingerprint (with the key) the view was loaded from.
    loaded: Option<(String, StateView)>,
    truth: Truth,
    /// Every plaintext secret seen so far, by SHA-256 (the emulator keeps only the hashes).
    learned: check::Learned,
    out: Outcome,
    /// Orphans seen (live, never recorded: an interrupted create), counted once.
    orphans: std::collections::BTreeSet<String>,
    /// This operation's runs, and the violations found in them.
    runs: Vec<Run>,
    found: Vec<Violation>,
}

/// Runs `ops` on a fresh world seeded by `seed`; `postgres` selects that backend.
pub fn sequence(seed: u64, ops: &[Op], postgres: Option<&str>, opts: &Options) -> Outcome {
    let verbose = opts.verbose;
    let world = World::new(seed, postgres);
    let manifest = Manifest::generate(seed, opts.twins);
    world.write("tailform.yaml", &manifest.yaml());
    let valid = world.run(&["validate"], &KeyEnv::default());
    assert_eq!(
        valid.code,
        Some(0),
        "the harness generated a manifest `tailform validate` rejects (seed {seed}):\n{}\n{}",
        manifest.yaml(),
        valid.stderr
    );
    let mut s = Seq {
        world,
        seed,
        manifest,
        changes: 0,
        key: None,
        encrypting: false,
        keys_made: 0,
        memory: Memory::default(),
        saved: None,
        plans: Vec::new(),
        plans_made: 0,
        view: StateView::default(),
        loaded: None,
        truth: Truth::default(),
        learned: check::Learned::new(),
        out: Outcome::default(),
        runs: Vec::new(),
        found: Vec::new(),
        orphans: std::collections::BTreeSet::new(),
    };
    // Half the sequences start encrypted: the first save seals with the key every command is
    // given (as a team's PostgreSQL state is), without a `state encrypt`. Mostly with an age
    // identity: a passphrase costs a scrypt derivation (about half a second here) per command.
    let mut rng = Rng::new(seed ^ 0x00C0_FFEE);
    if rng.chance(50) {
        let kind = if rng.chance(30) {
            KeyKind::Passphrase
        } else {
            KeyKind::Age
        };
        s.key = Some(s.new_key(kind));
    }
    for (i, op) in ops.iter().enumerate() {
        s.runs.clear();
        s.found.clear();
        let started = Instant::now();
        let note = s.op(op);
        s.out.ops += 1;
        if verbose {
            let codes: Vec<String> = s
                .runs
                .iter()
                .map(|r| match (r.killed, r.code) {
                    (true, _) => format!("`{}` killed", r.label),
                    (_, Some(0)) => format!("`{}` → 0", r.label),
                    (_, Some(c)) => format!(
                        "`{}` → {c} ({})",
                        r.label,
                        s.truth.redact(
                            r.stderr
                                .lines()
                                .rfind(|l| l.starts_with("error: ") || l.contains(": FAILED: "))
                                .unwrap_or_default()
                        )
                    ),
                    (_, None) => format!("`{}` → signal", r.label),
                })
                .collect();
            s.out.trace.push(format!(
                "  [{i:>2}] {op:<22} {:>5} ms  {note}{}{}",
                started.elapsed().as_millis(),
                if codes.is_empty() { "" } else { "  " },
                codes.join(", ")
            ));
        }
        let (tolerated, found): (Vec<Violation>, Vec<Violation>) = std::mem::take(&mut s.found)
            .into_iter()
            .partition(|v| opts.tolerate.contains(&v.class()));
        s.out.tolerated.extend(tolerated);
        s.found = found;
        if !s.found.is_empty() {
            s.out.violations = std::mem::take(&mut s.found);
            s.out.failed_at = Some(i);
            s.out.evidence = s
                .runs
                .iter()
                .map(|r| {
                    let code = match (r.killed, r.code) {
                        (true, _) => "killed by the harness".to_owned(),
                        (_, Some(c)) => format!("exit {c}"),
                        (_, None) => "ended by a signal".to_owned(),
                    };
                    let stderr: Vec<&str> = r.stderr.lines().rev().take(6).collect();
                    let stderr: Vec<&str> = stderr.into_iter().rev().collect();
                    s.truth.redact(&format!(
                        "`{}` → {code}; stderr (last lines): {}",
                        r.label,
                        stderr.join(" | ")
                    ))
                })
                .collect();
            if verbose {
                s.out
                    .evidence
                    .push(format!("manifest:\n{}", s.manifest.yaml()));
            }
            break;
        }
    }
    s.out
}

impl Seq {
    /// Runs one operation and its checkpoints; returns a note on what it did.
    fn op(&mut self, op: &Op) -> String {
        if !matches!(
            op,
            Op::Output | Op::OutputNoKey | Op::PlanOut | Op::ApplySaved | Op::Doctor
        ) {
            self.changes += 1;
        }
        match op {
            Op::Apply => {
                let ok = self.apply(&["apply", "--auto-approve"], self.key_env());
                self.checkpoint(ok, ok);
                String::new()
            }
            Op::ApplyNoKey => {
                let ok = self.apply(&["apply", "--auto-approve"], KeyEnv::default());
                self.checkpoint(ok, ok);
                String::new()
            }
            Op::PlanOut => {
                self.plan_out();
                self.checkpoint(false, false);
                String::new()
            }
            Op::ApplySaved => {
                let note = if self.saved.is_none() {
                    self.plan_out();
                    "(saved a plan first)".to_owned()
                } else {
                    String::new()
                };
                let Some(saved) = self.saved.clone() else {
                    self.checkpoint(false, false);
                    return "no plan could be saved".into();
                };
                let plan: Value = std::fs::read(self.world.path(&saved.path))
                    .ok()
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null);
                // The last checkpoint's view: nothing wrote the state since (a plan does not).
                let current = (self.view.serial, self.view.lineage.clone());
                let ok = self.apply(&["apply", &saved.path], self.key_env());
                // A state never saved has no lineage yet: only its serial (0) counts.
                let stale = plan["serial"].as_u64() != Some(current.0)
                    || (current.0 > 0 && plan["lineage"].as_str() != Some(current.1.as_str()));
                if stale && !ok {
                    s_event(&mut self.out, "stale saved plans refused");
                }
                if ok && stale {
                    self.found.push(Violation::new(
                        'd',
                        "stale-plan-applied",
                        format!(
                            "`apply {}` succeeded although the plan was made at serial {} and the state is at serial {}",
                            saved.path, plan["serial"], current.0
                        ),
                    ));
                }
                let unchanged = saved.changes == self.changes;
                self.checkpoint(ok, ok && unchanged);
                format!("{note}{}", if stale { " (stale)" } else { "" })
            }
            Op::Encrypt(kind) => {
                let note = match self.key.clone() {
                    None => {
                        let new = self.new_key(*kind);
                        let env = self.writer_env(&new, None);
                        let run = self.run(&["state", "encrypt"], env);
                        if run.code == Some(0) {
                            self.key = Some(new.clone());
                            self.encrypting = true;
                        }
                        format!("with a new {}", key_name(&new))
                    }
                    Some(_) => {
                        let run = self.run(&["state", "encrypt"], self.key_env());
                        if run.code == Some(0) {
                            self.encrypting = true;
                        }
                        "with the current key".to_owned()
                    }
                };
                self.checkpoint(false, false);
                note
            }
            Op::Rollover(kind) => {
                let new = self.new_key(*kind);
                let old = self.key.clone();
                let env = self.writer_env(&new, old.as_ref());
                let run = self.run(&["state", "encrypt"], env);
                if run.code == Some(0) {
                    self.key = Some(new.clone());
                    self.encrypting = true;
                }
                self.checkpoint(false, false);
                format!(
                    "{} → {}",
                    old.as_ref().map_or("plaintext", key_name),
                    key_name(&new)
                )
            }
            Op::Decrypt => {
                let run = self.run(&["state", "decrypt"], self.key_env());
                if run.code == Some(0) {
                    self.key = None;
                    self.encrypting = false;
                }
                self.checkpoint(false, false);
                String::new()
            }
            Op::Output => {
                self.output();
                self.checkpoint(false, false);
                String::new()
            }
            Op::OutputNoKey => {
                let encrypted = self.world.stored_encrypted();
                let sealed = self
                    .view
                    .holders
                    .values()
                    .flatten()
                    .filter(|h| matches!(h.secret, check::Held::Plain(_)))
                    .count();
                let run = self.run_checked(&["output"], KeyEnv::default(), &[], !encrypted);
                if encrypted && sealed > 0 && run.code == Some(0) {
                    self.found.push(Violation::new(
                        'e',
                        "output-without-key-exits-0",
                        format!(
                            "`output` without the key exited 0 although it could not show {sealed} sealed secret(s)"
                        ),
                    ));
                }
                self.checkpoint(false, false);
                String::new()
            }
            Op::Replace(n) => {
                let declared = self.manifest.addresses();
                let candidates: Vec<String> = self
                    .view
                    .members
                    .keys()
                    .filter(|a| declared.contains(a))
                    .cloned()
                    .collect();
                if candidates.is_empty() {
                    let ok = self.apply(&["apply", "--auto-approve"], self.key_env());
                    self.checkpoint(ok, ok);
                    return "nothing to replace: applied".into();
                }
                let address = candidates[*n as usize % candidates.len()].clone();
                let ok = self.apply(
                    &["apply", "--auto-approve", "--replace", &address],
                    self.key_env(),
                );
                self.checkpoint(ok, ok);
                address
            }
            Op::RmImport(n) => {
                let candidates: Vec<(String, String)> = self
                    .view
                    .members
                    .iter()
                    .map(|(a, id)| (a.clone(), id.clone()))
                    .collect();
                if candidates.is_empty() {
                    self.checkpoint(false, false);
                    return "nothing in the state".into();
                }
                let (address, id) = candidates[*n as usize % candidates.len()].clone();
                // `state rm` of a record that holds a secret (open or sealed) asks first; with
                // standard input closed it refuses unless `--force`. A third of the time the
                // harness tries without `--force` first, as a user would.
                let holds_secret = self
                    .view
                    .holders
                    .get(&id)
                    .into_iter()
                    .flatten()
                    .any(|h| h.address == address && h.secret != check::Held::Absent);
                let mut removed = false;
                if *n % 3 == 0 {
                    let rm = self.run(&["state", "rm", &address], self.key_env());
                    removed = rm.code == Some(0);
                    if holds_secret && removed {
                        self.found.push(Violation::new(
                            'a',
                            "rm-dropped-secret-unasked",
                            format!(
                                "`state rm {address}` without --force, standard input closed, removed a record holding a secret"
                            ),
                        ));
                    } else if holds_secret {
                        s_event(&mut self.out, "state rm refusals to drop a secret unasked");
                    }
                }
                if !removed {
                    let rm = self.run(&["state", "rm", "--force", &address], self.key_env());
                    removed = rm.code == Some(0);
                }
                if removed {
                    self.memory.released.insert(id.clone());
                }
                let import = self.run(&["import", &address, &id], self.key_env());
                if import.code == Some(0) {
                    s_event(
                        &mut self.out,
                        "objects removed from the state and imported again",
                    );
                    self.memory.released.remove(&id);
                    self.memory.imported.insert(id.clone());
                }
                self.checkpoint(false, false);
                format!("{address} ({id})")
            }
            Op::Edit(edit, choice) => {
                let note = self.manifest.edit(*edit, *choice);
                self.write_manifest();
                self.checkpoint(false, false);
                note
            }
            Op::Move(n) => self.mv(*n),
            Op::Doctor => {
                // Read-only: the stored state (every file but the lock, or the row) is the
                // same byte for byte afterwards; exit 1 is its "a problem was found".
                let unlocked = |w: &World| -> Vec<(String, Vec<u8>)> {
                    w.stored()
                        .into_iter()
                        .filter(|(n, _)| !n.ends_with(".lock"))
                        .collect()
                };
                let before = unlocked(&self.world);
                let run =
                    self.run_checked(&["doctor", "--format", "json"], self.key_env(), &[1], false);
                self.count_check();
                if unlocked(&self.world) != before {
                    self.found.push(Violation::new(
                        'a',
                        "doctor-wrote-state",
                        "`doctor` (a read-only preflight) changed the stored state",
                    ));
                }
                if run.code == Some(1) && serde_json::from_str::<Value>(&run.stdout).is_err() {
                    self.found.push(Violation::new(
                        'e',
                        "doctor-no-report",
                        "`doctor --format json` exited 1 without its JSON report on stdout",
                    ));
                }
                self.checkpoint(false, false);
                match run.code {
                    Some(0) => "all good".into(),
                    Some(1) => "found a problem".into(),
                    c => format!("exit {c:?}"),
                }
            }
            Op::RefreshOnly => {
                let ok = self.apply(
                    &["apply", "--refresh-only", "--auto-approve"],
                    self.key_env(),
                );
                // A refresh-only apply reads the API and writes the state, never the API.
                let log = self.world.log();
                let writes: Vec<String> = log
                    .iter()
                    .filter(|e| {
                        e["method"] != "GET"
                            && e["path"]
                                .as_str()
                                .is_some_and(|p| !p.ends_with("/oauth/token"))
                    })
                    .map(|e| {
                        format!(
                            "{} {}",
                            e["method"].as_str().unwrap_or("?"),
                            e["path"].as_str().unwrap_or("?")
                        )
                    })
                    .collect();
                self.count_check();
                if !writes.is_empty() {
                    self.found.push(Violation::new(
                        'f',
                        "refresh-only-wrote",
                        format!("`apply --refresh-only` sent {}", writes.join(", ")),
                    ));
                }
                self.checkpoint(false, false);
                if ok { String::new() } else { "failed".into() }
            }
            Op::Destroy(n) => {
                let candidates: Vec<(String, String)> = self
                    .view
                    .members
                    .iter()
                    .map(|(a, id)| (a.clone(), id.clone()))
                    .collect();
                if candidates.is_empty() {
                    self.checkpoint(false, false);
                    return "nothing in the state".into();
                }
                let (address, id) = candidates[*n as usize % candidates.len()].clone();
                let ok = self.apply(
                    &["destroy", "--auto-approve", "--target", &address],
                    self.key_env(),
                );
                self.checkpoint(false, false);
                if ok {
                    s_event(&mut self.out, "objects destroyed with destroy --target");
                    self.count_check();
                    let live = self.truth.objects.get(&id).is_some_and(|o| o.valid);
                    let kept = self.view.members.get(&address) == Some(&id);
                    if live || kept {
                        self.found.push(Violation::new(
                            'c',
                            "destroy-left-object",
                            format!(
                                "`destroy --target {address}` succeeded, yet {id} is {}{}",
                                if live { "still live" } else { "revoked" },
                                if kept { " and still tracked there" } else { "" }
                            ),
                        ));
                    }
                }
                format!("{address} ({id}){}", if ok { "" } else { ": failed" })
            }
            Op::Clock(seconds) => {
                self.world.advance_clock(*seconds);
                self.checkpoint(false, false);
                format!("+{}h", seconds / 3600)
            }
            Op::Revoke(n) => {
                // Not a tailnet's own OAuth client: tailform reaches the tailnet with it, and
                // its loss is a documented manual repair (`tailform doctor` reports it; the fix
                // is `state rm` and `import` of the tailnet), not a path tailform recovers on.
                let own: std::collections::BTreeSet<&String> = self
                    .view
                    .holders
                    .iter()
                    .filter(|(_, hs)| hs.iter().any(|h| h.address.ends_with(check::OWN_CLIENT)))
                    .map(|(id, _)| id)
                    .collect();
                let live: Vec<(String, String)> = self
                    .truth
                    .objects
                    .values()
                    .filter(|o| o.valid && !own.contains(&o.id))
                    .map(|o| (o.tailnet.clone(), o.id.clone()))
                    .collect();
                let note = if live.is_empty() {
                    "nothing live".to_owned()
                } else {
                    let (tailnet, id) = live[*n as usize % live.len()].clone();
                    let status = self.world.revoke(&tailnet, &id);
                    format!("{id} (HTTP {status})")
                };
                self.checkpoint(false, false);
                note
            }
            Op::Use(n) => {
                let keys: Vec<String> = self
                    .truth
                    .objects
                    .values()
                    .filter(|o| o.valid && !o.client)
                    .map(|o| o.id.clone())
                    .collect();
                let note = if keys.is_empty() {
                    "no live auth key".to_owned()
                } else {
                    let id = keys[*n as usize % keys.len()].clone();
                    let status = self.world.use_key(&id);
                    format!("{id} (HTTP {status})")
                };
                self.checkpoint(false, false);
                note
            }
            Op::Kill(ms) => {
                let (run, finished) = self.interrupted(u64::from(*ms), |_| true, None);
                let ok = finished && run.code == Some(0);
                if !finished {
                    s_event(&mut self.out, "applies killed with SIGKILL");
                }
                self.checkpoint(ok, ok);
                if finished {
                    "finished before the kill".into()
                } else {
                    "killed".into()
                }
            }
            Op::LockRm(n) => self.lock_rm(*n),
            Op::DiskFull(ms) => {
                let app = format!("tailform-seq-{}", self.seed);
                let pages = u64::from(*ms) % 2;
                let (run, finished) = self.interrupted(
                    u64::from(*ms),
                    |w| {
                        w.break_writes(pages, &app);
                        false
                    },
                    Some(&app),
                );
                self.world.restore_writes();
                let ok = run.code == Some(0);
                if !finished && !ok {
                    s_event(&mut self.out, "applies stopped by an unwritable state");
                }
                self.checkpoint(ok, ok);
                match (finished, self.world.is_file()) {
                    (true, _) => "finished before the state became unwritable".into(),
                    (false, true) => format!("{:?} during the apply", self.world.disk),
                    (false, false) => "database session terminated during the apply".into(),
                }
            }
            Op::Faults(n) => {
                let mut rng = Rng::new(u64::from(*n));
                let mut faults = json!({
                    "rate429": rng.pick(&[0.0, 0.1, 0.25]),
                    "rate5xx": rng.pick(&[0.0, 0.05, 0.15]),
                    "dropResponseAfterCommit": rng.pick(&[0.0, 0.1, 0.25]),
                    "seed": n,
                    "retryAfterSeconds": 0,
                });
                if faults["rate429"] == 0.0
                    && faults["rate5xx"] == 0.0
                    && faults["dropResponseAfterCommit"] == 0.0
                {
                    faults["dropResponseAfterCommit"] = json!(0.2);
                }
                self.world.set_faults(faults.clone());
                let ok = self.apply(&["apply", "--auto-approve"], self.key_env());
                self.world.set_faults(json!({}));
                if !ok {
                    s_event(&mut self.out, "applies failed under injected faults");
                }
                self.checkpoint(ok, ok);
                format!(
                    "429 {}, 5xx {}, lost {}",
                    faults["rate429"], faults["rate5xx"], faults["dropResponseAfterCommit"]
                )
            }
        }
    }

    /// Writes the manifest and checks that `tailform validate` accepts it (a rejection is the
    /// harness's own fault, class `h`).
    fn write_manifest(&mut self) {
        self.world.write("tailform.yaml", &self.manifest.yaml());
        let run = self.world.run(&["validate"], &KeyEnv::default());
        self.out.commands += 1;
        if run.code != Some(0) {
            self.found.push(Violation::new(
                'h',
                "harness-invalid-manifest",
                format!(
                    "the harness generated a manifest `tailform validate` rejects: {}",
                    run.stderr.lines().take(6).collect::<Vec<_>>().join(" | ")
                ),
            ));
        }
    }

    /// `move`: a tracked, declared client or key is renamed in the manifest; its record
    /// follows by a `moved:` entry and an apply (even `n`) or by `state mv` (odd `n`). Either
    /// way the object, its id and its secret are kept (the README's promise for both).
    fn mv(&mut self, n: u32) -> String {
        let declared = self.manifest.addresses();
        let candidates: Vec<(String, String)> = self
            .view
            .members
            .iter()
            .filter(|(a, _)| declared.contains(a))
            .map(|(a, id)| (a.clone(), id.clone()))
            .collect();
        if candidates.is_empty() {
            let ok = self.apply(&["apply", "--auto-approve"], self.key_env());
            self.checkpoint(ok, ok);
            return "nothing to move: applied".into();
        }
        let (from, id) = candidates[n as usize % candidates.len()].clone();
        let before = self
            .view
            .holders
            .get(&id)
            .and_then(|hs| hs.iter().find(|h| h.address == from))
            .map(|h| h.secret.clone());
        let to = self
            .manifest
            .rename(&from)
            .expect("a declared address renames");
        if n.is_multiple_of(2) {
            self.manifest.moves.push((from.clone(), to.clone()));
            self.write_manifest();
            let ok = self.apply(&["apply", "--auto-approve"], self.key_env());
            let stdout = self
                .runs
                .last()
                .map(|r| r.stdout.clone())
                .unwrap_or_default();
            self.count_check();
            if ok && !stdout.contains(&format!("# {from} has moved to {to}")) {
                self.found.push(Violation::new(
                    'a',
                    "moved-not-followed",
                    format!(
                        "the apply after a `moved:` entry from {from} to {to} succeeded without following it ({id})"
                    ),
                ));
            }
            if ok {
                s_event(&mut self.out, "moved: entries followed by an apply");
            }
            self.checkpoint(ok, ok);
            return format!(
                "moved: {from} → {to} ({id}){}",
                if ok { "" } else { ", apply failed" }
            );
        }
        self.write_manifest();
        let run = self.run(&["state", "mv", &from, &to], self.key_env());
        self.checkpoint(false, false);
        self.count_check();
        if run.code != Some(0) {
            self.found.push(Violation::new(
                'a',
                "state-mv-failed",
                format!(
                    "`state mv {from} {to}` of a tracked record to a fresh address exited {:?}: {}",
                    run.code,
                    self.truth
                        .redact(run.stderr.lines().last().unwrap_or_default())
                ),
            ));
            return format!("state mv {from} → {to}: failed");
        }
        s_event(&mut self.out, "records renamed by state mv");
        let after = self
            .view
            .holders
            .get(&id)
            .and_then(|hs| hs.iter().find(|h| h.address == to))
            .map(|h| h.secret.clone());
        if self.view.members.get(&to) != Some(&id)
            || self.view.members.contains_key(&from)
            || after != before
        {
            self.found.push(Violation::new(
                'a',
                "state-mv-changed-record",
                format!(
                    "after `state mv {from} {to}` the state has {:?} at {to} (expected {id} with its secret unchanged{}){}",
                    self.view.members.get(&to),
                    if after == before { "" } else { "; the secret changed" },
                    if self.view.members.contains_key(&from) { format!("; {from} is still tracked") } else { String::new() }
                ),
            ));
        }
        format!("state mv {from} → {to} ({id})")
    }

    /// `lock_rm`: a key is revoked out of band (so both applies have work), apply A plans and
    /// waits at its prompt holding the lock, the lock is removed by hand, apply B runs, then A
    /// is confirmed.
    fn lock_rm(&mut self, n: u32) -> String {
        let tracked: Vec<(String, String)> = self
            .truth
            .objects
            .values()
            .filter(|o| o.valid && !o.client && self.view.holders.contains_key(&o.id))
            .map(|o| (o.tailnet.clone(), o.id.clone()))
            .collect();
        let mut note = String::new();
        if !tracked.is_empty() {
            let (tailnet, id) = tracked[n as usize % tracked.len()].clone();
            self.world.revoke(&tailnet, &id);
            note = format!("revoked {id}; ");
        }
        let key = self.key_env();
        let mut first = Spawned::start(self.world.command(&["apply"], &key), true);
        let prompt = first.wait_for("Enter a value:", Duration::from_secs(30));
        if prompt {
            self.world.remove_lock();
            s_event(&mut self.out, "locks removed under a waiting apply");
        }
        let second = self.apply(&["apply", "--auto-approve"], key.clone());
        self.checkpoint(second, false);
        self.world.reset_stats();
        if prompt {
            first.send("yes\n");
        }
        let run = first.finish(
            super::world::label(&["apply", "(confirmed later)"], &key),
            false,
        );
        self.record(&run, &[], false);
        let log = self.world.log();
        self.count_check();
        self.found.extend(check::deletes(&log, &run.label));
        let first_ok = run.code == Some(0);
        let last_ok = if prompt { first_ok } else { second };
        self.checkpoint(last_ok, last_ok);
        note.push_str(match (prompt, first_ok, second) {
            (false, ..) => "A had nothing to confirm",
            (true, true, true) => "both applies succeeded",
            (true, true, false) => "B failed, A succeeded",
            (true, false, true) => "B succeeded, A failed",
            (true, false, false) => "both failed",
        });
        note
    }

    /// Starts an apply with injected latency; after `ms` (unless it ended) calls `interrupt`,
    /// which kills it when it returns true. Returns the run and whether it finished first.
    fn interrupted(
        &mut self,
        ms: u64,
        interrupt: impl FnOnce(&World) -> bool,
        app: Option<&str>,
    ) -> (Run, bool) {
        self.world.set_faults(json!({ "latencyMs": SLOW_MS }));
        self.world.reset_stats();
        let key = self.key_env();
        let mut cmd = self.world.command(&["apply", "--auto-approve"], &key);
        if let Some(app) = app {
            cmd.env("PGAPPNAME", app);
        }
        let before = self.world.pending_ids();
        let mut child = Spawned::start(cmd, false);
        // Below 40: that many ms after the start (before, during or after planning). From 40:
        // (ms - 40) % 30 ms after the apply saved its first intent (a create is about to be
        // sent), so the interruption lands among creates in flight and results being saved.
        let (anchored, delay) = if ms < 40 {
            (false, ms)
        } else {
            (true, (ms - 40) % 30)
        };
        let mut started = Instant::now();
        let mut armed = !anchored;
        let mut finished = false;
        loop {
            if child.done() {
                finished = true;
                break;
            }
            if !armed
                && self
                    .world
                    .pending_ids()
                    .difference(&before)
                    .next()
                    .is_some()
            {
                armed = true;
                started = Instant::now();
            }
            if armed && started.elapsed() >= Duration::from_millis(delay) {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let kill = if finished {
            false
        } else {
            interrupt(&self.world)
        };
        let run = child.finish(
            super::world::label(&["apply", "--auto-approve"], &key),
            kill,
        );
        self.world.set_faults(json!({}));
        self.record(&run, &[], false);
        let log = self.world.log();
        self.count_check();
        self.found.extend(check::deletes(&log, &run.label));
        (run, finished)
    }

    fn plan_out(&mut self) {
        self.plans_made += 1;
        let path = format!("plans/p{}.plan", self.plans_made);
        let run = self.run(&["plan", "--out", &path], self.key_env());
        if run.code == Some(0) {
            self.plans.push(self.world.path(&path));
            self.saved = Some(Saved {
                path,
                changes: self.changes,
            });
        }
    }

    fn output(&mut self) {
        let run = self.run_checked(&["output", "--format", "json"], self.key_env(), &[], true);
        if run.code != Some(0) {
            self.found.push(Violation::new(
                'a',
                "output-failed",
                format!("`{}` with the key exited {:?}", run.label, run.code),
            ));
            return;
        }
        let Ok(map) = serde_json::from_str::<Value>(&run.stdout) else {
            self.found.push(Violation::new(
                'e',
                "output-not-json",
                "`output --format json` did not print JSON",
            ));
            return;
        };
        self.truth = self.read_truth();
        for (address, v) in map.as_object().into_iter().flatten() {
            // The secret's owner: an OAuth client (a tailnet's own, or declared) or a key.
            let id = v["oauth_client_id"]
                .as_str()
                .or(v["key_id"].as_str())
                .unwrap_or_default();
            let Some(object) = self.truth.objects.get(id) else {
                continue;
            };
            match v["secret"].as_str() {
                Some(s) if object.is_secret(s) => {
                    self.memory.held.insert(id.to_owned(), address.clone());
                }
                Some(s) => self.found.push(Violation::new(
                    'a',
                    "wrong-secret",
                    format!(
                        "`output` shows {} for {address} ({id}), whose secret is {}",
                        check::hash(s),
                        object.secret_name()
                    ),
                )),
                None if object.valid && !self.memory.imported.contains(id) => {
                    self.found.push(Violation::new(
                        'a',
                        "output-missing-secret",
                        format!("`output` with the key shows no secret for live {address} ({id})"),
                    ))
                }
                None => {}
            }
        }
    }

    /// Runs an apply-like command: stats reset first, (e) and (f) after. True on exit 0.
    fn apply(&mut self, args: &[&str], key: KeyEnv) -> bool {
        self.world.reset_stats();
        let run = self.run(args, key);
        let log = self.world.log();
        self.count_check();
        self.found.extend(check::deletes(&log, &run.label));
        run.code == Some(0)
    }

    fn run(&mut self, args: &[&str], key: KeyEnv) -> Run {
        self.run_checked(args, key, &[], false)
    }

    fn run_checked(&mut self, args: &[&str], key: KeyEnv, ok: &[i32], shows: bool) -> Run {
        let run = self.world.run(args, &key);
        self.record(&run, ok, shows);
        run
    }

    /// Checks (e) on a finished run and keeps it as evidence.
    fn record(&mut self, run: &Run, ok: &[i32], shows_secrets: bool) {
        self.out.commands += 1;
        self.truth = self.read_truth();
        self.learn(format!("{}\n{}", run.stdout, run.stderr).as_bytes(), &[]);
        self.count_check();
        self.found
            .extend(check::command(run, &self.truth, ok, shows_secrets));
        self.runs.push(run.clone());
    }

    fn count_check(&mut self) {
        self.out.checks += 1;
    }

    fn read_truth(&self) -> Truth {
        let (data, now) = self.world.emulator_data();
        Truth::from_data(&data, &now, &self.learned)
    }

    /// Remembers every `tskey-…` token in `bytes` (and `plain`, a secret read from the state)
    /// by its hash, so that later searches find its random part alone too.
    fn learn(&mut self, bytes: &[u8], plain: &[&str]) {
        let mut new = false;
        for t in check::tokens(bytes)
            .into_iter()
            .chain(plain.iter().map(|p| (*p).to_owned()))
        {
            let h = check::sha256(&t);
            if self.truth.objects.values().any(|o| o.secret_hash == h)
                && !self.learned.contains_key(&h)
            {
                self.learned.insert(h, t);
                s_event(&mut self.out, "secrets known to the checker in plaintext");
                new = true;
            }
        }
        if new {
            self.truth = self.read_truth();
        }
    }

    /// Checks (a), (b), (c) — strictly when `applied` (a successful apply just ended) — and,
    /// when `plan`, (d).
    fn checkpoint(&mut self, applied: bool, plan: bool) {
        self.truth = self.read_truth();
        let stored = self.world.stored();
        // Loading with a passphrase runs scrypt (a few hundred ms): a state whose stored bytes
        // did not change since the last checkpoint is not loaded again.
        let fingerprint = {
            use sha2::Digest as _;
            let mut h = sha2::Sha256::new();
            h.update(format!("{:?}", self.key).as_bytes());
            for (name, bytes) in &stored {
                if name.ends_with(".lock") {
                    continue;
                }
                h.update(name.as_bytes());
                h.update(bytes);
            }
            hex::encode(h.finalize())
        };
        if let Some((f, view)) = &self.loaded
            && *f == fingerprint
        {
            self.view = view.clone();
        } else {
            match self.world.load(self.keys()) {
                Ok(l) => {
                    self.view = StateView::from(&l);
                    self.loaded = Some((fingerprint, self.view.clone()));
                }
                Err(e) => {
                    self.found.push(Violation::new(
                        'a',
                        "state-unloadable",
                        format!(
                            "the state does not load with the current key ({}): {}",
                            self.key.as_ref().map_or("none", key_name),
                            self.truth.redact(&e)
                        ),
                    ));
                    return;
                }
            }
        }
        let plains: Vec<String> = self
            .view
            .holders
            .values()
            .flatten()
            .filter_map(|h| match &h.secret {
                check::Held::Plain(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        let plains: Vec<&str> = plains.iter().map(String::as_str).collect();
        let all: Vec<u8> = stored.iter().flat_map(|(_, b)| b.iter().copied()).collect();
        self.learn(&all, &plains);
        self.out.checks += 3;
        self.found
            .extend(check::secrets(&self.truth, &self.view, &mut self.memory));
        let plans: Vec<(String, Vec<u8>)> = self
            .plans
            .iter()
            .filter_map(|p| {
                std::fs::read(p)
                    .ok()
                    .map(|b| (p.file_name().unwrap().to_string_lossy().into_owned(), b))
            })
            .collect();
        let encrypted = self.world.stored_encrypted();
        self.found.extend(check::at_rest(
            &self.truth,
            &stored,
            &plans,
            encrypted || self.encrypting,
        ));
        let any_secret = self
            .view
            .holders
            .values()
            .flatten()
            .any(|h| h.secret != check::Held::Absent);
        if self.encrypting && !encrypted && any_secret {
            self.found.push(Violation::new(
                'b',
                "encryption-off",
                "the last successful `state encrypt` set a key, but the stored state carries no encryption header",
            ));
        }
        for o in self.truth.objects.values() {
            if o.valid
                && !self.view.holders.contains_key(&o.id)
                && !self.view.deposed.contains_key(&o.id)
                && !self.memory.held.contains_key(&o.id)
                && !self.memory.released.contains(&o.id)
                && self.orphans.insert(o.id.clone())
            {
                s_event(&mut self.out, "orphans of interrupted creates seen");
            }
        }
        self.found.extend(check::tracking(
            &self.truth,
            &self.view,
            &self.memory,
            applied,
        ));
        if plan {
            self.out.checks += 1;
            let run = self.run_checked(
                &["plan", "--detailed-exitcode"],
                self.key_env(),
                &[2],
                false,
            );
            if run.code != Some(0) {
                let changes: Vec<&str> = run
                    .stdout
                    .lines()
                    .filter(|l| l.trim_start().starts_with("# "))
                    .take(6)
                    .collect();
                self.found.push(Violation::new(
                    'd',
                    "plan-not-empty",
                    format!(
                        "after a successful apply `plan --detailed-exitcode` exited {:?}: {}",
                        run.code,
                        if changes.is_empty() {
                            self.truth
                                .redact(run.stderr.lines().last().unwrap_or_default())
                        } else {
                            changes.join(" | ")
                        }
                    ),
                ));
            }
        }
    }

    fn new_key(&mut self, kind: KeyKind) -> Key {
        self.keys_made += 1;
        let n = self.keys_made;
        match kind {
            KeyKind::Passphrase => {
                Key::Passphrase(format!("sequence {} passphrase {n}", self.seed))
            }
            KeyKind::Age => {
                use secrecy::ExposeSecret as _;
                let id = age::x25519::Identity::generate();
                self.world.write(
                    &format!("keys/age{n}.key"),
                    &format!("{}\n", id.to_string().expose_secret()),
                );
                self.world.write(
                    &format!("keys/age{n}.pub"),
                    &format!("{}\n", id.to_public()),
                );
                Key::Age(n)
            }
        }
    }

    /// The environment of a user who has the current key.
    fn key_env(&self) -> KeyEnv {
        match &self.key {
            None => KeyEnv::default(),
            Some(k) => {
                let mut env = self.writer_env(k, None);
                env.note = "[key]";
                env
            }
        }
    }

    /// Writes with `new`, reading with `old` as the fallback.
    fn writer_env(&self, new: &Key, old: Option<&Key>) -> KeyEnv {
        let mut e = KeyEnv {
            note: if old.is_some() {
                "[fallback + new key]"
            } else {
                "[new key]"
            },
            ..KeyEnv::default()
        };
        match old {
            Some(Key::Passphrase(p)) => {
                e.env
                    .push(("TAILFORM_PASSPHRASE_FALLBACK".into(), p.clone()));
            }
            Some(Key::Age(n)) => {
                e.args.push("--age-identity".into());
                e.args.push(format!("keys/age{n}.key"));
            }
            None => {}
        }
        match new {
            Key::Passphrase(p) => e.env.push(("TAILFORM_PASSPHRASE".into(), p.clone())),
            Key::Age(n) => {
                e.args.push("--age-identity".into());
                e.args.push(format!("keys/age{n}.key"));
                e.args.push("--age-recipients".into());
                e.args.push(format!("keys/age{n}.pub"));
            }
        }
        e
    }

    /// The current key, for the checker's own loads.
    fn keys(&self) -> tailform::seal::Keys {
        let dir = self.world.dir.path();
        match &self.key {
            None => tailform::seal::Keys::default(),
            Some(Key::Passphrase(p)) => tailform::seal::Keys::passphrase(p),
            Some(Key::Age(n)) => tailform::seal::Keys::load(
                |_| None,
                &[dir.join(format!("keys/age{n}.pub"))],
                &[dir.join(format!("keys/age{n}.key"))],
            )
            .expect("the harness's age keys load"),
        }
    }
}

fn s_event(out: &mut Outcome, what: &'static str) {
    *out.events.entry(what).or_default() += 1;
}

fn key_name(k: &Key) -> &'static str {
    match k {
        Key::Passphrase(_) => "passphrase",
        Key::Age(_) => "age identity",
    }
}

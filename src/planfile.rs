//! Saved plans (`plan --out FILE`, `apply FILE`): the steps, the state lineage and serial they
//! were planned against, the refresh scope, and a fingerprint of every live object they touch.
//! `apply FILE` refuses a stale plan — another lineage, another serial, or any fingerprint that
//! moved. A saved plan never holds a secret: steps carry none (apply reads credentials from the
//! state when a step runs).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::address::Address;
use crate::fingerprint;
use crate::live::Live;
use crate::model::Move;
use crate::plan::{Moved, Plan, Step, StepGraph, Summary};
use crate::refresh::Scope;
use crate::render::PlanView;
use crate::state::State;

/// The identifying first field of a plan file.
pub const KIND: &str = "tailform-plan";
/// The plan file format version.
pub const VERSION: u32 = 1;

/// A plan saved to a file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedPlan {
    /// Always `tailform-plan`.
    pub kind: String,
    /// Format version.
    pub version: u32,
    /// The state lineage the plan was made against.
    pub lineage: Uuid,
    /// The state serial the plan was made against.
    pub serial: u64,
    /// What to refresh before applying.
    pub scope: Scope,
    /// The steps.
    pub steps: Vec<Step>,
    /// Auth key → the OAuth client that creates it (rebuilds the graph's edges).
    pub created_by: BTreeMap<Address, Address>,
    /// Live fingerprints of every address the plan touches.
    pub fingerprints: BTreeMap<Address, String>,
    /// The plan as text (no colour), shown when it is applied.
    pub text: String,
    /// The plan's counts, for apply's summary line (absent from plans saved before it: apply
    /// then counts steps).
    #[serde(default)]
    pub summary: Summary,
    /// Records the plan renames (`moved` entries) before its steps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<Moved>,
    /// The plan as its JSON rendering (`tailform show PLANFILE --format json`); absent in plan
    /// files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
}

/// Why a saved plan cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    /// Reading or writing failed.
    #[error("cannot {action} the plan file `{}`", path.display())]
    Io {
        /// What was done.
        action: &'static str,
        /// The plan file's path, as given.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Not a tailform plan.
    #[error("`{}` is not a tailform plan file ({detail})", path.display())]
    NotAPlan {
        /// The plan file's path, as given.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Made against another state.
    #[error(
        "the saved plan does not match the state: it was made for state lineage {planned}, the state has lineage {actual}; make a new plan"
    )]
    LineageMismatch {
        /// The plan's lineage.
        planned: Uuid,
        /// The state's lineage.
        actual: Uuid,
    },
    /// The state changed since the plan.
    #[error(
        "the saved plan is stale: it was made at state serial {planned}, the state is now at serial {actual} (another operation changed it); make a new plan"
    )]
    SerialMismatch {
        /// The plan's serial.
        planned: u64,
        /// The state's serial.
        actual: u64,
    },
    /// A live object changed since the plan.
    #[error("the saved plan is stale: {} changed outside tailform since the plan was made; make a new plan", list(.addresses))]
    LiveChanged {
        /// The addresses whose fingerprint moved.
        addresses: Vec<Address>,
    },
}

fn list(addresses: &[Address]) -> String {
    addresses
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl SavedPlan {
    /// Captures `plan`, made from `state` and `live` over `scope`.
    pub fn new(plan: &Plan, state: &State, live: &Live, scope: Scope) -> Self {
        let addresses: Vec<Address> = plan
            .changes
            .iter()
            .filter(|c| c.action.is_change())
            .map(|c| c.address.clone())
            .collect();
        Self {
            kind: KIND.into(),
            version: VERSION,
            lineage: state.lineage,
            serial: state.serial,
            scope,
            steps: plan.graph.to_steps(),
            created_by: plan.created_by.clone(),
            fingerprints: fingerprint::of(addresses, state, live),
            text: crate::render::text::render(
                &PlanView::new(plan),
                crate::render::text::Style::new(false),
            ),
            summary: plan.summary(),
            json: serde_json::from_str(&crate::render::json::render(&PlanView::new(plan))).ok(),
            moved: plan.moved.clone(),
        }
    }

    /// The renames to follow on the loaded state before checking freshness.
    pub fn moves(&self) -> Vec<Move> {
        self.moved
            .iter()
            .map(|m| Move {
                from: m.from.clone(),
                to: m.to.clone(),
                origin: None,
            })
            .collect()
    }

    /// The plan's JSON rendering, pretty-printed; refused for a plan file older than it.
    pub fn json_text(&self, path: &Path) -> Result<String, PlanFileError> {
        let json = self.json.as_ref().ok_or_else(|| PlanFileError::NotAPlan {
            path: path.to_path_buf(),
            detail: "it was saved by a tailform that did not keep the JSON plan; make a new plan"
                .into(),
        })?;
        Ok(serde_json::to_string_pretty(json).expect("JSON values serialise"))
    }

    /// Gives a still-empty state the plan's lineage, so the state the plan creates carries it.
    pub fn adopt_lineage(&self, state: &mut State) {
        if state.serial == 0 {
            state.lineage = self.lineage;
        }
    }

    /// The step graph to execute.
    pub fn graph(&self) -> StepGraph {
        StepGraph::build(self.steps.clone(), &self.created_by)
    }

    /// Refuses the plan unless `state` and `live` are what it was made against.
    pub fn check_fresh(&self, state: &State, live: &Live) -> Result<(), PlanFileError> {
        // A plan made before any state existed (serial 0) has a lineage nobody saved; only the
        // serial says whether a state was written since.
        let unsaved_lineage = self.serial == 0;
        if !unsaved_lineage && self.lineage != state.lineage {
            return Err(PlanFileError::LineageMismatch {
                planned: self.lineage,
                actual: state.lineage,
            });
        }
        if self.serial != state.serial {
            return Err(PlanFileError::SerialMismatch {
                planned: self.serial,
                actual: state.serial,
            });
        }
        let now = fingerprint::of(self.fingerprints.keys().cloned(), state, live);
        let moved: Vec<Address> = self
            .fingerprints
            .iter()
            .filter(|(a, f)| now.get(*a) != Some(*f))
            .map(|(a, _)| a.clone())
            .collect();
        if moved.is_empty() {
            Ok(())
        } else {
            Err(PlanFileError::LiveChanged { addresses: moved })
        }
    }

    /// Writes the plan to `path` atomically (a symbolic link is written through; a device,
    /// folder or other non-regular file is refused, never replaced). Mode 0600: a plan holds no
    /// secret, but it names every managed object.
    pub fn save(&self, path: &Path) -> Result<(), PlanFileError> {
        let io = |source| PlanFileError::Io {
            action: "write",
            path: path.to_path_buf(),
            source,
        };
        let target = crate::atomic_file::resolve(path).map_err(io)?;
        let mut bytes = serde_json::to_vec_pretty(self).expect("a saved plan serialises");
        bytes.push(b'\n');
        crate::atomic_file::replace(&target, &bytes, 0o600, || Ok(())).map_err(io)
    }

    /// Reads a plan from `path`.
    pub fn load(path: &Path) -> Result<Self, PlanFileError> {
        let bytes = fs::read(path).map_err(|source| PlanFileError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_plan = |detail: String| PlanFileError::NotAPlan {
            path: path.to_path_buf(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| not_a_plan(format!("not JSON: {e}")))?;
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(not_a_plan("no `kind: tailform-plan`".into()));
        }
        if value.get("version").and_then(serde_json::Value::as_u64) != Some(u64::from(VERSION)) {
            return Err(not_a_plan(format!(
                "this tailform reads plan format version {VERSION}"
            )));
        }
        serde_json::from_value(value).map_err(|e| not_a_plan(e.to_string()))
    }
}

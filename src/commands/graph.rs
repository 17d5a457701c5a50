//! `tailform graph [PLANFILE]`: the plan's dependency graph as Graphviz DOT on stdout (what
//! waits for what when apply runs it) — of a saved plan, or of a plan made now.

#![allow(clippy::print_stdout, reason = "the graph is this command's output")]

use super::console::out;
use super::planning;
use super::session::{self, Session};
use crate::cli::{GlobalArgs, GraphArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::planfile::SavedPlan;
use crate::render;

/// Runs `tailform graph`.
pub fn run(global: &GlobalArgs, args: &GraphArgs) -> Result<Exit, Error> {
    let graph = match &args.plan_file {
        Some(path) => SavedPlan::load(path)?.graph(),
        None => {
            let desired = session::manifests(global, &args.manifests.files)?;
            let session = Session::open(global)?;
            let mut backend = session::backend(global)?;
            let _lock = session::lock(global, backend.as_mut(), "graph")?;
            let mut state = backend.load()?;
            let options = planning::options(global, &args.options, false);
            planning::make(&options, &session, &desired, &mut state)?
                .plan
                .graph
        }
    };
    out!("{}", render::dot::render(&graph));
    Ok(Exit::Success)
}

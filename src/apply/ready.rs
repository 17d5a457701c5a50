//! The walker's queue of steps whose dependencies are done, and the order in which they start.
//!
//! Two rules, both about keeping every slot of `--parallelism` busy with a request:
//! 1. **Steps that others wait for go first**, the longest chain of dependents first (list
//!    scheduling by height): a tailnet's create, policy and OAuth clients never queue behind
//!    another tailnet's hundreds of auth keys, so every tailnet's chain keeps moving.
//! 2. **Among equals, tailnets take turns** (round robin, each tailnet's steps in arrival order).
//!    Each tailnet's steps need their own access token, minted on first use: ten slots that all
//!    start keys of one fresh tailnet would wait together on that tailnet's single mint, while
//!    ten slots spread over ten tailnets mint their tokens side by side. It also spreads the
//!    load over tailnets, which Tailscale rate-limits separately.
//!
//! The order is deterministic for a given graph and completion order.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, VecDeque};

use petgraph::stable_graph::NodeIndex;

use crate::model::Name;
use crate::plan::StepGraph;

/// Ready steps, ordered by the rules above.
pub(super) struct Ready {
    /// Each step's height: the longest chain of steps that wait for it (0 for a step nothing
    /// waits for).
    height: HashMap<NodeIndex, usize>,
    /// Queued steps by height, the highest first.
    levels: BTreeMap<Reverse<usize>, Turns>,
}

/// One height's steps: a queue per tailnet, and whose turn is next.
#[derive(Default)]
struct Turns {
    order: VecDeque<Name>,
    queues: HashMap<Name, VecDeque<NodeIndex>>,
}

impl Ready {
    /// An empty queue for the steps of `graph`.
    pub(super) fn new(graph: &StepGraph) -> Self {
        let mut height = HashMap::with_capacity(graph.len());
        for node in graph.order().into_iter().rev() {
            let h = graph
                .dependents(node)
                .map(|d| height.get(&d).map_or(1, |h| h + 1))
                .max()
                .unwrap_or(0);
            height.insert(node, h);
        }
        Self {
            height,
            levels: BTreeMap::new(),
        }
    }

    /// Queues `node` (a step of `graph`) behind the steps of its tailnet and height.
    pub(super) fn push(&mut self, graph: &StepGraph, node: NodeIndex) {
        let height = self.height.get(&node).copied().unwrap_or(0);
        let tailnet = &graph.step(node).address().tailnet;
        let turns = self.levels.entry(Reverse(height)).or_default();
        match turns.queues.get_mut(tailnet) {
            Some(queue) => queue.push_back(node),
            None => {
                turns.order.push_back(tailnet.clone());
                turns.queues.insert(tailnet.clone(), VecDeque::from([node]));
            }
        }
    }

    /// The step to start next.
    pub(super) fn pop(&mut self) -> Option<NodeIndex> {
        let mut level = self.levels.first_entry()?;
        let turns = level.get_mut();
        let tailnet = turns.order.pop_front()?;
        let queue = turns.queues.get_mut(&tailnet)?;
        let node = queue.pop_front();
        if queue.is_empty() {
            turns.queues.remove(&tailnet);
        } else {
            turns.order.push_back(tailnet);
        }
        if turns.order.is_empty() {
            level.remove();
        }
        node
    }

    /// True when no step is queued.
    pub(super) fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    /// Drops every queued step.
    pub(super) fn clear(&mut self) {
        self.levels.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::address::Address;
    use crate::plan::Step;

    fn key(tailnet: &str, name: &str) -> Step {
        super::super::tests::create_key(&format!("tailnet.{tailnet}.auth_key.{name}"))
    }

    fn tailnet(name: &str) -> Step {
        Step::CreateTailnet {
            address: format!("tailnet.{name}").parse().unwrap(),
            display_name: name.to_owned(),
            prevent_destroy: false,
            replacing: false,
        }
    }

    /// Pops everything, as addresses.
    fn drain(graph: &StepGraph, ready: &mut Ready) -> Vec<String> {
        std::iter::from_fn(|| ready.pop())
            .map(|n| graph.step(n).address().to_string())
            .collect()
    }

    #[test]
    fn tailnets_take_turns_among_equal_steps() {
        let steps = vec![
            key("a", "k1"),
            key("a", "k2"),
            key("a", "k3"),
            key("b", "k1"),
            key("c", "k1"),
            key("c", "k2"),
        ];
        let graph = StepGraph::build(steps, &BTreeMap::<Address, Address>::new());
        let mut ready = Ready::new(&graph);
        for (node, _) in graph.steps() {
            ready.push(&graph, node);
        }
        assert_eq!(
            drain(&graph, &mut ready),
            [
                "tailnet.a.auth_key.k1",
                "tailnet.b.auth_key.k1",
                "tailnet.c.auth_key.k1",
                "tailnet.a.auth_key.k2",
                "tailnet.c.auth_key.k2",
                "tailnet.a.auth_key.k3",
            ]
        );
        assert!(ready.is_empty());
    }

    #[test]
    fn a_step_others_wait_for_starts_before_ready_leaves() {
        // Tailnet `b`'s create is queued last, behind `a`'s keys, yet starts first: `b`'s key
        // waits for it.
        let steps = vec![key("a", "k1"), key("a", "k2"), tailnet("b"), key("b", "k1")];
        let graph = StepGraph::build(steps, &BTreeMap::<Address, Address>::new());
        let nodes: Vec<NodeIndex> = graph.steps().map(|(n, _)| n).collect();
        assert_eq!(graph.dependents(nodes[2]).collect::<Vec<_>>(), [nodes[3]]);
        let mut ready = Ready::new(&graph);
        for &node in &nodes[..3] {
            ready.push(&graph, node);
        }
        assert_eq!(
            drain(&graph, &mut ready),
            [
                "tailnet.b",
                "tailnet.a.auth_key.k1",
                "tailnet.a.auth_key.k2"
            ]
        );
    }

    #[test]
    fn clear_empties_the_queue() {
        let graph = StepGraph::build(
            vec![key("a", "k1"), key("b", "k1")],
            &BTreeMap::<Address, Address>::new(),
        );
        let mut ready = Ready::new(&graph);
        for (node, _) in graph.steps() {
            ready.push(&graph, node);
        }
        assert!(!ready.is_empty());
        ready.clear();
        assert!(ready.is_empty());
        assert_eq!(ready.pop(), None);
    }
}

//! `StepGraph`: the plan's steps and their ordering (DESIGN §5): tailnet → its policy → its OAuth
//! clients → its auth keys (`createdBy` adds an edge); a replacement's new object before the old
//! one is deleted; deletes in reverse (keys before the clients that created them, every child
//! before its tailnet). Built from the steps alone, so a saved plan rebuilds the same graph.

use std::collections::{BTreeMap, HashMap, HashSet};

use petgraph::Direction;
use petgraph::algo::toposort;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};

use crate::address::Address;
use crate::model::Name;

use super::step::{Step, Target};

/// The steps of a plan and the order constraints between them.
#[derive(Debug, Clone, Default)]
pub struct StepGraph {
    graph: StableDiGraph<Step, ()>,
}

impl StepGraph {
    /// Builds the graph. `created_by` maps an auth key's address to the address of the OAuth
    /// client whose token creates it (for new keys) or created it (for deleted keys).
    ///
    /// Linear in the number of steps plus edges: rules are applied per tailnet through
    /// indexes, never by comparing every pair of steps.
    pub fn build(steps: Vec<Step>, created_by: &BTreeMap<Address, Address>) -> Self {
        let mut graph = StableDiGraph::new();
        let mut by_tailnet: BTreeMap<Name, Vec<NodeIndex>> = BTreeMap::new();
        for step in steps {
            let tailnet = step.address().tailnet.clone();
            let node = graph.add_node(step);
            by_tailnet.entry(tailnet).or_default().push(node);
        }
        let mut g = Self { graph };
        for nodes in by_tailnet.values() {
            g.link_tailnet(nodes, created_by);
        }
        // Invariant: every rule points from a tailnet's creation towards its contents, from
        // creates towards deletes of deposed objects, and from child deletes towards tailnet
        // deletes; no rule points back, so the graph is acyclic by construction.
        assert!(
            toposort(&g.graph, None).is_ok(),
            "plan step graph has a cycle: the ordering rules are inconsistent"
        );
        g
    }

    /// Adds the ordering edges between the steps of one tailnet.
    fn link_tailnet(&mut self, nodes: &[NodeIndex], created_by: &BTreeMap<Address, Address>) {
        let mut by_address: HashMap<Address, Vec<NodeIndex>> = HashMap::new();
        for &n in nodes {
            by_address
                .entry(self.graph[n].address().clone())
                .or_default()
                .push(n);
        }
        let select = |g: &Self, f: &dyn Fn(&Step) -> bool| -> Vec<NodeIndex> {
            nodes.iter().copied().filter(|&n| f(&g.graph[n])).collect()
        };
        let at = |g: &Self, address: &Address, f: &dyn Fn(&Step) -> bool| -> Vec<NodeIndex> {
            by_address
                .get(address)
                .map(|ns| ns.iter().copied().filter(|&n| f(&g.graph[n])).collect())
                .unwrap_or_default()
        };
        let mut edges = Vec::new();
        let creates_tailnet = select(self, &|s| matches!(s, Step::CreateTailnet { .. }));
        let policies = select(self, &|s| matches!(s, Step::WritePolicy { .. }));
        let webhook_deletes = select(self, &|s| {
            matches!(
                s,
                Step::DeleteWebhook {
                    target: Target::Orphan(_) | Target::Current(_),
                    ..
                }
            )
        });
        let populates = select(self, &|s| {
            matches!(
                s,
                Step::WritePolicy { .. }
                    | Step::CreateClient { .. }
                    | Step::UpdateClient { .. }
                    | Step::CreateIdentity { .. }
                    | Step::UpdateIdentity { .. }
                    | Step::CreateWebhook { .. }
                    | Step::CreateKey { .. }
            )
        });
        for &n in nodes {
            let step = &self.graph[n];
            // The tailnet exists before anything is done inside it (a replaced tailnet's old
            // copy is deleted last, after its successor is populated). Orphans of an interrupted
            // create are not inside it: they go first.
            let recovery = matches!(
                step,
                Step::DeleteTailnet {
                    target: Target::Orphan(_),
                    ..
                } | Step::ClearIntent { .. }
            );
            for &t in &creates_tailnet {
                if t != n && !recovery {
                    edges.push((t, n));
                }
            }
            match step {
                Step::CreateTailnet { address, .. }
                | Step::CreateClient { address, .. }
                | Step::CreateKey { address, .. } => {
                    // An orphan at the same address is revoked before the address is created
                    // again: never two live objects for one address.
                    let orphans = at(self, address, &|s| is_orphan_delete(s));
                    edges.extend(orphans.into_iter().map(|o| (o, n)));
                    if let Step::CreateKey { address, .. } = step {
                        edges.extend(policies.iter().map(|&p| (p, n)));
                        // A key is created with its client's token, after the client has its tags.
                        if let Some(client) = created_by.get(address) {
                            let client_steps = at(self, client, &|s| {
                                matches!(s, Step::CreateClient { .. } | Step::UpdateClient { .. })
                            });
                            edges.extend(client_steps.into_iter().map(|c| (c, n)));
                        }
                    }
                    if let Step::CreateClient { .. } = step {
                        edges.extend(policies.iter().map(|&p| (p, n)));
                    }
                }
                Step::Deliver { address, .. } => {
                    // The new secret exists before it is delivered …
                    let creates = at(self, address, &|s| {
                        matches!(
                            s,
                            Step::CreateClient { .. }
                                | Step::CreateKey { .. }
                                | Step::CreateWebhook { .. }
                                | Step::RotateWebhook { .. }
                        )
                    });
                    edges.extend(creates.into_iter().map(|c| (c, n)));
                }
                Step::ClearIntent { address, .. } => {
                    let orphans = at(self, address, &|s| is_orphan_delete(s));
                    edges.extend(orphans.into_iter().map(|o| (o, n)));
                }
                Step::UpdateClient { .. }
                | Step::CreateIdentity { .. }
                | Step::UpdateIdentity { .. } => {
                    // Tags are defined before clients and identities use them.
                    edges.extend(policies.iter().map(|&p| (p, n)));
                    if let Step::CreateIdentity { address, .. } = step {
                        // An unrecorded duplicate goes before the address is created again.
                        let orphans = at(self, address, &|s| is_orphan_delete(s));
                        edges.extend(orphans.into_iter().map(|o| (o, n)));
                    }
                }
                Step::CreateWebhook { .. } => {
                    // Every webhook the tailnet loses now (an unrecorded duplicate, a replaced
                    // one deleted first, a removed or renamed one) goes first: the API refuses
                    // a second webhook on one URL.
                    edges.extend(webhook_deletes.iter().map(|&d| (d, n)));
                }
                Step::DeleteWebhook {
                    address,
                    target: Target::Deposed(_),
                } => {
                    // Create before destroy, and delivered before the previous one goes.
                    let before = at(self, address, &|s| {
                        matches!(s, Step::CreateWebhook { .. } | Step::Deliver { .. })
                    });
                    edges.extend(before.into_iter().map(|c| (c, n)));
                }
                Step::DeleteIdentity {
                    address,
                    target: Target::Deposed(_),
                } => {
                    // Create before destroy.
                    let creates = at(self, address, &|s| matches!(s, Step::CreateIdentity { .. }));
                    edges.extend(creates.into_iter().map(|c| (c, n)));
                }
                Step::DeleteClient {
                    address,
                    target: Target::Deposed(_),
                }
                | Step::DeleteKey {
                    address,
                    target: Target::Deposed(_),
                } => {
                    // Create before destroy, and delivered before the previous one is revoked.
                    let before = at(self, address, &|s| {
                        matches!(
                            s,
                            Step::CreateClient { .. }
                                | Step::CreateKey { .. }
                                | Step::Deliver { .. }
                        )
                    });
                    edges.extend(before.into_iter().map(|c| (c, n)));
                }
                Step::DeleteTailnet {
                    target: Target::Deposed(_),
                    ..
                } => {
                    edges.extend(populates.iter().map(|&p| (p, n)));
                }
                Step::DeleteClient {
                    address: client,
                    target: Target::Current(_),
                } => {
                    // Reverse order: keys before the client that created them.
                    for (key, creator) in created_by {
                        if creator == client {
                            let deletes = at(self, key, &|s| {
                                matches!(
                                    s,
                                    Step::DeleteKey {
                                        target: Target::Current(_),
                                        ..
                                    }
                                )
                            });
                            edges.extend(deletes.into_iter().map(|d| (d, n)));
                        }
                    }
                }
                Step::Forget {
                    address,
                    target: Target::Record,
                } if address.member == crate::address::Member::Tailnet => {
                    // Dropping a tailnet's record drops its members' records: every other step
                    // of the tailnet (a member's delete in an existing tailnet) goes first, so
                    // a failed delete keeps its record.
                    let members = select(self, &|s| {
                        s.address().member != crate::address::Member::Tailnet
                    });
                    edges.extend(members.into_iter().map(|o| (o, n)));
                }
                Step::DeleteTailnet {
                    target: Target::Current(_),
                    ..
                } => {
                    // Every child before its tailnet.
                    let children = select(self, &|s| {
                        matches!(
                            s,
                            Step::DeleteKey { .. }
                                | Step::DeleteClient { .. }
                                | Step::DeleteIdentity { .. }
                                | Step::DeleteWebhook { .. }
                                | Step::Forget { .. }
                        )
                    });
                    edges.extend(children.into_iter().map(|c| (c, n)));
                }
                _ => {}
            }
        }
        let mut seen = HashSet::new();
        for (a, b) in edges {
            if seen.insert((a, b)) {
                self.graph.add_edge(a, b, ());
            }
        }
    }

    /// All steps with their node ids.
    pub fn steps(&self) -> impl Iterator<Item = (NodeIndex, &Step)> {
        self.graph.node_indices().map(move |i| (i, &self.graph[i]))
    }

    /// The step at a node.
    pub fn step(&self, node: NodeIndex) -> &Step {
        &self.graph[node]
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// The steps that must finish before `node` starts.
    pub fn dependencies(&self, node: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(node, Direction::Incoming)
    }

    /// The steps waiting for `node`.
    pub fn dependents(&self, node: NodeIndex) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph.neighbors_directed(node, Direction::Outgoing)
    }

    /// A valid execution order (deterministic for a given step list).
    pub fn order(&self) -> Vec<NodeIndex> {
        toposort(&self.graph, None).expect("the step graph is acyclic (checked in build)")
    }

    /// The steps in insertion order (for saving a plan; `build` recreates the edges).
    pub fn into_steps(self) -> Vec<Step> {
        let mut graph = self.graph;
        let indices: Vec<NodeIndex> = graph.node_indices().collect();
        indices
            .into_iter()
            .filter_map(|i| graph.remove_node(i))
            .collect()
    }

    /// The steps in insertion order, cloned.
    pub fn to_steps(&self) -> Vec<Step> {
        self.graph
            .node_indices()
            .map(|i| self.graph[i].clone())
            .collect()
    }
}

fn is_orphan_delete(step: &Step) -> bool {
    matches!(
        step,
        Step::DeleteTailnet {
            target: Target::Orphan(_),
            ..
        } | Step::DeleteClient {
            target: Target::Orphan(_),
            ..
        } | Step::DeleteKey {
            target: Target::Orphan(_),
            ..
        } | Step::DeleteIdentity {
            target: Target::Orphan(_),
            ..
        }
    )
}

#[cfg(test)]
mod tests;

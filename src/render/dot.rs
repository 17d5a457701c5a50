//! The plan's dependency graph as Graphviz DOT (`tailform graph`): one node per step, labelled
//! as apply's progress names it, one edge from each step to every step that waits for it.
//! Deterministic (nodes and edges in the graph's order), so it diffs well.

use std::fmt::Write;

use crate::plan::StepGraph;

/// The DOT text of `graph`.
pub fn render(graph: &StepGraph) -> String {
    let mut out = String::from(
        "digraph tailform {\n  rankdir = \"LR\";\n  node [shape = box, fontname = \"monospace\"];\n",
    );
    let mut steps: Vec<_> = graph.steps().collect();
    steps.sort_by_key(|(n, _)| n.index());
    for (node, step) in &steps {
        let _ = writeln!(
            out,
            "  \"s{}\" [label = \"{}\"];",
            node.index(),
            escape(&step.describe())
        );
    }
    for (node, _) in &steps {
        let mut next: Vec<usize> = graph.dependents(*node).map(|d| d.index()).collect();
        next.sort_unstable();
        for to in next {
            let _ = writeln!(out, "  \"s{}\" -> \"s{to}\";", node.index());
        }
    }
    out.push_str("}\n");
    out
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Step, Target};

    #[test]
    fn one_node_per_step_and_an_edge_per_dependency() {
        let tailnet: crate::address::Address = "tailnet.demo".parse().unwrap();
        let key: crate::address::Address = "tailnet.demo.auth_key.web".parse().unwrap();
        let graph = StepGraph::build(
            vec![
                Step::DeleteKey {
                    address: key,
                    target: Target::Current("k1".into()),
                },
                Step::DeleteTailnet {
                    address: tailnet,
                    target: Target::Current("T1".into()),
                },
            ],
            &Default::default(),
        );
        let dot = render(&graph);
        assert!(dot.starts_with("digraph tailform {\n"), "{dot}");
        assert!(
            dot.contains("[label = \"revoke auth key tailnet.demo.auth_key.web\"]"),
            "{dot}"
        );
        assert!(
            dot.contains("[label = \"delete tailnet tailnet.demo\"]"),
            "{dot}"
        );
        assert!(
            dot.contains("\"s0\" -> \"s1\";"),
            "the key goes before its tailnet: {dot}"
        );
        assert!(dot.ends_with("}\n"));
    }
}

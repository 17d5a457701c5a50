//! Recovery of interrupted creates whose intents cannot be told apart (issue "No secret lost on
//! any path", defect 6): N pending intents with identical attributes and N live keys created in
//! their window must give N orphan deletes — one per key — not N×N.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::failures::assert_no_orphans;
use super::world::World;

/// How many keys with identical attributes.
const TWINS: usize = 3;

/// A tailnet with `TWINS` auth keys that differ only in their address.
fn manifest() -> String {
    let mut yaml = String::from(
        "tailnets:\n  twins:\n    displayName: Twins\n    preventDestroy: false\n    authKeys:\n",
    );
    for i in 0..TWINS {
        yaml.push_str(&format!(
            "      twin-{i}:\n        description: Twin\n        reusable: true\n        \
             tags: [tag:twin]\n        expiry: 30d\n"
        ));
    }
    yaml
}

/// Turns the state of a converged apply into the one an apply killed after sending every
/// key's create would leave: no record for any key, one pending intent each (as `intent_for`
/// records it, started just before the key was created). Returns the keys' ids.
fn interrupt_every_key(w: &World) -> BTreeSet<String> {
    let path = w.path("state/tailform.json");
    assert!(
        !w.path("state/tailform.json.journal").exists(),
        "apply folded its journal in"
    );
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let tailnet_id = state["resources"]["tailnet.twins"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ids = BTreeSet::new();
    let mut pending = Vec::new();
    for i in 0..TWINS {
        let address = format!("tailnet.twins.auth_key.twin-{i}");
        let record = state["resources"]
            .as_object_mut()
            .unwrap()
            .remove(&address)
            .unwrap_or_else(|| panic!("{address} was applied"));
        let created: jiff::Timestamp = record["created"].as_str().unwrap().parse().unwrap();
        ids.insert(record["id"].as_str().unwrap().to_owned());
        pending.push(json!({
            "id": uuid::Uuid::new_v4(),
            "address": address,
            "tailnetId": tailnet_id,
            "fingerprint": {
                "keyType": "auth", "description": "Twin", "reusable": true,
                "ephemeral": false, "preauthorized": false, "tags": ["tag:twin"],
                "expirySeconds": 2_592_000,
            },
            "started": created - jiff::SignedDuration::from_secs(1),
        }));
    }
    state["pending"] = Value::Array(pending);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
    ids
}

#[test]
fn identical_interrupted_creates_are_each_revoked_exactly_once() {
    let w = World::new();
    w.write("tailform.yaml", &manifest());
    w.run(&["apply", "--auto-approve"]).code(0);
    let orphans = interrupt_every_key(&w);
    assert_eq!(orphans.len(), TWINS);

    // The plan lists each orphan once, and destroys as many objects as there are orphans.
    let run = w.run(&["plan", "--format", "json"]);
    run.code(0);
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    let listed: Vec<&str> = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action_reason"] == "delete_because_orphan_from_interrupted_apply")
        .map(|c| c["deposed"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), TWINS, "{}", run.stdout);
    assert_eq!(
        listed
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>(),
        orphans,
        "{}",
        run.stdout
    );
    let text = w.run(&["plan"]);
    text.code(0);
    assert!(
        text.stdout.contains(&format!(
            "Plan: {TWINS} to add, 0 to change, {TWINS} to destroy"
        )),
        "{}",
        text.stdout
    );

    // Apply revokes each orphan with exactly one DELETE.
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).code(0);
    let mut deleted: Vec<String> = w
        .log()
        .into_iter()
        .filter(|e| e.method == "DELETE")
        .map(|e| {
            assert_eq!(e.status, 200, "{e:?}");
            e.path.rsplit('/').next().unwrap().to_owned()
        })
        .collect();
    deleted.sort();
    assert_eq!(
        deleted,
        orphans.iter().cloned().collect::<Vec<_>>(),
        "one DELETE per orphan"
    );

    // Nothing is left to do, and every live key is tracked with its secret.
    w.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_no_orphans(&w);
}

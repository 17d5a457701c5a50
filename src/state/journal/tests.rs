//! The journal's line format, replay and pending-intent changes, on documents built in place.

use serde_json::json;

use super::*;

fn base() -> Value {
    json!({"version": 1, "lineage": "L", "serial": 3,
           "resources": {"tailnet.a": {"id": "T1"}, "tailnet.a.policy": {"etag": "e"}},
           "pending": []})
}

fn entry(serial: u64, set: Value, removed: &[&str], pending: Value) -> Vec<u8> {
    line(&json!({"version": 1, "lineage": "L", "serial": serial,
                 "resources": set, "removed": removed, "pending": pending}))
}

#[test]
fn lines_replay_in_order_and_torn_tails_are_ignored() {
    let mut bytes = entry(4, json!({}), &[], json!([{"id": "i1"}]));
    bytes.extend(entry(
        5,
        json!({"tailnet.a.auth_key.k": {"id": "k1"}}),
        &["tailnet.a.policy"],
        json!([]),
    ));
    let mut torn = entry(
        6,
        json!({"tailnet.a.auth_key.z": {"id": "z"}}),
        &[],
        json!([]),
    );
    torn.truncate(torn.len() / 2);
    bytes.extend(&torn);
    let mut doc = base();
    assert_eq!(replay(&mut doc, &bytes).unwrap(), 2);
    assert_eq!(doc["serial"], 5);
    assert_eq!(
        doc["resources"],
        json!({"tailnet.a": {"id": "T1"}, "tailnet.a.auth_key.k": {"id": "k1"}})
    );
    assert_eq!(doc["pending"], json!([]));
}

#[test]
fn lines_the_file_already_has_are_skipped() {
    let mut bytes = entry(3, json!({"tailnet.b": {"id": "old"}}), &[], json!([]));
    bytes.extend(entry(
        4,
        json!({"tailnet.c": {"id": "new"}}),
        &[],
        json!([]),
    ));
    let mut doc = base();
    assert_eq!(replay(&mut doc, &bytes).unwrap(), 1);
    assert!(doc["resources"].get("tailnet.b").is_none());
    assert_eq!(doc["resources"]["tailnet.c"]["id"], "new");
}

#[test]
fn a_damaged_line_before_the_last_is_an_error_not_a_loss() {
    let mut first = entry(4, json!({"tailnet.b": {"id": "x"}}), &[], json!([]));
    let at = first.len() - 5;
    first[at] ^= 1;
    let mut bytes = first;
    bytes.extend(entry(5, json!({}), &[], json!([])));
    let err = replay(&mut base(), &bytes).unwrap_err();
    assert!(matches!(err, JournalError::Damaged { line: 1 }), "{err}");
    // The same damage on the last line is a torn append: ignored.
    let mut last = entry(4, json!({}), &[], json!([]));
    let at = last.len() - 5;
    last[at] ^= 1;
    assert_eq!(replay(&mut base(), &last).unwrap(), 0);
}

fn intent(id: &str) -> Value {
    json!({"id": id, "address": "tailnet.a.auth_key.k", "fingerprint": {}, "started": "t"})
}

fn change(serial: u64, added: &[&str], removed: &[&str]) -> Vec<u8> {
    let added: Vec<Value> = added.iter().map(|id| intent(id)).collect();
    line(
        &json!({"version": 1, "lineage": "L", "serial": serial, "resources": {},
                 "removed": [], "pending": {"added": added, "removed": removed}}),
    )
}

/// Issue "No secret lost on any path", defect 6: lines carry the intents added and removed,
/// and replay applies them; lines of the older format (the whole list) still replay, mixed
/// with the new ones, and a line without `pending` leaves the list alone.
#[test]
fn intent_changes_replay_onto_the_pending_list_and_whole_lists_still_do() {
    let mut bytes = change(4, &["i1", "i2", "i3"], &[]);
    bytes.extend(change(5, &["i4"], &["i2"]));
    bytes.extend(line(&json!({"version": 1, "lineage": "L", "serial": 6,
                              "resources": {"tailnet.b": {"id": "T2"}}, "removed": []})));
    bytes.extend(entry(
        7,
        json!({}),
        &[],
        json!([intent("i3"), intent("i1")]),
    ));
    bytes.extend(change(8, &["i5"], &["i1"]));
    let mut doc = base();
    assert_eq!(replay(&mut doc, &bytes).unwrap(), 5);
    let ids: Vec<&str> = doc["pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["i3", "i5"]);
    assert_eq!(doc["pending"][1], intent("i5"));
    assert_eq!(doc["resources"]["tailnet.b"]["id"], "T2");
}

#[test]
fn an_intent_change_that_does_not_fit_the_list_is_an_error() {
    for (bad, reason) in [
        (
            change(4, &[], &["nope"]),
            "it removes an intent that is not pending",
        ),
        (
            change(4, &["i1", "i1"], &[]),
            "it adds an intent that is already pending",
        ),
    ] {
        let mut bytes = bad;
        bytes.extend(change(5, &[], &[]));
        let err = replay(&mut base(), &bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("line 1 is not a journal entry: {reason}")
        );
    }
}

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn real_intent(n: u128) -> Intent {
    Intent {
        holder: None,
        id: uuid(n),
        address: "tailnet.a.auth_key.k".parse().unwrap(),
        tailnet_id: None,
        fingerprint: json!({"keyType": "auth"}),
        started: jiff::Timestamp::UNIX_EPOCH,
    }
}

#[test]
fn the_pending_change_is_a_delta_when_replay_gives_back_the_order() {
    let (a, b, c) = (real_intent(1), real_intent(2), real_intent(3));
    assert_eq!(pending_change(&[uuid(1)], std::slice::from_ref(&a)), None);
    assert_eq!(
        pending_change(&[uuid(1), uuid(2)], &[b.clone(), c.clone()]),
        Some(json!({"added": [c], "removed": [uuid(1)]}))
    );
    // A new intent before an old one: replay could not put it there, so the whole list.
    assert_eq!(
        pending_change(&[uuid(2)], &[a.clone(), b.clone()]),
        Some(serde_json::to_value([&a, &b]).unwrap())
    );
    assert_eq!(
        pending_change(&[uuid(1), uuid(2)], &[b.clone(), a.clone()]),
        Some(serde_json::to_value([&b, &a]).unwrap())
    );
}

#[test]
fn gaps_and_other_lineages_are_refused() {
    let err = replay(&mut base(), &entry(6, json!({}), &[], json!([]))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1 has serial 6 but serial 4 was expected (lines are missing)"
    );
    let other = line(&json!({"lineage": "M", "serial": 4}));
    let err = replay(&mut base(), &other).unwrap_err();
    assert!(
        matches!(err, JournalError::Lineage { line: 1, .. }),
        "{err}"
    );
}

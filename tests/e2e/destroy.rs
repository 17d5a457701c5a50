//! Removing a tailnet: refused by `preventDestroy`; allowed with both opt-ins; children are
//! deleted before the tailnet.

use super::world::World;

crate::on_each_backend! {
fn removing_a_tailnet_needs_both_opt_ins_and_deletes_children_first(w: World) {
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
    let tailnet = w.id_of("tailnet.demo");

    w.write("tailform.yaml", "tailnets: {}\n");
    let refused = w.run(&["plan", "--allow-destroy"]);
    refused.code(1);
    assert!(
        refused.stderr.contains(
            "`tailnet.demo`: this tailnet would be deleted, but `preventDestroy` protects it"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("set `preventDestroy: false`"),
        "{}",
        refused.stderr
    );

    // Opt-in 1: preventDestroy false, applied while the tailnet is still declared.
    let relaxed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"),
    )
    .unwrap()
    .replace(
        "    displayName: Demo ",
        "    preventDestroy: false\n    displayName: Demo ",
    );
    w.write("tailform.yaml", &relaxed);
    let record = w.run(&["apply", "--auto-approve"]);
    record.code(0);
    assert!(
        record
            .stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        record.stdout
    );

    // Without opt-in 2 (--allow-destroy) it is still refused.
    w.write("tailform.yaml", "tailnets: {}\n");
    let refused = w.run(&["plan"]);
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("this tailnet would be deleted; that needs --allow-destroy"),
        "{}",
        refused.stderr
    );

    w.reset_stats();
    let run = w.run(&["apply", "--auto-approve", "--allow-destroy"]);
    run.code(0);
    assert!(
        run.stdout
            .contains("Plan: 0 to add, 0 to change, 4 to destroy, 1 to forget."),
        "{}",
        run.stdout
    );
    let log = w.log();
    let deletes: Vec<&crate::world::LogEntry> =
        log.iter().filter(|e| e.method == "DELETE").collect();
    assert_eq!(deletes.len(), 4, "{log:?}");
    assert_eq!(
        deletes.last().unwrap().path,
        format!("/api/v2/tailnet/{tailnet}")
    );
    assert!(w.state()["resources"].as_object().unwrap().is_empty());
    let (_, list) = w.api(
        reqwest::Method::GET,
        "/api/v2/organizations/-/tailnets",
        Some(&w.token(None)),
        None,
    );
    assert!(
        !list["tailnets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tailnet.as_str())
    );
}
}

/// Regression: an existing tailnet (`id:`) was never recorded, so once `destroy` (or the
/// manifests) dropped it, the refresh could not reach it and every client, key and webhook
/// tailform had made there was *forgotten* — left live and untracked — instead of deleted.
#[test]
fn destroy_deletes_what_tailform_made_in_an_existing_tailnet() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        "tailnets:\n  own:\n    id: \"-\"\n    oauthClients:\n      reader:\n        \
         scopes: [devices:core:read]\n    webhooks:\n      audit:\n        \
         endpointUrl: https://hooks.example.com/audit\n        subscriptions: [nodeCreated]\n",
    );
    w.run(&["apply", "--auto-approve"]).success();
    assert_eq!(
        w.state()["resources"]["tailnet.own"],
        serde_json::json!({"id": "-", "existing": true, "preventDestroy": true})
    );
    let client = w.id_of("tailnet.own.oauth_client.reader");
    w.run(&["plan", "--detailed-exitcode"]).code(0);

    let destroy = w.run(&["destroy", "--auto-approve"]);
    destroy
        .success()
        .stdout_has("Plan: 0 to add, 0 to change, 2 to destroy, 1 to forget.");
    let token = w.token(None);
    let (_, keys) = w.api(
        reqwest::Method::GET,
        "/api/v2/tailnet/-/keys?all=true",
        Some(&token),
        None,
    );
    let live_client = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == client.as_str())
        .cloned();
    assert!(
        live_client.as_ref().is_none_or(|k| k["invalid"] == true),
        "the client tailform made was deleted: {live_client:?}"
    );
    let (_, hooks) = w.api(
        reqwest::Method::GET,
        "/api/v2/tailnet/-/webhooks",
        Some(&token),
        None,
    );
    assert_eq!(hooks["webhooks"], serde_json::json!([]));
    assert_eq!(w.state()["resources"], serde_json::json!({}));
    // The tailnet itself is never deleted: its own policy and keys are untouched.
    let (status, _) = w.api(
        reqwest::Method::GET,
        "/api/v2/tailnet/-/acl",
        Some(&token),
        None,
    );
    assert_eq!(status, 200);
}

//! Messages as a user meets them (issue "Terraform habits", Messages): each is pinned by an
//! `insta` snapshot with the run's ids, times and temporary paths filtered out.

use super::world::World;
use crate::common::command::Run;

/// Snapshots `text` with ids, timestamps, durations and the world's folder filtered out.
macro_rules! snapshot {
    ($w:expr, $name:expr, $text:expr) => {{
        let dir = $w.dir.path().display().to_string();
        insta::with_settings!({
            filters => vec![
                (dir.as_str(), "[DIR]"),
                (r"\b[Tk][A-Za-z0-9]{8,}CNTRL\b", "[ID]"),
                (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "[TIME]"),
                (r"\[\d+(\.\d+)?m?s\]", "[DURATION]"),
                (r"\b\d{9}\b", "[WEBHOOK-ID]"),
            ],
        }, {
            insta::assert_snapshot!($name, $text);
        });
    }};
}

/// Both streams of a run, for one snapshot.
fn streams(run: &Run) -> String {
    format!(
        "exit code {}\n----- stdout\n{}----- stderr\n{}",
        run.exit_code(),
        run.stdout,
        run.stderr
    )
}

fn applied_quickstart() -> World {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
    w
}

#[test]
fn plan_json_of_invalid_manifests_is_an_errored_document_with_the_diagnostics() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        "tailnets:\n  demo:\n    authKeys:\n      web:\n        tags: [web]\n",
    );
    let run = w.run(&["plan", "--format", "json"]);
    run.code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(doc["errored"], true);
    assert_eq!(doc["complete"], false);
    snapshot!(w, "plan_json_invalid_manifest", run.stdout);
}

#[test]
fn plan_json_of_a_plan_that_cannot_be_made_is_an_errored_document() {
    let w = applied_quickstart();
    let run = w.run(&[
        "plan",
        "--format",
        "json",
        "--target",
        "tailnet.demo.auth_key.wbe",
    ]);
    run.code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("stdout is JSON");
    assert_eq!(
        doc["diagnostics"][0]["detail"],
        "did you mean `tailnet.demo.auth_key.web`?"
    );
    assert_eq!(doc["resource_changes"], serde_json::json!([]));
}

#[test]
fn an_unknown_target_is_an_error_with_the_closest_address() {
    let w = applied_quickstart();
    let run = w.run(&["plan", "--target", "tailnet.demo.auth_key.wbe"]);
    snapshot!(w, "unknown_target", streams(&run));
}

#[test]
fn the_saved_plan_hint_repeats_the_global_options_and_its_apply_counts_resources() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    // The endpoint comes from the environment (TAILSCALE_BASE_URL): it is not repeated.
    let run = w.run(&["--state", "other state/s.json", "plan", "--out", "p.plan"]);
    run.code(0);
    let hint = run.stderr.lines().last().unwrap();
    snapshot!(w, "saved_plan_hint", hint);
    let apply = w.run(&["--state", "other state/s.json", "apply", "p.plan"]);
    apply.code(0);
    assert_eq!(
        apply.stdout.lines().last().unwrap(),
        "Apply complete! Resources: 5 added, 0 changed, 0 destroyed."
    );
}

#[test]
fn yaml_limits_are_one_sentence_at_the_line_they_are_reached() {
    let w = World::new();
    let deep: String = (0..70)
        .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
        .collect();
    w.write("deep.yaml", &deep);
    let run = w.run(&["validate", "-f", "deep.yaml"]);
    run.code(1);
    snapshot!(w, "yaml_too_deep", run.stderr);

    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for (n, prev) in "bcdefghi".chars().zip("abcdefgh".chars()) {
        let uses = vec![format!("*{prev}"); 10].join(",");
        bomb.push_str(&format!("{n}: &{n} [{uses}]\n"));
    }
    w.write("bomb.yaml", &bomb);
    let run = w.run(&["validate", "-f", "bomb.yaml"]);
    run.code(1);
    snapshot!(w, "yaml_alias_bomb", run.stderr);
}

#[test]
fn a_snippet_of_a_200_kb_line_is_cut_around_the_column() {
    let w = World::new();
    let long = "a".repeat(200_000);
    w.write(
        "long.yaml",
        &format!(
            "tailnets:\n  demo:\n    authKeys:\n      web:\n        tags: [tag:web]\n        \
             description: {long}\n        expiry: 10d\n"
        ),
    );
    let run = w.run(&["validate", "-f", "long.yaml"]);
    run.code(1);
    assert!(run.stderr.len() < 2_000, "{} bytes", run.stderr.len());
    snapshot!(w, "long_line_snippet", run.stderr);
}

#[test]
fn a_field_indented_level_with_the_names_gets_an_indentation_hint() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        "tailnets:\n  demo:\n    authKeys:\n      web:\n        reusable: true\n        \
         expiry: 30d\n      tags: [tag:web]\n",
    );
    let run = w.run(&["validate"]);
    run.code(1);
    snapshot!(w, "indentation_hint", run.stderr);
}

#[test]
fn a_refresh_only_plan_says_a_deleted_key_was_deleted_and_will_be_forgotten() {
    let w = applied_quickstart();
    let tailnet = w.id_of("tailnet.demo");
    let web = w.id_of("tailnet.demo.auth_key.web");
    let token = w.token(Some(&tailnet));
    w.api(
        reqwest::Method::DELETE,
        &format!("/api/v2/tailnet/{tailnet}/keys/{web}"),
        Some(&token),
        None,
    );
    // Past the purge: the key answers 404 now.
    w.advance_clock(8 * 24 * 3600);
    let run = w.run(&["plan", "--refresh-only", "--detailed-exitcode"]);
    run.code(2);
    assert!(
        !run.stdout.contains("unchanged attribute(s) hidden"),
        "a deleted key is not shown as unchanged: {}",
        run.stdout
    );
    snapshot!(w, "refresh_only_deleted_key", streams(&run));
    let json = w.run(&["plan", "--refresh-only", "--format", "json"]);
    json.success();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let change = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "tailnet.demo.auth_key.web")
        .expect("the deleted key is in the JSON plan");
    assert_eq!(change["change"]["actions"], serde_json::json!(["read"]));
    assert!(change["change"]["after"].is_null(), "{change}");
}

#[test]
fn a_duplicate_declaration_is_reported_at_the_second_one_in_both_formats() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        "tailnets:\n  demo:\n    authKeys:\n      web:\n        tags: [tag:web]\n      web:\n        \
         tags: [tag:web]\n",
    );
    let run = w.run(&["validate"]);
    run.code(1);
    assert!(
        run.stderr.contains("[tailform.yaml:6:7]"),
        "the header names the second declaration: {}",
        run.stderr
    );
    snapshot!(w, "duplicate_declaration", run.stderr);
    let json = w.run(&["validate", "--format", "json"]);
    json.code(1);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (doc[0]["line"].as_u64(), doc[0]["column"].as_u64()),
        (Some(6), Some(7))
    );
}

/// A webhook manifest: `url`, `provider` and `rotate` as written.
fn webhook_manifest(url: &str, provider: &str, rotate: &str) -> String {
    format!(
        "tailnets:\n  demo:\n    webhooks:\n      ops:\n        endpointUrl: {url}\n        \
         providerType: {provider}\n        subscriptions: [nodeCreated, policyUpdate]\n{rotate}"
    )
}

#[test]
fn webhook_plans_name_the_replace_the_rotation_and_the_url_conflict() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        &webhook_manifest(
            "https://hooks.example.com/a",
            "none",
            "        rotateEvery: 7d\n",
        ),
    );
    let created = w.run(&["plan"]);
    created.code(0);
    snapshot!(w, "webhook_create", streams(&created));
    w.run(&["apply", "--auto-approve"]).code(0);
    w.write(
        "tailform.yaml",
        &webhook_manifest(
            "https://hooks.example.com/b",
            "slack",
            "        rotateEvery: 7d\n",
        ),
    );
    let replaced = w.run(&["plan"]);
    replaced.code(0);
    snapshot!(w, "webhook_replace", streams(&replaced));
    w.write(
        "tailform.yaml",
        &webhook_manifest(
            "https://hooks.example.com/a",
            "slack",
            "        rotateEvery: 7d\n",
        ),
    );
    let same_url = w.run(&["plan"]);
    same_url.code(0);
    snapshot!(w, "webhook_replace_same_url", streams(&same_url));
    w.write(
        "tailform.yaml",
        &webhook_manifest(
            "https://hooks.example.com/a",
            "none",
            "        rotateEvery: 7d\n",
        ),
    );
    w.advance_clock(8 * 86_400);
    let due = w.run(&["plan"]);
    due.code(0);
    snapshot!(w, "webhook_rotation_due", streams(&due));
    // A webhook tailform does not track on the URL of one it would create.
    w.run(&["state", "rm", "--force", "tailnet.demo.webhook.ops"])
        .code(0);
    let conflict = w.run(&["plan"]);
    conflict.code(1);
    snapshot!(w, "webhook_url_taken", streams(&conflict));
}

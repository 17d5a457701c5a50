//! What a Terraform user's hands reach for (issue 16): `moved:` and `state mv` keep the object,
//! `state rm` asks before a secret is lost, `destroy`, `show`, `version`, `graph`,
//! `apply --refresh-only`, and the single-dash spellings.

use serde_json::Value;

use super::world::World;

fn quickstart(w: &World) {
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
}

fn secret_of(w: &World, address: &str) -> String {
    w.state()["resources"][address]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no secret at {address}"))
        .to_owned()
}

/// The API requests that change something (every POST but token mints, every PUT and DELETE).
fn writes(w: &World) -> Vec<String> {
    w.log()
        .into_iter()
        .filter(|e| e.method != "GET" && !e.path.ends_with("/oauth/token"))
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

/// The quickstart with the `web` key renamed `frontend`.
fn renamed_manifest(w: &World, moved: &str) -> String {
    let manifest = std::fs::read_to_string(w.path("tailform.yaml")).unwrap();
    let renamed = manifest.replacen("\n      web: ", "\n      frontend: ", 1);
    assert_ne!(manifest, renamed, "the quickstart declares `web:`");
    format!("{renamed}\n{moved}")
}

#[test]
fn a_moved_entry_renames_the_record_without_revoking_the_key() {
    let w = World::new();
    quickstart(&w);
    let id = w.id_of("tailnet.demo.auth_key.web");
    let secret = secret_of(&w, "tailnet.demo.auth_key.web");
    w.write(
        "tailform.yaml",
        &renamed_manifest(
            &w,
            "moved:\n  - from: tailnet.demo.auth_key.web\n    to: tailnet.demo.auth_key.frontend\n",
        ),
    );
    w.reset_stats();
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout
            .contains("# tailnet.demo.auth_key.web has moved to tailnet.demo.auth_key.frontend")
            && plan
                .stdout
                .contains("Plan: 0 to add, 0 to change, 0 to destroy, 1 moved."),
        "{}",
        plan.stdout
    );
    let json = w.run(&["plan", "--format", "json"]);
    json.code(0);
    let json: Value = serde_json::from_str(&json.stdout).unwrap();
    let frontend = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "tailnet.demo.auth_key.frontend")
        .unwrap();
    assert_eq!(frontend["previous_address"], "tailnet.demo.auth_key.web");
    assert_eq!(frontend["change"]["actions"], serde_json::json!(["no-op"]));
    let apply = w.run(&["apply", "--auto-approve"]);
    apply.code(0);
    assert!(apply.stdout.contains("1 moved"), "{}", apply.stdout);
    assert_eq!(
        w.id_of("tailnet.demo.auth_key.frontend"),
        id,
        "the id moved"
    );
    assert_eq!(
        secret_of(&w, "tailnet.demo.auth_key.frontend"),
        secret,
        "the secret moved"
    );
    assert!(w.state()["resources"]["tailnet.demo.auth_key.web"].is_null());
    assert_eq!(writes(&w), Vec::<String>::new(), "no revoke, no create");
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_client_rename_keeps_the_keys_it_created() {
    let w = World::new();
    quickstart(&w);
    let key = w.id_of("tailnet.demo.auth_key.web");
    let manifest = std::fs::read_to_string(w.path("tailform.yaml"))
        .unwrap()
        .replace("provisioner", "minter");
    w.write(
        "tailform.yaml",
        &format!(
            "{manifest}\nmoved:\n  - from: tailnet.demo.oauth_client.provisioner\n    to: tailnet.demo.oauth_client.minter\n"
        ),
    );
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).code(0);
    assert_eq!(writes(&w), Vec::<String>::new());
    assert_eq!(w.id_of("tailnet.demo.auth_key.web"), key);
    assert_eq!(
        w.state()["resources"]["tailnet.demo.auth_key.web"]["attributes"]["createdBy"],
        "minter"
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn moves_across_tailnets_or_kinds_are_refused_with_a_reason() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    for (moved, expected) in [
        (
            "  - from: tailnet.other.auth_key.web\n    to: tailnet.demo.auth_key.web\n",
            "cannot move to another tailnet",
        ),
        (
            "  - from: tailnet.demo.oauth_client.old\n    to: tailnet.demo.auth_key.web\n",
            "an object keeps its kind",
        ),
        (
            "  - from: tailnet.demo.auth_key.old\n    to: tailnet.demo.auth_key.nowhere\n",
            "`tailnet.demo.auth_key.nowhere` is not declared in the manifests",
        ),
        (
            "  - from: tailnet.demo.auth_key.ci-runner\n    to: tailnet.demo.auth_key.web\n",
            "`tailnet.demo.auth_key.ci-runner` is still declared in the manifests",
        ),
        (
            "  - from: nonsense\n    to: tailnet.demo.auth_key.web\n",
            "`nonsense` is not an address",
        ),
    ] {
        let manifest = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"),
        )
        .unwrap();
        w.write("tailform.yaml", &format!("{manifest}\nmoved:\n{moved}"));
        let run = w.run(&["validate"]);
        run.code(1);
        assert!(
            run.stderr.contains("E042") && run.stderr.contains(expected),
            "{moved}: {}",
            run.stderr
        );
    }
}

#[test]
fn state_mv_moves_the_id_and_secret_and_refuses_what_a_move_cannot_be() {
    let w = World::new();
    quickstart(&w);
    let id = w.id_of("tailnet.demo.auth_key.web");
    let secret = secret_of(&w, "tailnet.demo.auth_key.web");
    w.reset_stats();
    let across = w.run(&[
        "state",
        "mv",
        "tailnet.demo.auth_key.web",
        "tailnet.other.auth_key.web",
    ]);
    across.code(1);
    assert!(
        across.stderr.contains("cannot move to another tailnet"),
        "{}",
        across.stderr
    );
    let occupied = w.run(&[
        "state",
        "mv",
        "tailnet.demo.auth_key.web",
        "tailnet.demo.auth_key.ci-runner",
    ]);
    occupied.code(1);
    assert!(
        occupied.stderr.contains("already tracks an object"),
        "{}",
        occupied.stderr
    );
    let mv = w.run(&[
        "state",
        "mv",
        "tailnet.demo.auth_key.web",
        "tailnet.demo.auth_key.frontend",
    ]);
    mv.code(0);
    assert_eq!(w.id_of("tailnet.demo.auth_key.frontend"), id);
    assert_eq!(secret_of(&w, "tailnet.demo.auth_key.frontend"), secret);
    w.write("tailform.yaml", &renamed_manifest(&w, ""));
    w.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(writes(&w), Vec::<String>::new());
}

#[test]
fn state_rm_of_a_record_with_a_secret_asks_first() {
    let w = World::new();
    quickstart(&w);
    let address = "tailnet.demo.auth_key.web";
    let closed = w.run(&["state", "rm", address]);
    closed.code(1);
    assert!(
        closed
            .stderr
            .contains("holds a secret the API never shows again")
            && closed.stderr.contains("pass --force"),
        "{}",
        closed.stderr
    );
    assert!(
        !w.state()["resources"][address].is_null(),
        "nothing was removed"
    );
    w.command(&["state", "rm", address])
        .run_with_stdin("no\n")
        .code(1);
    assert!(!w.state()["resources"][address].is_null());
    w.command(&["state", "rm", address])
        .run_with_stdin("yes\n")
        .code(0);
    assert!(w.state()["resources"][address].is_null());
    // --force removes without asking; a record without a secret never asks.
    w.run(&["state", "rm", "--force", "tailnet.demo.auth_key.ci-runner"])
        .code(0);
    w.run(&["state", "rm", "tailnet.demo.policy"]).code(0);
}

#[test]
fn destroy_keeps_the_guards_and_deletes_everything_once_allowed() {
    let w = World::new();
    quickstart(&w);
    let refused = w.run(&["destroy", "--auto-approve", "--allow-destroy"]);
    refused.code(1);
    assert!(
        refused.stderr.contains("`preventDestroy` protects it"),
        "{}",
        refused.stderr
    );
    // --target limits it: one key.
    w.reset_stats();
    let one = w.run(&[
        "destroy",
        "--auto-approve",
        "--target",
        "tailnet.demo.auth_key.ci-runner",
    ]);
    one.code(0);
    assert!(
        one.stdout.contains("0 added, 0 changed, 1 destroyed"),
        "{}",
        one.stdout
    );
    assert_eq!(writes(&w).len(), 1, "{:?}", writes(&w));
    // preventDestroy: false, applied; then destroy with --allow-destroy deletes it all.
    let relaxed = std::fs::read_to_string(w.path("tailform.yaml"))
        .unwrap()
        .replace(
            "    displayName: Demo",
            "    preventDestroy: false\n    displayName: Demo",
        );
    w.write("tailform.yaml", &relaxed);
    w.run(&["apply", "--auto-approve"]).code(0);
    let tailnet = w.id_of("tailnet.demo");
    let all = w.run(&["destroy", "--auto-approve", "--allow-destroy"]);
    all.code(0);
    assert!(all.stdout.contains("destroyed"), "{}", all.stdout);
    assert_eq!(w.state()["resources"], serde_json::json!({}));
    let (status, _) = w.api(
        reqwest::Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/keys"),
        Some(&w.token(None)),
        None,
    );
    assert_ne!(status, 200, "the tailnet is gone");
}

#[test]
fn show_prints_a_saved_plan_or_the_state_without_secrets() {
    let w = World::new();
    quickstart(&w);
    let secrets = w.secrets();
    let state_text = w.run(&["show"]);
    state_text.code(0);
    assert!(
        state_text.stdout.contains("# tailnet.demo.auth_key.web:"),
        "{}",
        state_text.stdout
    );
    let state_json = w.run(&["show", "--format", "json"]);
    state_json.code(0);
    let v: Value = serde_json::from_str(&state_json.stdout).unwrap();
    let resources = v["values"]["root_module"]["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 5);
    let web = resources
        .iter()
        .find(|r| r["address"] == "tailnet.demo.auth_key.web")
        .unwrap();
    assert_eq!(web["type"], "tailscale_auth_key");
    assert_eq!(web["sensitive_values"]["secret"], true);
    w.run(&[
        "plan",
        "--out",
        "p.json",
        "--replace",
        "tailnet.demo.auth_key.web",
    ])
    .code(0);
    let plan_text = w.run(&["show", "p.json"]);
    plan_text.code(0);
    assert!(
        plan_text.stdout.contains("must be replaced"),
        "{}",
        plan_text.stdout
    );
    let plan_json = w.run(&["show", "p.json", "--format", "json"]);
    plan_json.code(0);
    let v: Value = serde_json::from_str(&plan_json.stdout).unwrap();
    assert!(v["resource_changes"].is_array());
    for out in [
        &state_text.stdout,
        &state_json.stdout,
        &plan_text.stdout,
        &plan_json.stdout,
    ] {
        for s in &secrets {
            assert!(!out.contains(s.as_str()), "a secret was shown");
        }
    }
}

#[test]
fn version_names_the_commit() {
    let w = World::new();
    let text = w.run(&["version"]);
    text.code(0);
    assert!(
        text.stdout
            .starts_with(&format!("tailform {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{}",
        text.stdout
    );
    let json = w.run(&["version", "--format", "json"]);
    json.code(0);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let commit = v["commit"].as_str().unwrap();
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
}

#[test]
fn graph_prints_the_plans_dependency_graph() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let run = w.run(&["graph"]);
    run.code(0);
    assert!(
        run.stdout.starts_with("digraph tailform {"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("[label = \"create tailnet tailnet.demo\"]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("[label = \"create auth key tailnet.demo.auth_key.web\"]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.matches(" -> ").count() >= 4, "{}", run.stdout);
    assert!(w.stored().is_none(), "graph writes no state");
}

#[test]
fn apply_refresh_only_forgets_what_is_gone_and_touches_nothing_live() {
    let w = World::new();
    quickstart(&w);
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
    w.reset_stats();
    let apply = w.run(&["apply", "--refresh-only", "--auto-approve"]);
    apply.code(0);
    assert!(
        apply.stdout.contains("has been deleted outside tailform")
            && apply
                .stdout
                .contains("Drift accepted into the state: 1 object(s)"),
        "{}",
        apply.stdout
    );
    assert_eq!(
        writes(&w),
        Vec::<String>::new(),
        "nothing created or deleted"
    );
    assert!(w.state()["resources"]["tailnet.demo.auth_key.web"].is_null());
    w.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(0);
    let plan = w.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("tailnet.demo.auth_key.web will be created"),
        "{}",
        plan.stdout
    );
}

#[test]
fn terraform_spellings_get_a_hint_and_usage_errors_exit_1() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    for (args, spelt) in [
        (&["apply", "-auto-approve"][..], "`--auto-approve`"),
        (&["plan", "-out=plan.json"], "`--out plan.json`"),
        (&["plan", "-detailed-exitcode"], "`--detailed-exitcode`"),
    ] {
        let run = w.run(args);
        run.code(1);
        assert!(
            run.stderr.contains("hint: tailform spells") && run.stderr.contains(spelt),
            "{args:?}: {}",
            run.stderr
        );
    }
    // Any command line clap refuses exits 1, never 2 (which --detailed-exitcode means "changes").
    w.run(&["plan", "--detailed-exitcode", "--no-such-flag"])
        .code(1);
    w.run(&["--help"]).code(0);
}

//! The first real apply (issue "The first real apply", FIDELITY-2 §1): the real binary against
//! the emulator with its live-API behaviours switched on — new credentials that are refused for
//! a while, `If-Match: "ts-default"` that does not match a new API-only tailnet's policy,
//! validation warnings, access tokens in key lists and request ids in errors.

use serde_json::{Value, json};

use super::world::World;

/// Sets the emulator's faults (the fidelity switches among them).
fn faults(w: &World, config: Value) {
    let (status, body) = w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(config),
    );
    assert_eq!(status, 200, "{body}");
}

fn quickstart() -> World {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w
}

fn policy_file() -> World {
    let w = World::new();
    w.copy_from_repo("examples/policy-file/tailform.yaml", "tailform.yaml");
    w.copy_from_repo("examples/policy-file/policy.hujson", "policy.hujson");
    w
}

/// Requests answered `status`, as `METHOD path`.
fn answered(w: &World, status: u64) -> Vec<String> {
    w.log()
        .into_iter()
        .filter(|e| e.status == status)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

#[test]
fn the_quickstart_converges_while_new_credentials_propagate() {
    let w = quickstart();
    // Every OAuth client is refused (404 on use, as measured) for 3 s after its creation: the
    // bootstrap client of the new tailnet, then the `provisioner` that creates `web`.
    faults(&w, json!({"credentialDelayMs": 3000}));
    let apply = w.run(&["apply", "--auto-approve"]);
    apply.code(0);
    assert!(
        apply.stdout.contains("Apply complete! Resources: 5 added"),
        "{}",
        apply.stdout
    );
    let bootstrap = w.state()["resources"]["tailnet.demo"]["oauthClient"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let provisioner = w.id_of("tailnet.demo.oauth_client.provisioner");
    for client in [&bootstrap, &provisioner] {
        let line = format!("waiting for the new OAuth client {client} to become usable (HTTP 404");
        assert!(apply.stderr.contains(&line), "{line}\n{}", apply.stderr);
    }
    let refused = answered(&w, 404);
    assert!(
        refused.iter().any(|r| r.ends_with("/acl")) && refused.iter().any(|r| r.ends_with("/keys")),
        "the policy read and the `createdBy` key were refused first: {refused:?}"
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

/// Both at once, as a first real apply may meet them: the quickstart from empty, every new
/// credential refused for 3 s and `ts-default` matching nothing on the new tailnet.
#[test]
fn the_quickstart_converges_under_both_switches() {
    let w = quickstart();
    faults(
        &w,
        json!({"credentialDelayMs": 3000, "strictTsDefault": true}),
    );
    let apply = w.run(&["apply", "--auto-approve"]);
    apply.code(0);
    assert!(
        apply.stdout.contains("Apply complete! Resources: 5 added"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stderr.contains("waiting for the new OAuth client"),
        "{}",
        apply.stderr
    );
    assert_eq!(
        answered(&w, 412),
        Vec::<String>::new(),
        "no write relied on ts-default"
    );
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn without_the_wait_the_same_apply_fails_saying_why() {
    let w = quickstart();
    faults(&w, json!({"credentialDelayMs": 1500}));
    let apply = w.run_env(
        &[("TAILFORM_PROPAGATION_TIMEOUT", "0")],
        &["apply", "--auto-approve", "-v"],
    );
    apply.code(1);
    assert!(
        apply
            .stdout
            .contains("may still be propagating through the Tailscale API"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains("waiting for new credentials is off: --propagation-timeout 0"),
        "{}",
        apply.stdout
    );
    // The request id of the refusal is in the error and in the -v log.
    assert!(apply.stdout.contains("[request id emu"), "{}", apply.stdout);
    assert!(
        apply.stderr.contains("request_id=\"emu"),
        "{}",
        apply.stderr
    );
    assert!(!apply.stderr.contains("waiting for the new OAuth client"));
    // Once the credential has propagated, the next apply (waiting as by default) finishes.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    w.run(&["apply", "--auto-approve"]).code(0);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn the_quickstart_converges_when_ts_default_does_not_match() {
    let w = quickstart();
    faults(&w, json!({"strictTsDefault": true}));
    w.run(&["apply", "--auto-approve"]).code(0);
    assert_eq!(
        answered(&w, 412),
        Vec::<String>::new(),
        "no write relied on ts-default"
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_policy_file_on_a_new_tailnet_converges_when_ts_default_does_not_match() {
    let w = policy_file();
    faults(
        &w,
        json!({"strictTsDefault": true, "credentialDelayMs": 500}),
    );
    let apply = w.run(&["apply", "--auto-approve"]);
    apply.code(0);
    let acl: Vec<(String, u64)> = w
        .log()
        .into_iter()
        .filter(|e| e.path.ends_with("/acl") && e.status != 404)
        .map(|e| (e.method, e.status))
        .collect();
    assert_eq!(
        acl,
        [
            ("POST".to_owned(), 412),
            ("GET".to_owned(), 200),
            ("POST".to_owned(), 200)
        ],
        "{}",
        apply.stderr
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn validate_warnings_are_shown_and_the_plan_goes_on() {
    let w = policy_file();
    w.run(&["apply", "--auto-approve"]).code(0);
    let tailnet = w.id_of("tailnet.staging");
    let (status, _) = w.api(
        reqwest::Method::POST,
        &format!("/_emulator/tailnets/{tailnet}/validate-warnings"),
        None,
        Some(json!({"data": [{
            "user": "group:unknown@example.com",
            "warnings": ["group is not syncing from SCIM and will be ignored by rules in the policy file"]
        }]})),
    );
    assert_eq!(status, 200);
    let edited = std::fs::read_to_string(w.path("policy.hujson"))
        .unwrap()
        .replace(r#""ip": ["5432"]"#, r#""ip": ["5432", "6432"]"#);
    w.write("policy.hujson", &edited);
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout.contains(
            "Warning: the API validated the policy file `policy.hujson` of `tailnet.staging` \
             with a warning (the plan goes on; the API stores such a policy): \
             group:unknown@example.com: group is not syncing from SCIM and will be ignored by \
             rules in the policy file"
        ),
        "{}",
        plan.stdout
    );
    w.run(&["apply", "--auto-approve"]).code(0);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn access_tokens_are_not_counted_as_unmanaged_keys() {
    let w = quickstart();
    w.run(&["apply", "--auto-approve"]).code(0);
    let tailnet = w.id_of("tailnet.demo");
    let token = w.token(Some(&tailnet));
    let (_, keys) = w.api(
        reqwest::Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/keys?all=true"),
        Some(&token),
        None,
    );
    let tokens = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["keyType"] == "api")
        .count();
    assert!(
        tokens >= 3,
        "the apply's tokens and this one are listed: {keys}"
    );
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(
        !plan.stdout.contains("not managed by tailform"),
        "{}",
        plan.stdout
    );
    // A key someone else made is still counted, alone.
    let (status, body) = w.api(
        reqwest::Method::POST,
        &format!("/api/v2/tailnet/{tailnet}/keys"),
        Some(&token),
        Some(json!({"capabilities": {"devices": {"create": {"tags": ["tag:ci"]}}}})),
    );
    assert_eq!(status, 200, "{body}");
    let plan = w.run(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains(
            "1 live key(s) in managed tailnets are not managed by tailform and are left untouched."
        ),
        "{}",
        plan.stdout
    );
}

//! The policy file: a `policy.file` change is a unified diff applied with `If-Match`; an
//! out-of-band edit between plan and apply stops the apply on the 412; reformatting changes
//! nothing.

use super::world::World;

fn policy_world(w: World) -> World {
    w.copy_from_repo("examples/policy-file/tailform.yaml", "tailform.yaml");
    w.copy_from_repo("examples/policy-file/policy.hujson", "policy.hujson");
    w
}

crate::on_each_backend! {
fn policy_file_change_is_a_diff_applied_with_if_match(w: World) {
    let w = policy_world(w);
    w.run(&["apply", "--auto-approve"]).code(0);
    w.run(&["plan", "--detailed-exitcode"]).code(0);

    let edited = std::fs::read_to_string(w.path("policy.hujson"))
        .unwrap()
        .replace(r#""ip": ["5432"]"#, r#""ip": ["5432", "6432"]"#);
    w.write("policy.hujson", &edited);
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout
            .contains("# tailnet.staging.policy will be updated in-place"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("--- live"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+        \"6432\""), "{}", plan.stdout);

    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).code(0);
    let log = w.log();
    let posts: Vec<_> = log
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/acl"))
        .collect();
    assert_eq!(posts.len(), 1, "{log:?}");
    assert_eq!(posts[0].status, 200);
    // The stored policy is the file, verbatim (comments kept).
    let tailnet = w.id_of("tailnet.staging");
    let token = w.token(Some(&tailnet));
    let (_, stored) = w.api(
        reqwest::Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/acl"),
        Some(&token),
        None,
    );
    assert_eq!(
        stored.as_str().unwrap_or_default(),
        edited,
        "the file is stored verbatim, comments included"
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

fn reformatting_the_policy_file_is_no_change(w: World) {
    let w = policy_world(w);
    w.run(&["apply", "--auto-approve"]).code(0);
    let reformatted = r#"{"grants":[{"dst":["tag:db"],"ip":["5432"],"src":["tag:build"]}],
      "TagOwners":{"tag:db":[],"tag:build":["tag:ci"],"tag:ci":[]}}"#;
    w.write("policy.hujson", reformatted);
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert_eq!(
        plan.stdout,
        "No changes. Your tailnets match the manifests.\n"
    );
}

fn policy_edited_between_plan_and_apply_stops_on_412(w: World) {
    let w = policy_world(w);
    w.run(&["apply", "--auto-approve"]).code(0);
    let edited = std::fs::read_to_string(w.path("policy.hujson"))
        .unwrap()
        .replace("5432", "5433");
    w.write("policy.hujson", &edited);
    w.run(&["plan", "--out", "change.tfplan"]).code(0);

    // Someone edits the policy in the console: the saved plan is stale …
    let tailnet = w.id_of("tailnet.staging");
    let token = w.token(Some(&tailnet));
    let outside =
        r#"{"tagOwners": {"tag:ci": [], "tag:build": ["tag:ci"], "tag:db": [], "tag:x": []}}"#;
    assert_eq!(w.post_policy(&tailnet, &token, outside), 200);
    let stale = w.run(&["apply", "change.tfplan"]);
    stale.code(1);
    assert!(
        stale
            .stderr
            .contains("the saved plan is stale: `tailnet.staging.policy` changed outside tailform"),
        "{}",
        stale.stderr
    );

    // … and an apply whose plan read the policy just before another edit stops on the 412.
    let mut child = w.spawn(&["apply"]);
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("Enter a value: ") {
        let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
        assert!(n > 0, "apply ended before asking: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert_eq!(
        w.post_policy(&tailnet, &token, &outside.replace("tag:x", "tag:y")),
        200
    );
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"yes\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    seen.push_str(&rest);
    assert_eq!(out.status.code(), Some(1), "{seen}");
    assert!(
        seen.contains("changed since the plan was made (412 precondition failed"),
        "{seen}"
    );
    assert!(seen.contains("Apply failed"), "{seen}");
    // Nothing was written: the outside edit is still the live policy.
    let (_, live) = w.api(
        reqwest::Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/acl"),
        Some(&token),
        None,
    );
    assert!(live.to_string().contains("tag:y"), "{live}");
}
}

//! Create from nothing, converge, drift (revoked key), rotation, in-place client update,
//! one-off keys, createdBy tokens.

use std::os::unix::fs::MetadataExt;

use serde_json::Value;

use super::world::World;

const QUICKSTART: &str = "examples/quickstart.yaml";

fn quickstart(w: World) -> World {
    w.copy_from_repo(QUICKSTART, "tailform.yaml");
    w
}

crate::on_each_backend! {
    fn apply_from_nothing_then_no_changes(w: World) {
        let w = quickstart(w);
        let run = w.run(&["apply", "--auto-approve"]);
        run.code(0);
        assert!(
            run.stdout
                .contains("Plan: 5 to add, 0 to change, 0 to destroy."),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
            "{}",
            run.stdout
        );

        let state = w.state();
        let resources = state["resources"].as_object().unwrap();
        let addresses: Vec<&str> = resources.keys().map(String::as_str).collect();
        assert_eq!(
            addresses,
            [
                "tailnet.demo",
                "tailnet.demo.auth_key.ci-runner",
                "tailnet.demo.auth_key.web",
                "tailnet.demo.oauth_client.provisioner",
                "tailnet.demo.policy",
            ]
        );
        assert!(state["pending"].as_array().unwrap().is_empty());
        let secret = |a: &str, path: &[&str]| {
            let mut v = &resources[a];
            for p in path {
                v = &v[*p];
            }
            v.as_str().unwrap_or_default().to_owned()
        };
        assert!(secret("tailnet.demo", &["oauthClient", "secret"]).starts_with("tskey-client-"));
        assert!(
            secret("tailnet.demo.oauth_client.provisioner", &["secret"]).starts_with("tskey-client-")
        );
        assert!(secret("tailnet.demo.auth_key.web", &["secret"]).starts_with("tskey-auth-"));
        assert!(secret("tailnet.demo.auth_key.ci-runner", &["secret"]).starts_with("tskey-auth-"));
        for a in [
            "tailnet.demo",
            "tailnet.demo.auth_key.web",
            "tailnet.demo.oauth_client.provisioner",
        ] {
            assert!(
                resources[a]["id"].as_str().unwrap().ends_with("CNTRL"),
                "{a}"
            );
        }
        if w.is_file() {
            let mode = std::fs::metadata(w.path("state/tailform.json"))
                .unwrap()
                .mode()
                & 0o777;
            assert_eq!(mode, 0o600);
        }

        let plan = w.run(&["plan", "--detailed-exitcode"]);
        plan.code(0);
        assert_eq!(
            plan.stdout,
            "No changes. Your tailnets match the manifests.\n"
        );
    }

    fn tags_are_defined_before_clients_and_keys_use_them(w: World) {
        let w = quickstart(w);
        w.run(&["apply", "--auto-approve"]).code(0);
        let log = w.log();
        let first = |pred: &dyn Fn(&crate::world::LogEntry) -> bool| {
            log.iter()
                .position(pred)
                .unwrap_or_else(|| panic!("not in log: {log:?}"))
        };
        let policy_post = first(&|e| e.method == "POST" && e.path.ends_with("/acl") && e.status == 200);
        let first_key_post = first(&|e| e.method == "POST" && e.path.ends_with("/keys"));
        let tailnet_post =
            first(&|e| e.method == "POST" && e.path.ends_with("/organizations/-/tailnets"));
        assert!(
            tailnet_post < policy_post && policy_post < first_key_post,
            "{log:?}"
        );
    }

    fn created_by_key_is_minted_with_its_clients_token(w: World) {
        let w = quickstart(w);
        w.run(&["apply", "--auto-approve"]).code(0);
        let client_id = w.id_of("tailnet.demo.oauth_client.provisioner");
        let web_id = w.id_of("tailnet.demo.auth_key.web");
        let runner_id = w.id_of("tailnet.demo.auth_key.ci-runner");
        let stats = w.stats();
        let creator = |key: &str| -> Option<String> {
            stats["log"].as_array().unwrap().iter().find_map(|e| {
                (e["method"] == "POST" && e["keyId"] == key)
                    .then(|| e["clientId"].as_str().unwrap_or_default().to_owned())
            })
        };
        assert_eq!(creator(&web_id).as_deref(), Some(client_id.as_str()));
        let bootstrap = w.state()["resources"]["tailnet.demo"]["oauthClient"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(creator(&runner_id).as_deref(), Some(bootstrap.as_str()));
    }

    fn revoked_key_shows_a_replace_and_apply_restores_it(w: World) {
        let w = quickstart(w);
        w.run(&["apply", "--auto-approve"]).code(0);
        let tailnet = w.id_of("tailnet.demo");
        let old = w.id_of("tailnet.demo.auth_key.web");
        let token = w.token(Some(&tailnet));
        let (status, _) = w.api(
            reqwest::Method::DELETE,
            &format!("/api/v2/tailnet/{tailnet}/keys/{old}"),
            Some(&token),
            None,
        );
        assert_eq!(status, 200);

        let plan = w.run(&["plan", "--detailed-exitcode"]);
        plan.code(2);
        assert!(
            plan.stdout
                .contains("# tailnet.demo.auth_key.web must be replaced"),
            "{}",
            plan.stdout
        );
        assert!(
            plan.stdout.contains("# (the live object no longer exists)"),
            "{}",
            plan.stdout
        );
        assert!(
            plan.stdout
                // The revoked key is already gone: nothing is destroyed.
                .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
            "{}",
            plan.stdout
        );

        w.run(&["apply", "--auto-approve"]).code(0);
        let new = w.id_of("tailnet.demo.auth_key.web");
        assert_ne!(new, old);
        w.run(&["plan", "--detailed-exitcode"]).code(0);
    }

    fn rotation_creates_the_new_key_before_deleting_the_old(w: World) {
        let w = quickstart(w);
        w.run(&["apply", "--auto-approve"]).code(0);
        let old = w.id_of("tailnet.demo.auth_key.web");
        // web: expiry 30d, rotateBefore 10d → due after day 20.
        w.advance_clock(21 * 86_400);
        let plan = w.run(&["plan", "--detailed-exitcode", "--format", "json"]);
        plan.code(2);
        let json: Value = serde_json::from_str(&plan.stdout).unwrap();
        let web = json["resource_changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == "tailnet.demo.auth_key.web" && c.get("deposed").is_none())
            .unwrap();
        assert_eq!(web["action_reason"], "replace_because_expiring");
        assert_eq!(
            web["change"]["actions"],
            serde_json::json!(["create", "delete"])
        );

        w.reset_stats();
        w.run(&["apply", "--auto-approve"]).code(0);
        let new = w.id_of("tailnet.demo.auth_key.web");
        assert_ne!(new, old);
        let stats = w.stats();
        let log = stats["log"].as_array().unwrap();
        let created = log
            .iter()
            .position(|e| e["method"] == "POST" && e["keyId"] == new.as_str())
            .unwrap();
        let deleted = log
            .iter()
            .position(|e| e["method"] == "DELETE" && e["keyId"] == old.as_str())
            .unwrap();
        assert!(created < deleted, "{log:?}");
        w.run(&["plan", "--detailed-exitcode"]).code(0);
    }

    fn client_scope_change_updates_in_place_keeping_the_secret(w: World) {
        let w = quickstart(w);
        w.run(&["apply", "--auto-approve"]).code(0);
        let before = w.state()["resources"]["tailnet.demo.oauth_client.provisioner"].clone();
        let manifest = std::fs::read_to_string(w.path("tailform.yaml"))
            .unwrap()
            .replace(
                "scopes: [auth_keys, devices:core]",
                "scopes: [auth_keys, devices:core, policy_file:read]",
            );
        w.write("tailform.yaml", &manifest);
        let plan = w.run(&["plan", "--detailed-exitcode"]);
        plan.code(2);
        assert!(
            plan.stdout
                .contains("# tailnet.demo.oauth_client.provisioner will be updated in-place"),
            "{}",
            plan.stdout
        );
        assert!(
            plan.stdout
                .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
            "{}",
            plan.stdout
        );
        w.run(&["apply", "--auto-approve"]).code(0);
        let after = w.state()["resources"]["tailnet.demo.oauth_client.provisioner"].clone();
        assert_eq!(after["id"], before["id"]);
        assert_eq!(after["secret"], before["secret"]);
        assert_eq!(
            after["attributes"]["scopes"],
            serde_json::json!(["auth_keys", "devices:core", "policy_file:read"])
        );
        w.run(&["plan", "--detailed-exitcode"]).code(0);
    }

    fn used_one_off_key_is_kept_under_auto_and_replaced_under_always(w: World) {
        let w = quickstart(w);
        w.run(&["apply", "--auto-approve"]).code(0);
        let runner = w.id_of("tailnet.demo.auth_key.ci-runner");
        w.use_key(&runner);
        let plan = w.run(&["plan", "--detailed-exitcode"]);
        plan.code(0);
        assert!(
            plan.stdout
                .contains("one-off keys are not recreated under recreateIfInvalid: auto"),
            "{}",
            plan.stdout
        );

        let manifest = std::fs::read_to_string(w.path("tailform.yaml"))
            .unwrap()
            .replace(
                "        expiry: 7d ",
                "        recreateIfInvalid: always\n        expiry: 7d ",
            );
        w.write("tailform.yaml", &manifest);
        let plan = w.run(&["plan", "--detailed-exitcode"]);
        plan.code(2);
        assert!(
            plan.stdout
                .contains("# tailnet.demo.auth_key.ci-runner must be replaced"),
            "{}",
            plan.stdout
        );
        w.run(&["apply", "--auto-approve"]).code(0);
        assert_ne!(w.id_of("tailnet.demo.auth_key.ci-runner"), runner);
    }
}

/// Regression: `println!` panicked (exit 101) when stdout's reader had gone, stopping an apply
/// between two API calls. The apply now finishes and saves everything it created.
#[test]
fn apply_finishes_when_the_reader_of_its_output_goes_away() {
    let w = quickstart(World::new());
    let mut child = w.spawn(&["apply", "--auto-approve"]);
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let state = w.state();
    assert_eq!(state["resources"].as_object().unwrap().len(), 5);
    assert!(state["pending"].as_array().unwrap().is_empty());
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

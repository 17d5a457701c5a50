//! Tailnet settings (`settings:`): only the fields the manifest sets are compared and PATCHed
//! (alone); a tailnet tailform creates gets them once it exists; drift is put back; a field the
//! credentials cannot read is unknown — a note and a warning, never a change or a write; a
//! removed block is forgotten without an API call.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::World;

const OWN: &str = "tailnet.own.settings";

fn settings_writes(w: &World) -> Vec<(String, String)> {
    w.log()
        .into_iter()
        .filter(|e| e.method == "PATCH" && e.path.ends_with("/settings"))
        .map(|e| (e.method, e.path))
        .collect()
}

fn live(w: &World, tailnet: &str) -> Value {
    let token = w.token((tailnet != "-").then_some(tailnet));
    let (status, body) = w.api(
        Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/settings"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200, "{body}");
    body
}

#[test]
fn only_the_fields_set_are_written_and_drift_is_put_back() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        "tailnets:\n  demo:\n    settings:\n      httpsEnabled: true\n      \
         devicesKeyDurationDays: 30\n  own:\n    id: \"-\"\n    settings:\n      \
         devicesApprovalOn: true\n",
    );
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("# tailnet.demo.settings will be updated in-place")
        .stdout_has("# written once the tailnet exists")
        .stdout_has("+ httpsEnabled           = true")
        .stdout_has("~ devicesApprovalOn = false -> true");
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).success();
    let demo = w.id_of("tailnet.demo");
    let patches = settings_writes(&w);
    assert_eq!(patches.len(), 2, "{patches:?}");
    let created = live(&w, &demo);
    assert_eq!(created["httpsEnabled"], true);
    assert_eq!(created["devicesKeyDurationDays"], 30);
    assert_eq!(created["devicesApprovalOn"], false, "not set, not written");
    assert_eq!(live(&w, "-")["devicesApprovalOn"], true);
    assert_eq!(
        w.state()["resources"][OWN],
        json!({"values": {"devicesApprovalOn": true}})
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);

    // Changed outside tailform: put back, and only that field is sent.
    let token = w.token(None);
    let (status, _) = w.api(
        Method::PATCH,
        "/api/v2/tailnet/-/settings",
        Some(&token),
        Some(json!({"devicesApprovalOn": false, "usersApprovalOn": true})),
    );
    assert_eq!(status, 200);
    w.run(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# (changed outside tailform since the last apply)")
        .stdout_has("~ devicesApprovalOn = false -> true");
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).success();
    let own = live(&w, "-");
    assert_eq!(own["devicesApprovalOn"], true);
    assert_eq!(
        own["usersApprovalOn"], true,
        "a field the manifest does not set is left alone"
    );
    assert_eq!(settings_writes(&w).len(), 1);

    // Removed: forgotten, nothing sent.
    w.write(
        "tailform.yaml",
        "tailnets:\n  demo:\n    settings:\n      httpsEnabled: true\n      \
         devicesKeyDurationDays: 30\n  own:\n    id: \"-\"\n",
    );
    w.run(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# tailnet.own.settings will no longer be tracked");
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).success();
    assert!(settings_writes(&w).is_empty());
    assert_eq!(live(&w, "-")["devicesApprovalOn"], true);
    assert!(w.state()["resources"].get(OWN).is_none());
}

#[test]
fn a_field_the_credentials_cannot_read_is_unknown_not_a_change() {
    let w = World::new();
    // A client that may read and write feature settings, but not `networking_settings`.
    let token = w.token(None);
    let (status, client) = w.api(
        Method::POST,
        "/api/v2/tailnet/-/keys",
        Some(&token),
        Some(json!({"keyType": "client", "description": "narrow",
                    "scopes": ["policy_file:read", "oauth_keys:read", "auth_keys:read",
                               "federated_keys:read", "feature_settings"]})),
    );
    assert_eq!(status, 200, "{client}");
    let id = client["id"].as_str().unwrap();
    let secret = client["key"].as_str().unwrap();
    let env = [
        ("TAILSCALE_OAUTH_CLIENT_ID", id),
        ("TAILSCALE_OAUTH_CLIENT_SECRET", secret),
    ];
    w.write(
        "tailform.yaml",
        "tailnets:\n  own:\n    id: \"-\"\n    settings:\n      httpsEnabled: true\n      \
         devicesApprovalOn: true\n",
    );
    let plan = w.run_env(&env, &["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("~ devicesApprovalOn = false -> true")
        .output_has("`httpsEnabled` (needs `networking_settings:read`) cannot be read with these credentials: unknown, so neither compared nor written");
    assert!(
        !plan.stdout.contains("httpsEnabled    ="),
        "an unreadable field is no change: {}",
        plan.stdout
    );
    w.reset_stats();
    w.run_env(&env, &["apply", "--auto-approve"]).success();
    let patched = live(&w, "-");
    assert_eq!(patched["devicesApprovalOn"], true);
    assert_eq!(patched["httpsEnabled"], false, "never written blind");
    assert_eq!(settings_writes(&w).len(), 1);
    assert_eq!(
        w.state()["resources"][OWN],
        json!({"values": {"devicesApprovalOn": true}})
    );
    w.run_env(&env, &["plan", "--detailed-exitcode"]).code(0);
}

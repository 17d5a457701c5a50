//! Federated identities as a managed kind (`federatedIdentities:`): created from nothing with the
//! audience the API generates, converged, updated in place by PUT (same id), put back after an
//! out-of-band change, created again after an out-of-band delete, replaced by request (the new
//! one before the old is deleted), deleted when removed, imported — and then used: tailform logs
//! in as the identity it created, with an OIDC token and no stored secret.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::World;

const ADDRESS: &str = "tailnet.demo.federated_identity.deploy";
const ISSUER: &str = "https://oidc.emulator.tailform.invalid";

fn manifest(subject: &str) -> String {
    format!(
        "tailnets:\n  demo:\n    federatedIdentities:\n      deploy:\n        description: CI deploys\n        \
         issuer: {ISSUER}\n        subject: \"{subject}\"\n        customClaimRules:\n          \
         repository_owner: org\n        scopes: [auth_keys]\n        tags: [tag:deploy]\n"
    )
}

fn key_writes(w: &World) -> Vec<String> {
    w.log()
        .into_iter()
        .filter(|e| e.method != "GET" && e.path.contains("/keys"))
        .map(|e| format!("{} {} {}", e.method, e.path, e.status))
        .collect()
}

/// The identity as the API holds it.
fn live(w: &World, id: &str) -> (u16, Value) {
    let tailnet = w.id_of("tailnet.demo");
    let token = w.token(Some(&tailnet));
    w.api(
        Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/keys/{id}"),
        Some(&token),
        None,
    )
}

fn applied() -> World {
    let w = World::new();
    w.write(
        "tailform.yaml",
        &manifest("repo:org/repo:ref:refs/heads/main"),
    );
    w.run(&["apply", "--auto-approve"]).success();
    w
}

#[test]
fn an_identity_is_created_with_the_generated_audience_and_converges() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        &manifest("repo:org/repo:ref:refs/heads/main"),
    );
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("# tailnet.demo.federated_identity.deploy will be created")
        .stdout_has("+ audience         = (known after apply)");
    let block = plan
        .stdout
        .split("# tailnet.demo.federated_identity.deploy will be created")
        .nth(1)
        .unwrap();
    assert!(
        !block.contains("secret"),
        "an identity has no secret: {}",
        plan.stdout
    );
    let json = w.run(&["plan", "--format", "json"]);
    json.success();
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let change = doc["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == ADDRESS)
        .expect("the identity is in the JSON plan")
        .clone();
    assert_eq!(change["type"], "tailscale_federated_identity");
    assert_eq!(
        change["change"]["after_unknown"],
        json!({"id": true, "audience": true})
    );

    let run = w.run(&["apply", "--auto-approve"]);
    run.success();
    let record = w.state()["resources"][ADDRESS].clone();
    let id = record["id"].as_str().unwrap().to_owned();
    let audience = record["audience"].as_str().unwrap().to_owned();
    assert!(audience.starts_with("api.tailscale.com/"), "{record}");
    assert!(
        record.get("secret").is_none(),
        "an identity has no secret: {record}"
    );
    assert_eq!(
        record["attributes"]["subject"],
        "repo:org/repo:ref:refs/heads/main"
    );
    assert!(
        run.stderr
            .contains(&format!("id {id}, audience {audience}"))
            || run
                .stdout
                .contains(&format!("id {id}, audience {audience}")),
        "apply shows the id and the generated audience: {}{}",
        run.stdout,
        run.stderr
    );
    let (status, body) = live(&w, &id);
    assert_eq!(status, 200);
    assert_eq!(body["keyType"], "federated");
    assert_eq!(body["customClaimRules"], json!({"repository_owner": "org"}));
    assert_eq!(body["tags"], json!(["tag:deploy"]));
    // tailform defined the tag it uses (no policy block on a tailnet it created).
    assert_eq!(
        w.state()["resources"]["tailnet.demo.policy"]["managed"]["tagOwners"],
        json!({"tag:deploy": []})
    );

    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes.");

    // `output` lists what a CI job sets: the id and the audience (not secret, never redacted).
    let json = w.run(&["output", "--format", "json"]);
    json.success();
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc[ADDRESS],
        json!({"federated_identity_id": id, "audience": audience})
    );
    let env = w.run(&["output", "--format", "env"]);
    env.success()
        .stdout_has(&format!(
            "TAILFORM_DEMO_FEDERATED_IDENTITY_DEPLOY_ID='{id}'"
        ))
        .stdout_has(&format!(
            "TAILFORM_DEMO_FEDERATED_IDENTITY_DEPLOY_AUDIENCE='{audience}'"
        ));
    w.run(&["output", ADDRESS])
        .success()
        .stdout_has(&format!("id {id}, audience {audience}"));
}

crate::on_each_backend! {
    fn a_changed_subject_is_an_in_place_update_that_keeps_the_id_and_audience(w: World) {
        w.write("tailform.yaml", &manifest("repo:org/repo:ref:refs/heads/main"));
        w.run(&["apply", "--auto-approve"]).success();
        let id = w.id_of(ADDRESS);
        let audience = w.state()["resources"][ADDRESS]["audience"].clone();
        w.write("tailform.yaml", &manifest("repo:org/repo:ref:refs/heads/*"));
        let plan = w.run(&["plan", "--detailed-exitcode"]);
        plan.code(2)
            .stdout_has("# tailnet.demo.federated_identity.deploy will be updated in-place")
            .stdout_has(
                "~ subject          = \"repo:org/repo:ref:refs/heads/main\" -> \"repo:org/repo:ref:refs/heads/*\"",
            )
            .stdout_has("Plan: 0 to add, 1 to change, 0 to destroy.");
        w.reset_stats();
        w.run(&["apply", "--auto-approve"]).success();
        let tailnet = w.id_of("tailnet.demo");
        assert_eq!(
            key_writes(&w),
            vec![format!("PUT /api/v2/tailnet/{tailnet}/keys/{id} 200")]
        );
        assert_eq!(w.id_of(ADDRESS), id);
        assert_eq!(w.state()["resources"][ADDRESS]["audience"], audience);
        assert_eq!(live(&w, &id).1["subject"], "repo:org/repo:ref:refs/heads/*");
        w.run(&["plan", "--detailed-exitcode"]).code(0);
    }
}

#[test]
fn drift_is_put_back_and_an_identity_deleted_outside_is_created_again() {
    let w = applied();
    let id = w.id_of(ADDRESS);
    let tailnet = w.id_of("tailnet.demo");
    let token = w.token(Some(&tailnet));
    let (status, body) = w.api(
        Method::PUT,
        &format!("/api/v2/tailnet/{tailnet}/keys/{id}"),
        Some(&token),
        Some(json!({
            "keyType": "federated", "scopes": ["auth_keys"], "tags": ["tag:deploy"],
            "description": "edited by hand", "issuer": ISSUER, "subject": "repo:evil/*",
            "customClaimRules": {},
        })),
    );
    assert_eq!(status, 200, "{body}");
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("will be updated in-place")
        .stdout_has("changed outside tailform")
        .stdout_has(
            "~ subject          = \"repo:evil/*\" -> \"repo:org/repo:ref:refs/heads/main\"",
        );
    w.run(&["apply", "--auto-approve"]).success();
    let back = live(&w, &id).1;
    assert_eq!(back["subject"], "repo:org/repo:ref:refs/heads/main");
    assert_eq!(back["customClaimRules"], json!({"repository_owner": "org"}));
    assert_eq!(back["description"], "CI deploys");

    let (status, _) = w.api(
        Method::DELETE,
        &format!("/api/v2/tailnet/{tailnet}/keys/{id}"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200);
    w.advance_clock(8 * 24 * 3600);
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("must be replaced")
        .stdout_has("Plan: 1 to add, 0 to change, 0 to destroy.");
    w.run(&["apply", "--auto-approve"]).success();
    let new_id = w.id_of(ADDRESS);
    assert_ne!(new_id, id);
    assert_eq!(live(&w, &new_id).0, 200);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn replace_by_request_creates_the_new_identity_before_deleting_the_old() {
    let w = applied();
    let old = w.id_of(ADDRESS);
    let tailnet = w.id_of("tailnet.demo");
    w.reset_stats();
    w.run(&["apply", "--replace", ADDRESS, "--auto-approve"])
        .success();
    let new = w.id_of(ADDRESS);
    assert_ne!(new, old);
    assert_eq!(
        key_writes(&w),
        vec![
            format!("POST /api/v2/tailnet/{tailnet}/keys 200"),
            format!("DELETE /api/v2/tailnet/{tailnet}/keys/{old} 200"),
        ]
    );
    assert!(w.state()["resources"][ADDRESS].get("deposed").is_none());
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn an_identity_removed_from_the_manifest_is_deleted() {
    let w = applied();
    let id = w.id_of(ADDRESS);
    let tailnet = w.id_of("tailnet.demo");
    w.write("tailform.yaml", "tailnets:\n  demo: {}\n");
    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("# tailnet.demo.federated_identity.deploy will be destroyed")
        // The tag tailform defined for it goes too.
        .stdout_has("# tailnet.demo.policy will be updated in-place")
        .stdout_has("Plan: 0 to add, 1 to change, 1 to destroy.");
    let deleted = plan
        .stdout
        .split("# tailnet.demo.federated_identity.deploy will be destroyed")
        .nth(1)
        .unwrap();
    assert!(!deleted.contains("(sensitive value)"), "{}", plan.stdout);
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).success();
    assert!(key_writes(&w).contains(&format!("DELETE /api/v2/tailnet/{tailnet}/keys/{id} 200")));
    assert!(w.state()["resources"].get(ADDRESS).is_none());
}

#[test]
fn an_identity_made_outside_tailform_is_imported_and_then_converged() {
    let w = World::new();
    w.write("tailform.yaml", "tailnets:\n  demo: {}\n");
    w.run(&["apply", "--auto-approve"]).success();
    let tailnet = w.id_of("tailnet.demo");
    let token = w.token(Some(&tailnet));
    // The tag must be defined before the API accepts it: apply the manifest's policy first.
    w.write(
        "tailform.yaml",
        &manifest("repo:org/repo:ref:refs/heads/main"),
    );
    w.run(&["apply", "--auto-approve", "--target", "tailnet.demo.policy"])
        .success();
    let (status, made) = w.api(
        Method::POST,
        &format!("/api/v2/tailnet/{tailnet}/keys"),
        Some(&token),
        Some(json!({
            "keyType": "federated", "scopes": ["auth_keys"], "tags": ["tag:deploy"],
            "description": "CI deploys", "issuer": ISSUER,
            "subject": "repo:org/repo:ref:refs/heads/main",
            "customClaimRules": {"repository_owner": "org"},
        })),
    );
    assert_eq!(status, 200, "{made}");
    let id = made["id"].as_str().unwrap();
    w.run(&["import", ADDRESS, id]).success();
    let record = w.state()["resources"][ADDRESS].clone();
    assert_eq!(record["id"], id);
    assert_eq!(record["audience"], made["audience"]);
    w.run(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout_has("No changes.");

    // An auth key's id is refused with the reason.
    let run = w.run(&["import", "tailnet.demo.federated_identity.other", id]);
    run.code(1);
}

#[test]
fn tailform_logs_in_as_the_identity_it_created_without_a_stored_secret() {
    let w = World::new();
    w.write(
        "tailform.yaml",
        &format!(
            "tailnets:\n  own:\n    id: \"-\"\n    federatedIdentities:\n      ci:\n        issuer: {ISSUER}\n        \
             subject: \"repo:org/repo:ref:refs/heads/*\"\n        scopes: [all, tailnets]\n"
        ),
    );
    w.run(&["apply", "--auto-approve"]).success();
    let address = "tailnet.own.federated_identity.ci";
    let id = w.id_of(address);
    let audience = w.state()["resources"][address]["audience"]
        .as_str()
        .unwrap()
        .to_owned();
    let mint = |subject: &str| {
        let (status, minted) = w.api(
            Method::POST,
            "/_emulator/oidc/token",
            None,
            Some(json!({"subject": subject, "audience": audience, "expiresInSeconds": 300})),
        );
        assert_eq!(status, 200, "{minted}");
        minted["token"].as_str().unwrap().to_owned()
    };
    let as_identity = |jwt: &str| {
        w.command(&["plan", "--detailed-exitcode"])
            .env_remove("TAILSCALE_OAUTH_CLIENT_SECRET")
            .env("TAILSCALE_OAUTH_CLIENT_ID", &id)
            .env("TAILSCALE_IDENTITY_TOKEN", jwt)
            .run()
    };
    let run = as_identity(&mint("repo:org/repo:ref:refs/heads/main"));
    run.code(0).stdout_has("No changes.");

    let jwt = mint("repo:someone-else/repo:ref:refs/heads/main");
    let refused = as_identity(&jwt);
    refused
        .code(1)
        .stderr_has(&format!("federated identity `{id}`"));
    assert!(!refused.stderr.contains(&jwt), "{}", refused.stderr);
}

#[test]
fn an_identity_whose_create_was_interrupted_is_deleted_once_and_created_again() {
    let w = applied();
    let old = w.id_of(ADDRESS);
    let tailnet = w.id_of("tailnet.demo");
    // The state an apply killed right after sending the create leaves: no record, one intent
    // (as `intent_for` records it, just before the identity was created).
    let path = w.path("state/tailform.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let record = state["resources"]
        .as_object_mut()
        .unwrap()
        .remove(ADDRESS)
        .unwrap();
    let created: jiff::Timestamp = record["created"].as_str().unwrap().parse().unwrap();
    state["pending"] = json!([{
        "id": uuid::Uuid::new_v4(),
        "address": ADDRESS,
        "tailnetId": tailnet,
        "fingerprint": {
            "keyType": "federated", "description": "CI deploys", "scopes": ["auth_keys"],
            "tags": ["tag:deploy"], "issuer": ISSUER,
            "subject": "repo:org/repo:ref:refs/heads/main",
        },
        "started": created - jiff::SignedDuration::from_secs(1),
    }]);
    std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();

    let plan = w.run(&["plan", "--detailed-exitcode"]);
    plan.code(2)
        .stdout_has("Plan: 1 to add, 0 to change, 1 to destroy.");
    w.reset_stats();
    w.run(&["apply", "--auto-approve"]).success();
    let writes = key_writes(&w);
    assert_eq!(
        writes,
        vec![
            format!("DELETE /api/v2/tailnet/{tailnet}/keys/{old} 200"),
            format!("POST /api/v2/tailnet/{tailnet}/keys 200"),
        ]
    );
    assert_eq!(w.state()["pending"], json!([]));
    let token = w.token(Some(&tailnet));
    let (_, list) = w.api(
        Method::GET,
        &format!("/api/v2/tailnet/{tailnet}/keys?all=true"),
        Some(&token),
        None,
    );
    let identities: Vec<&Value> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["keyType"] == "federated")
        .collect();
    assert_eq!(identities.len(), 1, "no duplicate left: {list}");
    assert_eq!(identities[0]["id"], w.id_of(ADDRESS).as_str());
    w.run(&["plan", "--detailed-exitcode"]).code(0);
}

#[test]
fn a_refresh_only_apply_forgets_an_identity_deleted_outside_and_creates_nothing() {
    let w = applied();
    let id = w.id_of(ADDRESS);
    let tailnet = w.id_of("tailnet.demo");
    let token = w.token(Some(&tailnet));
    let (status, _) = w.api(
        Method::DELETE,
        &format!("/api/v2/tailnet/{tailnet}/keys/{id}"),
        Some(&token),
        None,
    );
    assert_eq!(status, 200);
    w.advance_clock(8 * 24 * 3600);
    w.run(&["plan", "--refresh-only", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# tailnet.demo.federated_identity.deploy has been deleted outside tailform");
    w.reset_stats();
    w.run(&["apply", "--refresh-only", "--auto-approve"])
        .success();
    assert_eq!(
        key_writes(&w),
        Vec::<String>::new(),
        "nothing live is touched"
    );
    assert!(w.state()["resources"].get(ADDRESS).is_none());
    // A full plan now creates it again.
    w.run(&["plan", "--detailed-exitcode"])
        .code(2)
        .stdout_has("# tailnet.demo.federated_identity.deploy will be created");
}

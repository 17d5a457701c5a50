//! tailform logs in without a stored secret: a federated identity (made here through the API
//! with the organization's client) and an OIDC token signed by the emulator's test issuer, given
//! in `TAILSCALE_IDENTITY_TOKEN` or fetched from a stand-in for GitHub Actions' token endpoint
//! (`TAILSCALE_AUDIENCE` + `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`). A refused token is a clear
//! error that never shows the token.

use reqwest::Method;
use serde_json::{Value, json};

use super::world::World;
use crate::common::command::Tailform;

const ISSUER: &str = "https://oidc.emulator.tailform.invalid";
const SUBJECT: &str = "repo:org/repo:ref:refs/heads/main";

/// A federated identity in the organization's tailnet that may do what the org client does;
/// answers (id, audience).
fn identity(w: &World, subject: &str) -> (String, String) {
    identity_with(w, subject, &["all", "tailnets"])
}

fn identity_with(w: &World, subject: &str, scopes: &[&str]) -> (String, String) {
    let token = w.token(None);
    let (status, created) = w.api(
        Method::POST,
        "/api/v2/tailnet/-/keys",
        Some(&token),
        Some(json!({
            "keyType": "federated", "scopes": scopes, "issuer": ISSUER,
            "subject": subject, "description": "ci",
        })),
    );
    assert_eq!(status, 200, "{created}");
    (
        created["id"].as_str().unwrap().to_owned(),
        created["audience"].as_str().unwrap().to_owned(),
    )
}

/// An OIDC token from the emulator's test issuer.
fn oidc_token(w: &World, subject: &str, audience: &str, lifetime: i64) -> String {
    let (status, minted) = w.api(
        Method::POST,
        "/_emulator/oidc/token",
        None,
        Some(json!({"subject": subject, "audience": audience, "expiresInSeconds": lifetime})),
    );
    assert_eq!(status, 200, "{minted}");
    minted["token"].as_str().unwrap().to_owned()
}

/// The binary logged in as federated identity `id` with the OIDC token `jwt` (no client secret).
fn as_identity(w: &World, id: &str, jwt: &str, args: &[&str]) -> Tailform {
    w.command(args)
        .env_remove("TAILSCALE_OAUTH_CLIENT_SECRET")
        .env("TAILSCALE_OAUTH_CLIENT_ID", id)
        .env("TAILSCALE_IDENTITY_TOKEN", jwt)
}

fn paths(w: &World) -> Vec<String> {
    w.log()
        .into_iter()
        .map(|e| format!("{} {} {}", e.method, e.path, e.status))
        .collect()
}

#[test]
fn a_full_run_logs_in_with_a_federated_identity_and_no_stored_secret() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (id, audience) = identity(&w, "repo:org/repo:ref:refs/heads/*");
    let jwt = oidc_token(&w, SUBJECT, &audience, 300);
    w.reset_stats();
    let federated = |args: &[&str]| {
        as_identity(&w, &id, &jwt, args)
            .env("RUST_LOG", "tailform=debug")
            .run()
    };
    let run = federated(&["apply", "--auto-approve"]);
    run.code(0);
    assert!(
        run.stdout
            .contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
        "{}",
        run.stdout
    );
    assert_eq!(w.state()["resources"].as_object().unwrap().len(), 5);
    let log = paths(&w);
    assert_eq!(
        log.first().map(String::as_str),
        Some("POST /api/v2/oauth/token-exchange 200"),
        "{log:#?}"
    );
    // The organization's own client secret was never used: every client-credentials mint is of
    // a client this run created.
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("POST /api/v2/oauth/token-exchange"))
            .count(),
        1,
        "one exchange, then the cached token: {log:#?}"
    );
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains(&jwt), "the OIDC token leaked");
    }

    let again = federated(&["plan", "--detailed-exitcode"]);
    again.code(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);

    let doctor = federated(&["doctor"]);
    doctor.code(0);
    assert!(
        doctor.stdout.contains(&format!(
            "federated identity `{id}` from TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_IDENTITY_TOKEN"
        )),
        "{}",
        doctor.stdout
    );
    assert!(!doctor.stdout.contains(&jwt) && !doctor.stderr.contains(&jwt));
}

#[test]
fn a_token_for_another_subject_is_refused_with_a_clear_error() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (id, audience) = identity(&w, SUBJECT);
    let jwt = oidc_token(&w, "repo:org/fork:ref:refs/heads/main", &audience, 300);
    let run = as_identity(&w, &id, &jwt, &["plan"]).run();
    run.code(1);
    assert!(
        run.stderr.contains(&format!(
            "exchanging an OIDC token for an access token as federated identity `{id}` failed"
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("403"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("does not match the federated identity's issuer, subject pattern"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&jwt) && !run.stdout.contains(&jwt));
    assert!(w.stored().is_none(), "nothing was saved");
}

#[test]
fn an_expired_token_is_refused_before_it_is_sent() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (id, audience) = identity(&w, SUBJECT);
    let jwt = oidc_token(&w, SUBJECT, &audience, -60);
    w.reset_stats();
    let run = as_identity(&w, &id, &jwt, &["plan"]).run();
    run.code(1);
    assert!(
        run.stderr.contains(&format!(
            "the OIDC token for federated identity `{id}` (from TAILSCALE_IDENTITY_TOKEN) cannot be used: it expired at"
        )),
        "{}",
        run.stderr
    );
    assert!(
        !paths(&w).iter().any(|l| l.contains("token-exchange")),
        "an expired token is never sent"
    );
}

#[test]
fn in_github_actions_the_job_token_is_fetched_with_the_audience() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (id, audience) = identity(&w, SUBJECT);
    w.reset_stats();
    let request_url = format!(
        "{}/_emulator/oidc/actions?api-version=2.0&subject={}",
        w.base_url,
        SUBJECT.replace('/', "%2F")
    );
    let run = w
        .command(&["plan"])
        .env_remove("TAILSCALE_OAUTH_CLIENT_SECRET")
        .env("TAILSCALE_OAUTH_CLIENT_ID", &id)
        .env("TAILSCALE_AUDIENCE", &audience)
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &request_url)
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token-value")
        .env("RUST_LOG", "tailform=trace")
        .run();
    run.code(0);
    let log = paths(&w);
    assert_eq!(
        log.get(..2),
        Some(
            &[
                "GET /_emulator/oidc/actions 200".to_owned(),
                "POST /api/v2/oauth/token-exchange 200".to_owned()
            ][..]
        ),
        "{log:#?}"
    );
    assert!(!run.stderr.contains("gh-request-token-value"));

    // Without the request variables (no `id-token: write`), a clear error and no request.
    let outside = w
        .command(&["plan"])
        .env_remove("TAILSCALE_OAUTH_CLIENT_SECRET")
        .env("TAILSCALE_OAUTH_CLIENT_ID", &id)
        .env("TAILSCALE_AUDIENCE", &audience)
        .run();
    outside.code(1);
    assert!(
        outside
            .stderr
            .contains("TAILSCALE_AUDIENCE is set but `ACTIONS_ID_TOKEN_REQUEST_URL` is not"),
        "{}",
        outside.stderr
    );
}

#[test]
fn the_emulator_answers_a_claim_mismatch_as_measured() {
    let w = World::new();
    let (id, audience) = identity(&w, SUBJECT);
    let jwt = oidc_token(&w, SUBJECT, "api.tailscale.com/not-it", 300);
    let _ = audience;
    let answer: (u16, Value) = w.block_on(async {
        let resp = reqwest::Client::new()
            .post(format!("{}/api/v2/oauth/token-exchange", w.base_url))
            .form(&[("client_id", id.as_str()), ("jwt", jwt.as_str())])
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    });
    assert_eq!(answer, (403, json!({"message": "Unauthorized"})));
}

#[test]
fn a_read_only_identity_plans_what_the_workflows_plan_on_a_pull_request() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
    w.write(
        "tailform.yaml",
        &std::fs::read_to_string(w.path("tailform.yaml"))
            .unwrap()
            .replace("description: Web servers", "description: Web servers v2"),
    );
    let subject = "repo:org/repo:pull_request";
    let (id, audience) = identity_with(&w, subject, &["all:read", "tailnets:read"]);
    let jwt = oidc_token(&w, subject, &audience, 300);
    let before = w.state();
    let run = as_identity(&w, &id, &jwt, &["plan", "--detailed-exitcode"]).run();
    run.code(2);
    assert!(run.stdout.contains("Plan: "), "{}", run.stdout);
    assert_eq!(w.state(), before, "a plan writes nothing");
}

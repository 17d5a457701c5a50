//! Failures that must not lose anything: a state folder that turns read-only mid-apply (apply
//! stops before another step and names — once, redacted unless `--reveal-on-failure` — what it
//! holds only in memory), and lost responses recovered within one apply.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use super::world::World;

/// Makes a folder read-only for as long as it lives — really: root ignores permission bits, so
/// as root the folder is made immutable (`chattr +i`, needs CAP_LINUX_IMMUTABLE).
struct ReadOnly<'a>(&'a Path);

impl<'a> ReadOnly<'a> {
    fn new(dir: &'a Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500)).unwrap();
        if is_root() {
            let ok = std::process::Command::new("chattr")
                .arg("+i")
                .arg(dir)
                .status()
                .unwrap();
            assert!(
                ok.success(),
                "chattr +i failed: running as root needs CAP_LINUX_IMMUTABLE"
            );
        }
        ReadOnly(dir)
    }
}

impl Drop for ReadOnly<'_> {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt;
        if is_root() {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0)
                .status();
        }
        let _ = std::fs::set_permissions(self.0, std::fs::Permissions::from_mode(0o700));
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// Starts an apply whose tailnet create is slow, and makes the state folder read-only as soon as
/// the create's intent is on disk (the create is then in flight).
fn apply_into_read_only_folder(w: &World, extra: &[&str]) -> (i32, String, String) {
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(json!({"latencyMs": 1500})),
    );
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    let child = w.spawn(&args);
    let state = w.path("state/tailform.json");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "the intent never reached the state file"
        );
        let pending = std::fs::read(&state)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .is_some_and(|s| s["pending"].as_array().is_some_and(|p| !p.is_empty()));
        if pending {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let folder = w.path("state");
    let _guard = ReadOnly::new(&folder);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_read_only_state_folder_stops_apply_and_names_the_unsaved_secret() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (code, stdout, stderr) = apply_into_read_only_folder(&w, &[]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("error: the state could not be saved, so apply stopped before starting another step; the new secrets of tailnet.demo exist only in this process"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "These new secrets could not be saved to the state; they exist only in this process:"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("tailnet.demo: id T"), "{stderr}");
    assert!(
        stderr.contains("secret (sensitive value)\n")
            && stderr.contains("`tailform apply --reveal-on-failure` prints such secrets")
            && !stderr.contains("rerun"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("tskey-client-") && !stdout.contains("tskey-client-"),
        "{stderr}"
    );
    // Nothing was created after the failure: the tailnet create is the only create sent.
    let log = w.log();
    let creates: Vec<_> = log
        .iter()
        .filter(|e| e.method == "POST" && !e.path.ends_with("/oauth/token"))
        .collect();
    assert_eq!(creates.len(), 1, "{log:?}");
    assert!(creates[0].path.ends_with("/organizations/-/tailnets"));
}

#[test]
fn reveal_on_failure_prints_the_unsaved_secret_once() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (code, stdout, stderr) = apply_into_read_only_folder(&w, &["--reveal-on-failure"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert_eq!(
        stderr.matches("secret tskey-client-").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn lost_create_responses_are_recovered_in_the_same_apply() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    // Every mutating response is lost after the change is committed.
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(json!({"dropResponseAfterCommit": 0.5, "seed": 3, "retryAfterSeconds": 0})),
    );
    let run = w.run(&["apply", "--auto-approve"]);
    run.code(0);
    assert!(
        run.stderr
            .contains("had an unknown outcome: reading the API before creating again"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("create(s) with a lost response recovered"),
        "{}",
        run.stdout
    );
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(json!({})),
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_no_orphans(&w);
}

/// Every live key in every managed tailnet is tracked by the state, with its secret.
pub fn assert_no_orphans(w: &World) {
    let state = w.state();
    assert!(state["pending"].as_array().unwrap().is_empty(), "{state}");
    let resources = state["resources"].as_object().unwrap();
    for (address, record) in resources {
        if address.matches('.').count() != 1 {
            continue;
        }
        let tailnet = record["id"].as_str().unwrap();
        let token = w.token(Some(tailnet));
        let (status, keys) = w.api(
            reqwest::Method::GET,
            &format!("/api/v2/tailnet/{tailnet}/keys?all=true"),
            Some(&token),
            None,
        );
        assert_eq!(status, 200, "{keys}");
        // Access tokens (`keyType: "api"`) are listed too; they are not objects tailform makes.
        for key in keys["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["keyType"] != "api")
        {
            let id = key["id"].as_str().unwrap();
            let tracked = resources.values().any(|r| {
                r["id"] == id && r["secret"].as_str().is_some_and(|s| s.contains(id))
                    || r["oauthClient"]["id"] == id
                        && r["oauthClient"]["secret"]
                            .as_str()
                            .is_some_and(|s| s.contains(id))
            });
            assert!(
                tracked,
                "live key {id} in {tailnet} is not tracked with its secret"
            );
        }
    }
}

//! The PostgreSQL backend (issue 8), against the real server named by
//! `TAILFORM_TEST_POSTGRES_URL`: a stale serial is refused, killing the lock holder frees the
//! lock, workspaces are isolated, a connection dropped mid-apply leaves a loadable state with
//! every secret saved so far, secrets are encrypted there by default, and `state push` / `state
//! pull` round-trip with lineage and serial checks. (The shared suites — lifecycle, locking,
//! saved plans, secrets — run here too through `on_each_backend!`.) Every test here but the last
//! needs the server, so it is `#[ignore]`d unless asked for (`tests/common/postgres.rs`).

use std::collections::BTreeSet;
use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tailform::seal::Sealer;
use tailform::state::postgres::{PostgresBackend, Target};
use tailform::state::{Backend, State, Workspace};

use super::world::World;
use crate::common::postgres::{postgres_url, unique_workspace};

const PASS: (&str, &str) = ("TAILFORM_PASSPHRASE", "correct horse battery staple");

fn pg_world(test: &str) -> World {
    let w = World::postgres(test);
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w
}

fn backend(url: &str, workspace: &str) -> PostgresBackend {
    let target = Target::parse(url, |_| None).unwrap();
    let workspace: Workspace = workspace.parse().unwrap();
    PostgresBackend::connect(&target, workspace, Sealer::default()).unwrap()
}

/// Starts `tailform apply ARGS` (no --auto-approve) and waits until it holds the lock at its
/// prompt.
fn apply_waiting_at_prompt(w: &World, args: &[&str]) -> Child {
    let mut child = w.spawn(&[&["apply"][..], args].concat());
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("Enter a value: ") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "apply ended early: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    child
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn a_save_with_a_stale_serial_is_refused() {
    let url = postgres_url();
    let ws = unique_workspace("stale_serial");
    let mut a = backend(&url, &ws);
    let mut b = backend(&url, &ws);
    let mut first = a.load().unwrap();
    a.save(&mut first).unwrap();
    assert_eq!(first.serial, 1);
    // Both read serial 1; A writes 2; B's write of 2 would lose A's update.
    let mut read_by_a = a.load().unwrap();
    let mut read_by_b = b.load().unwrap();
    a.save(&mut read_by_a).unwrap();
    let err = b.save(&mut read_by_b).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the state in workspace `{ws}` was changed by another run since it was read (it is \
             at serial 2; this run would write serial 2): refusing to overwrite it — run the \
             command again"
        )
    );
    assert_eq!(
        read_by_b.serial, 1,
        "a refused save leaves the serial alone"
    );
    // Another lineage is refused too, and the stored state is A's.
    let mut foreign = State::new();
    foreign.serial = 10;
    let err = b.save(&mut foreign).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the state in workspace `{ws}` has lineage {}, not {}: it is another state; \
             refusing to overwrite it",
            first.lineage, foreign.lineage
        )
    );
    let stored = b.load().unwrap();
    assert_eq!((stored.lineage, stored.serial), (first.lineage, 2));
    // `overwrite` (state push --force) replaces it, above the stored serial.
    b.overwrite(&mut foreign).unwrap();
    assert_eq!(foreign.serial, 11);
    assert_eq!(a.load().unwrap().lineage, foreign.lineage);
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn killing_the_holder_frees_the_lock_and_unlock_removes_its_record() {
    let w = pg_world("killing_the_holder");
    // Killed at its prompt: the server ends the session, so the advisory lock is free at once;
    // the holder row stays behind, stale.
    let mut first = apply_waiting_at_prompt(&w, &[]);
    let holder = w.lock_holder().expect("the holder is recorded");
    assert_eq!(holder["pid"], first.id());
    assert_eq!(holder["operation"], "apply");
    first.kill().unwrap();
    first.wait().unwrap();
    let id = holder["id"].as_str().unwrap().to_owned();
    assert_eq!(
        w.lock_holder().unwrap()["id"],
        id.as_str(),
        "the row is stale"
    );

    let wrong = w.run(&["unlock", "not-the-id"]);
    wrong.code(1);
    assert!(
        wrong.stderr.contains(&format!(
            "lock id `not-the-id` does not match the current lock (ID {id}"
        )),
        "{}",
        wrong.stderr
    );
    let unlock = w.run(&["unlock", &id]);
    unlock.code(0);
    assert!(
        unlock.stderr.contains(&format!(
            "Removed the state lock held by ID {id}, operation `apply`"
        )),
        "{}",
        unlock.stderr
    );
    assert!(w.lock_holder().is_none());
    let again = w.run(&["unlock", &id]);
    again.code(1);
    assert_eq!(
        again.stderr,
        format!(
            "error: the state of workspace `{}` is not locked\n",
            w.workspace()
        )
    );

    // Without `unlock`: the next run takes the lock the killed one left, replacing its row.
    let mut second = apply_waiting_at_prompt(&w, &[]);
    let stale = w.lock_holder().unwrap()["id"].as_str().unwrap().to_owned();
    second.kill().unwrap();
    second.wait().unwrap();
    let started = Instant::now();
    let run = w.run(&["apply", "--auto-approve"]);
    run.code(0);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(w.lock_holder().is_none(), "released, not left as {stale}");
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn lock_timeout_waits_for_the_holder() {
    let w = pg_world("lock_timeout");
    let mut holder = apply_waiting_at_prompt(&w, &[]);
    let id = w.lock_holder().unwrap()["id"].as_str().unwrap().to_owned();
    let refused = w.run(&["plan"]);
    refused.code(1);
    assert!(
        refused.stderr.contains(&format!(
            "the state is locked by another tailform run: ID {id}, operation `apply`"
        )) && refused.stderr.contains(&format!(
            "(workspace `{}`)\n  wait for it to finish, or pass --lock-timeout to wait; a run \
             that died frees the lock as soon as the database notices its connection is gone",
            w.workspace()
        )),
        "{}",
        refused.stderr
    );
    let mut waiting = w
        .command(&["plan", "--lock-timeout", "30s"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    std::thread::sleep(Duration::from_millis(800));
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "plan waits for the lock"
    );
    std::io::Write::write_all(holder.stdin.as_mut().unwrap(), b"no\n").unwrap();
    assert_eq!(
        holder.wait().unwrap().code(),
        Some(1),
        "the apply was cancelled"
    );
    assert_eq!(waiting.wait().unwrap().code(), Some(0), "then the plan ran");
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn workspaces_are_isolated() {
    let a = pg_world("isolated_a");
    let b = pg_world("isolated_b");
    a.run(&["apply", "--auto-approve"]).code(0);
    assert_eq!(a.state()["resources"].as_object().unwrap().len(), 5);
    // B's workspace is empty: everything is still to add there.
    let plan = b.run(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stdout
            .contains("Plan: 5 to add, 0 to change, 0 to destroy."),
        "{}",
        plan.stdout
    );
    assert!(b.stored().is_none());
    // A lock on A does not block B.
    let mut holder = apply_waiting_at_prompt(&a, &["--replace", "tailnet.demo.auth_key.web"]);
    b.run(&["apply", "--auto-approve"]).code(0);
    let blocked = a.run(&["plan"]);
    blocked.code(1);
    assert!(
        blocked
            .stderr
            .contains("the state is locked by another tailform run"),
        "{}",
        blocked.stderr
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_ne!(
        a.id_of("tailnet.demo"),
        b.id_of("tailnet.demo"),
        "two states, two tailnets"
    );
    let list = b.run(&["state", "workspaces"]);
    list.code(0);
    let names: BTreeSet<&str> = list.stdout.lines().collect();
    assert!(
        names.contains(a.workspace()) && names.contains(b.workspace()),
        "{}",
        list.stdout
    );
}

/// Terminates the server session of every tailform connection whose application name is
/// `app`; returns how many it ended.
fn terminate(w: &World, app: &str) -> i64 {
    let client = w.pg();
    let row = w
        .block_on(client.query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = $1",
            &[&app],
        ))
        .unwrap();
    row.get(0)
}

fn secrets_of(state: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for record in state["resources"].as_object().unwrap().values() {
        for s in [&record["secret"], &record["oauthClient"]["secret"]] {
            if let Some(s) = s.as_str() {
                out.insert(s.to_owned());
            }
        }
    }
    out
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn a_dropped_connection_mid_apply_keeps_every_secret_saved_so_far() {
    let w = pg_world("dropped_connection");
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(json!({"latencyMs": 400})),
    );
    let app = format!("tailform-{}", w.workspace());
    let child = w
        .command(&["apply", "--auto-approve"])
        .env("PGAPPNAME", &app)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    // Wait until the tailnet's own client secret is committed, then cut the connection.
    let deadline = Instant::now() + Duration::from_secs(30);
    let saved = loop {
        assert!(Instant::now() < deadline, "no secret was ever saved");
        if let Some(state) = w.stored() {
            let secrets = secrets_of(&state);
            if !secrets.is_empty() {
                break secrets;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(terminate(&w, &app), 1, "one connection per command");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "the state could not be saved, so apply stopped before starting another step"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("the connection to PostgreSQL at ")
            && stderr.contains(
                " was lost while trying to save the state; everything saved before is committed"
            ),
        "{stderr}"
    );
    // The stored state loads and holds every secret committed before the cut.
    let list = w.run(&["state", "list"]);
    list.code(0);
    assert!(list.stdout.contains("tailnet.demo "), "{}", list.stdout);
    let after = secrets_of(&w.state());
    assert!(saved.is_subset(&after), "{saved:?} ⊄ {after:?}");
    // The next apply converges (orphans of the interrupted creates are revoked, not adopted).
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(json!({})),
    );
    w.run(&["apply", "--auto-approve"]).code(0);
    w.run(&["plan", "--detailed-exitcode"]).code(0);
    assert!(saved.is_subset(&secrets_of(&w.state())));
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn secrets_in_the_database_are_encrypted_unless_plaintext_is_allowed() {
    let w = pg_world("encrypted_by_default");
    let deny = ("TAILFORM_ALLOW_PLAINTEXT_SECRETS", "0");
    w.reset_stats();
    let refused = w.run_env(&[deny], &["apply", "--auto-approve"]);
    refused.code(1);
    assert!(
        refused.stderr.ends_with(
            "error: tailform does not write plaintext secrets to a shared PostgreSQL database: \
             set TAILFORM_PASSPHRASE or pass --age-recipients to encrypt them, or pass \
             --allow-plaintext-secrets (nothing was written)\n"
        ),
        "{}",
        refused.stderr
    );
    assert!(
        w.log()
            .iter()
            .all(|e| e.method == "GET" || e.path.ends_with("/oauth/token")),
        "nothing was created"
    );
    assert!(w.stored().is_none());

    w.run_env(&[deny, PASS], &["apply", "--auto-approve"])
        .code(0);
    let out = w.run_env(&[deny, PASS], &["output", "--format", "json"]);
    out.code(0);
    let shown: Value = serde_json::from_str(&out.stdout).unwrap();
    let secrets: Vec<&str> = shown
        .as_object()
        .unwrap()
        .values()
        .filter_map(|v| v["secret"].as_str())
        .collect();
    assert_eq!(secrets.len(), 4);
    let stored = w.state();
    let text = stored.to_string();
    for s in &secrets {
        assert!(s.starts_with("tskey-"));
        assert!(
            !text.contains(s),
            "a secret is in the database in plaintext"
        );
    }
    assert_eq!(stored["encryption"]["sealedTo"], json!(["passphrase"]));
    w.run_env(&[deny, PASS], &["plan", "--detailed-exitcode"])
        .code(0);
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn state_push_and_pull_round_trip_with_lineage_and_serial_checks() {
    let url = postgres_url();
    // The team starts from a laptop's state file.
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
    let local = w.state();
    let serial = local["serial"].as_u64().unwrap();
    let ws = unique_workspace("push_pull");
    let to = ["state", "push", "--to", &url, "--workspace", &ws];

    let refused = w.run(&to);
    refused.code(1);
    assert!(
        refused
            .stderr
            .contains("tailform does not write plaintext secrets to a shared PostgreSQL database"),
        "{}",
        refused.stderr
    );
    let pushed = w.run_env(&[PASS], &to);
    pushed.code(0);
    assert!(
        pushed.stderr.contains(&format!(
            "Copied the state (lineage {}, serial {serial}, 5 resource(s)) from state file \
             `state/tailform.json` to PostgreSQL workspace `{ws}` on tailform@",
            local["lineage"].as_str().unwrap()
        )),
        "{}",
        pushed.stderr
    );
    let mut remote = backend(&url, &ws);
    let in_db = remote.load().unwrap();
    assert_eq!(in_db.serial, serial, "the copy keeps the serial");
    assert_eq!(
        in_db.lineage.to_string(),
        local["lineage"].as_str().unwrap()
    );
    // The same push again writes nothing.
    let again = w.run_env(&[PASS], &to);
    again.code(0);
    assert!(
        again.stderr.contains(&format!(
            "already holds this state at serial {serial}; nothing was written"
        )),
        "{}",
        again.stderr
    );

    // Pull into a new file: the same records and secrets.
    let from = ["state", "pull", "--from", &url, "--workspace", &ws];
    let pull = w.run_env(&[PASS], &[&["--state", "pulled.json"][..], &from].concat());
    pull.code(0);
    let reveal = |state: &str| {
        let run = w.run_env(&[PASS], &["--state", state, "output", "--format", "json"]);
        run.code(0);
        serde_json::from_str::<Value>(&run.stdout).unwrap()
    };
    assert_eq!(reveal("pulled.json"), reveal("state/tailform.json"));

    // The laptop moves on: pulling the older database state back is refused.
    w.run(&[
        "apply",
        "--auto-approve",
        "--replace",
        "tailnet.demo.auth_key.web",
    ])
    .code(0);
    let newer = w.state()["serial"].as_u64().unwrap();
    let older = w.run_env(&[PASS], &from);
    older.code(1);
    assert!(
        older.stderr.contains(&format!(
            "error: the state file `state/tailform.json` is newer (serial {newer}) than the \
             state copied to it (serial {serial}): refusing to go back (pass --force to replace \
             it)"
        )),
        "{}",
        older.stderr
    );
    // Another state (another lineage) is refused unless --force.
    let other = State::new();
    let mut doc = other.to_json();
    doc["serial"] = json!(1);
    w.write("other.json", &doc.to_string());
    std::fs::set_permissions(
        w.path("other.json"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let push_other = [&["--state", "other.json"][..], &to].concat();
    let foreign = w.run_env(&[PASS], &push_other);
    foreign.code(1);
    assert!(
        foreign.stderr.contains(&format!(
            "holds another state (lineage {}; this one is {}): refusing to overwrite it (pass \
             --force to replace it)",
            local["lineage"].as_str().unwrap(),
            other.lineage
        )),
        "{}",
        foreign.stderr
    );
    let forced = w.run_env(&[PASS], &[&push_other[..], &["--force"]].concat());
    forced.code(0);
    let replaced = remote.load().unwrap();
    assert_eq!(replaced.lineage, other.lineage);
    assert_eq!(replaced.serial, serial + 1, "above the serial it replaced");
}

#[test]
#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]
fn sslmode_prefer_falls_back_and_require_refuses_a_server_without_tls() {
    let url = postgres_url();
    // The test server speaks no TLS (a private loopback cluster).
    let with_mode = |mode: &str| {
        let base = url.split('?').next().unwrap();
        format!("{base}?sslmode={mode}")
    };
    let ws: Workspace = unique_workspace("sslmode").parse().unwrap();
    let prefer = Target::parse(&with_mode("prefer"), |_| None).unwrap();
    let mut b = PostgresBackend::connect(&prefer, ws.clone(), Sealer::default()).unwrap();
    assert_eq!(b.load().unwrap().serial, 0);
    let require = Target::parse(&with_mode("require"), |_| None).unwrap();
    let err = PostgresBackend::connect(&require, ws, Sealer::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot connect to PostgreSQL at {require}")
    );
    let cause = std::error::Error::source(&err).unwrap().to_string();
    assert!(cause.contains("TLS"), "{cause}");
}

#[test]
fn contradictory_backend_options_are_refused() {
    let w = World::new();
    let cases: [(&[&str], &str); 3] = [
        (
            &["--backend", "state/x.json", "state", "list"],
            "error: --backend (TAILFORM_BACKEND) takes a `postgres://` URL; a state file is named with --state PATH\n",
        ),
        (
            &["--workspace", "prod", "state", "list"],
            "error: workspace `prod` needs a shared backend (--backend postgres://…); a state file holds one state — use --state PATH for another\n",
        ),
        (
            &[
                "--state",
                "a.json",
                "--backend",
                "postgres://localhost/x",
                "state",
                "list",
            ],
            "error: both --state (TAILFORM_STATE) and --backend (TAILFORM_BACKEND) say where the state lives: use one\n",
        ),
    ];
    for (args, expected) in cases {
        let run = w.run(args);
        run.code(1);
        assert_eq!(run.stderr, expected, "{args:?}");
    }
    let bad = w.run(&["--workspace", "no spaces", "state", "list"]);
    bad.code(1);
    assert!(
        bad.stderr.contains("`no spaces` is not a workspace name"),
        "{}",
        bad.stderr
    );
}

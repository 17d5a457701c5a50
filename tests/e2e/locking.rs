//! A second concurrent run fails at once and names the lock holder; `unlock` removes a stale lock.

use std::time::{Duration, Instant};

use super::world::World;

crate::on_each_backend! {
    fn a_second_apply_fails_at_once_naming_the_holder(w: World) {
        w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
        // The first apply waits at its confirmation prompt, holding the lock.
        let mut first = w.spawn(&["apply"]);
        let mut stdout = first.stdout.take().unwrap();
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        while !seen.contains("Enter a value: ") {
            let n = std::io::Read::read(&mut stdout, &mut buf).unwrap();
            assert!(n > 0, "first apply ended early: {seen}");
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let lock = w.lock_holder().expect("the first apply recorded itself as the holder");
        assert_eq!(lock["operation"], "apply");
        assert_eq!(lock["pid"], first.id());

        let started = Instant::now();
        let second = w.run(&["apply", "--auto-approve"]);
        assert!(started.elapsed() < Duration::from_secs(5));
        second.code(1);
        let id = lock["id"].as_str().unwrap();
        assert!(
            second
                .stderr
                .contains("the state is locked by another tailform run"),
            "{}",
            second.stderr
        );
        assert!(
            second
                .stderr
                .contains(&format!("ID {id}, operation `apply`")),
            "{}",
            second.stderr
        );
        assert!(
            second.stderr.contains(&format!("(pid {})", first.id())),
            "{}",
            second.stderr
        );

        // A live holder's lock cannot be removed.
        let unlock = w.run(&["unlock", id]);
        unlock.code(1);
        assert!(
            unlock.stderr.contains("held by a running process"),
            "{}",
            unlock.stderr
        );

        std::io::Write::write_all(first.stdin.as_mut().unwrap(), b"no\n").unwrap();
        let out = first.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(w.lock_holder().is_none(), "the lock is released");
        w.run(&["plan"]).code(0);
    }
}

/// Issue 13, defect 5: with the lock file removed by hand while an apply is creating, a second
/// apply neither clears the first one's in-flight intents nor creates the same addresses again:
/// it refuses, naming the live run; the first apply finishes and nothing is lost or doubled.
#[test]
fn a_removed_lock_does_not_let_a_second_apply_race_the_first() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(serde_json::json!({"latencyMs": 1500})),
    );
    let first = w.spawn(&["apply", "--auto-approve"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while w
        .stored()
        .is_none_or(|s| s["pending"].as_array().is_none_or(Vec::is_empty))
    {
        assert!(
            Instant::now() < deadline,
            "the first apply never recorded an intent"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::remove_file(w.path("state/tailform.json.lock")).unwrap();
    let second = w.run(&["apply", "--auto-approve"]);
    second.code(1);
    assert!(
        second
            .stderr
            .contains(&format!("another tailform run (pid {} on ", first.id()))
            && second.stderr.contains("nothing was done"),
        "{}",
        second.stderr
    );
    let out = first.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    w.api(
        reqwest::Method::POST,
        "/_emulator/faults",
        None,
        Some(serde_json::json!({})),
    );
    w.run(&["plan", "--detailed-exitcode"]).code(0);
    assert_eq!(w.secrets().len(), 4, "every secret is in the state");
    let log = w.log();
    let creates = log
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/organizations/-/tailnets"))
        .count();
    assert_eq!(creates, 1, "one tailnet create in all: {log:?}");
}

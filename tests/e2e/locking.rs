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

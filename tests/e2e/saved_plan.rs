//! Saved plans: applied exactly; refused when the state changed since; never hold a secret.

use super::world::World;

crate::on_each_backend! {
    fn saved_plan_is_applied_exactly_and_holds_no_secret(w: World) {
        w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
        w.run(&["apply", "--auto-approve"]).code(0);
        let tailnet = w.id_of("tailnet.demo");
        let old = w.id_of("tailnet.demo.auth_key.web");
        let token = w.token(Some(&tailnet));
        w.api(
            reqwest::Method::DELETE,
            &format!("/api/v2/tailnet/{tailnet}/keys/{old}"),
            Some(&token),
            None,
        );

        w.run(&["plan", "--out", "fix.plan"]).code(0);
        let saved = std::fs::read_to_string(w.path("fix.plan")).unwrap();
        for secret in w.secrets() {
            assert!(!saved.contains(&secret), "a secret is in the saved plan");
        }
        let run = w.run(&["apply", "fix.plan"]);
        run.code(0);
        assert!(
            run.stdout
                .contains("# tailnet.demo.auth_key.web must be replaced"),
            "{}",
            run.stdout
        );
        assert_ne!(w.id_of("tailnet.demo.auth_key.web"), old);
    }

    fn saved_plan_is_refused_after_the_state_changed(w: World) {
        w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
        w.run(&["plan", "--out", "first.plan"]).code(0);
        w.run(&["apply", "--auto-approve"]).code(0);
        let serial = w.state()["serial"].as_u64().unwrap();
        w.reset_stats();
        let run = w.run(&["apply", "first.plan"]);
        run.code(1);
        assert!(
            run.stderr.contains(&format!("the saved plan is stale: it was made at state serial 0, the state is now at serial {serial}")),
            "{}",
            run.stderr
        );
        let log = w.log();
        assert!(
            log.iter()
                .all(|e| e.method == "GET" || e.path.ends_with("/oauth/token")),
            "nothing was applied: {log:?}"
        );
        assert_eq!(w.state()["serial"].as_u64().unwrap(), serial);
    }
}

//! Every secret in the state is searched for in every plan format, `output` without `--reveal`
//! on a terminal-less run that redacts, `state show`, and `-vv` logs: zero hits.

use super::world::World;
use crate::common::command::Tailform;

/// Runs the binary on a pseudo-terminal, so `output` sees a terminal as a user's shell would.
fn on_terminal(w: &World, args: &[&str]) -> String {
    let run = Tailform::new()
        .args(args)
        .on_terminal()
        .current_dir(w.dir.path())
        .env("NO_COLOR", "1")
        .envs(w.backend_env())
        .run();
    run.success();
    run.stdout
}

crate::on_each_backend! {
    fn no_secret_in_plans_logs_or_redacted_output(w: World) {
        w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
        // Every kind with a secret: the quickstart's, and a webhook's signing secret.
        let mut manifest = std::fs::read_to_string(w.path("tailform.yaml")).unwrap();
        manifest.push_str(
            "    webhooks:\n      audit:\n        endpointUrl: https://hooks.example.com/a\n        \
             subscriptions: [nodeCreated]\n",
        );
        w.write("tailform.yaml", &manifest);
        let apply = w.run(&["-vv", "apply", "--auto-approve"]);
        apply.code(0);
        let secrets = w.secrets();
        assert_eq!(
            secrets.len(),
            5,
            "bootstrap client, provisioner, two keys, the webhook"
        );
        let show = w.run(&["state", "show", "tailnet.demo.webhook.audit"]);
        show.code(0);
        assert!(show.stdout.contains("(sensitive value)"), "{}", show.stdout);
        let webhook_show = show.stdout.clone();
        // A change, so every format has content.
        let tailnet = w.id_of("tailnet.demo");
        let web = w.id_of("tailnet.demo.auth_key.web");
        let token = w.token(Some(&tailnet));
        w.api(
            reqwest::Method::DELETE,
            &format!("/api/v2/tailnet/{tailnet}/keys/{web}"),
            Some(&token),
            None,
        );

        let mut outputs = vec![apply.stdout, apply.stderr];
        for format in ["text", "json", "markdown"] {
            let run = w.run(&["-vv", "plan", "--format", format]);
            run.code(0);
            outputs.push(run.stdout);
            outputs.push(run.stderr);
        }
        let show = w.run(&["state", "show", "tailnet.demo"]);
        show.code(0);
        assert!(show.stdout.contains("(sensitive value)"), "{}", show.stdout);
        outputs.push(show.stdout);
        let show = w.run(&["state", "show", "tailnet.demo.auth_key.ci-runner"]);
        show.code(0);
        outputs.push(show.stdout);
        let applied = w.run(&["-vv", "apply", "--auto-approve"]);
        applied.code(0);
        outputs.push(applied.stdout);
        outputs.push(applied.stderr);
        outputs.push(webhook_show);
        let secrets = [secrets, w.secrets()].concat();
        for out in &outputs {
            for s in &secrets {
                assert!(!out.contains(s.as_str()), "a secret leaked:\n{out}");
            }
        }
    }

    fn output_reveals_only_when_asked_or_piped(w: World) {
        w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
        w.run(&["apply", "--auto-approve"]).code(0);
        let web = w.state()["resources"]["tailnet.demo.auth_key.web"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        // stdout is a pipe here: values are printed (for `eval "$(tailform output --format env)"`).
        let env = w.run(&["output", "--format", "env"]);
        env.code(0);
        assert!(
            env.stdout
                .contains(&format!("TAILFORM_DEMO_AUTH_KEY_WEB='{web}'")),
            "{}",
            env.stdout
        );
        let one = w.run(&["output", "tailnet.demo.auth_key.web", "--format", "json"]);
        one.code(0);
        let json: serde_json::Value = serde_json::from_str(&one.stdout).unwrap();
        assert_eq!(json["tailnet.demo.auth_key.web"]["secret"], web.as_str());
        assert_eq!(
            json["tailnet.demo.auth_key.web"]["key_id"],
            w.id_of("tailnet.demo.auth_key.web").as_str()
        );
        // A tailnet's entry is its own OAuth client's secret: both ids are named, neither `id`.
        let all = w.run(&["output", "--format", "json"]);
        all.code(0);
        let all: serde_json::Value = serde_json::from_str(&all.stdout).unwrap();
        let tailnet = &all["tailnet.demo"];
        let record = &w.state()["resources"]["tailnet.demo"];
        assert_eq!(tailnet["tailnet_id"], record["id"], "{tailnet}");
        assert_eq!(
            tailnet["oauth_client_id"], record["oauthClient"]["id"],
            "{tailnet}"
        );
        assert_eq!(tailnet["secret"], record["oauthClient"]["secret"]);
        assert!(tailnet.get("id").is_none(), "{tailnet}");
        let missing = w.run(&["output", "tailnet.demo.auth_key.nope"]);
        missing.code(1);
        assert_eq!(
            missing.stderr,
            "error: `tailnet.demo.auth_key.nope` is not in the state\n"
        );
    }

    fn output_on_a_terminal_is_redacted_unless_revealed(w: World) {
        w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
        w.run(&["apply", "--auto-approve"]).code(0);
        let secrets = w.secrets();
        for format in ["text", "json", "env"] {
            let shown = on_terminal(&w, &["output", "--format", format]);
            assert!(shown.contains("(sensitive value)"), "{shown}");
            for s in &secrets {
                assert!(
                    !shown.contains(s.as_str()),
                    "a secret was shown on a terminal:\n{shown}"
                );
            }
            assert!(shown.contains("pass --reveal to show them"), "{shown}");
        }
        let revealed = on_terminal(&w, &["output", "--reveal"]);
        for s in &secrets {
            assert!(
                revealed.contains(s.as_str()),
                "--reveal shows every secret:\n{revealed}"
            );
        }
    }
}

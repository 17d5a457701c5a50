//! Commands run without the key on an encrypted state (issue 13, defects 1, 3 and 4): sealed
//! secrets are carried byte for byte through every save of a command that cannot open them;
//! advice about them names the key, never `--replace`; `output` fails loudly instead of printing
//! nothing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::world::World;

const PASS: (&str, &str) = ("TAILFORM_PASSPHRASE", "correct horse battery staple");

/// Every sealed value in a stored document, by the address (and field) that holds it.
fn sealed_values(doc: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (address, record) in doc["resources"].as_object().unwrap() {
        for (field, secret) in [
            ("secret", &record["secret"]),
            ("oauthClient.secret", &record["oauthClient"]["secret"]),
        ] {
            if let Some(c) = secret["age"].as_str() {
                out.insert(format!("{address} {field}"), c.to_owned());
            }
        }
    }
    out
}

/// The secrets `output --format json` shows with the key, by address.
fn opened(w: &World) -> BTreeMap<String, String> {
    let run = w.run_env(&[PASS], &["output", "--format", "json"]);
    run.code(0);
    let json: Value = serde_json::from_str(&run.stdout).unwrap();
    json.as_object()
        .unwrap()
        .iter()
        .map(|(a, v)| {
            let secret = v["secret"]
                .as_str()
                .unwrap_or_else(|| panic!("no secret for {a}: {v}"));
            (a.clone(), secret.to_owned())
        })
        .collect()
}

/// The quickstart applied and encrypted; the `ci-runner` key (made with the tailnet's own
/// client) changed so that an apply replaces it.
fn encrypted_quickstart(w: &World) {
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run_env(&[PASS], &["apply", "--auto-approve"]).code(0);
    w.run_env(&[PASS], &["state", "encrypt"]).code(0);
}

fn change_ci_runner(w: &World) {
    let manifest = std::fs::read_to_string(w.path("tailform.yaml")).unwrap();
    let changed = manifest.replacen(
        "description: Ephemeral CI runners",
        "description: Ephemeral CI runners changed",
        1,
    );
    assert_ne!(manifest, changed, "the quickstart's ci-runner description");
    w.write("tailform.yaml", &changed);
}

crate::on_each_backend! {
    /// Defect 1: an apply without the passphrase (with and without `encryption.enforce`) keeps
    /// every sealed secret it does not replace, byte for byte, in the state and its backup; the
    /// key it replaces gets a new secret sealed to the state's key.
    fn an_apply_without_the_key_keeps_every_sealed_secret(w: World) {
        encrypted_quickstart(&w);
        let before = opened(&w);
        assert_eq!(before.len(), 4);
        for enforce in [None, Some(("TAILFORM_ENCRYPTION_ENFORCE", "1"))] {
            let sealed_before = sealed_values(&w.state());
            assert_eq!(sealed_before.len(), 4, "{sealed_before:?}");
            change_ci_runner(&w);
            let env: Vec<(&str, &str)> = enforce.into_iter().collect();
            w.run_env(&env, &["apply", "--auto-approve"]).code(0);
            let sealed_after = sealed_values(&w.state());
            assert_eq!(sealed_after.len(), 4, "every record still holds a sealed secret");
            for (at, ciphertext) in &sealed_before {
                if !at.starts_with("tailnet.demo.auth_key.ci-runner ") {
                    assert_eq!(sealed_after.get(at), Some(ciphertext), "{at} was carried byte for byte");
                }
            }
            if w.is_file() {
                let backup: Value = serde_json::from_slice(
                    &std::fs::read(w.path("state/tailform.json.backup")).unwrap(),
                )
                .unwrap();
                assert_eq!(sealed_values(&backup).len(), 4, "the backup lost no secret either");
            }
            let after = opened(&w);
            for (address, secret) in &before {
                if address != "tailnet.demo.auth_key.ci-runner" {
                    assert_eq!(after.get(address), Some(secret), "{address} kept its secret");
                }
            }
            assert_ne!(
                after["tailnet.demo.auth_key.ci-runner"], before["tailnet.demo.auth_key.ci-runner"],
                "the replaced key has its new secret"
            );
            assert!(after["tailnet.demo.auth_key.ci-runner"].starts_with("tskey-auth-"));
            w.run_env(&[PASS], &["plan", "--detailed-exitcode"]).code(0);
        }
    }

    /// Defect 1 (the `--replace` form) and 3: a step that needs a sealed credential — a key
    /// made with its OAuth client's token — is refused before anything is created, with advice
    /// that names the key; nothing is written and no secret is touched.
    fn an_apply_that_needs_a_sealed_credential_refuses_before_it_starts(w: World) {
        encrypted_quickstart(&w);
        let stored = w.state();
        w.reset_stats();
        let run = w.run(&["apply", "--auto-approve", "--replace", "tailnet.demo.auth_key.web"]);
        run.code(1);
        assert!(
            run.stderr.contains("tailnet.demo.oauth_client.provisioner")
                && run.stderr.contains("set TAILFORM_PASSPHRASE or pass --age-identity")
                && run.stderr.contains("nothing was done"),
            "{}",
            run.stderr
        );
        for wrong in ["imported", "--replace the client"] {
            assert!(!run.stderr.contains(wrong), "{wrong}: {}", run.stderr);
            assert!(!run.stdout.contains(wrong), "{wrong}: {}", run.stdout);
        }
        let writes: Vec<_> = w
            .log()
            .into_iter()
            .filter(|e| e.method != "GET" && !e.path.ends_with("/oauth/token"))
            .collect();
        assert!(writes.is_empty(), "nothing was sent: {writes:?}");
        assert_eq!(w.state(), stored, "nothing was written");
        // The plan says the same as a warning, and never advises a replace.
        let plan = w.run(&["plan", "--replace", "tailnet.demo.auth_key.web"]);
        plan.code(0);
        assert!(
            plan.stdout.contains("needs the secret of `tailnet.demo.oauth_client.provisioner`")
                && plan.stdout.contains("TAILFORM_PASSPHRASE"),
            "{}",
            plan.stdout
        );
        assert!(!plan.stdout.contains("imported"), "{}", plan.stdout);
        // With the key it goes through.
        w.run_env(&[PASS], &["apply", "--auto-approve", "--replace", "tailnet.demo.auth_key.web"])
            .code(0);
        assert_eq!(sealed_values(&w.state()).len(), 4);
    }

    /// Defect 4: `output` without the key fails in every format with one sentence naming the
    /// key to set; JSON and env print nothing at all.
    fn output_without_the_key_is_an_error_in_every_format(w: World) {
        encrypted_quickstart(&w);
        for format in ["text", "json", "env"] {
            let run = w.run(&["output", "--format", format]);
            run.code(1);
            assert!(
                run.stderr.starts_with("error: 4 secret(s) asked for are encrypted")
                    && run.stderr.contains("set TAILFORM_PASSPHRASE or pass --age-identity"),
                "{format}: {}",
                run.stderr
            );
            if format != "text" {
                assert_eq!(run.stdout, "", "{format} prints nothing");
            }
            assert!(!run.stdout.contains("tskey-"), "{format}: {}", run.stdout);
        }
        let one = w.run(&["output", "tailnet.demo.auth_key.web", "--format", "env"]);
        one.code(1);
        assert!(one.stderr.contains("1 secret(s) asked for are encrypted"), "{}", one.stderr);
        // With the key: every secret, exit 0.
        let run = w.run_env(&[PASS], &["output", "--format", "env"]);
        run.code(0);
        assert_eq!(run.stdout.lines().count(), 4, "{}", run.stdout);
    }
}

/// `output ADDR` of a record the state has no secret for (an import) is an error; the whole
/// list shows it as `null` (JSON) or leaves it out of env with a note.
#[test]
fn output_of_an_imported_record_says_why_it_has_no_secret() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    w.run(&["apply", "--auto-approve"]).code(0);
    let id = w.id_of("tailnet.demo.auth_key.ci-runner");
    w.run(&["state", "rm", "--force", "tailnet.demo.auth_key.ci-runner"])
        .code(0);
    w.run(&["import", "tailnet.demo.auth_key.ci-runner", &id])
        .code(0);
    let one = w.run(&["output", "tailnet.demo.auth_key.ci-runner"]);
    one.code(1);
    assert!(
        one.stderr
            .contains("holds no secret for `tailnet.demo.auth_key.ci-runner`")
            && one.stderr.contains("imported"),
        "{}",
        one.stderr
    );
    let env = w.run(&["output", "--format", "env"]);
    env.code(0);
    assert_eq!(env.stdout.lines().count(), 3, "{}", env.stdout);
    assert!(
        env.stderr
            .contains("no secret for tailnet.demo.auth_key.ci-runner"),
        "{}",
        env.stderr
    );
    let json = w.run(&["output", "--format", "json"]);
    json.code(0);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["tailnet.demo.auth_key.ci-runner"]["secret"], Value::Null);
}

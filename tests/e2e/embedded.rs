//! `--emulator`: the README's main command — no credentials, the embedded emulator persisted in
//! `state/emulator.json`, consistent across runs.

use crate::common::command::Tailform;

#[test]
fn embedded_emulator_apply_then_plan_converges_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"),
        dir.path().join("quickstart.yaml"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        Tailform::new()
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .run()
    };
    run(&[
        "--emulator",
        "apply",
        "-f",
        "quickstart.yaml",
        "--auto-approve",
    ])
    .success()
    .stdout_has("Apply complete! Resources: 5 added, 0 changed, 0 destroyed.");
    for f in [
        "state/tailform.json",
        "state/emulator.json",
        "state/.gitignore",
    ] {
        assert!(dir.path().join(f).exists(), "{f}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("state/.gitignore"))
            .unwrap()
            .lines()
            .last(),
        Some("*")
    );
    run(&[
        "--emulator",
        "plan",
        "-f",
        "quickstart.yaml",
        "--detailed-exitcode",
    ])
    .success()
    .stdout_is("No changes. Your tailnets match the manifests.\n");
    // Without --emulator and without credentials: a clear error, not a panic.
    let refused = run(&["plan", "-f", "quickstart.yaml"]);
    refused.code(1);
    assert!(
        refused
            .stderr
            .starts_with("error: no Tailscale credentials: set TAILSCALE_OAUTH_CLIENT_ID"),
        "{}",
        refused.stderr
    );
}

/// Issue 13: with the embedded emulator, `state/` holds its data file too; once the state is
/// encrypted no file there holds a secret tailform was given (the emulator keeps hashes).
#[test]
fn an_encrypted_embedded_world_leaves_no_plaintext_secret_in_the_state_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"),
        dir.path().join("tailform.yaml"),
    )
    .unwrap();
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let run = Tailform::new()
            .arg("--emulator")
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .envs(env.iter().copied())
            .run();
        run.success();
        run.stdout
    };
    run(&[], &["apply", "--auto-approve"]);
    let pass = [("TAILFORM_PASSPHRASE", "embedded pass")];
    run(&pass, &["state", "encrypt"]);
    let outputs: serde_json::Value =
        serde_json::from_str(&run(&pass, &["output", "--format", "json"])).unwrap();
    let secrets: Vec<String> = outputs
        .as_object()
        .unwrap()
        .values()
        .map(|v| v["secret"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(secrets.len(), 4);
    for entry in std::fs::read_dir(dir.path().join("state")).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for s in &secrets {
            let random = s.rsplit('-').next().unwrap();
            assert!(
                !text.contains(random),
                "plaintext secret in {}",
                path.display()
            );
        }
    }
}

//! `--emulator`: the README's main command — no credentials, the embedded emulator persisted in
//! `state/emulator.json`, consistent across runs.

use std::process::Command;

#[test]
fn embedded_emulator_apply_then_plan_converges_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"),
        dir.path().join("quickstart.yaml"),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_tailform"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&[
        "--emulator",
        "apply",
        "-f",
        "quickstart.yaml",
        "--auto-approve",
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."),
        "{stdout}"
    );
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
    let (code, stdout, _) = run(&[
        "--emulator",
        "plan",
        "-f",
        "quickstart.yaml",
        "--detailed-exitcode",
    ]);
    assert_eq!(code, Some(0), "{stdout}");
    assert_eq!(stdout, "No changes. Your tailnets match the manifests.\n");
    // Without --emulator and without credentials: a clear error, not a panic.
    let (code, _, stderr) = run(&["plan", "-f", "quickstart.yaml"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("error: no Tailscale credentials: set TAILSCALE_OAUTH_CLIENT_ID"),
        "{stderr}"
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
        let out = Command::new(env!("CARGO_BIN_EXE_tailform"))
            .arg("--emulator")
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
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

//! The README's commands work exactly as written: the set-up command, the walk-through and the
//! emulator's curl sequence are extracted from `README.md` and run with bash in a fresh folder,
//! with `cargo run --release [-q] --` replaced by the binary under test.

use std::path::Path;

use crate::common::command::{BIN, Run, Tailform};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The first ```sh block after `marker`.
fn block_after(text: &str, marker: &str) -> String {
    let start = text
        .find(marker)
        .unwrap_or_else(|| panic!("README has no `{marker}`"));
    let rest = &text[start..];
    let open = rest
        .find("```sh\n")
        .expect("an sh block follows the marker")
        + "```sh\n".len();
    let close = rest[open..].find("\n```").expect("the block is closed");
    rest[open..open + close].to_owned()
}

/// The set-up command (the first line of the first sh block) without its comment.
fn setup_command(text: &str) -> String {
    let block = block_after(text, "## Set up on a fresh machine");
    let line = block.lines().next().unwrap();
    line.split("  #").next().unwrap().trim().to_owned()
}

fn run(script: &str, dir: &Path) -> Run {
    let script = script
        .replace("cargo run --release -q --", BIN)
        .replace("cargo run --release --", BIN);
    Tailform::bash(&script)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TAILSCALE_BASE_URL")
        .env_remove("TAILSCALE_OAUTH_CLIENT_ID")
        .env_remove("TAILSCALE_OAUTH_CLIENT_SECRET")
        .env_remove("TAILSCALE_API_KEY")
        .run()
}

fn workdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let examples = dir.path().join("examples");
    std::fs::create_dir_all(&examples).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart.yaml"),
        examples.join("quickstart.yaml"),
    )
    .unwrap();
    dir
}

#[test]
fn setup_command_and_walkthrough_work_as_written() {
    let text = readme();
    let dir = workdir();
    let setup = setup_command(&text);
    assert_eq!(
        setup,
        "cargo run --release -- --emulator apply -f examples/quickstart.yaml --auto-approve"
    );
    run(&setup, dir.path())
        .success()
        .stdout_has("Apply complete! Resources: 5 added");

    let walkthrough = block_after(&text, "<!-- walkthrough:");
    let walked = run(&walkthrough, dir.path());
    walked.success();
    let stdout = &walked.stdout;
    let expected_in_order = [
        "No changes. Your tailnets match the manifests.",
        "TAILFORM_DEMO_AUTH_KEY_WEB='tskey-auth-",
        "# tailnet.demo.auth_key.web must be replaced",
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        "exit code 2",
        "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
        "No changes. Your tailnets match the manifests.",
    ];
    let mut at = 0;
    for line in expected_in_order {
        let found = stdout[at..]
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` missing after byte {at}:\n{stdout}"));
        at += found + line.len();
    }
    assert!(!dir.path().join("emulator.env").exists());
}

#[test]
fn emulator_curl_sequence_works_as_written() {
    let text = readme();
    let dir = tempfile::tempdir().unwrap();
    let script = block_after(&text, "<!-- curl:");
    run(&script, dir.path())
        .success()
        .stdout_has("\"oauthClient\":{\"id\":\"k")
        .stdout_has("HTTP/1.1 200 OK")
        .stdout_has("\"key\":\"tskey-auth-")
        .stdout_has("{\"message\":\"requested tags [tag:web] are invalid or not permitted\"}");
}

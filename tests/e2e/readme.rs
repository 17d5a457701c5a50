//! The README's commands work exactly as written: the set-up command, the walk-through and the
//! emulator's curl sequence are extracted from `README.md` and run with bash in a fresh folder,
//! with `cargo run --release [-q] --` replaced by the binary under test.

use std::path::Path;
use std::process::Command;

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

fn run(script: &str, dir: &Path) -> (i32, String, String) {
    let bin = env!("CARGO_BIN_EXE_tailform");
    let script = script
        .replace("cargo run --release -q --", bin)
        .replace("cargo run --release --", bin);
    let out = Command::new("bash")
        .args(["-e", "-u", "-o", "pipefail", "-c", &script])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("TAILSCALE_BASE_URL")
        .env_remove("TAILSCALE_OAUTH_CLIENT_ID")
        .env_remove("TAILSCALE_OAUTH_CLIENT_SECRET")
        .env_remove("TAILSCALE_API_KEY")
        .output()
        .expect("bash runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    let (code, stdout, stderr) = run(&setup, dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Apply complete! Resources: 5 added"),
        "{stdout}"
    );

    let walkthrough = block_after(&text, "<!-- walkthrough:");
    let (code, stdout, stderr) = run(&walkthrough, dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
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
    let (code, stdout, stderr) = run(&script, dir.path());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("\"oauthClient\":{\"id\":\"k"), "{stdout}");
    assert!(stdout.contains("HTTP/1.1 200 OK"), "{stdout}");
    assert!(stdout.contains("\"key\":\"tskey-auth-"), "{stdout}");
    assert!(
        stdout.contains("{\"message\":\"requested tags [tag:web] are invalid or not permitted\"}"),
        "{stdout}"
    );
}

//! `--help` and usage lines as a user sees them (issue "Terraform habits", Help): each command's
//! own options first, the global ones grouped under their headings and shown only where they
//! matter; a usage line in an error never lists an option that only the environment set.

use std::process::Command;

/// The binary with an empty environment, so that no variable's value shows in the help.
fn tailform(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tailform"))
        .args(args)
        .env_clear()
        .env("COLUMNS", "100")
        .output()
        .expect("the binary runs")
}

fn stdout(args: &[&str]) -> String {
    let out = tailform(args);
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn plan_help_lists_its_own_options_first_then_the_grouped_global_ones() {
    let help = stdout(&["plan", "--help"]);
    insta::assert_snapshot!("plan_help", help);
    // The short and the long form are the same page.
    assert_eq!(stdout(&["plan", "-h"]), help);
}

#[test]
fn apply_help_lists_its_own_options_first_then_the_grouped_global_ones() {
    insta::assert_snapshot!("apply_help", stdout(&["apply", "--help"]));
}

#[test]
fn the_top_level_help_lists_every_global_option_under_its_heading() {
    let help = stdout(&["--help"]);
    let headings: Vec<&str> = help.lines().filter(|l| l.ends_with("options:")).collect();
    assert_eq!(
        headings,
        [
            "API options:",
            "State options:",
            "Encryption options:",
            "Global options:"
        ]
    );
    for flag in [
        "--emulator",
        "--endpoint",
        "--request-timeout",
        "--max-tailnets",
        "--state",
        "--backend",
        "--workspace",
        "--lock-timeout",
        "--allow-plaintext-secrets",
        "--insecure-permissions",
        "--age-recipients",
        "--age-identity",
        "--no-color",
        "--verbose",
        "--quiet",
    ] {
        assert!(
            help.contains(&format!(" {flag}")),
            "{flag} missing:\n{help}"
        );
    }
}

#[test]
fn a_usage_line_does_not_list_what_the_environment_set() {
    let out = Command::new(env!("CARGO_BIN_EXE_tailform"))
        .arg("unlock")
        .env_clear()
        .env("TAILSCALE_BASE_URL", "http://127.0.0.1:9")
        .env("TAILFORM_STATE", "elsewhere.json")
        .env("TAILFORM_WORKSPACE", "prod")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap(), @r"
    error: the following required arguments were not provided:
      <LOCK_ID>

    Usage: tailform unlock <LOCK_ID>

    For more information, try '--help'.
    ");
}

#[test]
fn a_bad_value_from_the_environment_is_still_named() {
    let out = Command::new(env!("CARGO_BIN_EXE_tailform"))
        .args(["state", "list"])
        .env_clear()
        .env("TAILFORM_WORKSPACE", "no spaces")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("error: invalid value 'no spaces' for '--workspace <NAME>'"),
        "{stderr}"
    );
}

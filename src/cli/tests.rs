//! The command line's own tests: clap's consistency, the help table, option values.

use clap::CommandFactory;

use super::help::{COMMAND_USES, group};
use super::*;

#[test]
fn cli_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn each_command_in_the_help_table_exists_and_each_grouped_option_is_global() {
    let cmd = command();
    let globals: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();
    for (path, uses) in COMMAND_USES {
        let mut sub = &cmd;
        for name in path.split(' ') {
            sub = sub
                .find_subcommand(name)
                .unwrap_or_else(|| panic!("`{path}` is not a command"));
        }
        for id in uses.iter().flat_map(|u| group(*u)) {
            assert!(
                globals.iter().any(|g| g == id),
                "`{id}` is not a global option"
            );
        }
    }
}

#[test]
fn every_command_is_in_the_help_table() {
    fn walk(cmd: &clap::Command, parent: &str, out: &mut Vec<String>) {
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = if parent.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{parent} {}", sub.get_name())
            };
            walk(sub, &path, out);
            out.push(path);
        }
    }
    let mut paths = Vec::new();
    walk(&command(), "", &mut paths);
    for path in paths {
        assert!(
            COMMAND_USES.iter().any(|(p, _)| *p == path),
            "`{path}` is missing from COMMAND_USES"
        );
    }
}

#[test]
fn a_hidden_global_option_is_still_accepted() {
    let args: Vec<std::ffi::OsString> = [
        "tailform",
        "schema",
        "--request-timeout",
        "5s",
        "--state",
        "x.json",
    ]
    .map(Into::into)
    .to_vec();
    let cli = parse_from(&args).unwrap();
    assert_eq!(cli.global.request_timeout, Duration::from_secs(5));
    let help = command()
        .find_subcommand_mut("schema")
        .unwrap()
        .render_help()
        .to_string();
    assert!(!help.contains("--request-timeout"), "{help}");
    assert!(help.contains("Global options:\n  -C <DIR>"), "{help}");
}

#[test]
fn global_options_after_the_command() {
    let cli = Cli::try_parse_from(["tailform", "plan", "-v", "--state", "x.json"]).unwrap();
    assert_eq!(cli.global.verbose, 1);
    assert_eq!(cli.global.state, Some(PathBuf::from("x.json")));
}

#[test]
fn the_propagation_timeout_defaults_to_a_minute_and_may_be_zero() {
    let cli = Cli::try_parse_from(["tailform", "plan"]).unwrap();
    assert_eq!(cli.global.propagation_timeout, Duration::from_secs(60));
    let cli = Cli::try_parse_from(["tailform", "apply", "--propagation-timeout", "0"]).unwrap();
    assert_eq!(cli.global.propagation_timeout, Duration::ZERO);
}

#[test]
fn a_request_timeout_is_at_least_one_second() {
    assert_eq!(parse_request_timeout("1s"), Ok(Duration::from_secs(1)));
    assert_eq!(
        parse_request_timeout("0m"),
        Err(RequestTimeoutError::Zero { given: "0m".into() })
    );
    assert!(matches!(
        parse_request_timeout("soon"),
        Err(RequestTimeoutError::Duration(_))
    ));
}

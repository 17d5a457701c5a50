//! Terraform spellings a user types from habit: `-auto-approve`, `-out=plan.tfplan`,
//! `-detailed-exitcode`, `-target=ADDR`. clap reads `-auto-approve` as a cluster of short flags
//! and refuses it with a message about `-a`; this says what to type instead.

use clap::CommandFactory;

use crate::cli::Cli;

/// The tailform spelling of a single-dash Terraform option, when `arg` is one.
pub(super) fn spelling_hint(arg: &str) -> Option<String> {
    let rest = arg.strip_prefix('-')?;
    if rest.starts_with('-') || rest.len() < 2 {
        return None;
    }
    let (name, value) = match rest.split_once('=') {
        Some((n, v)) => (n, Some(v)),
        None => (rest, None),
    };
    if !name.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
        return None;
    }
    let known = long_options().into_iter().any(|l| l == name);
    if !known {
        return None;
    }
    let spelt = match value {
        Some(v) => format!("--{name} {v}"),
        None => format!("--{name}"),
    };
    Some(format!(
        "tailform spells `{arg}` with two dashes: `{spelt}` (Terraform's single-dash options \
         are not accepted)"
    ))
}

/// Every long option of every command.
fn long_options() -> Vec<String> {
    fn walk(cmd: &clap::Command, out: &mut Vec<String>) {
        out.extend(
            cmd.get_arguments()
                .filter_map(|a| a.get_long().map(str::to_owned)),
        );
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_spellings_get_the_tailform_one() {
        assert_eq!(
            spelling_hint("-auto-approve").unwrap(),
            "tailform spells `-auto-approve` with two dashes: `--auto-approve` (Terraform's \
             single-dash options are not accepted)"
        );
        assert!(
            spelling_hint("-out=plan.json")
                .unwrap()
                .contains("`--out plan.json`")
        );
        assert!(spelling_hint("-detailed-exitcode").is_some());
        for not_one in [
            "-v",
            "-vv",
            "--auto-approve",
            "-f",
            "plan",
            "-nonsense",
            "-",
        ] {
            assert_eq!(spelling_hint(not_one), None, "{not_one}");
        }
    }
}

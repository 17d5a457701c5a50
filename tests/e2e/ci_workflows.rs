//! The CI workflows in `examples/ci/` are valid YAML, use the PostgreSQL backend, do what the
//! README says (a PR plan posted as one updated comment, apply on merge, a cron drift check that
//! fails on exit code 2), and every `tailform …` command they run parses with tailform's own
//! command line — a renamed flag breaks this test before it breaks a team's pipeline.

use std::path::Path;

use clap::CommandFactory;
use serde_json::Value;
use tailform::cli::Cli;

fn workflow(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every step's `run` script, by job.
fn scripts(wf: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (job, spec) in wf["jobs"].as_object().expect("jobs") {
        for step in spec["steps"].as_array().expect("steps") {
            if let Some(run) = step["run"].as_str() {
                out.push((job.clone(), run.to_owned()));
            }
        }
    }
    out
}

/// Splits a shell command line into words: quotes removed, stopping at a redirection, pipe or
/// `;`/`&&`/`||`.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ' | '\t') => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, '>' | '|' | ';' | '&' | '<') => break,
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The `tailform …` command lines of a script (continuation lines joined).
fn tailform_commands(script: &str) -> Vec<Vec<String>> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("tailform "))
        .map(words)
        .collect()
}

fn all_commands(wf: &Value) -> Vec<(String, Vec<String>)> {
    scripts(wf)
        .into_iter()
        .flat_map(|(job, s)| {
            tailform_commands(&s)
                .into_iter()
                .map(move |c| (job.clone(), c))
        })
        .collect()
}

/// Parses a command with tailform's CLI definition; returns the subcommand's name.
#[track_caller]
fn parses(args: &[String]) -> String {
    let matches = Cli::command()
        .try_get_matches_from(args)
        .unwrap_or_else(|e| panic!("`{}` is not a valid tailform command: {e}", args.join(" ")));
    let (name, _) = matches.subcommand().expect("a subcommand");
    name.to_owned()
}

#[test]
fn every_tailform_command_in_the_workflows_exists() {
    let help = Cli::command().render_help().to_string();
    let mut seen = 0;
    for file in ["tailform.yml", "drift.yml"] {
        for (job, command) in all_commands(&workflow(file)) {
            let sub = parses(&command);
            assert!(
                help.contains(&format!("  {sub} ")),
                "{file}/{job}: `{sub}` is not in `tailform --help`:\n{help}"
            );
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "validate, plan, doctor and apply; plan");
}

#[test]
fn the_pull_request_workflow_posts_one_comment_and_applies_on_merge() {
    let wf = workflow("tailform.yml");
    assert!(wf["on"]["pull_request"].is_object());
    assert_eq!(wf["on"]["push"]["branches"], serde_json::json!(["main"]));
    for var in ["TAILFORM_BACKEND", "TAILFORM_PASSPHRASE"] {
        assert_eq!(
            wf["env"][var],
            format!("${{{{ secrets.{var} }}}}"),
            "{var} comes from the repository's secrets"
        );
    }
    // Secretless login: each job names its federated identity and audience (repository
    // variables), and may ask GitHub for its OIDC token.
    for (job, who) in [("plan", "PLAN"), ("apply", "APPLY")] {
        let env = &wf["jobs"][job]["env"];
        assert_eq!(
            env["TAILSCALE_OAUTH_CLIENT_ID"],
            format!("${{{{ vars.TAILSCALE_{who}_IDENTITY }}}}")
        );
        assert_eq!(
            env["TAILSCALE_AUDIENCE"],
            format!("${{{{ vars.TAILSCALE_{who}_AUDIENCE }}}}")
        );
    }
    assert_eq!(wf["permissions"]["id-token"], "write");
    let commands = all_commands(&wf);
    let plan = commands
        .iter()
        .find(|(job, c)| job == "plan" && c[1] == "plan")
        .expect("the plan job runs tailform plan");
    let plan = plan.1.join(" ");
    assert!(plan.contains("--format markdown"), "{plan}");
    assert!(plan.contains("--detailed-exitcode"), "{plan}");
    let apply = commands
        .iter()
        .find(|(job, c)| job == "apply" && c[1] == "apply")
        .expect("the apply job runs tailform apply");
    assert!(apply.1.contains(&"--auto-approve".to_owned()));
    assert_eq!(
        wf["jobs"]["plan"]["if"],
        "github.event_name == 'pull_request'"
    );
    assert_eq!(wf["jobs"]["apply"]["if"], "github.event_name == 'push'");
    // One comment, found by its marker and updated in place.
    let steps = wf["jobs"]["plan"]["steps"].as_array().unwrap();
    let post = steps
        .iter()
        .find(|s| s["uses"] == "actions/github-script@v7")
        .expect("a github-script step posts the plan");
    let script = post["with"]["script"].as_str().unwrap();
    for needle in [
        "<!-- tailform-plan -->",
        "updateComment",
        "createComment",
        "plan.md",
    ] {
        assert!(script.contains(needle), "{needle} in {script}");
    }
    assert_eq!(wf["permissions"]["pull-requests"], "write");
}

#[test]
fn the_drift_workflow_runs_on_a_schedule_and_fails_on_changes() {
    let wf = workflow("drift.yml");
    assert!(
        wf["on"]["schedule"][0]["cron"].as_str().is_some(),
        "{}",
        wf["on"]
    );
    assert_eq!(
        wf["env"]["TAILFORM_BACKEND"],
        "${{ secrets.TAILFORM_BACKEND }}"
    );
    assert_eq!(wf["permissions"]["id-token"], "write");
    assert_eq!(
        wf["env"]["TAILSCALE_AUDIENCE"],
        "${{ vars.TAILSCALE_DRIFT_AUDIENCE }}"
    );
    let (_, script) = scripts(&wf)
        .into_iter()
        .find(|(_, s)| s.contains("tailform plan"))
        .expect("a step runs tailform plan");
    let plan = tailform_commands(&script).remove(0).join(" ");
    assert!(plan.contains("--detailed-exitcode"), "{plan}");
    assert!(plan.contains("--format json"), "{plan}");
    // The step ends with the plan's exit code, so 2 (changes) fails the job.
    assert!(script.trim_end().ends_with("exit \"$code\""), "{script}");
}

#[test]
fn no_workflow_holds_a_tailscale_secret() {
    for file in ["tailform.yml", "drift.yml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/ci")
            .join(file);
        let text = std::fs::read_to_string(path).unwrap();
        for needle in [
            "TAILSCALE_OAUTH_CLIENT_SECRET",
            "TAILSCALE_API_KEY",
            "secrets.TAILSCALE",
        ] {
            assert!(!text.contains(needle), "{file} mentions {needle}");
        }
    }
}

#[test]
fn the_command_line_splitter_stops_at_shell_operators() {
    assert_eq!(
        words("tailform plan -f 'a b' --format json > plan.json"),
        ["tailform", "plan", "-f", "a b", "--format", "json"]
    );
    assert_eq!(
        words("tailform apply --auto-approve | tee x"),
        ["tailform", "apply", "--auto-approve"]
    );
}

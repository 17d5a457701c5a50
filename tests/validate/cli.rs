//! `tailform validate` and `tailform schema` as a user runs them: exit codes, where output goes,
//! and the exact text, JSON and GitHub formats.

use serde::Deserialize;

use crate::common::command::Tailform;

const INVALID: &str = "tests/fixtures/manifests/invalid";

fn tailform() -> Tailform {
    Tailform::new().env_remove("NO_COLOR")
}

#[test]
fn valid_manifest_exits_0_with_a_summary_on_stderr() {
    tailform()
        .args(["validate", "-f", "examples/quickstart.yaml"])
        .run()
        .success()
        .stdout_is("")
        .stderr_is("valid: 1 tailnet, 1 OAuth client, 2 auth keys\n");
}

#[test]
fn several_paths_are_merged() {
    tailform()
        .args([
            "validate",
            "-f",
            "examples/multi-tenant",
            "-f",
            "examples/quickstart.yaml",
        ])
        .run()
        .success()
        .stderr_is("valid: 4 tailnets, 4 OAuth clients, 5 auth keys\n");
}

#[test]
fn invalid_manifest_shows_snippets_with_the_file_name_and_exits_1() {
    let expected = format!(
        "E012 tag-prefix

  × `ci` is not a tag: a tag starts with `tag:`
   ╭─[{INVALID}/tag-prefix.yaml:6:16]
 5 │         scopes: [auth_keys]
 6 │         tags: [ci]
   ·                ─┬
   ·                 ╰── tailnets.acme.oauthClients.ci.tags[0]
 7 │     authKeys:
   ╰────
  help: did you mean `tag:ci`?

E012 tag-prefix

  × `web` is not a tag: a tag starts with `tag:`
   ╭─[{INVALID}/tag-prefix.yaml:9:25]
 8 │       web:
 9 │         tags: [tag:web, web]
   ·                         ─┬─
   ·                          ╰── tailnets.acme.authKeys.web.tags[1]
   ╰────
  help: did you mean `tag:web`?

invalid: 2 errors
"
    );
    tailform()
        .args(["validate", "-f", &format!("{INVALID}/tag-prefix.yaml")])
        .run()
        .code(1)
        .stdout_is("")
        .stderr_is(expected);
}

#[test]
fn policy_file_errors_show_the_policy_file() {
    let text = tailform()
        .args(["validate", "-f", &format!("{INVALID}/policy-file-invalid")])
        .run()
        .code(1)
        .stderr
        .clone();
    assert!(
        text.contains(&format!(
            "╭─[{INVALID}/policy-file-invalid/policy.hujson:4:18]"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "╭─[{INVALID}/policy-file-invalid/tailform.yaml:4:13]"
        )),
        "{text}"
    );
    assert!(!text.contains("<input>"), "{text}");
}

/// The JSON format, declared independently of the renderer.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct JsonDiag {
    code: String,
    slug: String,
    severity: String,
    file: String,
    line: usize,
    column: usize,
    path: String,
    message: String,
    hint: Option<String>,
    related: Vec<JsonRelated>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct JsonRelated {
    file: String,
    line: usize,
    column: usize,
    message: String,
}

#[test]
fn json_format_lists_every_diagnostic_on_stdout() {
    let file = format!("{INVALID}/duplicate-key.yaml");
    let out = tailform()
        .args(["validate", "--format", "json", "-f", &file])
        .run()
        .code(1)
        .stderr_is("")
        .stdout
        .clone();
    let diags: Vec<JsonDiag> = serde_json::from_str(&out).unwrap();
    assert_eq!(
        diags,
        [JsonDiag {
            code: "E006".into(),
            slug: "duplicate-key".into(),
            severity: "error".into(),
            file: file.clone(),
            line: 7,
            column: 9,
            path: "tailnets.acme.authKeys.web.tags".into(),
            message: "`tags` is written twice in this mapping".into(),
            hint: None,
            related: vec![JsonRelated {
                file,
                line: 5,
                column: 9,
                message: "first written here".into()
            }],
        }]
    );
}

#[test]
fn json_format_of_a_valid_manifest_lists_its_warnings() {
    let out = tailform()
        .args([
            "validate",
            "--format",
            "json",
            "-f",
            "tests/fixtures/manifests/valid/legacy-scope.yaml",
        ])
        .run()
        .success()
        .stdout
        .clone();
    let diags: Vec<JsonDiag> = serde_json::from_str(&out).unwrap();
    let codes: Vec<(&str, &str, &str)> = diags
        .iter()
        .map(|d| (d.code.as_str(), d.slug.as_str(), d.severity.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            ("W015", "legacy-scope", "warning"),
            ("W015", "legacy-scope", "warning")
        ]
    );
}

#[test]
fn github_format_prints_annotations() {
    let file = format!("{INVALID}/display-name-on-existing.yaml");
    tailform()
        .args(["validate", "--format", "github", "-f", &file])
        .run()
        .code(1)
        .stderr_is("")
        .stdout_is(format!(
            "::error file={file},line=4,col=18,title=E034 display-name-on-existing::tailnets.home.displayName: `displayName` has no effect on an existing tailnet (one with `id`)%0Ahint: remove `displayName`, or remove `id` to have tailform create the tailnet\n\
             ::warning file={file},line=5,col=21,title=W035 prevent-destroy-ignored::tailnets.home.preventDestroy: `preventDestroy` is ignored on an existing tailnet: tailform never deletes it\n"
        ));
}

#[test]
fn default_manifest_is_tailform_yaml_in_the_current_folder() {
    let dir = tempfile::tempdir().unwrap();
    tailform()
        .current_dir(dir.path())
        .arg("validate")
        .run()
        .code(1)
        .stderr_is(
            "E003 no-manifests\n\n  × tailform.yaml: no `tailform.yaml` in the current folder\n  help: name manifest files or folders with `-f PATH`\n\ninvalid: 1 error\n",
        );
    std::fs::write(dir.path().join("tailform.yaml"), "tailnets:\n  a: {}\n").unwrap();
    tailform()
        .current_dir(dir.path())
        .arg("validate")
        .run()
        .success()
        .stderr_is("valid: 1 tailnet, 0 OAuth clients, 0 auth keys\n");
    tailform()
        .args(["-C", dir.path().to_str().unwrap(), "validate"])
        .run()
        .success();
}

#[test]
fn max_tailnets_is_honoured() {
    let file = format!("{INVALID}/tailnet-cap.yaml");
    tailform()
        .args(["validate", "--max-tailnets", "12", "-f", &file])
        .run()
        .success();
    tailform().args(["validate", "-f", &file]).run().code(1);
}

#[test]
fn schema_command_prints_the_schema() {
    let out = tailform()
        .arg("schema")
        .run()
        .success()
        .stderr_is("")
        .stdout
        .clone();
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(printed, tailform::manifest::schema::json_schema());
}

/// What no output of a run may hold: it is only in files that are not policies.
const MARKER: &str = "NOT-FOR-CI-LOGS-4f1d";

/// Runs `validate` in `dir` in every format; returns each format's stdout and stderr together.
fn validate_in_every_format(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    ["text", "json", "github"]
        .into_iter()
        .map(|format| {
            let run = tailform()
                .current_dir(dir)
                .env("NO_COLOR", "1")
                .args(["validate", "--format", format])
                .run();
            run.code(1);
            (format, run.stdout + &run.stderr)
        })
        .collect()
}

#[test]
fn a_policy_file_that_is_not_hujson_is_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &[u8]| std::fs::write(dir.path().join(name), text).unwrap();
    // What an untrusted change could point `policy.file` at.
    write(
        "passwd",
        format!("root:x:0:0:{MARKER}:/root:/bin/bash\ndaemon:x:1:1::/:/sbin/nologin\n").as_bytes(),
    );
    write("list.json", format!("[\"{MARKER}\"]\n").as_bytes());
    write(
        "key.bin",
        &[b"\xff\xfe{".as_slice(), MARKER.as_bytes()].concat(),
    );
    write(
        "tailform.yaml",
        b"tailnets:\n  a:\n    policy:\n      file: passwd\n  b:\n    policy:\n      file: list.json\n  c:\n    policy:\n      file: key.bin\n",
    );
    for (format, out) in validate_in_every_format(dir.path()) {
        assert!(!out.contains(MARKER), "{format}:\n{out}");
        assert!(out.contains("E031"), "{format}:\n{out}");
        assert!(out.contains("E030"), "{format}:\n{out}");
    }
    // Without a snippet, the text format still says where.
    let (_, text) = &validate_in_every_format(dir.path())[0];
    assert!(
        text.contains("passwd:1:1: the policy file is not valid HuJSON"),
        "{text}"
    );
}

#[test]
fn a_syntax_error_deep_in_a_policy_file_is_quoted_up_to_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut policy = String::from("// The tailnet's policy.\n{\n  \"tagOwners\": {\n");
    for i in 0..20 {
        policy.push_str(&format!("    \"tag:t{i}\": [\"autogroup:admin\"],\n"));
    }
    policy.push_str("    \"tag:last\": [\"autogroup:admin\"]\n");
    policy.push_str(&format!("    \"tag:{MARKER}\": [],\n  }},\n}}\n"));
    std::fs::write(dir.path().join("policy.hujson"), policy).unwrap();
    std::fs::write(
        dir.path().join("tailform.yaml"),
        "tailnets:\n  a:\n    policy:\n      file: policy.hujson\n",
    )
    .unwrap();
    let outputs = validate_in_every_format(dir.path());
    for (format, out) in &outputs {
        assert!(!out.contains(MARKER), "{format}:\n{out}");
    }
    let (_, text) = &outputs[0];
    assert!(text.contains("╭─[policy.hujson:24:36]"), "{text}");
    assert!(
        text.contains(r#"23 │     "tag:t19": ["autogroup:admin"],"#),
        "{text}"
    );
    assert!(
        text.contains(r#"24 │     "tag:last": ["autogroup:admin"]"#),
        "{text}"
    );
    assert!(
        text.contains("the policy file is not valid HuJSON: expected comma"),
        "{text}"
    );
}

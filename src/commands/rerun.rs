//! The command line that runs another command the way this one ran: the global options that
//! decide which API, state and keys a command uses, as a hint names them (`plan --out` tells
//! how to apply the saved plan).
//!
//! Options set by their environment variable are left out (the variable is still set where the
//! hint is read); a password in a `--backend` URL is never printed (libpq reads `PGPASSWORD`).

use crate::cli::GlobalArgs;

/// `tailform [global options] <rest…>`, shell-quoted.
pub fn command_line(global: &GlobalArgs, rest: &[&str]) -> String {
    let mut words: Vec<String> = vec!["tailform".into()];
    words.extend(global_words(global));
    words.extend(rest.iter().map(|s| (*s).to_owned()));
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `value` is what the environment variable `var` already says.
fn from_env(var: &str, value: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == value)
}

fn global_words(g: &GlobalArgs) -> Vec<String> {
    let mut w: Vec<String> = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        w.push(name.to_owned());
        w.extend(value);
    };
    if let Some(dir) = &g.directory {
        flag("-C", Some(dir.display().to_string()));
    }
    if g.emulator {
        flag("--emulator", None);
    }
    if let Some(url) = g
        .endpoint
        .as_ref()
        .filter(|u| !from_env("TAILSCALE_BASE_URL", u))
    {
        flag("--endpoint", Some(url.clone()));
    }
    if let Some(state) = &g.state {
        let state = state.display().to_string();
        if !from_env("TAILFORM_STATE", &state) {
            flag("--state", Some(state));
        }
    }
    if let Some(url) = g
        .backend
        .as_ref()
        .filter(|u| !from_env("TAILFORM_BACKEND", u.expose()))
    {
        flag("--backend", Some(without_password(url.expose())));
    }
    if !g.workspace.is_default() && !from_env("TAILFORM_WORKSPACE", g.workspace.as_str()) {
        flag("--workspace", Some(g.workspace.to_string()));
    }
    if g.allow_plaintext_secrets && std::env::var_os("TAILFORM_ALLOW_PLAINTEXT_SECRETS").is_none() {
        flag("--allow-plaintext-secrets", None);
    }
    if g.insecure_permissions {
        flag("--insecure-permissions", None);
    }
    for file in &g.age_identity {
        flag("--age-identity", Some(file.display().to_string()));
    }
    for file in &g.age_recipients {
        flag("--age-recipients", Some(file.display().to_string()));
    }
    if g.max_tailnets != 10 {
        flag("--max-tailnets", Some(g.max_tailnets.to_string()));
    }
    w
}

/// `url` with its password (if any) removed.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(None);
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `word` as a POSIX shell reads it back: as it is when it holds only safe characters,
/// single-quoted otherwise.
fn shell_word(word: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn global(args: &[&str]) -> GlobalArgs {
        let mut argv = vec!["tailform"];
        argv.extend(args);
        argv.push("schema");
        crate::cli::Cli::try_parse_from(argv).unwrap().global
    }

    #[test]
    fn the_options_that_pick_the_api_state_and_keys_are_repeated() {
        let g = global(&[
            "--emulator",
            "--state",
            "my state/s.json",
            "-v",
            "--age-identity",
            "me.key",
            "--request-timeout",
            "5s",
        ]);
        assert_eq!(
            command_line(&g, &["apply", "plan.out"]),
            "tailform --emulator --state 'my state/s.json' --age-identity me.key apply plan.out"
        );
    }

    #[test]
    fn a_backend_url_loses_its_password() {
        let g = global(&[
            "--backend",
            "postgres://me:hunter2@db.example.com/tf",
            "--workspace",
            "prod",
        ]);
        assert_eq!(
            command_line(&g, &["apply", "p"]),
            "tailform --backend postgres://me@db.example.com/tf --workspace prod apply p"
        );
    }

    #[test]
    fn quoting_survives_a_quote() {
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }
}

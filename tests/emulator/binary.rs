//! The real `tailform emulator` binary: its three stdout lines, the README's curl sequence done
//! over HTTP, clean shutdown on SIGTERM, and a clear error for a non-loopback address.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

use crate::common::command::Tailform;

fn spawn(args: &[&str]) -> Child {
    Tailform::new()
        .arg("emulator")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
}

/// Kills the child when a test ends early (a failed assertion must not leave it running).
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Reads the three `NAME=value` lines.
fn announced(stdout: &mut BufReader<ChildStdout>) -> [String; 3] {
    let mut read = |name: &str| {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a stdout line");
        let value = line
            .trim_end()
            .strip_prefix(&format!("{name}="))
            .unwrap_or_else(|| panic!("expected {name}=…, got {line:?}"));
        value.to_owned()
    };
    [
        read("TAILSCALE_BASE_URL"),
        read("TAILSCALE_OAUTH_CLIENT_ID"),
        read("TAILSCALE_OAUTH_CLIENT_SECRET"),
    ]
}

async fn token(http: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let reply: Value = http
        .post(format!("{base}/api/v2/oauth/token"))
        .form(&[("client_id", id), ("client_secret", secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["access_token"].as_str().expect("a token").to_owned()
}

#[tokio::test]
async fn the_binary_serves_the_readme_sequence() {
    let mut child = KillOnDrop(spawn(&["--seed", "1"]));
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let [base, id, secret] = announced(&mut stdout);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(id.starts_with('k') && id.ends_with("CNTRL"), "{id}");
    assert!(secret.starts_with(&format!("tskey-client-{id}-")));
    let http = reqwest::Client::new();

    // 1. A token for the organization's client.
    let org = token(&http, &base, &id, &secret).await;
    // 2. A new tailnet.
    let created: Value = http
        .post(format!("{base}/api/v2/organizations/-/tailnets"))
        .bearer_auth(&org)
        .json(&json!({"displayName": "Demo"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = &created["oauthClient"];
    // 3. A token for the new tailnet's own client.
    let child_token = token(
        &http,
        &base,
        client["id"].as_str().unwrap(),
        client["secret"].as_str().unwrap(),
    )
    .await;
    // 4. A policy that defines the tag.
    let policy = http
        .post(format!("{base}/api/v2/tailnet/-/acl"))
        .bearer_auth(&child_token)
        .header("Content-Type", "application/hujson")
        .body("{\"tagOwners\": {\"tag:demo\": []}}")
        .send()
        .await
        .unwrap();
    assert_eq!(policy.status(), 200);
    // 5. A tagged auth key.
    let key = http
        .post(format!("{base}/api/v2/tailnet/-/keys"))
        .bearer_auth(&child_token)
        .json(&json!({"capabilities": {"devices": {"create": {"tags": ["tag:demo"]}}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(key.status(), 200);
    let key: Value = key.json().await.unwrap();
    assert!(key["key"].as_str().unwrap().starts_with("tskey-auth-"));
    assert_eq!(
        key["capabilities"]["devices"]["create"]["tags"],
        json!(["tag:demo"])
    );

    child.0.kill().unwrap();
    assert!(!child.0.wait().unwrap().success());
}

#[cfg(unix)]
#[test]
fn sigterm_stops_it_cleanly_and_the_data_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("emulator.json");
    let mut child = KillOnDrop(spawn(&[
        "--data",
        data.to_str().unwrap(),
        "--client-id",
        "kFixedCNTRL",
    ]));
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let [_, id, _] = announced(&mut stdout);
    assert_eq!(id, "kFixedCNTRL");
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("tailform emulator: serving the Tailscale API at http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(stderr.ends_with("tailform emulator: stopped\n"), "{stderr}");
}

#[test]
fn a_non_loopback_address_is_refused() {
    Tailform::new()
        .args(["emulator", "--listen", "0.0.0.0:0"])
        .run()
        .code(1)
        .stdout_is("")
        .stderr_is("error: the emulator listens on loopback only, but `0.0.0.0:0` is not a loopback address (use 127.0.0.1 or [::1])\n");
}

//! The invariants that crashes, lost responses, rate limits and server errors must never break
//! (issue 5), checked against the live emulator and the state file:
//! - the state parses and has no pending intents left;
//! - every managed address exists exactly once live (its record's object is live and valid;
//!   no second, untracked object with its attributes);
//! - the state holds a secret for every live object tailform created (tailnets' own clients,
//!   OAuth clients, auth keys);
//! - no orphan stays live: every live key in a managed tailnet is tracked, and the organization
//!   lists no tailnet tailform created but does not track.
//!
//! Shared by the crash harness (`tests/e2e/crash.rs`) and the fault matrix (`tests/e2e/faults.rs`).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// How to reach the emulator.
pub struct Emulator<'a> {
    pub base_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// Checks every invariant; returns the violations (empty when all hold).
pub fn check(emulator: &Emulator<'_>, state_path: &Path) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(check_async(emulator, state_path))
}

async fn check_async(emulator: &Emulator<'_>, state_path: &Path) -> Vec<String> {
    let mut violations = Vec::new();
    let state = match tailform::state::StateFile::new(state_path).load() {
        Ok(s) => s,
        Err(e) => return vec![format!("the state does not load: {e}")],
    };
    let json = state.to_json();
    if !state.pending.is_empty() {
        violations.push(format!("{} pending intent(s) left", state.pending.len()));
    }
    let http = reqwest::Client::new();
    let token = |tailnet: Option<String>| {
        let http = http.clone();
        let mut form = vec![
            ("client_id", emulator.client_id.to_owned()),
            ("client_secret", emulator.client_secret.to_owned()),
        ];
        if let Some(t) = tailnet {
            form.push(("tailnet", t));
        }
        let url = format!("{}/api/v2/oauth/token", emulator.base_url);
        async move {
            let v: Value = http
                .post(url)
                .form(&form)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            v["access_token"].as_str().map(str::to_owned)
        }
    };
    let get = |path: String, token: String| {
        let http = http.clone();
        let url = format!("{}{path}", emulator.base_url);
        async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .json::<Value>()
                .await
                .ok()
        }
    };
    let Some(org_token) = token(None).await else {
        return vec!["cannot get an organization token".into()];
    };
    let Some(org) = get("/api/v2/organizations/-/tailnets".into(), org_token).await else {
        return vec!["cannot list the organization's tailnets".into()];
    };
    let resources = json["resources"].as_object().cloned().unwrap_or_default();
    let tailnet_ids: BTreeSet<String> = resources
        .iter()
        .filter(|(a, _)| a.matches('.').count() == 1)
        .filter_map(|(_, r)| r["id"].as_str().map(str::to_owned))
        .collect();
    let live_tailnets: Vec<&Value> = org["tailnets"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for t in &live_tailnets {
        let id = t["id"].as_str().unwrap_or_default();
        if t["displayName"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Crash")
            && !tailnet_ids.contains(id)
        {
            violations.push(format!(
                "orphan tailnet {id} ({}) is live but not tracked",
                t["displayName"]
            ));
        }
    }
    for (address, record) in &resources {
        if address.matches('.').count() != 1 {
            continue;
        }
        let id = record["id"].as_str().unwrap_or_default().to_owned();
        if !live_tailnets.iter().any(|t| t["id"] == id.as_str()) {
            violations.push(format!("{address}: tailnet {id} is not live"));
            continue;
        }
        if record["oauthClient"]["secret"].as_str().is_none() {
            violations.push(format!("{address}: no secret for the tailnet's own client"));
        }
        let Some(t) = token(Some(id.clone())).await else {
            violations.push(format!("{address}: cannot get a token for {id}"));
            continue;
        };
        let Some(keys) = get(format!("/api/v2/tailnet/{id}/keys?all=true"), t).await else {
            violations.push(format!("{address}: cannot list keys"));
            continue;
        };
        // Access tokens (`keyType: "api"`) are listed too; they are not objects tailform makes.
        let live: Vec<&Value> = keys["keys"]
            .as_array()
            .map(|a| a.iter().filter(|k| k["keyType"] != "api").collect())
            .unwrap_or_default();
        let prefix = format!("{address}.");
        let mut tracked: BTreeSet<String> = record["oauthClient"]["id"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect();
        for (child, r) in resources.iter().filter(|(a, _)| a.starts_with(&prefix)) {
            let Some(kid) = r["id"].as_str() else {
                continue;
            };
            tracked.insert(kid.to_owned());
            for d in r["deposed"].as_array().into_iter().flatten() {
                tracked.insert(d["id"].as_str().unwrap_or_default().to_owned());
            }
            if !live.iter().any(|k| k["id"] == kid) {
                violations.push(format!("{child}: {kid} is not live"));
            }
            if !r["secret"].as_str().is_some_and(|s| s.contains(kid)) {
                violations.push(format!("{child}: the state has no secret for {kid}"));
            }
        }
        for k in &live {
            let kid = k["id"].as_str().unwrap_or_default();
            if !tracked.contains(kid) {
                violations.push(format!(
                    "{address}: live {} {kid} ({}) is not tracked",
                    k["keyType"], k["description"]
                ));
            }
        }
    }
    violations
}

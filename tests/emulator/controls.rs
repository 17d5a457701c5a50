//! Test controls: the clock and the `Date` header, injected faults (latency, 429, 5xx, dropped
//! responses), and the request statistics.

use std::time::{Duration, Instant};

use crate::support::{Emu, ids};
use serde_json::json;

fn parse_http_date(value: &str) -> jiff::Timestamp {
    let zoned = jiff::fmt::rfc2822::parse(value).expect("an HTTP date");
    zoned.timestamp()
}

#[tokio::test]
async fn the_clock_moves_forward_and_every_date_header_follows_it() {
    let e = Emu::start().await;
    let now = e.send(e.http.get(e.url("/_emulator/clock"))).await;
    let before: jiff::Timestamp = now.ok()["now"].as_str().unwrap().parse().unwrap();
    let moved = e.advance(86_400).await;
    let after: jiff::Timestamp = moved["now"].as_str().unwrap().parse().unwrap();
    let delta = after.duration_since(before).as_secs();
    assert!((86_400..86_405).contains(&delta), "moved {delta}s");
    let token = e.org_token().await;
    let reply = e.get(&token, "/api/v2/tailnet/-/keys").await;
    let date = parse_http_date(reply.header("date").unwrap());
    let skew = date.duration_since(after).as_secs().abs();
    assert!(skew <= 2, "Date {date} vs clock {after}");
    let control = e.send(e.http.get(e.url("/_emulator/clock"))).await;
    assert!(parse_http_date(control.header("date").unwrap()) >= after);
    e.send(
        e.http
            .post(e.url("/_emulator/clock"))
            .json(&json!({"advanceSeconds": -1})),
    )
    .await
    .assert_error(
        400,
        "advanceSeconds must not be negative: the clock only moves forward",
    );
    e.shutdown().await;
}

#[tokio::test]
async fn rate_limited_requests_carry_retry_after() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    let set = e
        .faults(json!({"rate429": 1.0, "retryAfterSeconds": 2}))
        .await;
    assert_eq!(
        set.ok(),
        &json!({"latencyMs": 0, "rate429": 1.0, "rate5xx": 0.0, "dropResponseAfterCommit": 0.0, "seed": 0, "retryAfterSeconds": 2, "credentialDelayMs": 0, "credentialDelayStatus": 404, "credentialDelayAt": "use", "strictTsDefault": false})
    );
    let reply = e.get(&token, "/api/v2/tailnet/-/keys").await;
    reply.assert_error(429, "rate limit exceeded, please retry later");
    assert_eq!(reply.header("retry-after"), Some("2"));
    e.token_form(&[])
        .await
        .assert_error(429, "rate limit exceeded, please retry later");
    // Controls are never faulted.
    assert_eq!(
        e.send(e.http.get(e.url("/_emulator/clock"))).await.status,
        200
    );
    let stats = e.stats().await;
    assert_eq!(
        stats["byEndpoint"]["GET /api/v2/tailnet/{tailnet}/keys"],
        json!({"429": 1})
    );
    e.faults(json!({"rate429": 1.5}))
        .await
        .assert_error(400, "rate429 must be between 0 and 1, got 1.5");
    e.shutdown().await;
}

#[tokio::test]
async fn server_errors_happen_before_anything_is_committed() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:web"]).await;
    e.faults(json!({"rate5xx": 1.0, "seed": 3})).await.ok();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let reply = e.create_auth_key(&token, &["tag:web"], json!({})).await;
        assert!(reply.body["message"].is_string(), "{}", reply.text);
        statuses.push(reply.status);
    }
    assert!(
        statuses.iter().all(|s| [500, 502, 503, 504].contains(s)),
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 1
    );
    e.faults(json!({})).await.ok();
    let list = e.get(&token, "/api/v2/tailnet/-/keys?all=true").await;
    assert_eq!(ids(list.ok()), [e.emu.org_client_id()]);
    e.shutdown().await;
}

#[tokio::test]
async fn fault_decisions_are_reproducible_with_the_same_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let e = Emu::start().await;
        e.faults(json!({"rate5xx": 0.5, "seed": 11})).await.ok();
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(e.token_form(&[]).await.status);
        }
        runs.push(statuses);
        e.shutdown().await;
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&401) && runs[0].iter().any(|s| *s >= 500),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn a_dropped_response_still_committed_its_object() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:web"]).await;
    e.faults(json!({"dropResponseAfterCommit": 1.0})).await.ok();
    // Reads and the token endpoint are not dropped.
    assert_eq!(e.get(&token, "/api/v2/tailnet/-/keys").await.status, 200);
    let fresh = e.org_token().await;
    let sent = e
        .http
        .post(e.url("/api/v2/tailnet/-/keys"))
        .bearer_auth(&fresh)
        .json(&json!({"capabilities": {"devices": {"create": {"tags": ["tag:web"]}}}}))
        .send()
        .await;
    let outcome = match sent {
        Err(e) => Err(e),
        Ok(resp) => resp.text().await.map(|_| ()),
    };
    assert!(outcome.is_err(), "the response must not arrive");
    // A refused request commits nothing, so it is answered normally.
    e.create_auth_key(&fresh, &["tag:nope"], json!({}))
        .await
        .assert_error(
            400,
            "requested tags [tag:nope] are invalid or not permitted",
        );
    e.faults(json!({})).await.ok();
    let list = e.get(&fresh, "/api/v2/tailnet/-/keys?all=true").await;
    let listed = ids(list.ok());
    assert_eq!(listed.len(), 2, "{listed:?}");
    let stats = e.stats().await;
    let dropped: Vec<_> = stats["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry.get("dropped").is_some())
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0]["status"], 200);
    assert_eq!(dropped[0]["dropped"], true);
    assert_eq!(dropped[0]["keyId"].as_str(), Some(listed[1].as_str()));
    e.shutdown().await;
}

#[tokio::test]
async fn latency_delays_api_responses_only() {
    let e = Emu::start().await;
    e.faults(json!({"latencyMs": 300})).await.ok();
    let started = Instant::now();
    e.token_form(&[])
        .await
        .assert_error(401, "API token invalid");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    e.send(e.http.get(e.url("/_emulator/clock"))).await;
    assert!(started.elapsed() < Duration::from_millis(300));
    e.shutdown().await;
}

#[tokio::test]
async fn stats_count_by_route_and_log_who_touched_what() {
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:web"]).await;
    let key = e.create_auth_key(&token, &["tag:web"], json!({})).await;
    let key_id = key.ok()["id"].as_str().unwrap().to_owned();
    e.get(&token, &format!("/api/v2/tailnet/-/keys/{key_id}"))
        .await;
    e.get("bad", "/api/v2/tailnet/-/keys").await;
    let list = e.get(&token, "/api/v2/organizations/-/tailnets").await;
    let tailnet = list.ok()["tailnets"][0]["id"].as_str().unwrap().to_owned();
    let stats = e.stats().await;
    assert_eq!(stats["total"], 6);
    assert_eq!(
        stats["byEndpoint"],
        json!({
            "POST /api/v2/oauth/token": {"200": 1},
            "POST /api/v2/tailnet/{tailnet}/acl": {"200": 1},
            "POST /api/v2/tailnet/{tailnet}/keys": {"200": 1},
            "GET /api/v2/tailnet/{tailnet}/keys/{key_id}": {"200": 1},
            "GET /api/v2/tailnet/{tailnet}/keys": {"401": 1},
            "GET /api/v2/organizations/{org}/tailnets": {"200": 1},
        })
    );
    let log = stats["log"].as_array().unwrap();
    let org = e.emu.org_client_id();
    assert_eq!(
        log[2],
        json!({"seq": 3, "method": "POST", "path": "/api/v2/tailnet/-/keys", "status": 200,
               "tailnet": tailnet, "keyId": key_id, "clientId": org})
    );
    assert_eq!(
        log[4],
        json!({"seq": 5, "method": "GET", "path": "/api/v2/tailnet/-/keys", "status": 401,
               "tailnet": null, "keyId": null, "clientId": null})
    );
    let reset = e.send(e.http.post(e.url("/_emulator/stats/reset"))).await;
    assert_eq!(reset.ok(), &json!({}));
    e.get(&token, "/api/v2/tailnet/-/keys").await;
    let after = e.stats().await;
    assert_eq!(after["total"], 1);
    assert_eq!(after["log"][0]["seq"], 7);
    e.shutdown().await;
}

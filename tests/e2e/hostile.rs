//! Hostile responses (issue 5): garbage, truncated JSON, an HTML error page, a body over the size
//! limit and a server that stalls — each a clear error, never a panic or a hang, and nothing
//! created after the failure; a create whose answer is unreadable or never comes is recovered
//! without a duplicate. A proxy in front of the emulator forwards everything and corrupts the
//! answers a test chooses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::world::World;

/// What the proxy answers instead of the emulator's answer.
#[derive(Debug, Clone, Copy)]
enum Hostile {
    /// 200 with bytes that are not JSON.
    Garbage,
    /// 200 with JSON cut in the middle.
    Truncated,
    /// 400 with an HTML page (a misconfigured gateway).
    HtmlPage,
    /// 200 with 20 MiB of JSON (over the client's 8 MiB limit).
    Oversized,
    /// No answer for a minute.
    Stall,
}

/// Which requests get a hostile answer: method, a path fragment, and how many of them (the
/// request is still forwarded first, so a create happens — its answer is what is lost).
struct Rule {
    method: Method,
    path: &'static str,
    remaining: usize,
    answer: Hostile,
}

#[derive(Clone)]
struct Proxy {
    upstream: String,
    http: reqwest::Client,
    rules: Arc<Mutex<Vec<Rule>>>,
}

async fn forward(
    State(p): State<Proxy>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let mut req = p
        .http
        .request(method.clone(), format!("{}{path}", p.upstream))
        .body(body);
    for (name, value) in &headers {
        if name != "host" && name != "content-length" {
            req = req.header(name, value);
        }
    }
    let upstream = req.send().await.expect("the emulator answers");
    let status = upstream.status();
    let mut out_headers = HeaderMap::new();
    for (name, value) in upstream.headers() {
        if name != "content-length" && name != "transfer-encoding" {
            out_headers.insert(name.clone(), value.clone());
        }
    }
    let body = upstream.bytes().await.unwrap_or_default();
    let hostile = {
        let mut rules = p.rules.lock().unwrap();
        rules
            .iter_mut()
            .find(|r| r.method == method && path.contains(r.path) && r.remaining > 0)
            .map(|r| {
                r.remaining -= 1;
                r.answer
            })
    };
    match hostile {
        None => (status, out_headers, body).into_response(),
        Some(Hostile::Garbage) => (StatusCode::OK, "\u{1}\u{2}not json at all\u{ff}").into_response(),
        Some(Hostile::Truncated) => {
            let cut = &body[..body.len() / 2];
            (StatusCode::OK, [("content-type", "application/json")], cut.to_vec()).into_response()
        }
        Some(Hostile::HtmlPage) => (
            StatusCode::BAD_REQUEST,
            [("content-type", "text/html")],
            "<html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1></body></html>",
        )
            .into_response(),
        Some(Hostile::Oversized) => {
            let big = format!("{{\"keys\": [], \"padding\": \"{}\"}}", "x".repeat(20 * 1024 * 1024));
            (StatusCode::OK, [("content-type", "application/json")], big).into_response()
        }
        Some(Hostile::Stall) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            (status, out_headers, body).into_response()
        }
    }
}

/// Starts the proxy; returns its base URL and the rule list to edit.
fn proxy(w: &World) -> (String, Arc<Mutex<Vec<Rule>>>) {
    let rules = Arc::new(Mutex::new(Vec::new()));
    let state = Proxy {
        upstream: w.base_url.clone(),
        http: reqwest::Client::new(),
        rules: rules.clone(),
    };
    let url = w.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    });
    (url, rules)
}

fn converged_world() -> (World, String, Arc<Mutex<Vec<Rule>>>) {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (url, rules) = proxy(&w);
    w.run_via(&url, &["apply", "--auto-approve"]).code(0);
    (w, url, rules)
}

fn hostile_refresh(answer: Hostile, expected: &str) {
    let (w, url, rules) = converged_world();
    // Something to do, so a plan would create: revoke a key out of band.
    let tailnet = w.id_of("tailnet.demo");
    let key = w.id_of("tailnet.demo.auth_key.web");
    let token = w.token(Some(&tailnet));
    w.api(
        reqwest::Method::DELETE,
        &format!("/api/v2/tailnet/{tailnet}/keys/{key}"),
        Some(&token),
        None,
    );
    rules.lock().unwrap().push(Rule {
        method: Method::GET,
        path: "/keys?all=true",
        remaining: usize::MAX,
        answer,
    });
    w.reset_stats();
    let run = w.run_via(&url, &["apply", "--auto-approve"]);
    run.code(1);
    assert!(
        run.stderr
            .starts_with("error: cannot read the keys of `tailnet.demo` ("),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(expected), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let log = w.log();
    assert!(
        log.iter()
            .all(|e| e.method == "GET" || e.path.ends_with("/oauth/token")),
        "nothing is created after the failure: {log:?}"
    );
}

#[test]
fn garbage_is_a_clear_error() {
    hostile_refresh(
        Hostile::Garbage,
        "answered 200 with a response tailform cannot read: the body is not valid JSON (syntax error at line 1, column 1)",
    );
}

#[test]
fn truncated_json_is_a_clear_error() {
    hostile_refresh(
        Hostile::Truncated,
        "answered 200 with a response tailform cannot read: the JSON ends early at line 1, column",
    );
}

#[test]
fn an_html_error_page_is_a_clear_error() {
    // The HTML is reduced to its text: no markup in an error message.
    hostile_refresh(
        Hostile::HtmlPage,
        "failed with 400: 400 Bad Request Bad Request",
    );
}

#[test]
fn an_oversized_body_is_a_clear_error() {
    hostile_refresh(Hostile::Oversized, "larger than the 8388608-byte limit");
}

fn hostile_create(answer: Hostile, extra: &[&str]) {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (url, rules) = proxy(&w);
    // The first auth key create is made, but its answer is lost or unreadable.
    rules.lock().unwrap().push(Rule {
        method: Method::POST,
        path: "/keys",
        remaining: 1,
        answer,
    });
    let mut args = vec!["apply", "--auto-approve"];
    args.extend_from_slice(extra);
    let run = w.run_via(&url, &args);
    run.code(0);
    assert!(
        run.stderr
            .contains("had an unknown outcome: reading the API before creating again"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("revoke orphaned"), "{}", run.stderr);
    w.run_via(&url, &["plan", "--detailed-exitcode"]).code(0);
    let violations = crate::common::invariants::check(
        &crate::common::invariants::Emulator {
            base_url: &w.base_url,
            client_id: &w.client_id,
            client_secret: &w.client_secret,
        },
        &w.path("state/tailform.json"),
    );
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn an_unreadable_create_answer_is_recovered_without_a_duplicate() {
    hostile_create(Hostile::Garbage, &[]);
}

#[test]
fn a_stalled_create_times_out_and_is_recovered_without_a_duplicate() {
    hostile_create(Hostile::Stall, &["--request-timeout", "2s"]);
}

#[test]
fn a_zero_request_timeout_is_refused_before_any_request() {
    let w = World::new();
    w.copy_from_repo("examples/quickstart.yaml", "tailform.yaml");
    let (url, rules) = proxy(&w);
    for method in [Method::GET, Method::POST] {
        rules.lock().unwrap().push(Rule {
            method,
            path: "/",
            remaining: usize::MAX,
            answer: Hostile::Stall,
        });
    }
    w.reset_stats();
    let started = std::time::Instant::now();
    let run = w.run_via(&url, &["plan", "--request-timeout", "0s"]);
    run.code(1);
    assert!(
        run.stderr.contains(
            "invalid value '0s' for '--request-timeout <DURATION>': a request timeout must be \
             at least 1s (`0s` is zero); the default is 30s"
        ),
        "{}",
        run.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once"
    );
    assert!(w.log().is_empty(), "no request was sent: {:?}", w.log());
}

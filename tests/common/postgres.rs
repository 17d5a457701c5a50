//! The PostgreSQL server of the state-backend tests, named by `TAILFORM_TEST_POSTGRES_URL`.
//!
//! Every test that needs it is `#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]`, so on a machine
//! without a server `cargo nextest run` reports them as skipped (not as passed), and
//! `cargo nextest run --run-ignored all` runs them. CI (`.ci/run`) starts a private server, sets
//! the variable and asks for ignored tests, and a requested test without the variable fails, so
//! CI cannot skip them.

/// The variable that names the test server.
pub const POSTGRES_URL_VAR: &str = "TAILFORM_TEST_POSTGRES_URL";

/// The test server's URL. Only tests marked `#[ignore = "needs TAILFORM_TEST_POSTGRES_URL"]` call
/// this, so it runs only when ignored tests were asked for; then a missing URL is a failure, not
/// a silent pass.
pub fn postgres_url() -> String {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "{POSTGRES_URL_VAR} is not set: this PostgreSQL backend test needs a server \
             (postgres://…); without one, run the tests without --run-ignored and it is skipped"
        ),
    }
}

/// A workspace name unique to one test run.
pub fn unique_workspace(test: &str) -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let mut name: String = test.chars().take(50).collect();
    name.push('-');
    name.push_str(&suffix[..12]);
    name
}

/// Connects to `url`, driving the connection on `runtime`.
pub fn pg_connect(runtime: &tokio::runtime::Runtime, url: &str) -> tokio_postgres::Client {
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to the test PostgreSQL server");
        tokio::spawn(connection);
        client
    })
}

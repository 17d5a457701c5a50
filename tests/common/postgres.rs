//! The PostgreSQL server of the state-backend tests, named by `TAILFORM_TEST_POSTGRES_URL`
//! (`.ci/run` starts a private one and sets it).

/// The variable that names the test server.
pub const POSTGRES_URL_VAR: &str = "TAILFORM_TEST_POSTGRES_URL";

/// The test server's URL, or `None` (with a message) when tests should skip; panics under
/// `CI=true` when it is not set.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => panic!(
            "{POSTGRES_URL_VAR} is not set but CI=true: the PostgreSQL backend tests must run in \
             CI (.ci/run starts a server and sets it)"
        ),
        _ => {
            eprintln!(
                "skipped: set {POSTGRES_URL_VAR}=postgres://… to run the PostgreSQL backend tests"
            );
            None
        }
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

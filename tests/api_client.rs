//! Integration tests of `tailform::api::Client` over real loopback TCP: wiremock servers that
//! script answers and record the exact requests, and a hand-written TCP server for broken
//! connections and stalls. One test binary; one module per area.

#[path = "api_client/auth.rs"]
mod auth;
#[path = "api_client/failures.rs"]
mod failures;
#[path = "api_client/parsing.rs"]
mod parsing;
#[path = "api_client/requests.rs"]
mod requests;
#[path = "api_client/retries.rs"]
mod retries;
#[path = "api_client/secrets.rs"]
mod secrets;
#[path = "api_client/support.rs"]
mod support;

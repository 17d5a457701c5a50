//! Integration tests of `tailform::api::Client` over real loopback TCP: wiremock servers that
//! script answers and record the exact requests, and a hand-written TCP server for broken
//! connections and stalls. One module per area.

mod auth;
mod failures;
mod federated;
mod parsing;
mod requests;
mod retries;
mod secrets;
mod support;

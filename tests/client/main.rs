//! The API client (`tailform::api::Client`): alone against scripted servers (`api_client`), and
//! against the emulator (`wire`), each over real loopback TCP.
//!
//! One test binary; one module per area.

#[path = "../common/mod.rs"]
mod common;

mod api_client;
mod wire;

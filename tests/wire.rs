//! Issue 2, "done when": the API client (`tailform::api`) against the emulator
//! (`tailform::emulator`) over real loopback TCP. The two halves were written independently,
//! each with its own wire types; these tests prove they agree. Every test starts its own
//! in-process emulator in a multi-thread runtime, drives the client's typed operations, and uses
//! the emulator's test controls (clock, faults, key use, stats) through plain `reqwest`.
//!
//! One binary, one module per theme.

#[path = "wire/faults.rs"]
mod faults;
#[path = "wire/keys.rs"]
mod keys;
#[path = "wire/oauth_clients.rs"]
mod oauth_clients;
#[path = "wire/policy.rs"]
mod policy;
#[path = "wire/refresh.rs"]
mod refresh;
#[path = "wire/refusals.rs"]
mod refusals;
#[path = "wire/secrets.rs"]
mod secrets;
#[path = "wire/support.rs"]
mod support;
#[path = "wire/tailnets.rs"]
mod tailnets;
#[path = "wire/tokens.rs"]
mod tokens;

//! Issue 2, "done when": the API client (`tailform::api`) against the emulator
//! (`tailform::emulator`) over real loopback TCP. The two halves were written independently,
//! each with its own wire types; these tests prove they agree. Every test starts its own
//! in-process emulator in a multi-thread runtime, drives the client's typed operations, and uses
//! the emulator's test controls (clock, faults, key use, stats) through plain `reqwest`.
//!
//! One module per theme.

mod faults;
mod fidelity;
mod keys;
mod oauth_clients;
mod policy;
mod refresh;
mod refusals;
mod secrets;
mod support;
mod tailnets;
mod tokens;

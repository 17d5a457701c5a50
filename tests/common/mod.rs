//! Code shared by the integration-test binaries (`tests/*/main.rs`), each piece written once. A
//! binary includes this folder with `#[path = "../common/mod.rs"] mod common;` and uses the parts
//! it needs.

#![allow(dead_code, reason = "each test binary uses a different part")]

pub mod command;
pub mod fixture_cases;
pub mod invariants;
pub mod postgres;
pub mod retry;

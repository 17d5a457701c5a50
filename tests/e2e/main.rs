//! End-to-end tests: the real `tailform` binary against the emulator over loopback TCP, checking
//! exit code, output and the state file together (issue 4's acceptance list). Here too, because
//! they check what a user runs: the crash harness (`crash`), the README's commands (`readme`) and
//! the CI workflows in `examples/ci/` (`ci_workflows`).
//!
//! One test binary; one module per area.

#[path = "../common/mod.rs"]
mod common;

mod world;

mod api_keys;
mod at_rest;
mod ci_workflows;
mod crash;
mod delivery;
mod destroy;
mod doctor;
mod embedded;
mod failures;
mod faults;
mod federated_identities;
mod federated_login;
mod habits;
mod hand_edited;
mod help;
mod hostile;
mod keyless;
mod lifecycle;
mod live_api;
mod locking;
mod messages;
mod orphans;
mod policy;
mod postgres;
mod readme;
mod saved_plan;
mod secrets;
mod settings;
mod webhooks;

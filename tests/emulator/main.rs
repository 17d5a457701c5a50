//! The emulator (`tailform::emulator`) on its own: each test starts it in-process on a real
//! loopback port (or runs `tailform emulator`, in `binary`) and talks to it with the plain
//! `reqwest` client of `support` — no code from `tailform::api`.
//!
//! One test binary; one module per area.

#[path = "../common/mod.rs"]
mod common;

mod support;

mod auth;
mod binary;
mod contract;
mod controls;
mod federated;
mod fidelity;
mod keys;
mod lifecycle;
mod persistence;
mod policy;
mod settings;
mod tags;
mod tailnets;
mod webhooks;

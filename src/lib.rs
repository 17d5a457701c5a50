//! tailform: a declarative reconciler for Tailscale.
//!
//! Data flows through one type per stage, one function per arrow (STYLE §6.1):
//!
//! ```text
//! files ─manifest::load─▶ Sources ─validate::validate─▶ model::Desired ─┐
//! API ───refresh::read──▶ live::Live ───────────────────────────────────┼─plan::diff─▶ Plan ─┬─render─▶ text|json|markdown
//! state ─state::Backend::load (file or PostgreSQL)─▶ State ─────────────┘                    └─apply::apply─▶ State'
//! ```
//!
//! Only `manifest` (files), `refresh`/`api` (HTTP), `apply` and `state` do I/O; validation, diffing,
//! graph building and rendering are pure. The `emulator` module is a second, independent
//! implementation of the Tailscale API (its own wire types) used for tests and `--emulator`.

#![warn(missing_docs)]

pub mod address;
pub mod api;
pub mod apply;
#[cfg(test)]
mod architecture;
pub mod atomic_file;
pub mod cli;
pub mod commands;
pub mod credentials;
pub mod deliver;
pub mod diagnostic;
pub mod doctor;
pub mod emulator;
pub mod error;
pub mod exit;
pub mod fingerprint;
pub mod gate;
pub mod kind;
pub mod live;
pub mod manifest;
pub mod model;
pub mod name;
pub mod plan;
pub mod planfile;
pub mod policy_doc;
pub mod reach;
pub mod refresh;
pub mod render;
pub mod seal;
pub mod secret;
pub mod state;
pub mod suggest;
pub mod validate;

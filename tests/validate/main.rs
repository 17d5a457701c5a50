//! Manifests: what validation builds and reports (`model`, `fixtures`, `codes`), the JSON Schema
//! (`schema`), `tailform validate` and `tailform schema` as a user runs them (`cli`), and the
//! property that loading and validating never panic (`manifest_proptest`).
//!
//! One test binary; one module per area.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod codes;
mod fixtures;
mod manifest_proptest;
mod model;
mod schema;

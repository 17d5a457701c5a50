//! `tailform version [--format text|json]`: the release, the git commit it was built from and
//! the target (what a bug report needs).

#![allow(clippy::print_stdout, reason = "the version is this command's output")]

use serde_json::json;

use super::console::outln;
use crate::cli::{VersionArgs, VersionFormat};
use crate::exit::Exit;

/// The release version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The commit the binary was built from (`unknown` outside a git checkout).
pub const COMMIT: &str = env!("TAILFORM_COMMIT");
/// The target triple.
pub const TARGET: &str = env!("TAILFORM_TARGET");

/// Runs `tailform version`.
pub fn run(args: &VersionArgs) -> Exit {
    match args.format {
        VersionFormat::Text => {
            let short = COMMIT.get(..12).unwrap_or(COMMIT);
            outln!("tailform {VERSION} (commit {short}, {TARGET})");
        }
        VersionFormat::Json => outln!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "version": VERSION,
                "commit": COMMIT,
                "target": TARGET,
            }))
            .expect("JSON values serialise")
        ),
    }
    Exit::Success
}

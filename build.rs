//! Records the build's git commit for `tailform version` (`TAILFORM_COMMIT`, "unknown" outside a
//! git checkout — e.g. a crates.io tarball) and the target triple (`TAILFORM_TARGET`).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=TAILFORM_COMMIT={commit}");
    println!(
        "cargo:rustc-env=TAILFORM_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );
    // Rebuild when HEAD moves: the files that say where it points (a worktree's .git is a file,
    // so ask git where they are; paths that do not exist would make cargo rerun every build).
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        let head = std::path::Path::new(&dir).join("HEAD");
        println!("cargo:rerun-if-changed={}", head.display());
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"])
                .unwrap_or(dir.clone());
            for path in [
                std::path::Path::new(&common).join(&reference),
                std::path::Path::new(&common).join("packed-refs"),
            ] {
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

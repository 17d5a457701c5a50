//! Which files a run reads: `-f PATH` arguments (files, or folders whose `*.yaml`/`*.yml` are
//! taken) or, with none, `tailform.yaml` in the current folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic};

/// The manifest read when no `-f` is given.
pub const DEFAULT_MANIFEST: &str = "tailform.yaml";

/// Resolves `-f` arguments into the manifest files to read, in order: each argument in turn; a
/// folder contributes its `*.yaml` and `*.yml` files (not sub-folders, not hidden files), sorted
/// by name. A file named twice (directly or through its folder) is read once. With no argument,
/// `tailform.yaml` in the current folder.
// The signature is the contract the plan engine codes against; discovery runs once per command,
// so the size of the error does not matter.
#[allow(clippy::result_large_err)]
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    if paths.is_empty() {
        let default = PathBuf::from(DEFAULT_MANIFEST);
        if default.is_file() {
            return Ok(vec![default]);
        }
        let mut d = Diagnostic::for_file(
            Code::NoManifests,
            &default,
            format!("no `{DEFAULT_MANIFEST}` in the current folder"),
        );
        d.hint("name manifest files or folders with `-f PATH`");
        return Err(d);
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for path in paths {
        for file in expand(path)? {
            let identity = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            if seen.insert(identity) {
                out.push(file);
            }
        }
    }
    Ok(out)
}

#[allow(clippy::result_large_err)]
fn expand(path: &Path) -> Result<Vec<PathBuf>, Diagnostic> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::for_file(
            Code::ReadError,
            path,
            format!("cannot read `{}`: {e}", path.display()),
        )
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries = std::fs::read_dir(path).map_err(|e| {
        Diagnostic::for_file(
            Code::ReadError,
            path,
            format!("cannot list folder `{}`: {e}", path.display()),
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| is_manifest_name(p) && p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        let mut d = Diagnostic::for_file(
            Code::NoManifests,
            path,
            format!(
                "folder `{}` holds no `*.yaml` or `*.yml` file",
                path.display()
            ),
        );
        d.hint("manifests are read from the folder itself, not from its sub-folders");
        return Err(d);
    }
    Ok(files)
}

fn is_manifest_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    !name.starts_with('.') && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_give_sorted_yaml_files_once() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.yml", "a.yaml", "c.txt", ".hidden.yaml"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub.yaml")).unwrap();
        let a = dir.path().join("a.yaml");
        let got = discover(&[dir.path().to_path_buf(), a.clone()]).unwrap();
        assert_eq!(got, vec![a, dir.path().join("b.yml")]);
    }

    #[test]
    fn empty_folder_and_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        let err = discover(&[dir.path().to_path_buf()]).unwrap_err();
        assert_eq!(err.code, Code::NoManifests);
        let missing = dir.path().join("nope.yaml");
        let err = discover(&[missing]).unwrap_err();
        assert_eq!(err.code, Code::ReadError);
        assert!(err.message.starts_with("cannot read `"), "{}", err.message);
    }
}

//! The files kept next to a state file — `<file>.backup`, `<file>.journal`, `<file>.lock` — are
//! named here, below the file, its journal and its lock, which all need the names.

use std::path::{Path, PathBuf};

/// `path` with `suffix` appended to its file name.
pub(super) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

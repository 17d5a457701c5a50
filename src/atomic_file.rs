//! Replacing a file atomically, the one way every file tailform writes is written (the state
//! file, a saved plan): resolve where the bytes belong, refuse what is not a file, write a
//! private temporary file in the same folder, fsync it, rename it over the target, fsync the
//! folder.
//!
//! - **A symbolic link is written through**: the link is resolved (every level, relative links
//!   against their own folder) and the file it points to is replaced, so the link keeps working
//!   and nothing forks — renaming over the link itself would replace the link with a regular
//!   file and leave its target silently stale.
//! - **Anything but a regular file is refused** (a directory, a device such as `/dev/full`, a
//!   FIFO, a socket): renaming over it would replace a device node as root, or fail obscurely.
//!   A target that does not exist yet is created.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How many links deep [`resolve`] follows before giving up (as the kernel's `ELOOP`).
const MAX_LINKS: usize = 40;

/// Where writing `path` must put the bytes: `path` itself, or the file a symbolic link at `path`
/// points to (followed through every level). Errors when the target exists and is not a
/// regular file, or the links loop.
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(current),
            Err(e) => return Err(e),
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = fs::read_link(&current)?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(meta) if meta.is_file() => return Ok(current),
            Ok(meta) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "`{}` is {}, not a regular file: refusing to replace it",
                        current.display(),
                        describe(&meta.file_type())
                    ),
                ));
            }
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "`{}` is a chain of more than {MAX_LINKS} symbolic links",
            path.display()
        ),
    ))
}

fn describe(kind: &fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_fifo() {
        "a named pipe"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// The folder a file at `path` lives in (`.` for a bare name).
pub fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `target` (already [`resolve`]d) atomically with permission bits `mode`.
/// `before_rename` runs once the temporary file is durable and before it replaces the target
/// (the state file points its backup at the previous version there). On error the target is
/// untouched and no temporary file is left.
pub fn replace(
    target: &Path,
    bytes: &[u8],
    mode: u32,
    before_rename: impl FnOnce() -> io::Result<()>,
) -> io::Result<()> {
    let dir = folder_of(target);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    before_rename()?;
    tmp.persist(target).map_err(|e| e.error)?;
    File::open(&dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real.json");
        fs::write(&real, "old").unwrap();
        fs::create_dir(tmp.path().join("links")).unwrap();
        let link = tmp.path().join("links/state.json");
        symlink("../real.json", &link).unwrap();
        let target = resolve(&link).unwrap();
        assert_eq!(target, tmp.path().join("links/../real.json"));
        replace(&target, b"new", 0o600, || Ok(())).unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(fs::read_to_string(&link).unwrap(), "new");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_dangling_link_creates_its_target() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("state.json");
        symlink("made.json", &link).unwrap();
        let target = resolve(&link).unwrap();
        replace(&target, b"x", 0o600, || Ok(())).unwrap();
        assert_eq!(
            fs::read_to_string(tmp.path().join("made.json")).unwrap(),
            "x"
        );
    }

    #[test]
    fn devices_folders_fifos_and_loops_are_refused() {
        let err = resolve(Path::new("/dev/null")).unwrap_err();
        assert!(err.to_string().contains("is a device"), "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let err = resolve(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let a = tmp.path().join("a");
        symlink("b", &a).unwrap();
        symlink("a", tmp.path().join("b")).unwrap();
        let err = resolve(&a).unwrap_err();
        assert!(err.to_string().contains("symbolic links"), "{err}");
        let link = tmp.path().join("to-dev");
        symlink("/dev/full", &link).unwrap();
        assert!(resolve(&link).is_err());
    }

    #[test]
    fn a_failure_before_the_rename_leaves_the_target_and_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("s.json");
        fs::write(&target, "old").unwrap();
        let err = replace(&target, b"new", 0o600, || Err(io::Error::other("no"))).unwrap_err();
        assert_eq!(err.to_string(), "no");
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}

//! `StateLock`: the exclusive lock held on `<state file>.lock` for a whole plan or apply. An OS
//! file lock makes it exclusive (and releases it if the process dies); the file's JSON body names
//! the holder so a refused run can say who holds it. `tailform unlock LOCK_ID` removes a stale
//! lock file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod error;
mod info;

pub use error::LockError;
pub use info::LockInfo;

use super::file::StateFile;
use super::sibling::sibling;

/// A held state lock; released (and its file removed) on drop.
#[derive(Debug)]
pub struct StateLock {
    path: PathBuf,
    file: Option<File>,
    info: LockInfo,
}

impl StateLock {
    /// The lock file for a state file (`<state>.lock`).
    pub fn path_for(state_path: &Path) -> PathBuf {
        sibling(state_path, ".lock")
    }

    /// Takes the lock for `state_path`, waiting up to `timeout` (zero: fail at once).
    pub fn acquire(
        state_path: &Path,
        operation: &str,
        timeout: Duration,
    ) -> Result<StateLock, LockError> {
        let path = Self::path_for(state_path);
        let deadline = Instant::now() + timeout;
        loop {
            match Self::try_acquire(&path, operation)? {
                Some(lock) => return Ok(lock),
                None if Instant::now() >= deadline => return Err(held_error(&path)),
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn try_acquire(path: &Path, operation: &str) -> Result<Option<StateLock>, LockError> {
        let io_err = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        StateFile::new(sibling_state(path))
            .ensure_folder()
            .map_err(io_err)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(None),
            Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        // The previous holder may have removed the file between our open and our lock: then we
        // locked an unlinked inode. Only a lock on the file the path names counts.
        let same = fs::metadata(path)
            .map(|m| {
                let ours = file.metadata().ok();
                ours.is_some_and(|o| o.ino() == m.ino() && o.dev() == m.dev())
            })
            .unwrap_or(false);
        if !same {
            return Ok(None);
        }
        let info = LockInfo::for_this_process(operation);
        let body = serde_json::to_vec_pretty(&info).expect("lock info serialises");
        file.set_len(0).map_err(io_err)?;
        file.rewind().map_err(io_err)?;
        file.write_all(&body).map_err(io_err)?;
        file.sync_all().map_err(io_err)?;
        Ok(Some(StateLock {
            path: path.to_path_buf(),
            file: Some(file),
            info,
        }))
    }

    /// The holder information written for this lock.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Removes a stale lock whose id is `lock_id`. Refuses when the id differs or when a live
    /// process still holds the lock.
    pub fn force_unlock(state_path: &Path, lock_id: &str) -> Result<LockInfo, LockError> {
        let path = Self::path_for(state_path);
        let io_err = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(LockError::NotLocked { path });
            }
            Err(e) => return Err(io_err(e)),
        };
        let holder =
            read_info(&path).ok_or_else(|| LockError::HeldUnknown { path: path.clone() })?;
        if holder.id != lock_id {
            return Err(LockError::IdMismatch {
                given: lock_id.to_owned(),
                holder: Box::new(holder),
            });
        }
        match file.try_lock() {
            Ok(()) => {
                fs::remove_file(&path).map_err(io_err)?;
                Ok(holder)
            }
            Err(fs::TryLockError::WouldBlock) => Err(LockError::StillHeld {
                holder: Box::new(holder),
            }),
            Err(fs::TryLockError::Error(e)) => Err(io_err(e)),
        }
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Remove the file while still holding the lock, so nobody reads a released holder.
        let _ = fs::remove_file(&self.path);
        if let Some(file) = self.file.take() {
            let _ = file.unlock();
        }
    }
}

/// The state file a lock file belongs to (`x.json` for `x.json.lock`).
fn sibling_state(lock: &Path) -> PathBuf {
    let name = lock.file_name().unwrap_or_default().to_string_lossy();
    lock.with_file_name(name.strip_suffix(".lock").unwrap_or(&name))
}

fn held_error(path: &Path) -> LockError {
    match read_info(path) {
        Some(holder) => LockError::Held {
            holder: Box::new(holder),
        },
        None => LockError::HeldUnknown {
            path: path.to_path_buf(),
        },
    }
}

fn read_info(path: &Path) -> Option<LockInfo> {
    let mut body = String::new();
    File::open(path).ok()?.read_to_string(&mut body).ok()?;
    serde_json::from_str(&body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_at_once_naming_the_holder() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("s.json");
        let first = StateLock::acquire(&state, "apply", Duration::ZERO).unwrap();
        let started = Instant::now();
        let err = StateLock::acquire(&state, "plan", Duration::ZERO).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(1));
        let LockError::Held { holder } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(**holder, *first.info());
        assert_eq!(holder.pid, std::process::id());
        assert!(
            err.to_string()
                .contains(&format!("tailform unlock {}", holder.id))
        );
        drop(first);
        assert!(!StateLock::path_for(&state).exists());
        StateLock::acquire(&state, "plan", Duration::ZERO).unwrap();
    }

    #[test]
    fn lock_timeout_waits_for_release() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("s.json");
        let first = StateLock::acquire(&state, "apply", Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(first);
        });
        StateLock::acquire(&state, "plan", Duration::from_secs(5)).unwrap();
        releaser.join().unwrap();
    }

    #[test]
    fn force_unlock_refuses_a_live_holder_and_a_wrong_id() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("s.json");
        let lock = StateLock::acquire(&state, "apply", Duration::ZERO).unwrap();
        let id = lock.info().id.clone();
        assert!(matches!(
            StateLock::force_unlock(&state, "nope"),
            Err(LockError::IdMismatch { .. })
        ));
        assert!(matches!(
            StateLock::force_unlock(&state, &id),
            Err(LockError::StillHeld { .. })
        ));
        drop(lock);
        assert!(matches!(
            StateLock::force_unlock(&state, &id),
            Err(LockError::NotLocked { .. })
        ));
    }

    #[test]
    fn force_unlock_removes_a_stale_lock_file() {
        let tmp = tempfile::tempdir().unwrap();
        let state = tmp.path().join("s.json");
        let stale = LockInfo::for_this_process("apply");
        fs::write(
            StateLock::path_for(&state),
            serde_json::to_vec(&stale).unwrap(),
        )
        .unwrap();
        let removed = StateLock::force_unlock(&state, &stale.id).unwrap();
        assert_eq!(removed, stale);
        assert!(!StateLock::path_for(&state).exists());
    }
}

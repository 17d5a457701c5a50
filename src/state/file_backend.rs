//! `FileBackend`: the [`Backend`] over the local state file and its `.lock` sibling, behaving
//! exactly as the file did before the seam.

use std::time::Duration;

use super::backend::{Backend, BackendError, LockGuard};
use super::document::State;
use super::file::StateFile;
use super::lock::{LockError, LockInfo, StateLock};
use super::workspace::DEFAULT_WORKSPACE;
use crate::address::Address;
use crate::seal::Sealer;

/// The local state file and its `.lock` sibling, behaving exactly as before the seam.
#[derive(Debug)]
pub struct FileBackend {
    file: StateFile,
}

impl FileBackend {
    /// The backend for a state file.
    pub fn new(file: StateFile) -> Self {
        Self { file }
    }

    /// The state file.
    pub fn file(&self) -> &StateFile {
        &self.file
    }
}

impl Backend for FileBackend {
    fn describe(&self) -> String {
        format!("state file `{}`", self.file.path().display())
    }

    fn load(&mut self) -> Result<State, BackendError> {
        Ok(self.file.load()?)
    }

    fn save(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.file.save(state)?)
    }

    fn save_changes(&mut self, state: &mut State, changed: &[Address]) -> Result<(), BackendError> {
        Ok(self.file.save_changes(state, changed)?)
    }

    fn settle(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.file.settle(state)?)
    }

    /// A save that skips the compare-and-swap and keeps the serial above the file's.
    fn overwrite(&mut self, state: &mut State) -> Result<(), BackendError> {
        Ok(self.file.overwrite(state)?)
    }

    fn lock(&mut self, operation: &str, timeout: Duration) -> Result<LockGuard, LockError> {
        let lock = StateLock::acquire(self.file.path(), operation, timeout)?;
        Ok(LockGuard::new(lock.info().clone(), Box::new(lock)))
    }

    fn force_unlock(&mut self, lock_id: &str) -> Result<LockInfo, LockError> {
        StateLock::force_unlock(self.file.path(), lock_id)
    }

    /// A state file holds one state: `default`.
    fn workspaces(&mut self) -> Result<Vec<String>, BackendError> {
        Ok(if self.file.path().exists() {
            vec![DEFAULT_WORKSPACE.to_owned()]
        } else {
            Vec::new()
        })
    }

    fn sealing(&self) -> &Sealer {
        self.file.sealing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_backend_saves_loads_and_locks_like_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("s.json");
        let mut backend = FileBackend::new(StateFile::new(&path));
        assert_eq!(
            backend.describe(),
            format!("state file `{}`", path.display())
        );
        assert!(backend.workspaces().unwrap().is_empty());
        let guard = backend.lock("apply", Duration::ZERO).unwrap();
        let second = FileBackend::new(StateFile::new(&path))
            .lock("plan", Duration::ZERO)
            .unwrap_err();
        assert!(matches!(second, LockError::Held { holder } if *holder == *guard.info()));
        let mut state = backend.load().unwrap();
        backend.save(&mut state).unwrap();
        assert_eq!(state.serial, 1);
        assert_eq!(backend.load().unwrap(), state);
        assert_eq!(backend.workspaces().unwrap(), ["default"]);
        drop(guard);
        assert!(!StateLock::path_for(&path).exists());
    }

    #[test]
    fn overwrite_keeps_the_serial_above_the_stored_one() {
        let tmp = tempfile::tempdir().unwrap();
        let mut backend = FileBackend::new(StateFile::new(tmp.path().join("s.json")));
        let mut stored = State::new();
        for _ in 0..3 {
            backend.save(&mut stored).unwrap();
        }
        let mut other = State::new();
        backend.overwrite(&mut other).unwrap();
        assert_eq!(other.serial, 4);
        assert_eq!(backend.load().unwrap().lineage, other.lineage);
    }
}

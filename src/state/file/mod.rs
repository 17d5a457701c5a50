//! `StateFile`: the state on local disk. Loads and validates it; saves it atomically (temp file
//! in the same folder, fsync, rename, fsync the folder) keeping the previous version as
//! `<file>.backup`; creates a missing folder with mode 0700 and a `.gitignore` of `*`; refuses to
//! read a file that group or others can read. Between full saves, [`StateFile::save_changes`]
//! appends small changes to the journal (`journal.rs`) instead; loading replays it.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

mod changes;
mod error;

pub use error::StateFileError;

use super::document::State;
use super::journal::{self, JournalError};
use super::sibling::sibling;

/// The state file at a path.
#[derive(Debug, Clone)]
pub struct StateFile {
    /// Where the state is: the path given, or the file a symbolic link there points to.
    path: PathBuf,
    /// Why the path given cannot hold a state (a device, a directory, a link loop).
    unusable: Option<Arc<io::Error>>,
    allow_insecure_permissions: bool,
    sealer: std::sync::Arc<crate::seal::Sealer>,
    journal: Arc<Mutex<journal::Writer>>,
    /// What this process last read or wrote (its compare-and-swap base).
    seen: Arc<Mutex<Option<Seen>>>,
}

/// The file and journal as this process last read or wrote them: a save refuses when the files
/// on disk are no longer these (another run wrote since) and hold a serial it would not follow,
/// as the PostgreSQL backend's transaction does. Identities are (device, inode, length): every
/// write tailform makes either renames a new file in or appends, so each changes one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    file: Option<FileId>,
    journal: Option<FileId>,
    /// The lineage and serial they hold (`None`: no state file).
    stored: Option<(uuid::Uuid, u64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    len: u64,
}

impl FileId {
    fn of(path: &Path) -> io::Result<Option<FileId>> {
        match fs::metadata(path) {
            Ok(m) => Ok(Some(FileId {
                dev: m.dev(),
                ino: m.ino(),
                len: m.len(),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl StateFile {
    /// The state file at `path` (it need not exist yet).
    ///
    /// A symbolic link is followed: the state, its backup, journal and lock live next to the
    /// file it points to, and saves replace that file (the link keeps working).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let given = path.into();
        let (path, unusable) = match crate::atomic_file::resolve(&given) {
            Ok(p) => (p, None),
            Err(e) => (given, Some(Arc::new(e))),
        };
        Self {
            path,
            unusable,
            allow_insecure_permissions: false,
            sealer: std::sync::Arc::default(),
            journal: Arc::default(),
            seen: Arc::default(),
        }
    }

    fn check_usable(&self) -> Result<(), StateFileError> {
        match &self.unusable {
            None => Ok(()),
            Some(e) => Err(StateFileError::NotAFile {
                path: self.path.clone(),
                source: io::Error::new(e.kind(), e.to_string()),
            }),
        }
    }

    /// Seals and opens secrets with `sealer` (encryption at rest).
    pub fn sealer(mut self, sealer: crate::seal::Sealer) -> Self {
        self.sealer = std::sync::Arc::new(sealer);
        self
    }

    /// The sealer (which secrets could not be opened, whether the file is encrypted).
    pub fn sealing(&self) -> &crate::seal::Sealer {
        &self.sealer
    }

    /// Reads the file even when group or others can read it.
    pub fn allow_insecure_permissions(mut self, allow: bool) -> Self {
        self.allow_insecure_permissions = allow;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The backup's path (`<file>.backup`).
    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    /// The journal's path (`<file>.journal`).
    pub fn journal_path(&self) -> PathBuf {
        journal::path_for(&self.path)
    }

    /// Loads the state (the file, then its journal replayed); a missing file is a new, empty
    /// state.
    pub fn load(&self) -> Result<State, StateFileError> {
        self.check_usable()?;
        let mut seen = self.seen();
        let (state, now) = self.read()?;
        *seen = Some(now);
        Ok(state)
    }

    /// Reads the file and journal, with what was read.
    fn read(&self) -> Result<(State, Seen), StateFileError> {
        let journal_path = self.journal_path();
        let journal_id = FileId::of(&journal_path).map_err(|source| StateFileError::Read {
            path: journal_path.clone(),
            source,
        })?;
        let file_id = FileId::of(&self.path).map_err(|e| self.read_err(e))?;
        let journal = match fs::read(&journal_path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(StateFileError::Read {
                    path: journal_path,
                    source,
                });
            }
        };
        let journal_err = |source| StateFileError::Journal {
            path: journal_path.clone(),
            source,
        };
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return match journal {
                    Some(_) => Err(journal_err(JournalError::Orphaned)),
                    None => Ok((
                        State::new(),
                        Seen {
                            file: None,
                            journal: None,
                            stored: None,
                        },
                    )),
                };
            }
            Err(source) => return Err(self.read_err(source)),
        };
        self.check_permissions()?;
        let mut value: serde_json::Value =
            super::strict_json::parse(&bytes).map_err(|source| StateFileError::Json {
                path: self.path.clone(),
                source,
            })?;
        if let Some(lines) = journal {
            let applied = journal::replay(&mut value, &lines).map_err(journal_err)?;
            tracing::debug!(applied, "replayed the state journal");
        }
        self.sealer
            .open(&mut value)
            .map_err(|source| StateFileError::Seal {
                path: self.path.clone(),
                source,
            })?;
        let state = State::from_json(value).map_err(|source| StateFileError::Format {
            path: self.path.clone(),
            source,
        })?;
        let seen = Seen {
            file: file_id,
            journal: journal_id,
            stored: Some((state.lineage, state.serial)),
        };
        Ok((state, seen))
    }

    fn seen(&self) -> MutexGuard<'_, Option<Seen>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The compare-and-swap check before writing serial `next` of `state`: the files on disk
    /// must still be the ones this process last read or wrote, or hold this lineage at a serial
    /// below `next` (a first save in this process reads them to find out).
    fn check_unmoved(
        &self,
        seen: &Option<Seen>,
        state: &State,
        next: u64,
    ) -> Result<(), StateFileError> {
        let journal_path = self.journal_path();
        let now = (
            FileId::of(&self.path).map_err(|e| self.read_err(e))?,
            FileId::of(&journal_path).map_err(|source| StateFileError::Read {
                path: journal_path,
                source,
            })?,
        );
        let stored = match seen {
            Some(seen) if (seen.file, seen.journal) == now => seen.stored,
            _ if now == (None, None) => None,
            // Someone else wrote (or this process never read): what do the files hold now?
            _ => self.read()?.1.stored,
        };
        match stored {
            Some((lineage, serial)) if lineage != state.lineage || serial >= next => {
                Err(StateFileError::Moved {
                    path: self.path.clone(),
                    stored: serial,
                    writing: next,
                    other_lineage: lineage != state.lineage,
                })
            }
            _ => Ok(()),
        }
    }

    fn next_serial(&self, state: &State) -> Result<u64, StateFileError> {
        state
            .next_serial()
            .map_err(|source| StateFileError::Serial {
                path: self.path.clone(),
                source,
            })
    }

    /// Writes `state` atomically with `serial` incremented, keeping the previous file as the
    /// backup. On error the previous file is untouched and `state.serial` is unchanged.
    pub fn save(&self, state: &mut State) -> Result<(), StateFileError> {
        self.write_full(state, true)
    }

    /// Saves `state` whatever the file holds (another lineage, a newer serial), with a serial
    /// above both: `state push --force`.
    pub fn overwrite(&self, state: &mut State) -> Result<(), StateFileError> {
        self.check_usable()?;
        let stored = match self.read() {
            Ok((_, seen)) => seen.stored.map_or(0, |(_, serial)| serial),
            Err(_) => 0,
        };
        state.serial = state.serial.max(stored);
        self.write_full(state, false)
    }

    fn write_full(&self, state: &mut State, check: bool) -> Result<(), StateFileError> {
        self.check_usable()?;
        let mut next = self.next_serial(state)?;
        let mut doc = {
            let old = std::mem::replace(&mut state.serial, next);
            let doc = state.to_json();
            state.serial = old;
            doc
        };
        self.sealer
            .close(&mut doc)
            .map_err(|source| StateFileError::Seal {
                path: self.path.clone(),
                source,
            })?;
        // When this save changed the envelope (encrypted a plaintext state, or sealed the state
        // key to a new passphrase or recipients), the previous version must not survive as the
        // backup or the journal: they hold the secrets in plaintext or under the old key.
        let new_envelope = self.sealer.take_envelope_changed();
        let mut bytes = serde_json::to_vec_pretty(&doc).expect("a JSON value always serialises");
        bytes.push(b'\n');
        let mut writer = self.writer();
        let mut seen = self.seen();
        if check {
            self.check_unmoved(&seen, state, next)?;
        }
        let write_err = |source| StateFileError::Write {
            path: self.path.clone(),
            source,
        };
        let dir = self.ensure_folder().map_err(write_err)?;
        let had_file = self.path.exists();
        crate::atomic_file::replace(&self.path, &bytes, 0o600, || {
            if had_file && !new_envelope {
                self.refresh_backup(&dir)
            } else {
                Ok(())
            }
        })
        .map_err(write_err)?;
        std::mem::swap(&mut state.serial, &mut next);
        if new_envelope {
            // The backup is this very version; the plaintext (or old-key) one is gone.
            self.refresh_backup(&dir)
                .map_err(|source| StateFileError::Write {
                    path: self.backup_path(),
                    source,
                })?;
            journal::remove(&self.journal_path()).map_err(|source| StateFileError::Write {
                path: self.journal_path(),
                source,
            })?;
        } else if let Err(e) = journal::remove(&self.journal_path()) {
            // Harmless: every line in it is now older than the file, so loading skips them.
            tracing::warn!(error = %e, "could not remove the state journal after a full save");
        }
        writer.based_on(journal::Persisted {
            addresses: state.resources.keys().cloned().collect(),
            intents: state.pending.iter().map(|i| i.id).collect(),
        });
        *seen = Some(Seen {
            file: FileId::of(&self.path).ok().flatten(),
            journal: FileId::of(&self.journal_path()).ok().flatten(),
            stored: Some((state.lineage, state.serial)),
        });
        Ok(())
    }

    fn writer(&self) -> MutexGuard<'_, journal::Writer> {
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Points `<file>.backup` at the current file (a hard link made under a temporary name and
    /// renamed into place, so the backup is never half-written).
    fn refresh_backup(&self, dir: &Path) -> io::Result<()> {
        let link = dir.join(format!(".tailform-backup-{}.tmp", std::process::id()));
        let _ = fs::remove_file(&link);
        fs::hard_link(&self.path, &link)?;
        fs::rename(&link, self.backup_path())
    }

    /// Creates the state folder (mode 0700, with a `.gitignore` of `*`) when it does not exist;
    /// returns it. Everything that writes next to the state (lock, emulator data) calls this
    /// first, so the folder tailform creates always carries its `.gitignore`. A folder that
    /// already exists is left as it is (it may be the user's repository).
    pub fn ensure_folder(&self) -> io::Result<PathBuf> {
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
            let mut ignore = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .open(dir.join(".gitignore"))?;
            ignore.write_all(b"# tailform state holds one-time secrets: never commit it.\n*\n")?;
            ignore.sync_all()?;
        }
        Ok(dir)
    }

    fn check_permissions(&self) -> Result<(), StateFileError> {
        if self.allow_insecure_permissions {
            return Ok(());
        }
        let meta = fs::metadata(&self.path).map_err(|e| self.read_err(e))?;
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StateFileError::InsecurePermissions {
                path: self.path.clone(),
                mode,
            });
        }
        Ok(())
    }

    fn read_err(&self, source: io::Error) -> StateFileError {
        StateFileError::Read {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests;

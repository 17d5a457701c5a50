//! The state file's journal (`<file>.journal`): how apply saves each result in well under a
//! millisecond instead of rewriting a multi-megabyte file, without weakening DESIGN §7.
//!
//! Between two full saves, a save that changes only a few records (what apply's walker does after
//! every step) appends one line to the journal and `fdatasync`s it before returning, so a
//! one-time secret is on disk before the next action starts, exactly as with a full save. The
//! state file itself is still only ever replaced atomically; the journal is append-only and is
//! removed by the next full save (apply ends with one).
//!
//! A line is `<sha256 hex of the JSON> <JSON>\n`; the JSON is a partial state document:
//! `{"version", "lineage", "serial", "resources": {changed records}, "removed": [addresses],
//! "pending": {"added": [intents], "removed": [intent ids]}}`, with its secrets sealed exactly
//! like the file's (encryption at rest holds for the journal too), plus the `encryption` header
//! when the state is encrypted. `pending` carries only what changed, so a line stays small
//! however many creates are in flight (it once repeated the whole list, about 3 KB a line
//! during a large recovery); it is left out when no intent changed. Replay drops the removed
//! intents and appends the added ones; when that would not give the list's order, the line
//! holds the whole list instead (`"pending": [intents]`, which is also how journals written
//! before this format read, and still replay). A previous tailform that meets an `added`/
//! `removed` object fails to read the state rather than silently dropping intents.
//! Loading replays the lines onto the file's document, in serial order, before secrets are
//! opened. Lines whose serial the file already has are skipped (a full save that was not
//! followed by the journal's removal); a torn or unverifiable last line is ignored (its save never
//! returned, so nothing depended on it — the intent saved before its create still lets the next
//! plan revoke that orphan); anything else that does not fit is an error naming the line, never a
//! silent loss.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::address::Address;

use super::intent::Intent;
use super::sibling::sibling;

/// Above this size the next save is a full one (which removes the journal), so loading never
/// replays more than a few megabytes.
const COMPACT_BYTES: u64 = 8 * 1024 * 1024;

/// Why the journal cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A line before the last does not match its checksum.
    #[error(
        "line {line} is damaged (its checksum does not match); nothing was loaded — the state \
         file and its backup are intact, and later lines cannot be trusted"
    )]
    Damaged {
        /// 1-based line number.
        line: usize,
    },
    /// A line belongs to another state.
    #[error(
        "line {line} belongs to another state (lineage {found}, the state file has {expected})"
    )]
    Lineage {
        /// 1-based line number.
        line: usize,
        /// The line's lineage.
        found: String,
        /// The state file's.
        expected: String,
    },
    /// Lines are missing between the file and this line.
    #[error(
        "line {line} has serial {found} but serial {expected} was expected (lines are missing)"
    )]
    Gap {
        /// 1-based line number.
        line: usize,
        /// The line's serial.
        found: u64,
        /// The serial that should come next.
        expected: u64,
    },
    /// A verified line is not a journal entry.
    #[error("line {line} is not a journal entry: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// There is a journal but no state file for it to apply to.
    #[error("there is a journal but no state file for it to apply to")]
    Orphaned,
}

/// `<state file>.journal`.
pub(super) fn path_for(state: &Path) -> PathBuf {
    sibling(state, ".journal")
}

/// Replays the journal's lines onto the state file's document `doc` (secrets still sealed).
/// Returns how many lines were applied.
pub(super) fn replay(doc: &mut Value, bytes: &[u8]) -> Result<usize, JournalError> {
    let mut lines: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
    // What follows the last newline is a torn append (or nothing).
    lines.pop();
    let mut applied = 0;
    let last = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        let number = i + 1;
        let Some(entry) = verified(line) else {
            if number == last {
                tracing::warn!(
                    line = number,
                    "ignoring the journal's unverifiable last line"
                );
                break;
            }
            return Err(JournalError::Damaged { line: number });
        };
        let entry: Value = serde_json::from_slice(entry).map_err(|e| JournalError::Malformed {
            line: number,
            reason: e.to_string(),
        })?;
        if apply_entry(doc, entry, number)? {
            applied += 1;
        }
    }
    Ok(applied)
}

/// The JSON of a line whose checksum matches.
fn verified(line: &[u8]) -> Option<&[u8]> {
    let (digest, json) = (line.get(..64)?, line.get(65..)?);
    if line[64] != b' ' {
        return None;
    }
    let actual = hex::encode(Sha256::digest(json));
    (actual.as_bytes() == digest).then_some(json)
}

/// Merges one entry; false when the document already has its serial.
fn apply_entry(doc: &mut Value, mut entry: Value, line: usize) -> Result<bool, JournalError> {
    let malformed = |reason: &str| JournalError::Malformed {
        line,
        reason: reason.to_owned(),
    };
    let serial = entry["serial"]
        .as_u64()
        .ok_or_else(|| malformed("no serial"))?;
    let have = doc["serial"].as_u64().unwrap_or(0);
    let lineage = entry["lineage"].as_str().unwrap_or_default();
    let expected = doc["lineage"].as_str().unwrap_or_default();
    if lineage != expected {
        return Err(JournalError::Lineage {
            line,
            found: lineage.to_owned(),
            expected: expected.to_owned(),
        });
    }
    if serial <= have {
        return Ok(false);
    }
    if serial != have + 1 {
        return Err(JournalError::Gap {
            line,
            found: serial,
            expected: have + 1,
        });
    }
    let entry = entry
        .as_object_mut()
        .ok_or_else(|| malformed("not an object"))?;
    let target = doc
        .as_object_mut()
        .ok_or_else(|| malformed("the state file is not an object"))?;
    let resources = target
        .entry("resources")
        .or_insert_with(|| Value::Object(Default::default()))
        .as_object_mut()
        .ok_or_else(|| malformed("the state file's resources are not an object"))?;
    if let Some(Value::Object(changed)) = entry.remove("resources") {
        resources.extend(changed);
    }
    if let Some(Value::Array(removed)) = entry.remove("removed") {
        for address in removed {
            let address = address
                .as_str()
                .ok_or_else(|| malformed("a removed address is not a string"))?;
            resources.remove(address);
        }
    }
    match entry.remove("pending") {
        None => {}
        // The whole list (lines written before intents were journaled as changes, or a change
        // that a delta cannot express).
        Some(list @ Value::Array(_)) => {
            target.insert("pending".into(), list);
        }
        Some(Value::Object(mut change)) => {
            let pending = target
                .entry("pending")
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
                .ok_or_else(|| malformed("the state's pending intents are not a list"))?;
            apply_pending_change(pending, &mut change).map_err(|reason| malformed(&reason))?;
        }
        Some(_) => return Err(malformed("`pending` is neither a list nor a change")),
    }
    if let Some(value) = entry.remove("encryption") {
        target.insert("encryption".into(), value);
    }
    target.insert("serial".into(), Value::from(serial));
    Ok(true)
}

/// Applies `{"added": [intents], "removed": [ids]}` to the pending list: the removed intents
/// go, the added ones are appended in order. An id removed that is not pending, or added that
/// already is, means the line was not written after the state it is replayed onto: an error.
fn apply_pending_change(
    pending: &mut Vec<Value>,
    change: &mut serde_json::Map<String, Value>,
) -> Result<(), String> {
    let id_of = |intent: &Value| intent["id"].as_str().map(str::to_owned);
    if let Some(removed) = change.remove("removed") {
        let Value::Array(removed) = removed else {
            return Err("the removed intents are not a list".into());
        };
        let mut gone = BTreeSet::new();
        for id in &removed {
            let id = id.as_str().ok_or("a removed intent id is not a string")?;
            gone.insert(id.to_owned());
        }
        let before = pending.len();
        pending.retain(|i| id_of(i).is_none_or(|id| !gone.contains(&id)));
        if before - pending.len() != gone.len() {
            return Err("it removes an intent that is not pending".into());
        }
    }
    if let Some(added) = change.remove("added") {
        let Value::Array(added) = added else {
            return Err("the added intents are not a list".into());
        };
        let mut have: BTreeSet<String> = pending.iter().filter_map(id_of).collect();
        for intent in added {
            let id = id_of(&intent).ok_or("an added intent has no id")?;
            if !have.insert(id) {
                return Err("it adds an intent that is already pending".into());
            }
            pending.push(intent);
        }
    }
    Ok(())
}

/// The `pending` field of a line for a state whose intents are `pending`, when the file and
/// journal hold `persisted` (their ids, in order): `None` when nothing changed, the added and
/// removed intents when replay gives back `pending`'s order, else the whole list.
pub(super) fn pending_change(persisted: &[Uuid], pending: &[Intent]) -> Option<Value> {
    let before: BTreeSet<&Uuid> = persisted.iter().collect();
    let now: BTreeSet<&Uuid> = pending.iter().map(|i| &i.id).collect();
    let removed: Vec<&Uuid> = persisted.iter().filter(|id| !now.contains(id)).collect();
    let added: Vec<&Intent> = pending.iter().filter(|i| !before.contains(&i.id)).collect();
    let replayed = persisted
        .iter()
        .filter(|id| now.contains(id))
        .chain(added.iter().map(|i| &i.id));
    // Replay appends after the survivors, and identifies intents by id.
    let expressible = now.len() == pending.len() && replayed.eq(pending.iter().map(|i| &i.id));
    if !expressible {
        return Some(serde_json::to_value(pending).expect("intents serialise to JSON"));
    }
    if removed.is_empty() && added.is_empty() {
        return None;
    }
    Some(serde_json::json!({ "added": added, "removed": removed }))
}

/// One line for `entry` (a sealed partial document).
pub(super) fn line(entry: &Value) -> Vec<u8> {
    let json = serde_json::to_vec(entry).expect("a JSON value always serialises");
    let mut line = Vec::with_capacity(json.len() + 66);
    line.extend_from_slice(hex::encode(Sha256::digest(&json)).as_bytes());
    line.push(b' ');
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

/// What the file plus journal hold, as far as the next line needs to know.
#[derive(Debug, Default)]
pub(super) struct Persisted {
    /// The addresses that have a record.
    pub(super) addresses: BTreeSet<Address>,
    /// The pending intents' ids, in order.
    pub(super) intents: Vec<Uuid>,
}

/// The appending side, shared by the clones of one `StateFile`.
#[derive(Debug, Default)]
pub(super) struct Writer {
    /// What the file plus journal hold, once this process made a full save (`None`: the next
    /// save must be a full one).
    persisted: Option<Persisted>,
    file: Option<File>,
    len: u64,
}

impl Writer {
    /// After a full save of `persisted` (the journal file was removed).
    pub(super) fn based_on(&mut self, persisted: Persisted) {
        *self = Writer {
            persisted: Some(persisted),
            file: None,
            len: 0,
        };
    }

    /// What is persisted, when an append may follow (`None`: save in full).
    pub(super) fn persisted(&self) -> Option<&Persisted> {
        self.persisted.as_ref().filter(|_| self.len < COMPACT_BYTES)
    }

    /// True when lines were appended since the last full save.
    pub(super) fn has_lines(&self) -> bool {
        self.len > 0
    }

    /// Appends `line` durably, then lets `persisted` update what is persisted. On error the
    /// journal is cut back to its previous length (best effort) and the next save is a full
    /// one.
    pub(super) fn append(
        &mut self,
        path: &Path,
        line: &[u8],
        persisted: impl FnOnce(&mut Persisted),
    ) -> io::Result<()> {
        let result = self.write(path, line);
        match result {
            Ok(()) => {
                self.len += line.len() as u64;
                if let Some(p) = self.persisted.as_mut() {
                    persisted(p);
                }
            }
            Err(_) => {
                if let Some(f) = &self.file {
                    let _ = f.set_len(self.len);
                }
                self.persisted = None;
            }
        }
        result
    }

    fn write(&mut self, path: &Path, line: &[u8]) -> io::Result<()> {
        if self.file.is_none() {
            let file = OpenOptions::new()
                .create(true)
                .write(true)
                .truncate(true)
                .mode(0o600)
                .open(path)?;
            // The new name must survive a crash as surely as the line.
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            File::open(dir)?.sync_all()?;
            self.file = Some(file);
            self.len = 0;
        }
        let file = self.file.as_mut().expect("opened above");
        file.write_all(line)?;
        file.sync_data()
    }
}

/// Removes the journal after a full save made it redundant (its lines' serials are at most the
/// file's, so a removal lost in a crash is harmless).
pub(super) fn remove(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;

//! The journal save: [`StateFile::save_changes`] appends one fsynced line to `<file>.journal`
//! instead of rewriting the whole file, and [`StateFile::settle`] folds the journal back in.

use std::collections::BTreeSet;

use super::{FileId, StateFile, StateFileError};
use crate::address::{Address, ResourceKind};
use crate::state::document::State;
use crate::state::journal;

impl StateFile {
    /// Saves a state that differs from the last save only in `pending` and in the records at
    /// `changed` (a tailnet's address stands for all of its records; records added or removed
    /// elsewhere are found by comparing addresses): one journal line, fsynced, instead of the
    /// whole file. The first save of a process, and a save after the journal grew past 8 MiB or
    /// failed, is a full [`StateFile::save`]. Same contract as `save`: `serial` incremented on
    /// success, unchanged on error.
    pub fn save_changes(
        &self,
        state: &mut State,
        changed: &[Address],
    ) -> Result<(), StateFileError> {
        let mut writer = self.writer();
        let Some(journal::Persisted {
            addresses: persisted,
            intents: persisted_intents,
        }) = writer.persisted()
        else {
            drop(writer);
            return self.save(state);
        };
        let mut touched: BTreeSet<&Address> = changed.iter().collect();
        let whole_tailnets: Vec<&Address> = changed
            .iter()
            .filter(|a| a.kind() == ResourceKind::Tailnet)
            .collect();
        // Records added or removed without being named: found by comparing addresses, a scan
        // done only when the count after the named changes differs from the state's, or a whole
        // tailnet changed (the walker names each change, so it normally never scans).
        let mut expected = persisted.len();
        for a in &touched {
            match (state.resources.contains_key(*a), persisted.contains(*a)) {
                (true, false) => expected += 1,
                (false, true) => expected -= 1,
                _ => {}
            }
        }
        if state.resources.len() != expected || !whole_tailnets.is_empty() {
            touched.extend(state.resources.keys().filter(|a| !persisted.contains(*a)));
            touched.extend(
                persisted
                    .iter()
                    .filter(|a| !state.resources.contains_key(*a)),
            );
        }
        for tailnet in whole_tailnets {
            touched.extend(
                state
                    .resources
                    .keys()
                    .filter(|a| a.tailnet == tailnet.tailnet),
            );
        }
        let touched: BTreeSet<Address> = touched.into_iter().cloned().collect();
        let next = self.next_serial(state)?;
        let mut seen = self.seen();
        self.check_unmoved(&seen, state, next)?;
        let mut entry = state.partial_json(next, &touched);
        if let Some(pending) = journal::pending_change(persisted_intents, &state.pending) {
            entry["pending"] = pending;
        }
        self.sealer
            .close(&mut entry)
            .map_err(|source| StateFileError::Seal {
                path: self.path.clone(),
                source,
            })?;
        let line = journal::line(&entry);
        let (added, removed): (Vec<Address>, Vec<Address>) = touched
            .into_iter()
            .partition(|a| state.resources.contains_key(a));
        writer
            .append(&self.journal_path(), &line, |persisted| {
                persisted.addresses.extend(added);
                for a in &removed {
                    persisted.addresses.remove(a);
                }
                persisted.intents = state.pending.iter().map(|i| i.id).collect();
            })
            .map_err(|source| StateFileError::Write {
                path: self.journal_path(),
                source,
            })?;
        state.serial = next;
        if let Some(seen) = seen.as_mut() {
            seen.journal = FileId::of(&self.journal_path()).ok().flatten();
            seen.stored = Some((state.lineage, state.serial));
        }
        drop(seen);
        drop(writer);
        #[cfg(debug_assertions)]
        self.check_replay(state);
        Ok(())
    }

    /// Debug builds (every test of the binary) check after each journal line that loading
    /// gives back exactly the state in memory: a change the caller did not name would show here.
    #[cfg(debug_assertions)]
    fn check_replay(&self, state: &State) {
        if self.sealer.is_encrypted() {
            return;
        }
        let fresh = StateFile::new(&self.path).allow_insecure_permissions(true);
        match fresh.load() {
            Ok(loaded) => assert!(
                loaded == *state,
                "the state journal does not replay to the state in memory"
            ),
            Err(e) => panic!("the state journal does not load: {e}"),
        }
    }

    /// Folds the journal into the file (a full save) when lines were appended since the last
    /// one; apply calls this when its walk ends.
    pub fn settle(&self, state: &mut State) -> Result<(), StateFileError> {
        if self.writer().has_lines() {
            self.save(state)?;
        }
        Ok(())
    }
}

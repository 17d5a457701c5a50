//! `Shared`: the state every request handler sees — the store behind one read-write lock (reads,
//! such as the key lists of a refresh, run side by side), the optional data file, the
//! organization's tailnet cap, the fault injector, the request statistics, when each OAuth client
//! was created (for the propagation delay) and the request-id counter.
//!
//! [`Shared::write`] is the one place a mutation commits: it runs the change under the lock and,
//! when the change succeeded and `--data` is set, saves the whole store before the lock is
//! released (so the file always reflects the order of commits). No lock is held across `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Instant;

use jiff::Timestamp;

use super::api_error::ApiError;
use super::faults::Faults;
use super::persist::DataFile;
use super::stats::Stats;
use super::store::Store;

/// Everything the handlers share.
#[derive(Debug)]
pub(crate) struct Shared {
    store: RwLock<Store>,
    data: Option<DataFile>,
    /// The organization's tailnet cap, the original tailnet included.
    pub max_tailnets: usize,
    faults: Mutex<Faults>,
    stats: Mutex<Stats>,
    /// When each OAuth client was created, on the machine's monotonic clock (for the
    /// propagation delay; not saved: after a restart every credential has propagated).
    created_clients: Mutex<HashMap<String, Instant>>,
    /// The last `x-tailscale-request-id` handed out.
    request_ids: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Wraps a store.
    pub fn new(store: Store, data: Option<DataFile>, max_tailnets: usize) -> Self {
        Self {
            store: RwLock::new(store),
            data,
            max_tailnets,
            faults: Mutex::new(Faults::default()),
            stats: Mutex::new(Stats::default()),
            created_clients: Mutex::new(HashMap::new()),
            request_ids: AtomicU64::new(0),
        }
    }

    /// Records that the OAuth client `id` was just created (its propagation starts now).
    pub fn client_created(&self, id: &str) {
        lock(&self.created_clients).insert(id.to_owned(), Instant::now());
    }

    /// When the OAuth client `id` was created by this process, if it was.
    pub fn client_created_at(&self, id: &str) -> Option<Instant> {
        lock(&self.created_clients).get(id).copied()
    }

    /// A fresh `x-tailscale-request-id`.
    pub fn next_request_id(&self) -> String {
        let n = self.request_ids.fetch_add(1, Ordering::Relaxed) + 1;
        format!("emu{n:013}")
    }

    /// The emulator's "now".
    pub fn now(&self) -> Timestamp {
        read(&self.store).now()
    }

    /// Runs a read-only `f` with the store and "now".
    pub fn read<T>(&self, f: impl FnOnce(&Store, Timestamp) -> T) -> T {
        let store = read(&self.store);
        let now = store.now();
        f(&store, now)
    }

    /// Runs a mutation; on success it is committed (saved to the data file when there is one).
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Store, Timestamp) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut store = write(&self.store);
        let now = store.now();
        store.purge(now);
        let out = f(&mut store, now)?;
        if let Some(data) = &self.data {
            data.save(&store).map_err(|e| {
                ApiError::internal(format!(
                    "the emulator could not save its data file `{}`: {e}",
                    data.path().display()
                ))
            })?;
        }
        Ok(out)
    }

    /// Saves the store now (at shutdown).
    pub fn flush(&self) -> Option<(std::path::PathBuf, std::io::Result<()>)> {
        let store = read(&self.store);
        self.data
            .as_ref()
            .map(|data| (data.path().to_path_buf(), data.save(&store)))
    }

    /// The fault injector.
    pub fn faults(&self) -> MutexGuard<'_, Faults> {
        lock(&self.faults)
    }

    /// The request statistics.
    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }
}

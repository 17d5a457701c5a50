//! `Holder`: which process recorded an intent — host, pid and the process's start time — so that
//! a later run can tell an intent left by a run that died (recover it: revoke its orphan) from
//! one whose create is still in flight in another live run (wait: recovering it now would clear
//! or duplicate a create that is about to land). Runs hold the state lock, so this only matters
//! when the lock was removed by hand or bypassed; it is the last guard of "never two live
//! objects for one address".
//!
//! The start time (`/proc/<pid>/stat`, field 22) tells a live holder from a new process that
//! reused its pid. Another host's holder cannot be checked and counts as gone (a state file is
//! local to its host; the PostgreSQL backend's lock cannot be bypassed).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The process that recorded an intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holder {
    /// Host name.
    pub host: String,
    /// Process id.
    pub pid: u32,
    /// The process's start time in clock ticks after boot (0 when unknown).
    #[serde(default)]
    pub start: u64,
}

impl Holder {
    /// This process.
    pub fn current() -> Holder {
        static CURRENT: OnceLock<Holder> = OnceLock::new();
        CURRENT
            .get_or_init(|| {
                let pid = std::process::id();
                Holder {
                    host: gethostname::gethostname().to_string_lossy().into_owned(),
                    pid,
                    start: start_ticks(pid).unwrap_or(0),
                }
            })
            .clone()
    }

    /// True when this holder is another process that is still running on this host.
    pub fn is_another_live_process(&self) -> bool {
        let me = Holder::current();
        self.host == me.host
            && self.pid != me.pid
            && start_ticks(self.pid).is_some_and(|start| self.start == 0 || start == self.start)
    }
}

/// Field 22 of `/proc/<pid>/stat` (the process's start time), `None` when there is no such
/// process.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_not_another_and_a_live_child_is() {
        let me = Holder::current();
        assert!(me.start > 0);
        assert!(!me.is_another_live_process());
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let live = Holder {
            pid: child.id(),
            start: start_ticks(child.id()).unwrap(),
            ..me.clone()
        };
        assert!(live.is_another_live_process());
        let reused = Holder {
            start: live.start + 1,
            ..live.clone()
        };
        assert!(
            !reused.is_another_live_process(),
            "a reused pid is not the holder"
        );
        let elsewhere = Holder {
            host: format!("{}-elsewhere", me.host),
            ..live.clone()
        };
        assert!(!elsewhere.is_another_live_process());
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(!live.is_another_live_process(), "a finished holder is gone");
    }
}

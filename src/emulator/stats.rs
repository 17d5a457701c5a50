//! Request statistics for `/api/v2` (what tests use to prove order and count): a total, counts
//! per route template and status, and a log of the last 10,000 requests. `/_emulator/*` is never
//! counted, except the stand-in for GitHub Actions' token endpoint (`oidc`), which logs itself.
//!
//! Decisions: `seq` keeps increasing across `POST /_emulator/stats/reset` (so a harness can tell
//! two runs apart); `path` is the request path without the query; a path that matches no route
//! (404) is not counted, a known path with a wrong method (405) is counted under its literal
//! path; a dropped response is logged with the status that would have been sent plus
//! `"dropped": true`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::audit::{Audit, AuditRecord};
use super::state::Shared;

/// How many requests the log keeps.
pub(crate) const LOG_CAPACITY: usize = 10_000;

/// Counters and the log.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    total: u64,
    by_endpoint: BTreeMap<String, BTreeMap<String, u64>>,
    log: VecDeque<LogEntry>,
    last_seq: u64,
}

/// One logged request.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LogEntry {
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub tailnet: Option<String>,
    pub key_id: Option<String>,
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dropped: bool,
}

/// `GET /_emulator/stats`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatsOut<'a> {
    pub total: u64,
    pub by_endpoint: &'a BTreeMap<String, BTreeMap<String, u64>>,
    pub log: &'a VecDeque<LogEntry>,
}

/// One finished request, as the stats layer saw it.
pub(crate) struct Finished {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub audit: AuditRecord,
}

impl Stats {
    /// Counts and logs one request.
    pub fn record(&mut self, done: Finished) {
        self.total += 1;
        self.last_seq += 1;
        let route = done.audit.route.as_deref().unwrap_or(&done.path);
        let endpoint = format!("{} {route}", done.method);
        *self
            .by_endpoint
            .entry(endpoint)
            .or_default()
            .entry(done.status.to_string())
            .or_default() += 1;
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogEntry {
            seq: self.last_seq,
            method: done.method,
            path: done.path,
            status: done.status,
            tailnet: done.audit.tailnet,
            key_id: done.audit.key_id,
            client_id: done.audit.client_id,
            dropped: done.audit.dropped,
        });
    }

    /// Clears counters and log (not the sequence).
    pub fn reset(&mut self) {
        self.total = 0;
        self.by_endpoint.clear();
        self.log.clear();
    }

    /// The JSON view.
    pub fn view(&self) -> StatsOut<'_> {
        StatsOut {
            total: self.total,
            by_endpoint: &self.by_endpoint,
            log: &self.log,
        }
    }
}

/// The outer layer on `/api/v2`: gives the request an [`Audit`] slot and records the outcome.
pub(crate) async fn observe(
    State(shared): State<Arc<Shared>>,
    mut req: Request,
    next: Next,
) -> Response {
    let audit = Audit::default();
    req.extensions_mut().insert(audit.clone());
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let response = next.run(req).await;
    shared.stats().record(Finished {
        method,
        path,
        status: response.status().as_u16(),
        audit: audit.snapshot(),
    });
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(status: u16) -> Finished {
        Finished {
            method: "GET".into(),
            path: "/api/v2/tailnet/-/keys".into(),
            status,
            audit: AuditRecord {
                route: Some("/api/v2/tailnet/{tailnet}/keys".into()),
                ..AuditRecord::default()
            },
        }
    }

    #[test]
    fn log_is_bounded_and_seq_survives_reset() {
        let mut stats = Stats::default();
        for _ in 0..LOG_CAPACITY + 5 {
            stats.record(finished(200));
        }
        stats.record(finished(429));
        let view = stats.view();
        assert_eq!(view.total, (LOG_CAPACITY + 6) as u64);
        assert_eq!(view.log.len(), LOG_CAPACITY);
        assert_eq!(view.log.front().map(|e| e.seq), Some(7));
        let counts = &view.by_endpoint["GET /api/v2/tailnet/{tailnet}/keys"];
        assert_eq!(counts["429"], 1);
        stats.reset();
        stats.record(finished(200));
        assert_eq!(stats.view().log[0].seq, (LOG_CAPACITY + 7) as u64);
    }
}

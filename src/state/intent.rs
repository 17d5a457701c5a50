//! `Intent`: a create tailform is about to send, recorded in the state before the request so
//! that after a crash the next plan can find the object the API created but the state never
//! recorded (DESIGN §7 `pending`, §12).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::holder::Holder;
use crate::address::Address;

/// A create in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// Unique id of this intent.
    pub id: Uuid,
    /// The address being created.
    pub address: Address,
    /// The tailnet id the object is created in (`None` when it is a tailnet itself, or when the
    /// tailnet is being created in the same apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tailnet_id: Option<String>,
    /// What identifies the object among live ones (display name, description, tags, …), as the
    /// request sent it.
    pub fingerprint: serde_json::Value,
    /// When the request was about to be sent (server clock when known).
    pub started: Timestamp,
    /// The process that recorded it (absent in states written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
}

impl Intent {
    /// True when the run that recorded this intent is still alive (another process on this
    /// host): its create may still land, so no other run may recover it yet.
    pub fn in_flight_elsewhere(&self) -> bool {
        self.holder
            .as_ref()
            .is_some_and(Holder::is_another_live_process)
    }
}

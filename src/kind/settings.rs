//! `tailscale_settings`: the tailnet settings a manifest sets. Always there (never created or
//! deleted); only the fields written are compared and changed.

use super::{KindSpec, ResourceKind};

/// The settings' table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::Settings,
    segment: "settings",
    named: false,
    type_name: "tailscale_settings",
    described: "the tailnet settings",
    after_apply: &[],
    previous_deleted: "will be deleted",
};

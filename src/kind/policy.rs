//! `tailscale_policy`: the part of a tailnet's policy file tailform manages (one per tailnet,
//! updated in place, never created or deleted through the API).

use super::{KindSpec, ResourceKind};

/// The policy's table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::Policy,
    segment: "policy",
    named: false,
    type_name: "tailscale_policy",
    described: "a policy",
    after_apply: &[],
    previous_deleted: "will be revoked",
};

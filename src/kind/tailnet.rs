//! `tailscale_tailnet`: a tailnet tailform creates (or references). Its address is the prefix
//! of every other kind's.

use super::{AfterApply, KindSpec, ResourceKind};

/// The tailnet's table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::Tailnet,
    segment: "tailnet",
    named: false,
    type_name: "tailscale_tailnet",
    described: "a tailnet",
    after_apply: &[AfterApply::Id, AfterApply::Secret],
    previous_deleted: "will be deleted",
};

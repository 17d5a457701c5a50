//! `tailscale_webhook`: a webhook endpoint of a tailnet. Its signing secret is shown once, on
//! create and on every rotation (which keeps the id).

use super::{AfterApply, KindSpec, ResourceKind};

/// The webhook's table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::Webhook,
    segment: "webhook",
    named: true,
    type_name: "tailscale_webhook",
    described: "a webhook",
    after_apply: &[AfterApply::Id, AfterApply::Secret],
    previous_deleted: "will be deleted",
};

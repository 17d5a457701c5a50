//! `tailscale_auth_key`: an auth key of a tailnet (immutable: any change is a replace; its
//! secret is shown once and it expires).

use super::{AfterApply, KindSpec, ResourceKind};

/// The auth key's table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::AuthKey,
    segment: "auth_key",
    named: true,
    type_name: "tailscale_auth_key",
    described: "an auth key",
    after_apply: &[AfterApply::Id, AfterApply::Secret, AfterApply::Expires],
    previous_deleted: "will be revoked",
};

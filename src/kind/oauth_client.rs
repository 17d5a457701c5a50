//! `tailscale_oauth_client`: an OAuth client of a tailnet (its secret is shown once).

use super::{AfterApply, KindSpec, ResourceKind};

/// The OAuth client's table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::OAuthClient,
    segment: "oauth_client",
    named: true,
    type_name: "tailscale_oauth_client",
    described: "an OAuth client",
    after_apply: &[AfterApply::Id, AfterApply::Secret],
    previous_deleted: "will be revoked",
};

//! `tailscale_federated_identity`: a federated identity (trust credential) of a tailnet. It has no
//! secret; the API generates its audience when the manifest sets none.

use super::{AfterApply, KindSpec, ResourceKind};

/// The federated identity's table.
pub(super) static SPEC: KindSpec = KindSpec {
    kind: ResourceKind::FederatedIdentity,
    segment: "federated_identity",
    named: true,
    type_name: "tailscale_federated_identity",
    described: "a federated identity",
    after_apply: &[AfterApply::Id, AfterApply::Audience],
    previous_deleted: "will be deleted",
};

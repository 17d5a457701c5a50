//! `Reason`: why a change was chosen — for display only (text, JSON `action_reason`). Apply never
//! reads it (Terraform's rule): what apply does is decided by the plan's steps.

use jiff::Timestamp;
use serde::Serialize;

/// Why an action was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// An attribute the API cannot change in place differs.
    CannotUpdate,
    /// The key expires within its rotation window.
    Expiring {
        /// When it expires.
        expires: Timestamp,
    },
    /// The live object is invalid (revoked, expired or a used one-off key).
    Invalid,
    /// The live object is gone (404 / no longer listed).
    Missing,
    /// `--replace ADDR`.
    ByRequest,
    /// The tailnet it lives in is created again (deleted outside tailform, or replaced).
    TailnetRecreated,
    /// The address is no longer in the manifests.
    NoConfig,
    /// A previous object kept after a replace, now revoked.
    Deposed,
    /// Created by an interrupted apply but never recorded.
    Orphan,
    /// An interrupted create whose object the API never created.
    Interrupted,
    /// A `deliver:` sink does not have the current secret yet.
    DeliveryPending,
    /// Changed outside tailform since the last apply.
    Drift,
    /// The manifest no longer manages it (e.g. the `policy` block was removed).
    NoLongerManaged,
    /// A webhook's secret is older than its `rotateEvery`.
    RotationDue {
        /// When the current secret was issued.
        since: Timestamp,
    },
    /// `--replace ADDR` of a webhook: its secret is rotated (the webhook stays).
    RotationRequested,
    /// A webhook's rotation was interrupted: the secret in the state may no longer verify.
    RotationInterrupted,
}

impl Reason {
    /// The Terraform-style `action_reason` string.
    pub fn json_name(&self) -> &'static str {
        match self {
            Reason::CannotUpdate => "replace_because_cannot_update",
            Reason::Expiring { .. } => "replace_because_expiring",
            Reason::Invalid => "replace_because_invalid",
            Reason::Missing => "replace_because_missing",
            Reason::ByRequest => "replace_by_request",
            Reason::TailnetRecreated => "replace_because_tailnet_recreated",
            Reason::NoConfig => "delete_because_no_resource_config",
            Reason::Deposed => "delete_because_deposed",
            Reason::Orphan => "delete_because_orphan_from_interrupted_apply",
            Reason::Interrupted => "forget_because_interrupted_create_not_found",
            Reason::DeliveryPending => "update_because_delivery_pending",
            Reason::Drift => "update_because_changed_outside",
            Reason::NoLongerManaged => "forget_because_no_longer_managed",
            Reason::RotationDue { .. } => "update_because_rotation_due",
            Reason::RotationInterrupted => "update_because_rotation_interrupted",
            Reason::RotationRequested => "update_because_rotation_requested",
        }
    }

    /// The reason in words, for the text and Markdown plans.
    pub fn describe(&self) -> String {
        match self {
            Reason::CannotUpdate => "attributes changed that the API cannot update".into(),
            Reason::Expiring { expires } => format!("rotation due: the key expires {expires}"),
            Reason::Invalid => "the live object is invalid (revoked, expired or used)".into(),
            Reason::Missing => "the live object no longer exists".into(),
            Reason::ByRequest => "replacement requested with --replace".into(),
            Reason::TailnetRecreated => "its tailnet is created again".into(),
            Reason::NoConfig => "no longer in the manifests".into(),
            Reason::Deposed => "previous object after a replacement".into(),
            Reason::Orphan => {
                "orphan from an interrupted apply: created, but its secret was never recorded"
                    .into()
            }
            Reason::Interrupted => "an interrupted create that never reached the API".into(),
            Reason::DeliveryPending => {
                "a deliver: sink does not have the current secret yet".into()
            }
            Reason::Drift => "changed outside tailform since the last apply".into(),
            Reason::NoLongerManaged => "no longer managed by the manifests".into(),
            Reason::RotationDue { since } => {
                format!("rotation due: the secret was issued {since} (rotateEvery)")
            }
            Reason::RotationRequested => "secret rotation requested with --replace".into(),
            Reason::RotationInterrupted => {
                "an interrupted rotation may have replaced the secret the state holds".into()
            }
        }
    }
}

//! `Step`: one API operation apply executes (or one state-only edit). Steps carry everything the
//! operation needs except secrets, which apply reads from the state when the step runs (so a
//! saved plan never holds one, and a step can use a credential created earlier in the same
//! apply).

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::model::Duration;
use crate::state::{
    ClientAttributes, IdentityAttributes, KeyAttributes, ManagedPolicy, WebhookAttributes,
};

/// One operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    /// `POST /organizations/-/tailnets`; a current record moves to `deposed` when `replacing`.
    CreateTailnet {
        /// `tailnet.<name>`.
        address: Address,
        /// Display name.
        display_name: String,
        /// `preventDestroy` to record.
        prevent_destroy: bool,
        /// Keep the current record as deposed (to delete after the new tailnet is populated).
        replacing: bool,
    },
    /// `DELETE /tailnet/{id}` for the current or a deposed tailnet.
    DeleteTailnet {
        /// `tailnet.<name>`.
        address: Address,
        /// Which object.
        target: Target,
    },
    /// `POST /tailnet/{id}/acl`.
    WritePolicy {
        /// `tailnet.<name>.policy`.
        address: Address,
        /// What to post.
        write: PolicyWrite,
        /// The managed part to record afterwards.
        managed: ManagedPolicy,
    },
    /// `POST /tailnet/{id}/keys` with `keyType: client`.
    CreateClient {
        /// The client's address.
        address: Address,
        /// What to create.
        attributes: ClientAttributes,
        /// Keep the current record as deposed (revoked by a later `DeleteClient`).
        depose_current: bool,
    },
    /// `PUT /tailnet/{id}/keys/{id}` (keeps the secret).
    UpdateClient {
        /// The client's address.
        address: Address,
        /// The new attributes.
        attributes: ClientAttributes,
    },
    /// `DELETE /tailnet/{id}/keys/{id}` for a client.
    DeleteClient {
        /// The client's address.
        address: Address,
        /// Which object.
        target: Target,
    },
    /// `POST /tailnet/{id}/keys` with `keyType: federated`.
    CreateIdentity {
        /// The identity's address.
        address: Address,
        /// What to create.
        attributes: IdentityAttributes,
        /// Keep the current record as deposed (deleted by a later `DeleteIdentity`).
        depose_current: bool,
    },
    /// `PUT /tailnet/{id}/keys/{id}` for a federated identity (full replacement).
    UpdateIdentity {
        /// The identity's address.
        address: Address,
        /// The new attributes.
        attributes: IdentityAttributes,
    },
    /// `DELETE /tailnet/{id}/keys/{id}` for a federated identity.
    DeleteIdentity {
        /// The identity's address.
        address: Address,
        /// Which object.
        target: Target,
    },
    /// `POST /tailnet/{id}/webhooks` (answers the signing secret).
    CreateWebhook {
        /// The webhook's address.
        address: Address,
        /// What to create.
        attributes: WebhookAttributes,
        /// Keep the current record as deposed (deleted by a later `DeleteWebhook`).
        depose_current: bool,
    },
    /// `PATCH /webhooks/{id}`: replaces the subscriptions.
    UpdateWebhook {
        /// The webhook's address.
        address: Address,
        /// The new subscriptions, sorted.
        subscriptions: Vec<String>,
    },
    /// `POST /webhooks/{id}/rotate`: a new signing secret; the old one stops at once.
    RotateWebhook {
        /// The webhook's address.
        address: Address,
    },
    /// `DELETE /webhooks/{id}`.
    DeleteWebhook {
        /// The webhook's address.
        address: Address,
        /// Which object.
        target: Target,
    },
    /// `POST /tailnet/{id}/keys` for an auth key (with the `createdBy` client's token when set).
    CreateKey {
        /// The key's address.
        address: Address,
        /// What to create.
        attributes: KeyAttributes,
        /// Keep the current record as deposed.
        depose_current: bool,
        /// With `depose_current`: keep the previous key valid this long before revoking it.
        keep_previous: Option<Duration>,
    },
    /// `DELETE /tailnet/{id}/keys/{id}` for an auth key.
    DeleteKey {
        /// The key's address.
        address: Address,
        /// Which object.
        target: Target,
    },
    /// Record tailform-only settings of a tracked tailnet (`preventDestroy`); no API call.
    RecordTailnet {
        /// `tailnet.<name>`.
        address: Address,
        /// The new `preventDestroy`.
        prevent_destroy: bool,
    },
    /// Record an existing tailnet the manifests reference (its id), so its members stay
    /// reachable after the manifests drop it; no API call.
    RecordExisting {
        /// `tailnet.<name>`.
        address: Address,
        /// The tailnet's id (`-`: the credentials' own).
        id: crate::model::TailnetRef,
    },
    /// `PATCH /tailnet/{id}/settings` with `patch` (no call when empty), then record `record`
    /// as the managed fields.
    WriteSettings {
        /// `tailnet.<name>.settings`.
        address: Address,
        /// The fields to change.
        patch: std::collections::BTreeMap<crate::model::Setting, crate::model::SettingValue>,
        /// The managed fields to record afterwards.
        record: std::collections::BTreeMap<crate::model::Setting, crate::model::SettingValue>,
    },
    /// Hand the address's current secret to a `deliver:` sink (a local file or command).
    Deliver {
        /// The client's or key's address.
        address: Address,
        /// Where to.
        sink: crate::deliver::Sink,
    },
    /// Drop a pending intent (an interrupted create) once its orphans, if any, are revoked; no
    /// API call.
    ClearIntent {
        /// The address the interrupted create was for.
        address: Address,
        /// The intent.
        intent: uuid::Uuid,
    },
    /// Record the expiry the API reports for a tracked auth key (`--refresh-only`); no API
    /// call.
    RecordExpiry {
        /// The key's address.
        address: Address,
        /// The live expiry.
        expires: jiff::Timestamp,
    },
    /// Drop a record (or one deposed entry) from the state; no API call.
    Forget {
        /// The address.
        address: Address,
        /// Which object.
        target: Target,
    },
}

/// Which object at an address a step concerns.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// The current object (its id as planned).
    Current(String),
    /// A deposed (previous) object.
    Deposed(String),
    /// An object an interrupted create left live but never recorded (its secret is lost).
    Orphan(String),
    /// The whole record (state-only steps).
    Record,
}

/// How a policy write is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum PolicyWrite {
    /// Post this HuJSON text with `If-Match: "<if_match>"` (the ETag read by the plan, or
    /// `ts-default` for a tailnet created in the same apply — which, should the API not count
    /// the new tailnet's policy as its untouched default and answer 412, is read once and posted
    /// again with its ETag).
    Text {
        /// The full policy text.
        text: String,
        /// Expected current ETag (`None`: the API sent none, so none is checked).
        if_match: Option<String>,
    },
    /// The live policy already matches: record the managed part and this ETag, post nothing.
    RecordOnly {
        /// The live ETag read by the plan.
        etag: Option<String>,
    },
    /// The tailnet is created by this apply: read its (default) policy when the step runs, set
    /// these `tagOwners` entries in it and post with `If-Match` set to the ETag just read (not
    /// `ts-default`, which may not match an API-only tailnet's first policy).
    MergeIntoDefault {
        /// Entries to set.
        tag_owners: std::collections::BTreeMap<String, Vec<String>>,
    },
}

impl Step {
    /// The address the step concerns.
    pub fn address(&self) -> &Address {
        match self {
            Step::CreateTailnet { address, .. }
            | Step::DeleteTailnet { address, .. }
            | Step::WritePolicy { address, .. }
            | Step::CreateClient { address, .. }
            | Step::UpdateClient { address, .. }
            | Step::DeleteClient { address, .. }
            | Step::CreateIdentity { address, .. }
            | Step::UpdateIdentity { address, .. }
            | Step::DeleteIdentity { address, .. }
            | Step::CreateWebhook { address, .. }
            | Step::UpdateWebhook { address, .. }
            | Step::RotateWebhook { address }
            | Step::DeleteWebhook { address, .. }
            | Step::CreateKey { address, .. }
            | Step::DeleteKey { address, .. }
            | Step::RecordTailnet { address, .. }
            | Step::RecordExisting { address, .. }
            | Step::WriteSettings { address, .. }
            | Step::Deliver { address, .. }
            | Step::ClearIntent { address, .. }
            | Step::RecordExpiry { address, .. }
            | Step::Forget { address, .. } => address,
        }
    }

    /// True for steps whose answer holds a one-time secret (a create, or a webhook's
    /// rotation): the state is saved with it before anything else happens.
    pub fn creates_secret(&self) -> bool {
        matches!(
            self,
            Step::CreateTailnet { .. }
                | Step::CreateClient { .. }
                | Step::CreateKey { .. }
                | Step::CreateWebhook { .. }
                | Step::RotateWebhook { .. }
        )
    }

    /// True for steps that delete or forget.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Step::DeleteTailnet { .. }
                | Step::DeleteClient { .. }
                | Step::DeleteIdentity { .. }
                | Step::DeleteWebhook { .. }
                | Step::DeleteKey { .. }
                | Step::Forget { .. }
                | Step::ClearIntent { .. }
        )
    }

    /// A short description for progress lines (`create auth key tailnet.a.auth_key.web`).
    pub fn describe(&self) -> String {
        let what = match self {
            Step::CreateTailnet { .. } => "create tailnet",
            Step::DeleteTailnet {
                target: Target::Deposed(_),
                ..
            } => "delete previous tailnet",
            Step::DeleteTailnet {
                target: Target::Orphan(_),
                ..
            } => "delete orphaned tailnet",
            Step::DeleteTailnet { .. } => "delete tailnet",
            Step::WritePolicy { .. } => "write policy",
            Step::CreateClient { .. } => "create OAuth client",
            Step::UpdateClient { .. } => "update OAuth client",
            Step::DeleteClient {
                target: Target::Deposed(_),
                ..
            } => "revoke previous OAuth client",
            Step::DeleteClient {
                target: Target::Orphan(_),
                ..
            } => "revoke orphaned OAuth client",
            Step::DeleteClient { .. } => "delete OAuth client",
            Step::CreateIdentity { .. } => "create federated identity",
            Step::UpdateIdentity { .. } => "update federated identity",
            Step::DeleteIdentity {
                target: Target::Deposed(_),
                ..
            } => "delete previous federated identity",
            Step::DeleteIdentity {
                target: Target::Orphan(_),
                ..
            } => "delete orphaned federated identity",
            Step::DeleteIdentity { .. } => "delete federated identity",
            Step::CreateWebhook { .. } => "create webhook",
            Step::UpdateWebhook { .. } => "update webhook",
            Step::RotateWebhook { .. } => "rotate the secret of webhook",
            Step::DeleteWebhook {
                target: Target::Deposed(_),
                ..
            } => "delete previous webhook",
            Step::DeleteWebhook {
                target: Target::Orphan(_),
                ..
            } => "delete orphaned webhook",
            Step::DeleteWebhook { .. } => "delete webhook",
            Step::CreateKey { .. } => "create auth key",
            Step::DeleteKey {
                target: Target::Deposed(_),
                ..
            } => "revoke previous auth key",
            Step::DeleteKey {
                target: Target::Orphan(_),
                ..
            } => "revoke orphaned auth key",
            Step::DeleteKey { .. } => "revoke auth key",
            Step::RecordTailnet { .. } => "record settings of",
            Step::RecordExisting { .. } => "record the existing tailnet",
            Step::WriteSettings { patch, .. } if patch.is_empty() => "record the settings of",
            Step::WriteSettings { .. } => "write settings",
            Step::ClearIntent { .. } => "clear the interrupted create of",
            Step::Deliver { sink, .. } => {
                return format!("deliver {} to {}", self.address(), sink.describe());
            }
            Step::RecordExpiry { .. } => "record the live expiry of",
            Step::Forget { .. } => "forget",
        };
        format!("{what} {}", self.address())
    }
}

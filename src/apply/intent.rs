//! The intent recorded in the state before a create is sent (DESIGN §7 `pending`): what would
//! identify the object among live ones if the response never arrives.

use jiff::Timestamp;
use serde_json::json;

use crate::plan::Step;
use crate::state::{Holder, Intent, Record, State};

/// The intent for `step`, when it creates something (or rotates a webhook's secret); `None`
/// otherwise.
pub fn intent_for(step: &Step, state: &State, now: Timestamp) -> Option<Intent> {
    let fingerprint = match step {
        Step::CreateTailnet { display_name, .. } => json!({ "displayName": display_name }),
        Step::CreateClient { attributes, .. } => json!({
            "keyType": "client",
            "description": attributes.description,
            "scopes": attributes.scopes,
            "tags": attributes.tags,
        }),
        Step::CreateIdentity { attributes, .. } => json!({
            "keyType": "federated",
            "description": attributes.description,
            "scopes": attributes.scopes,
            "tags": attributes.tags,
            "issuer": attributes.issuer,
            "subject": attributes.subject,
        }),
        Step::CreateKey { attributes, .. } => json!({
            "keyType": "auth",
            "description": attributes.description,
            "reusable": attributes.reusable,
            "ephemeral": attributes.ephemeral,
            "preauthorized": attributes.preauthorized,
            "tags": attributes.tags,
            "expirySeconds": attributes.expiry_seconds,
        }),
        Step::CreateWebhook { attributes, .. } => json!({
            "kind": "webhook",
            "endpointUrl": attributes.endpoint_url,
        }),
        Step::RotateWebhook { .. } => json!({ "kind": "webhook", "rotation": true }),
        _ => return None,
    };
    let address = step.address().clone();
    let tailnet_id = match step {
        Step::CreateTailnet { .. } => None,
        _ => match state.get(&address.tailnet_address()) {
            Some(Record::Tailnet(t)) => Some(t.id.clone()),
            _ => None,
        },
    };
    Some(Intent {
        id: uuid::Uuid::new_v4(),
        address,
        tailnet_id,
        fingerprint,
        started: now,
        holder: Some(Holder::current()),
    })
}

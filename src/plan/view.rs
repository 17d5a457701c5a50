//! Attribute views shown as a change's `before`/`after` (never a secret), and the conversion of
//! desired model objects into the attributes tailform sends and records.

use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::model::{AuthKey, Duration, FederatedIdentity, OAuthClient, Webhook};
use crate::state::{
    ClientAttributes, IdentityAttributes, KeyAttributes, ManagedPolicy, WebhookAttributes,
};

/// The attributes a desired OAuth client is created or updated with.
pub fn client_attributes(client: &OAuthClient) -> ClientAttributes {
    let mut scopes = client.scopes.to_strings();
    scopes.sort();
    ClientAttributes {
        description: client.description.as_str().to_owned(),
        scopes,
        tags: client.tags.iter().map(|t| t.as_str().to_owned()).collect(),
    }
}

/// The attributes a desired federated identity is created or updated with.
pub fn identity_attributes(identity: &FederatedIdentity) -> IdentityAttributes {
    let mut scopes = identity.scopes.to_strings();
    scopes.sort();
    IdentityAttributes {
        description: identity.description.as_str().to_owned(),
        scopes,
        tags: identity
            .tags
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        issuer: identity.issuer.clone(),
        subject: identity.subject.clone(),
        audience: identity.audience.clone(),
        custom_claim_rules: identity.custom_claim_rules.clone(),
    }
}

/// True when the live identity `live` differs from `wanted`; an audience `wanted` leaves to the
/// API is not compared.
pub fn identity_differs(live: &IdentityAttributes, wanted: &IdentityAttributes) -> bool {
    live.description != wanted.description
        || sorted(&live.scopes) != sorted(&wanted.scopes)
        || sorted(&live.tags) != sorted(&wanted.tags)
        || live.issuer != wanted.issuer
        || live.subject != wanted.subject
        || live.custom_claim_rules != wanted.custom_claim_rules
        || wanted
            .audience
            .as_ref()
            .is_some_and(|a| live.audience.as_ref() != Some(a))
}

/// The attributes a desired auth key is created with.
pub fn key_attributes(key: &AuthKey) -> KeyAttributes {
    KeyAttributes {
        description: key.description.as_str().to_owned(),
        reusable: key.reusable,
        ephemeral: key.ephemeral,
        preauthorized: key.preauthorized,
        tags: key.tags.iter().map(|t| t.as_str().to_owned()).collect(),
        expiry_seconds: key.expiry.as_secs(),
        created_by: key.created_by.as_ref().map(|n| n.as_str().to_owned()),
    }
}

/// The attribute names whose difference forces an auth key's replacement (every API attribute
/// is immutable; `createdBy` only chooses the token and is not compared).
pub fn key_replace_paths(before: &KeyAttributes, after: &KeyAttributes) -> Vec<String> {
    let mut paths = Vec::new();
    let mut check = |name: &str, differs: bool| {
        if differs {
            paths.push(name.to_owned());
        }
    };
    check("description", before.description != after.description);
    check("reusable", before.reusable != after.reusable);
    check("ephemeral", before.ephemeral != after.ephemeral);
    check("preauthorized", before.preauthorized != after.preauthorized);
    check("tags", sorted(&before.tags) != sorted(&after.tags));
    check("expiry", before.expiry_seconds != after.expiry_seconds);
    paths
}

/// True when two client attribute sets differ (order-insensitive for scopes and tags).
pub fn client_differs(a: &ClientAttributes, b: &ClientAttributes) -> bool {
    a.description != b.description
        || sorted(&a.scopes) != sorted(&b.scopes)
        || sorted(&a.tags) != sorted(&b.tags)
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = v.iter().map(String::as_str).collect();
    out.sort_unstable();
    out
}

/// An object of the present entries, in the given order (the order views show them in).
/// Built directly: views are made for every object in a plan, thousands of them.
fn object<const N: usize>(entries: [(&str, Option<Value>); N]) -> Value {
    let mut map = Map::with_capacity(N);
    for (name, value) in entries {
        if let Some(value) = value {
            map.insert(name.to_owned(), value);
        }
    }
    Value::Object(map)
}

fn strings<'s>(items: impl IntoIterator<Item = &'s str>) -> Value {
    Value::Array(
        items
            .into_iter()
            .map(|s| Value::String(s.to_owned()))
            .collect(),
    )
}

/// An auth key's view.
///
/// `rotate_before` is the manifest's rotation window (a tailform setting, not an API
/// attribute): shown so that the default a key got is visible, the same on both sides of a
/// change since it is never sent to the API.
pub fn key_view(
    attrs: &KeyAttributes,
    id: Option<&str>,
    expires: Option<Timestamp>,
    rotate_before: Option<Duration>,
) -> Value {
    object([
        (
            "description",
            Some(Value::String(attrs.description.clone())),
        ),
        ("reusable", Some(Value::Bool(attrs.reusable))),
        ("ephemeral", Some(Value::Bool(attrs.ephemeral))),
        ("preauthorized", Some(Value::Bool(attrs.preauthorized))),
        ("tags", Some(strings(attrs.tags.iter().map(String::as_str)))),
        (
            "expiry",
            Some(Value::String(
                Duration::from_secs(attrs.expiry_seconds).to_string(),
            )),
        ),
        ("createdBy", attrs.created_by.clone().map(Value::String)),
        ("id", id.map(|id| Value::String(id.to_owned()))),
        ("expires", expires.map(|e| Value::String(e.to_string()))),
        (
            "rotateBefore",
            rotate_before.map(|d| Value::String(d.to_string())),
        ),
    ])
}

/// An OAuth client's view.
pub fn client_view(attrs: &ClientAttributes, id: Option<&str>) -> Value {
    object([
        (
            "description",
            Some(Value::String(attrs.description.clone())),
        ),
        ("scopes", Some(strings(sorted(&attrs.scopes)))),
        ("tags", Some(strings(sorted(&attrs.tags)))),
        ("id", id.map(|id| Value::String(id.to_owned()))),
    ])
}

/// A federated identity's view (an audience not yet known is left out: it is known after
/// apply).
pub fn identity_view(attrs: &IdentityAttributes, id: Option<&str>) -> Value {
    let rules: Map<String, Value> = attrs
        .custom_claim_rules
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    object([
        ("audience", attrs.audience.clone().map(Value::String)),
        ("customClaimRules", Some(Value::Object(rules))),
        (
            "description",
            Some(Value::String(attrs.description.clone())),
        ),
        ("issuer", Some(Value::String(attrs.issuer.clone()))),
        ("scopes", Some(strings(sorted(&attrs.scopes)))),
        ("subject", Some(Value::String(attrs.subject.clone()))),
        ("tags", Some(strings(sorted(&attrs.tags)))),
        ("id", id.map(|id| Value::String(id.to_owned()))),
    ])
}

/// The attributes a desired webhook is created with.
pub fn webhook_attributes(webhook: &Webhook) -> WebhookAttributes {
    WebhookAttributes {
        endpoint_url: webhook.endpoint_url.clone(),
        provider_type: webhook.provider_type,
        subscriptions: {
            // Sorted by name, as the API returns them (not in the enum's order).
            let mut names: Vec<String> = webhook
                .subscriptions
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect();
            names.sort();
            names
        },
    }
}

/// A webhook's view (`rotateEvery`, a tailform setting, as for an auth key's `rotateBefore`).
pub fn webhook_view(
    attrs: &WebhookAttributes,
    id: Option<&str>,
    rotate_every: Option<Duration>,
) -> Value {
    object([
        (
            "endpointUrl",
            Some(Value::String(attrs.endpoint_url.clone())),
        ),
        (
            "providerType",
            Some(Value::String(attrs.provider_type.as_str().to_owned())),
        ),
        ("subscriptions", Some(strings(sorted(&attrs.subscriptions)))),
        (
            "rotateEvery",
            rotate_every.map(|d| Value::String(d.to_string())),
        ),
        ("id", id.map(|id| Value::String(id.to_owned()))),
    ])
}

/// A tailnet's view.
pub fn tailnet_view(display_name: Option<&str>, id: Option<&str>, prevent_destroy: bool) -> Value {
    object([
        ("preventDestroy", Some(Value::Bool(prevent_destroy))),
        (
            "displayName",
            display_name.map(|d| Value::String(d.to_owned())),
        ),
        ("id", id.map(|id| Value::String(id.to_owned()))),
    ])
}

/// A managed policy's view.
pub fn policy_view(managed: &ManagedPolicy) -> Value {
    match managed {
        ManagedPolicy::TagOwners(owners) => json!({ "tagOwners": owners }),
        ManagedPolicy::File { digest } => json!({ "file": { "sha256": digest } }),
    }
}

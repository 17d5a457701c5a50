//! Unit tests of `schema`.

use super::*;
use crate::manifest::raw;

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v["properties"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

fn sorted(fields: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = fields.iter().map(|s| (*s).to_owned()).collect();
    v.sort();
    v
}

#[test]
fn field_lists_match_the_loader() {
    let s = json_schema();
    let d = &s["$defs"];
    assert_eq!(keys(&s), sorted(raw::TOP_FIELDS));
    assert_eq!(
        keys(&s["properties"]["moved"]["items"]),
        sorted(raw::MOVED_FIELDS)
    );
    assert_eq!(keys(&d["tailnet"]), sorted(raw::TAILNET_FIELDS));
    assert_eq!(keys(&d["policy"]), sorted(raw::POLICY_FIELDS));
    assert_eq!(keys(&d["oauthClient"]), sorted(raw::OAUTH_CLIENT_FIELDS));
    assert_eq!(keys(&d["authKey"]), sorted(raw::AUTH_KEY_FIELDS));
    assert_eq!(
        keys(&d["federatedIdentity"]),
        sorted(raw::FEDERATED_IDENTITY_FIELDS)
    );
    assert_eq!(keys(&d["webhook"]), sorted(raw::WEBHOOK_FIELDS));
    assert_eq!(keys(&d["settings"]), sorted(raw::SETTINGS_FIELDS));
    let mut deliver: Vec<String> = d["deliver"]["items"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(keys)
        .collect();
    deliver.sort();
    assert_eq!(deliver, sorted(raw::DELIVERY_FIELDS));
}

#[test]
fn scope_enum_has_current_and_legacy_names() {
    let s = json_schema();
    let names = s["$defs"]["oauthClient"]["properties"]["scopes"]["items"]["enum"]
        .as_array()
        .unwrap()
        .clone();
    assert!(names.contains(&json!("auth_keys")));
    assert!(names.contains(&json!("devices:core:read")));
    assert!(names.contains(&json!("devices")));
    assert_eq!(
        names.len(),
        Scope::all_names().len() + Scope::legacy_names().len()
    );
}

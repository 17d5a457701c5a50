//! Contract test: every key object the emulator answers (create responses, GET, list entries,
//! PUT responses, invalid keys) validates against the `Key` schema of the upstream OpenAPI
//! description (`tests/fixtures/tailscale-openapi-keys.yaml`) **and** carries no property outside
//! that schema's `properties` (upstream allows extras; we do not). The organization's tailnet
//! list must have the key set of the real captured sample.

use crate::support::{Emu, keys_of};
use jsonschema::{Draft, Validator};
use serde_json::{Value, json};

const OPENAPI: &str = include_str!("../fixtures/tailscale-openapi-keys.yaml");
const SAMPLE_KEYS: &str = include_str!("../fixtures/samples/keys.json");
const SAMPLE_TAILNETS: &str = include_str!("../fixtures/samples/organization-tailnets.json");

/// Replaces every `{"$ref": "#/..."}` with the schema it points to.
fn resolve(node: &Value, root: &Value) -> Value {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("only local refs are expected: {reference}"));
                let target = root
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling ref {reference}"));
                return resolve(target, root);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), resolve(v, root)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, root)).collect()),
        other => other.clone(),
    }
}

/// The `Key` schema with its refs resolved.
fn key_schema() -> Value {
    let spec: Value = serde_saphyr::from_str(OPENAPI).expect("the OpenAPI fixture parses");
    resolve(&spec["components"]["schemas"]["Key"], &spec)
}

fn validator(schema: &Value) -> Validator {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(schema)
        .expect("the Key schema compiles")
}

/// Every property of `instance` that the schema does not declare, as JSON paths.
fn undeclared(schema: &Value, instance: &Value, path: &str) -> Vec<String> {
    let mut out = Vec::new();
    match instance {
        Value::Object(map) => {
            let Some(Value::Object(properties)) = schema.get("properties") else {
                return out;
            };
            for (name, value) in map {
                let child = format!("{path}.{name}");
                match properties.get(name) {
                    Some(sub) => out.extend(undeclared(sub, value, &child)),
                    None => out.push(child),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    out.extend(undeclared(item_schema, item, &format!("{path}[{i}]")));
                }
            }
        }
        _ => {}
    }
    out
}

/// Collects key objects and checks them all at the end.
struct Checker {
    schema: Value,
    validator: Validator,
    checked: usize,
}

impl Checker {
    fn new() -> Self {
        let schema = key_schema();
        let validator = validator(&schema);
        Self {
            schema,
            validator,
            checked: 0,
        }
    }

    #[track_caller]
    fn check(&mut self, what: &str, key: &Value) {
        if let Err(e) = self.validator.validate(key) {
            panic!("{what}: {key} does not match the Key schema: {e}");
        }
        let extra = undeclared(&self.schema, key, "$");
        assert!(
            extra.is_empty(),
            "{what}: undeclared properties {extra:?} in {key}"
        );
        self.checked += 1;
    }

    #[track_caller]
    fn check_list(&mut self, what: &str, list: &Value) {
        assert_eq!(keys_of(list), ["keys"], "{what}: {list}");
        for key in list["keys"].as_array().expect("keys is a list") {
            self.check(what, key);
        }
    }
}

#[test]
fn the_checker_catches_misnamed_and_mistyped_fields() {
    let mut checker = Checker::new();
    let sample: Value = serde_json::from_str(SAMPLE_KEYS).unwrap();
    checker.check_list("sample", &sample);
    let good = json!({"id": "k1CNTRL", "keyType": "auth", "created": "2021-12-09T23:22:39Z"});
    checker.check("good", &good);
    let misnamed = json!({"id": "k1CNTRL", "keyType": "auth", "expiry_seconds": 60});
    assert_eq!(
        undeclared(&checker.schema, &misnamed, "$"),
        ["$.expiry_seconds"]
    );
    let nested = json!({"capabilities": {"devices": {"create": {"reuseable": true}}}});
    assert_eq!(
        undeclared(&checker.schema, &nested, "$"),
        ["$.capabilities.devices.create.reuseable"]
    );
    for mistyped in [
        json!({"keyType": "oauth"}),
        json!({"created": "yesterday"}),
        json!({"expirySeconds": "90d"}),
        json!({"capabilities": {"devices": {"create": {"tags": "tag:a"}}}}),
    ] {
        assert!(!checker.validator.is_valid(&mistyped), "{mistyped}");
    }
}

#[tokio::test]
async fn every_key_object_matches_the_openapi_key_schema() {
    let mut checker = Checker::new();
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.define_tags(&token, &["tag:web", "tag:ci"]).await;

    let mut auth_ids = Vec::new();
    for bits in 0..8u8 {
        let create = json!({
            "reusable": bits & 1 != 0, "ephemeral": bits & 2 != 0, "preauthorized": bits & 4 != 0,
            "tags": ["tag:web"],
        });
        let body = json!({"capabilities": {"devices": {"create": create}}, "expirySeconds": 600, "description": "combo"});
        let created = e.post(&token, "/api/v2/tailnet/-/keys", body).await;
        checker.check("auth key create", created.ok());
        auth_ids.push(created.body["id"].as_str().unwrap().to_owned());
    }
    let minimal = e
        .post(
            &token,
            "/api/v2/tailnet/-/keys",
            json!({"capabilities": {"devices": {"create": {"tags": ["tag:ci"]}}}}),
        )
        .await;
    checker.check("minimal auth key create", minimal.ok());

    let tagged_client = e
        .create_client(&token, &["auth_keys", "devices:core"], &["tag:ci"])
        .await;
    checker.check("client create", &tagged_client);
    let plain_client = e.create_client(&token, &["all:read"], &[]).await;
    checker.check("untagged client create", &plain_client);
    let client_id = plain_client["id"].as_str().unwrap();
    let put = e
        .put(
            &token,
            &format!("/api/v2/tailnet/-/keys/{client_id}"),
            json!({"keyType": "client", "scopes": ["devices", "oauth_keys:read"], "tags": ["tag:web"], "description": ""}),
        )
        .await;
    checker.check("client PUT", put.ok());

    let federated = e
        .post(
            &token,
            "/api/v2/tailnet/-/keys",
            json!({"keyType": "federated", "scopes": ["auth_keys"], "tags": ["tag:ci"],
                   "issuer": "https://token.actions.githubusercontent.com",
                   "subject": "repo:org/repo:ref:refs/heads/main", "description": "ci"}),
        )
        .await;
    checker.check("federated create", federated.ok());
    let federated_id = federated.body["id"].as_str().unwrap();
    let federated_put = e
        .put(
            &token,
            &format!("/api/v2/tailnet/-/keys/{federated_id}"),
            json!({"keyType": "federated", "scopes": ["auth_keys:read"], "tags": [],
                   "issuer": "https://token.actions.githubusercontent.com",
                   "subject": "repo:org/*", "customClaimRules": {"repository_owner": "org"},
                   "description": ""}),
        )
        .await;
    checker.check("federated PUT", federated_put.ok());

    checker.check_list("list", e.get(&token, "/api/v2/tailnet/-/keys").await.ok());
    checker.check_list(
        "list all",
        e.get(&token, "/api/v2/tailnet/-/keys?all=true").await.ok(),
    );

    // Invalid keys: revoked, used, expired; clients revoked.
    e.delete(&token, &format!("/api/v2/tailnet/-/keys/{}", auth_ids[0]))
        .await;
    e.send(
        e.http
            .post(e.url(&format!("/_emulator/keys/{}/use", auth_ids[1]))),
    )
    .await;
    e.delete(&token, &format!("/api/v2/tailnet/-/keys/{client_id}"))
        .await;
    e.advance(600).await;
    let token = e.org_token().await;
    for id in auth_ids.iter().chain([&client_id.to_owned()]) {
        let got = e.get(&token, &format!("/api/v2/tailnet/-/keys/{id}")).await;
        assert_eq!(got.ok()["invalid"], true, "{}", got.text);
        checker.check("invalid key GET", &got.body);
    }
    let org = e.emu.org_client_id().to_owned();
    checker.check(
        "org client GET",
        e.get(&token, &format!("/api/v2/tailnet/-/keys/{org}"))
            .await
            .ok(),
    );
    assert!(checker.checked >= 25, "checked {}", checker.checked);
    e.shutdown().await;
}

#[tokio::test]
async fn the_tailnet_list_has_the_shape_of_the_real_sample() {
    let sample: Value = serde_json::from_str(SAMPLE_TAILNETS).unwrap();
    let e = Emu::start().await;
    let token = e.org_token().await;
    e.create_tailnet(&token, "Shape").await;
    let list = e.get(&token, "/api/v2/organizations/-/tailnets").await;
    let ours = list.ok();
    assert_eq!(keys_of(ours), keys_of(&sample));
    assert!(ours["totalCount"].is_u64());
    for tailnet in ours["tailnets"].as_array().unwrap() {
        assert_eq!(keys_of(tailnet), keys_of(&sample["tailnets"][0]));
        for field in ["id", "displayName", "orgId", "createdAt"] {
            assert!(tailnet[field].is_string(), "{field} in {tailnet}");
        }
        let created: Result<jiff::Timestamp, _> = tailnet["createdAt"].as_str().unwrap().parse();
        assert!(created.is_ok(), "{tailnet}");
    }
    e.shutdown().await;
}

#[tokio::test]
async fn list_entries_have_the_value_types_of_the_real_sample() {
    let sample: Value = serde_json::from_str(SAMPLE_KEYS).unwrap();
    let sample_key = &sample["keys"][0];
    let e = Emu::start().await;
    let token = e.org_token().await;
    let list = e.get(&token, "/api/v2/tailnet/-/keys?all=true").await;
    let ours = &list.ok()["keys"][0];
    for field in ["id", "keyType", "created", "scopes", "description"] {
        assert_eq!(
            std::mem::discriminant(&ours[field]),
            std::mem::discriminant(&sample_key[field]),
            "{field}: ours {} vs sample {}",
            ours[field],
            sample_key[field]
        );
    }
    let created = ours["created"].as_str().unwrap();
    assert_eq!(created.len(), sample_key["created"].as_str().unwrap().len());
    e.shutdown().await;
}

//! The bodies of the manifest's resources — OAuth clients, auth keys, federated identities,
//! webhooks, a tailnet's settings and `deliver:` lists — read field by field, each unknown field
//! reported with a "did you mean".

use super::Reader;
use crate::manifest::node::{Node, Value};
use crate::manifest::raw::{
    AUTH_KEY_FIELDS, At, DELIVERY_FIELDS, FEDERATED_IDENTITY_FIELDS, Field, OAUTH_CLIENT_FIELDS,
    RawAuthKey, RawClaimRule, RawDelivery, RawFederatedIdentity, RawOAuthClient, RawScalar,
    RawSetting, RawWebhook, SETTINGS_FIELDS, WEBHOOK_FIELDS,
};
use crate::manifest::source::index_path;

impl Reader<'_, '_> {
    pub(super) fn oauth_client(&mut self, node: &Node, path: &str) -> RawOAuthClient {
        let mut c = RawOAuthClient::default();
        for (key, value) in self.body(node, path, "OAuth client") {
            let p = key.loc.path.as_str();
            match key.value.as_str() {
                "description" => c.description = self.string(value, p),
                "scopes" => c.scopes = self.string_list(value, p),
                "tags" => c.tags = self.string_list(value, p),
                "deliver" => c.deliver = self.deliver(value, p),
                "envName" => c.env_name = self.string(value, p),
                _ => self.unknown_field(&key, OAUTH_CLIENT_FIELDS, "an OAuth client"),
            }
        }
        c
    }

    pub(super) fn federated_identity(&mut self, node: &Node, path: &str) -> RawFederatedIdentity {
        let mut f = RawFederatedIdentity::default();
        for (key, value) in self.body(node, path, "federated identity") {
            let p = key.loc.path.as_str();
            match key.value.as_str() {
                "description" => f.description = self.string(value, p),
                "issuer" => f.issuer = self.string(value, p),
                "subject" => f.subject = self.string(value, p),
                "audience" => f.audience = self.string(value, p),
                "customClaimRules" => f.custom_claim_rules = self.claim_rules(value, p),
                "scopes" => f.scopes = self.string_list(value, p),
                "tags" => f.tags = self.string_list(value, p),
                _ => self.unknown_field(&key, FEDERATED_IDENTITY_FIELDS, "a federated identity"),
            }
        }
        f
    }

    pub(super) fn webhook(&mut self, node: &Node, path: &str) -> RawWebhook {
        let mut w = RawWebhook::default();
        for (key, value) in self.body(node, path, "webhook") {
            let p = key.loc.path.as_str();
            match key.value.as_str() {
                "endpointUrl" => w.endpoint_url = self.string(value, p),
                "providerType" => w.provider_type = self.string(value, p),
                "subscriptions" => w.subscriptions = self.string_list(value, p),
                "rotateEvery" => w.rotate_every = self.duration(value, p),
                "deliver" => w.deliver = self.deliver(value, p),
                "envName" => w.env_name = self.string(value, p),
                _ => self.unknown_field(&key, WEBHOOK_FIELDS, "a webhook"),
            }
        }
        w
    }

    pub(super) fn settings(&mut self, node: &Node, path: &str) -> Field<Vec<RawSetting>> {
        let Some(entries) = self.fields(node, path, "a mapping of tailnet settings") else {
            return Field::Broken;
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            if !SETTINGS_FIELDS.contains(&key.value.as_str()) {
                self.unknown_field(&key, SETTINGS_FIELDS, "a settings block");
                continue;
            }
            let p = key.loc.path.clone();
            let scalar = match &value.value {
                Value::Bool(b) => Some(RawScalar::Bool(*b)),
                Value::Int(n) => Some(RawScalar::Int(*n)),
                Value::Str(s) => Some(RawScalar::Str(s.clone())),
                _ => None,
            };
            let value = match scalar {
                Some(v) => Field::Set(At {
                    value: v,
                    loc: self.loc(value, p),
                }),
                None => {
                    self.wrong_type(value, &p, "true, false, a number or a string");
                    Field::Broken
                }
            };
            out.push(RawSetting { name: key, value });
        }
        Field::Set(At {
            value: out,
            loc: self.loc(node, path.to_owned()),
        })
    }

    pub(super) fn claim_rules(&mut self, node: &Node, path: &str) -> Field<Vec<RawClaimRule>> {
        let Some(entries) = self.fields(node, path, "a mapping of claim names to patterns") else {
            return Field::Broken;
        };
        let rules = entries
            .into_iter()
            .map(|(claim, value)| {
                let pattern = self.string(value, &claim.loc.path);
                RawClaimRule { claim, pattern }
            })
            .collect();
        Field::Set(At {
            value: rules,
            loc: self.loc(node, path.to_owned()),
        })
    }

    pub(super) fn auth_key(&mut self, node: &Node, path: &str) -> RawAuthKey {
        let mut k = RawAuthKey::default();
        for (key, value) in self.body(node, path, "auth key") {
            let p = key.loc.path.as_str();
            match key.value.as_str() {
                "description" => k.description = self.string(value, p),
                "reusable" => k.reusable = self.bool(value, p),
                "ephemeral" => k.ephemeral = self.bool(value, p),
                "preauthorized" => k.preauthorized = self.bool(value, p),
                "tags" => k.tags = self.string_list(value, p),
                "expiry" => k.expiry = self.duration(value, p),
                "rotateBefore" => k.rotate_before = self.duration(value, p),
                "recreateIfInvalid" => k.recreate_if_invalid = self.string(value, p),
                "createdBy" => k.created_by = self.string(value, p),
                "deliver" => k.deliver = self.deliver(value, p),
                "envName" => k.env_name = self.string(value, p),
                "keepPrevious" => k.keep_previous = self.duration(value, p),
                _ => self.unknown_field(&key, AUTH_KEY_FIELDS, "an auth key"),
            }
        }
        k
    }

    pub(super) fn deliver(&mut self, node: &Node, path: &str) -> Field<Vec<At<RawDelivery>>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, path, "a list of `file:` or `command:` entries");
            return Field::Broken;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut broken = false;
        for (i, item) in items.iter().enumerate() {
            let item_path = index_path(path, i);
            let Some(entries) = self.fields(item, &item_path, "a mapping with `file` or `command`")
            else {
                broken = true;
                continue;
            };
            let mut d = RawDelivery::default();
            for (key, value) in entries {
                let p = key.loc.path.as_str();
                match key.value.as_str() {
                    "file" => d.file = self.string(value, p),
                    "command" => d.command = self.string_list(value, p),
                    _ => self.unknown_field(&key, DELIVERY_FIELDS, "a `deliver` entry"),
                }
            }
            out.push(At {
                value: d,
                loc: self.loc(item, item_path),
            });
        }
        if broken {
            return Field::Broken;
        }
        Field::Set(At {
            value: out,
            loc: self.loc(node, path.to_owned()),
        })
    }
}

//! The manifest's JSON Schema (draft 2020-12), for editors through yaml-language-server
//! (`# yaml-language-server: $schema=tailform.schema.json`). Written by hand to carry
//! descriptions, defaults, enums and patterns; tests keep it honest — its field lists equal
//! `super::raw`'s, it accepts every example and valid fixture, and it rejects every invalid
//! fixture marked as expressible in a schema.
//!
//! Rules a schema cannot express (cross-references, ranges of durations, tag ownership,
//! uniqueness across tailnets) are left to `tailform validate`.

use serde_json::{Value, json};

use crate::model::{ProviderType, Scope, Setting, SettingType, Subscription};

/// `[a-z0-9][a-z0-9-]{0,62}`: logical names of tailnets, OAuth clients and auth keys.
pub const NAME_PATTERN: &str = "^[a-z0-9][a-z0-9-]{0,62}$";
/// `tag:` followed by a letter, then letters, digits or `-`.
pub const TAG_PATTERN: &str = "^tag:[A-Za-z][A-Za-z0-9-]*$";
/// A positive duration: numbers with units s, m, h, d, w (`30d`, `1d12h`).
pub const DURATION_PATTERN: &str = "^([0-9]+[smhdw])+$";
/// A duration or a string of zeros (`0` disables).
pub const DURATION_OR_ZERO_PATTERN: &str = "^(([0-9]+[smhdw])+|0+)$";
/// `[A-Z_][A-Z0-9_]*`.
pub const ENV_NAME_PATTERN: &str = "^[A-Z_][A-Z0-9_]*$";

/// The schema as a JSON value.
pub fn json_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tailform manifest",
        "description": "Tailnets, OAuth clients, auth keys, federated identities, webhooks and settings that `tailform plan` and `tailform apply` reconcile. Generate with `tailform schema > tailform.schema.json`.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "patternProperties": {
            "^x-": { "description": "Extension keys are ignored: a place for YAML anchors shared below." }
        },
        "properties": {
            "tailnets": {
                "description": "Tailnets by logical name (the address segment: `tailnet.<name>`).",
                "type": ["object", "null"],
                "propertyNames": { "$ref": "#/$defs/name" },
                "additionalProperties": { "$ref": "#/$defs/tailnet" }
            },
            "moved": {
                "description": "Renames (Terraform's `moved` blocks): the object the state knows at `from` is the one declared at `to`, so it keeps its id and secret instead of being revoked and created again. Same kind only; an OAuth client or auth key stays in its tailnet; a tailnet moves with everything in it.",
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["from", "to"],
                    "properties": {
                        "from": { "description": "The address in the state (`tailnet.demo.auth_key.web`).", "type": "string" },
                        "to": { "description": "The address the manifests declare (`tailnet.demo.auth_key.frontend`).", "type": "string" }
                    }
                }
            }
        },
        "$defs": defs()
    })
}

fn defs() -> Value {
    json!({
        "name": {
            "description": "A logical name: lower-case letters, digits and `-`, starting with a letter or digit, at most 63 characters.",
            "type": "string",
            "pattern": NAME_PATTERN
        },
        "tag": {
            "description": "An ACL tag: `tag:` followed by a letter, then letters, digits or `-`.",
            "type": "string",
            "pattern": TAG_PATTERN
        },
        "tags": {
            "type": "array",
            "items": { "$ref": "#/$defs/tag" },
            "default": []
        },
        "duration": {
            "description": "A duration: a number and a unit (s, m, h, d, w), or several (`1d12h`).",
            "type": "string",
            "pattern": DURATION_PATTERN
        },
        "durationOrZero": {
            "description": "A duration (`10d`), or `0` to disable.",
            "anyOf": [
                { "type": "string", "pattern": DURATION_OR_ZERO_PATTERN },
                { "const": 0 }
            ]
        },
        "description": {
            "description": "Up to 50 ASCII letters, digits, spaces and hyphens.",
            "type": "string",
            "maxLength": 50,
            "pattern": "^[A-Za-z0-9 -]*$",
            "default": ""
        },
        "envName": {
            "description": "Variable name for `tailform output --format env`; default: `TAILFORM_` + the address, upper-cased, with `_` for other characters. Unique across all manifests.",
            "type": "string",
            "pattern": ENV_NAME_PATTERN
        },
        "deliver": {
            "description": "Where the secret goes after each create or rotation.",
            "type": "array",
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "description": "Write the secret to this file (mode 0600, atomically); relative to the manifest's folder.",
                                "type": "string",
                                "minLength": 1
                            }
                        }
                    },
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "required": ["command"],
                        "properties": {
                            "command": {
                                "description": "Run this program with the secret on stdin (never in argv or the environment).",
                                "type": "array",
                                "minItems": 1,
                                "prefixItems": [{ "type": "string", "minLength": 1 }],
                                "items": { "type": "string" }
                            }
                        }
                    }
                ]
            }
        },
        "tailnet": tailnet(),
        "policy": policy(),
        "oauthClient": oauth_client(),
        "authKey": auth_key(),
        "federatedIdentity": federated_identity(),
        "webhook": webhook(),
        "settings": settings()
    })
}

fn tailnet() -> Value {
    json!({
        "description": "A tailnet: created by tailform (API-only) unless `id` names an existing one.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "displayName": {
                "description": "Display name, unique in the organization (ignoring case); default: the logical name. 1 to 50 ASCII letters, digits, spaces, `'` and `-` (the API refuses other letters). Not allowed with `id`.",
                "type": "string",
                "minLength": 1,
                "maxLength": 50,
                "pattern": "^[A-Za-z0-9 '-]+$"
            },
            "id": {
                "description": "An existing tailnet's id (`T1234CNTRL`), or `-` for the credentials' own tailnet. Such a tailnet is never created or deleted.",
                "type": "string",
                "pattern": "^[^\\s/?]+$"
            },
            "preventDestroy": {
                "description": "Refuse to delete or replace this tailnet (ignored with `id`).",
                "type": "boolean",
                "default": true
            },
            "policy": { "$ref": "#/$defs/policy" },
            "oauthClients": {
                "description": "OAuth clients by logical name.",
                "type": ["object", "null"],
                "propertyNames": { "$ref": "#/$defs/name" },
                "additionalProperties": { "$ref": "#/$defs/oauthClient" }
            },
            "authKeys": {
                "description": "Auth keys by logical name.",
                "type": ["object", "null"],
                "propertyNames": { "$ref": "#/$defs/name" },
                "additionalProperties": { "$ref": "#/$defs/authKey" }
            },
            "federatedIdentities": {
                "description": "Federated identities (workload identity federation) by logical name.",
                "type": ["object", "null"],
                "propertyNames": { "$ref": "#/$defs/name" },
                "additionalProperties": { "$ref": "#/$defs/federatedIdentity" }
            },
            "webhooks": {
                "description": "Webhook endpoints by logical name; their signing secrets are kept like any other.",
                "type": ["object", "null"],
                "propertyNames": { "$ref": "#/$defs/name" },
                "additionalProperties": { "$ref": "#/$defs/webhook" }
            },
            "settings": { "$ref": "#/$defs/settings" }
        },
        "if": { "type": "object", "required": ["id"] },
        "then": { "not": { "required": ["displayName"] } },
        "else": {
            "properties": {
                "authKeys": {
                    "additionalProperties": {
                        "description": "On an API-only tailnet every auth key is tagged.",
                        "type": "object",
                        "required": ["tags"],
                        "properties": { "tags": { "minItems": 1 } }
                    }
                }
            }
        }
    })
}

fn policy() -> Value {
    json!({
        "description": "What tailform manages in the tailnet's policy file: `tagOwners` entries merged into the live policy, or a whole HuJSON `file`. Without it, tailform defines the tags of a tailnet it creates by itself.",
        "type": "object",
        "additionalProperties": false,
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "tagOwners": {
                "description": "Tag → owners (tags, groups, autogroups or users); `[]` for no owner.",
                "type": "object",
                "propertyNames": { "$ref": "#/$defs/tag" },
                "additionalProperties": {
                    "type": "array",
                    "items": { "type": "string", "pattern": "^\\S+$" }
                }
            },
            "file": {
                "description": "A HuJSON policy file (JSON with comments and trailing commas), relative to the manifest's folder; posted as a whole.",
                "type": "string",
                "minLength": 1
            }
        }
    })
}

fn scope_names() -> Vec<String> {
    let mut names = Scope::all_names();
    names.extend(Scope::legacy_names().iter().map(|s| (*s).to_owned()));
    names
}

fn federated_identity() -> Value {
    json!({
        "description": "A federated identity: a CI job (or any OIDC workload) whose token matches it gets an access token with its scopes, without a stored secret. Every field is updated in place.",
        "type": "object",
        "additionalProperties": false,
        "required": ["issuer", "subject", "scopes"],
        "properties": {
            "description": { "$ref": "#/$defs/description" },
            "issuer": {
                "description": "The OIDC issuer, an `https://` URL (GitHub Actions: `https://token.actions.githubusercontent.com`).",
                "type": "string",
                "pattern": "^https://[^/?#\\s]+"
            },
            "subject": {
                "description": "The `sub` claim a token must match; `*` matches any run of characters (`repo:org/repo:ref:refs/heads/main`).",
                "type": "string",
                "pattern": "\\S"
            },
            "audience": {
                "description": "The `aud` claim a token must carry. Omitted: the API generates one, shown after apply and kept.",
                "type": "string"
            },
            "customClaimRules": {
                "description": "Further claims a token must match, claim → pattern (`*` as in `subject`). `sub`, `iss` and `aud` are the fields above.",
                "type": "object",
                "propertyNames": { "not": { "enum": ["sub", "iss", "aud"] } },
                "additionalProperties": { "type": "string" }
            },
            "scopes": {
                "description": "At least one scope of the tokens it grants; legacy names are accepted with a warning and expanded.",
                "type": "array",
                "minItems": 1,
                "items": { "enum": scope_names() }
            },
            "tags": {
                "$ref": "#/$defs/tags",
                "description": "Tags the tokens may give to keys and devices; required with `auth_keys` or `devices:core`."
            }
        },
        "if": {
            "type": "object",
            "required": ["scopes"],
            "properties": {
                "scopes": { "contains": { "enum": ["auth_keys", "devices:core", "devices"] } }
            }
        },
        "then": {
            "required": ["tags"],
            "properties": { "tags": { "minItems": 1 } }
        }
    })
}

fn settings() -> Value {
    let mut properties = serde_json::Map::new();
    for setting in Setting::ALL {
        let value = match setting.kind() {
            SettingType::Bool => json!({ "type": "boolean" }),
            SettingType::Number(lo, hi) => {
                json!({ "type": "integer", "minimum": lo, "maximum": hi })
            }
            SettingType::Choice(known) => json!({ "enum": known }),
        };
        properties.insert(setting.as_str().to_owned(), value);
    }
    json!({
        "description": "Tailnet settings tailform manages: only the fields written are compared and changed (PATCH); one the credentials cannot read is reported as unknown.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties
    })
}

fn webhook() -> Value {
    json!({
        "description": "A webhook endpoint: the API posts the subscribed events to `endpointUrl`, signed with a secret shown once (on create and on each rotation). Subscriptions are updated in place; a changed URL or provider type replaces the webhook.",
        "type": "object",
        "additionalProperties": false,
        "required": ["endpointUrl", "subscriptions"],
        "properties": {
            "endpointUrl": {
                "description": "Where events are posted: an `https://` URL, one webhook per URL in a tailnet.",
                "type": "string",
                "pattern": "^https://[^/?#\\s]+"
            },
            "providerType": {
                "description": "The message format: `none` (Tailscale's JSON events) or a chat service's.",
                "enum": ProviderType::ALL.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                "default": "none"
            },
            "subscriptions": {
                "description": "The events posted, at least one; the `category*` values include future events of their group.",
                "type": "array",
                "minItems": 1,
                "items": { "enum": Subscription::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>() }
            },
            "rotateEvery": {
                "$ref": "#/$defs/duration",
                "description": "Rotate the signing secret once it is this old (at least `1h`); the old secret stops at once and the new one is delivered right after."
            },
            "deliver": { "$ref": "#/$defs/deliver" },
            "envName": { "$ref": "#/$defs/envName" }
        }
    })
}

fn oauth_client() -> Value {
    json!({
        "description": "An OAuth client of the tailnet (scopes, tags and description are updated in place).",
        "type": ["object", "null"],
        "additionalProperties": false,
        "required": ["scopes"],
        "properties": {
            "description": { "$ref": "#/$defs/description" },
            "scopes": {
                "description": "At least one scope; legacy names (before 2024-11-14) are accepted with a warning and expanded.",
                "type": "array",
                "minItems": 1,
                "items": { "enum": scope_names() }
            },
            "tags": {
                "$ref": "#/$defs/tags",
                "description": "Tags of keys and devices the client creates; required with `auth_keys` or `devices:core`."
            },
            "deliver": { "$ref": "#/$defs/deliver" },
            "envName": { "$ref": "#/$defs/envName" }
        },
        "if": {
            "type": "object",
            "required": ["scopes"],
            "properties": {
                "scopes": { "contains": { "enum": ["auth_keys", "devices:core", "devices"] } }
            }
        },
        "then": {
            "required": ["tags"],
            "properties": { "tags": { "minItems": 1 } }
        }
    })
}

fn auth_key() -> Value {
    json!({
        "description": "An auth key of the tailnet. Every attribute is immutable: any change replaces the key.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "description": { "$ref": "#/$defs/description" },
            "reusable": { "description": "Can register more than one device.", "type": "boolean", "default": false },
            "ephemeral": { "description": "Devices registered with it are ephemeral.", "type": "boolean", "default": false },
            "preauthorized": { "description": "Devices registered with it are pre-approved.", "type": "boolean", "default": false },
            "tags": {
                "$ref": "#/$defs/tags",
                "description": "Tags given to devices registered with the key; required on API-only tailnets and with `createdBy`."
            },
            "expiry": {
                "$ref": "#/$defs/duration",
                "description": "Lifetime, 1s to 90d.",
                "default": "90d"
            },
            "rotateBefore": {
                "$ref": "#/$defs/durationOrZero",
                "description": "Replace the key when less than this is left; default: a third of the expiry; `0` disables rotation. Shorter than the expiry."
            },
            "recreateIfInvalid": {
                "description": "When the live key is invalid or gone: `auto` recreates reusable keys only, `always`, or `never`.",
                "enum": ["auto", "always", "never"],
                "default": "auto"
            },
            "createdBy": {
                "$ref": "#/$defs/name",
                "description": "Create the key with this OAuth client's token (a client of the same tailnet with `auth_keys`)."
            },
            "deliver": { "$ref": "#/$defs/deliver" },
            "envName": { "$ref": "#/$defs/envName" },
            "keepPrevious": {
                "$ref": "#/$defs/durationOrZero",
                "description": "After a rotation, keep the previous key valid this long before revoking it. Shorter than the expiry."
            }
        },
        "if": { "type": "object", "required": ["createdBy"] },
        "then": {
            "required": ["tags"],
            "properties": { "tags": { "minItems": 1 } }
        }
    })
}

#[cfg(test)]
mod tests;

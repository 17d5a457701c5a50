//! Serde types of the API's JSON responses, private to the client, and their conversion into the
//! public types. Tolerant by design: unknown fields are ignored, every field but an object's
//! `id` may be absent or `null`, timestamps may carry fractional seconds or be Go's zero time
//! (`0001-01-01T00:00:00Z`, read as absent), and numbers may arrive as floats.
//!
//! Secrets deserialize straight into [`Secret`], so a derived `Debug` of these types is safe.
//! The emulator has its own wire types (never these), so a misnamed field fails a test.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};

use super::types::{
    CreatedKey, CreatedTailnet, DeviceCapabilities, Federation, KeyInfo, KeyType, TailnetInfo,
};
use crate::secret::Secret;

/// `{"keys": [...]}`.
#[derive(Debug, Deserialize)]
pub(super) struct KeyList {
    #[serde(default)]
    pub keys: Option<Vec<Key>>,
}

/// A key object (auth key, OAuth client, API token, federated identity).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Key {
    pub id: String,
    #[serde(default)]
    pub key: Option<Secret>,
    #[serde(default, deserialize_with = "key_type")]
    pub key_type: Option<KeyType>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "timestamp")]
    pub created: Option<Timestamp>,
    #[serde(default, deserialize_with = "timestamp")]
    pub updated: Option<Timestamp>,
    #[serde(default, deserialize_with = "timestamp")]
    pub expires: Option<Timestamp>,
    #[serde(default, deserialize_with = "timestamp")]
    pub revoked: Option<Timestamp>,
    #[serde(default)]
    pub invalid: Option<bool>,
    #[serde(default, deserialize_with = "seconds")]
    pub expiry_seconds: Option<u64>,
    #[serde(default)]
    pub capabilities: Option<Capabilities>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub custom_claim_rules: Option<BTreeMap<String, String>>,
}

/// `{"devices": {"create": {...}}}`.
#[derive(Debug, Deserialize)]
pub(super) struct Capabilities {
    #[serde(default)]
    pub devices: Option<Devices>,
}

/// `{"create": {...}}`.
#[derive(Debug, Deserialize)]
pub(super) struct Devices {
    #[serde(default)]
    pub create: Option<Create>,
}

/// `{reusable, ephemeral, preauthorized, tags}`.
#[derive(Debug, Deserialize)]
pub(super) struct Create {
    #[serde(default)]
    pub reusable: Option<bool>,
    #[serde(default)]
    pub ephemeral: Option<bool>,
    #[serde(default)]
    pub preauthorized: Option<bool>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl Key {
    /// The metadata (the secret, if any, is dropped).
    pub fn into_info(self) -> KeyInfo {
        let capabilities = self
            .capabilities
            .and_then(|c| c.devices)
            .and_then(|d| d.create)
            .map(|c| DeviceCapabilities {
                reusable: c.reusable.unwrap_or(false),
                ephemeral: c.ephemeral.unwrap_or(false),
                preauthorized: c.preauthorized.unwrap_or(false),
                tags: c.tags.unwrap_or_default(),
            });
        let key_type = self.key_type.unwrap_or(KeyType::Auth);
        let federation = (key_type == KeyType::Federated).then(|| Federation {
            issuer: self.issuer.unwrap_or_default(),
            subject: self.subject.unwrap_or_default(),
            audience: self.audience.unwrap_or_default(),
            custom_claim_rules: self.custom_claim_rules.unwrap_or_default(),
        });
        KeyInfo {
            id: self.id,
            key_type,
            description: self.description.unwrap_or_default(),
            created: self.created,
            updated: self.updated,
            expires: self.expires,
            revoked: self.revoked,
            invalid: self.invalid.unwrap_or(false),
            expiry_seconds: self.expiry_seconds,
            capabilities,
            scopes: self.scopes.unwrap_or_default(),
            tags: self.tags.unwrap_or_default(),
            user_id: non_empty(self.user_id),
            federation,
        }
    }

    /// A create response: the metadata plus the one-time secret, which must be there.
    pub fn into_created(mut self) -> Result<CreatedKey, String> {
        match self.key.take() {
            Some(secret) if !secret.expose().is_empty() => Ok(CreatedKey {
                key: self.into_info(),
                secret,
            }),
            _ => Err("the response has no `key` (the one-time secret)".to_owned()),
        }
    }
}

/// `{"tailnets": [...], "cursor": "...", "totalCount": N}`.
#[derive(Debug, Deserialize)]
pub(super) struct TailnetList {
    #[serde(default)]
    pub tailnets: Option<Vec<Tailnet>>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A tailnet, as listed or created.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Tailnet {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub org_id: Option<String>,
    #[serde(default)]
    pub dns_name: Option<String>,
    #[serde(default, deserialize_with = "timestamp")]
    pub created_at: Option<Timestamp>,
    #[serde(default)]
    pub oauth_client: Option<TailnetOAuthClient>,
    /// On a create response: `true` when the API matched an existing tailnet of that display
    /// name instead of creating one (the live OpenAPI description, FIDELITY-2 §1 #9).
    #[serde(default)]
    pub already_exists: Option<bool>,
}

/// The bootstrap client in a create-tailnet response.
#[derive(Debug, Deserialize)]
pub(super) struct TailnetOAuthClient {
    pub id: String,
    pub secret: Secret,
}

impl Tailnet {
    /// The tailnet's metadata.
    pub fn into_info(self) -> TailnetInfo {
        TailnetInfo {
            id: self.id,
            display_name: self.display_name.unwrap_or_default(),
            org_id: non_empty(self.org_id),
            dns_name: non_empty(self.dns_name),
            created_at: self.created_at,
        }
    }

    /// A create response: the tailnet plus its bootstrap client, which must be there.
    pub fn into_created(mut self) -> Result<CreatedTailnet, String> {
        match self.oauth_client.take() {
            Some(client) if !client.secret.expose().is_empty() => Ok(CreatedTailnet {
                tailnet: self.into_info(),
                oauth_client_id: client.id,
                oauth_client_secret: client.secret,
            }),
            _ => Err(
                "the response has no `oauthClient` with a `secret` (the bootstrap client)"
                    .to_owned(),
            ),
        }
    }
}

/// `{access_token, token_type, expires_in, scope}` (extra fields such as `tags` ignored).
#[derive(Debug, Deserialize)]
pub(super) struct Token {
    pub access_token: Secret,
    #[serde(default)]
    pub token_type: Option<String>,
    #[serde(default, deserialize_with = "seconds")]
    pub expires_in: Option<u64>,
}

/// `{"message": ..., "data": [{user, errors, warnings}]}`: error bodies and `acl/validate`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Message {
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub data: Option<Vec<MessageData>>,
}

/// Per-user details of a policy error.
#[derive(Debug, Deserialize)]
pub(super) struct MessageData {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub errors: Option<Vec<String>>,
    #[serde(default)]
    pub warnings: Option<Vec<String>>,
}

impl Message {
    /// The warnings of an `acl/validate` answer that reports warnings only: a message starting
    /// with "warning" (`warning(s) found`) and a non-empty `data` whose every entry carries
    /// warnings and no errors (the shape of the OpenAPI example `validateSCIMGroupsNotSynced`).
    /// Each warning reads `user: warning`. `None` for anything else, which stays an error.
    pub fn warnings_only(&self) -> Option<Vec<String>> {
        let message = self.message.as_deref()?;
        if !message
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("warning")
        {
            return None;
        }
        let data = self.data.as_deref().filter(|d| !d.is_empty())?;
        let mut warnings = Vec::new();
        for entry in data {
            if entry.errors.as_ref().is_some_and(|e| !e.is_empty()) {
                return None;
            }
            let items = entry.warnings.as_deref().filter(|w| !w.is_empty())?;
            let user = entry.user.as_deref().filter(|u| !u.is_empty());
            warnings.extend(items.iter().map(|w| match user {
                Some(user) => format!("{user}: {w}"),
                None => w.clone(),
            }));
        }
        Some(warnings)
    }

    /// `message`, with each `data` entry appended as `user: error; error`. `None` when there is
    /// no message.
    pub fn text(self) -> Option<String> {
        let message = non_empty(self.message)?;
        let details: Vec<String> = self
            .data
            .unwrap_or_default()
            .into_iter()
            .filter_map(|d| {
                let items: Vec<String> = d
                    .errors
                    .unwrap_or_default()
                    .into_iter()
                    .chain(d.warnings.unwrap_or_default())
                    .collect();
                if items.is_empty() {
                    return None;
                }
                Some(match non_empty(d.user) {
                    Some(user) => format!("{user}: {}", items.join("; ")),
                    None => items.join("; "),
                })
            })
            .collect();
        if details.is_empty() {
            Some(message)
        } else {
            Some(format!("{message} ({})", details.join(", ")))
        }
    }
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// RFC 3339 with any fractional precision; `null`, `""` and Go's zero time read as absent.
fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    optional_str(d, |raw| {
        if raw.is_empty() || raw.starts_with("0001-01-01T00:00:00") {
            return Ok(None);
        }
        raw.parse::<Timestamp>()
            .map(Some)
            .map_err(|_| "invalid timestamp (expected RFC 3339, e.g. 2024-01-13T18:39:49Z)")
    })
}

/// `keyType`, any spelling (an unknown one is kept).
fn key_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<KeyType>, D::Error> {
    optional_str(d, |raw| Ok(Some(KeyType::parse(raw))))
}

/// An optional string handed to `parse` as it is read, without a `String` in between (a key
/// list has thousands of timestamps).
fn optional_str<'de, D, T>(
    d: D,
    parse: fn(&str) -> Result<Option<T>, &'static str>,
) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
{
    struct Visitor<T>(fn(&str) -> Result<Option<T>, &'static str>);

    impl<'de, T> serde::de::Visitor<'de> for Visitor<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string or null")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            (self.0)(v).map_err(E::custom)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_str(self)
        }
    }

    d.deserialize_option(Visitor(parse))
}

/// A non-negative number of seconds, integer or float; `null` reads as absent. A negative value
/// is an error (it would make an expiry meaningless).
fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(u) = n.as_u64() {
        return Ok(Some(u));
    }
    match n.as_f64() {
        // Truncation is intended: fractional seconds of a lifetime do not matter.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Some(f) if f.is_finite() && f >= 0.0 => Ok(Some(f as u64)),
        _ => Err(serde::de::Error::custom(
            "invalid number of seconds (expected a non-negative number)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_with_data() {
        let m: Message = serde_json::from_str(
            r#"{"message":"test(s) failed","data":[{"user":"u@example.com","errors":["a","b"]},{"user":"","errors":[]}]}"#,
        )
        .unwrap();
        assert_eq!(
            m.text().as_deref(),
            Some("test(s) failed (u@example.com: a; b)")
        );
        let empty: Message = serde_json::from_str(r#"{"message":""}"#).unwrap();
        assert_eq!(empty.text(), None);
    }

    #[test]
    fn validate_warnings_only() {
        let scim: Message = serde_json::from_str(
            r#"{"message":"warning(s) found","data":[{"user":"group:unknown@example.com","warnings":["group is not syncing from SCIM and will be ignored by rules in the policy file"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            scim.warnings_only(),
            Some(vec![
                "group:unknown@example.com: group is not syncing from SCIM and will be ignored \
                 by rules in the policy file"
                    .to_owned()
            ])
        );
        for not_only in [
            r#"{"message":"test(s) failed","data":[{"user":"u","errors":["a"]}]}"#,
            r#"{"message":"warning(s) found","data":[{"user":"u","warnings":["w"],"errors":["e"]}]}"#,
            r#"{"message":"warning(s) found","data":[]}"#,
            r#"{"message":"warning(s) found"}"#,
            r#"{"message":"warning(s) found","data":[{"user":"u"}]}"#,
            r#"{"message":"bad policy","data":[{"user":"u","warnings":["w"]}]}"#,
        ] {
            let m: Message = serde_json::from_str(not_only).unwrap();
            assert_eq!(m.warnings_only(), None, "{not_only}");
        }
    }

    #[test]
    fn timestamps_and_seconds_are_tolerant() {
        let k: Key = serde_json::from_str(
            r#"{"id":"k1","created":"2018-11-23T08:36:50.562154543Z","updated":null,
                "expires":"2024-04-12T18:39:49+00:00","revoked":"0001-01-01T00:00:00Z",
                "expirySeconds":7776000.0}"#,
        )
        .unwrap();
        assert_eq!(
            k.created.unwrap().to_string(),
            "2018-11-23T08:36:50.562154543Z"
        );
        assert_eq!(k.updated, None);
        assert_eq!(k.expires.unwrap().to_string(), "2024-04-12T18:39:49Z");
        assert_eq!(k.revoked, None);
        assert_eq!(k.expiry_seconds, Some(7_776_000));
        let bad = serde_json::from_str::<Key>(r#"{"id":"k1","created":"yesterday"}"#).unwrap_err();
        assert!(bad.to_string().starts_with("invalid timestamp"), "{bad}");
        let neg = serde_json::from_str::<Key>(r#"{"id":"k1","expirySeconds":-1}"#).unwrap_err();
        assert!(
            neg.to_string().starts_with("invalid number of seconds"),
            "{neg}"
        );
    }
}

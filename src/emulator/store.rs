//! `Store`: everything the emulator knows — the organization, its tailnets (each with its policy
//! file), keys (auth keys and OAuth clients), access tokens, webhooks, the clock offset and the id
//! generator. Pure data and pure operations; HTTP lives in the endpoint files, disk in `persist`.
//!
//! Lifecycle decisions (TAILSCALE-API leaves them open):
//! - A key is *invalid* from the earliest of: its `revoked` time (DELETE), its use (one-off auth
//!   keys, via `/_emulator/keys/{id}/use`), its `expires` time (auth keys). Only DELETE sets
//!   `revoked`; an expired or used key shows `invalid: true` without `revoked`.
//! - Seven emulator days after a key became invalid it is purged: GET answers 404.
//! - Access tokens minted by OAuth clients are stored apart from keys, but a key list with
//!   `all=true` shows the valid tokens minted for the tailnet as `keyType: "api"` entries (see
//!   `keys`). The `keyType: "api"` keys stored here are user API keys made by
//!   `POST /_emulator/api-keys` (see `api_keys`); like auth keys they are invalid from their
//!   `expires` on.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::api_keys::UserApiKey;
use super::clock::{Clock, plus_seconds, whole_seconds};
use super::ids::{IdGen, SecretKind};
use super::policy::PolicyRecord;
use super::scope::{Resource, Scope, Scopes};
use super::secret_hash::SecretHash;
use crate::secret::{Secret, expose_serialize};

/// Version of the `--data` file layout.
pub(crate) const DATA_VERSION: u32 = 1;
/// How long an invalid key stays readable before GET answers 404.
pub(crate) const PURGE_AFTER_SECONDS: i64 = 7 * 24 * 3600;
/// The original tailnet's display name, also accepted as its legacy id in paths.
pub(crate) const ORIGINAL_TAILNET_NAME: &str = "example.com";
/// Description of the organization's OAuth client.
const ORG_CLIENT_DESCRIPTION: &str = "emulator organization client";

/// The whole emulated world.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Store {
    pub version: u32,
    pub clock: Clock,
    pub ids: IdGen,
    pub org: Org,
    pub tailnets: BTreeMap<String, TailnetRecord>,
    pub keys: BTreeMap<String, KeyRecord>,
    pub tokens: BTreeMap<String, TokenRecord>,
    /// Webhook endpoints by id (each names its tailnet).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub webhooks: BTreeMap<String, super::webhook_record::WebhookRecord>,
    /// How many keys were ever created (orders key lists by creation).
    pub keys_created: u64,
    /// When [`Store::purge`] last scanned everything (not saved: a restart scans again).
    #[serde(skip)]
    purged_at: Option<Timestamp>,
}

/// [`Store::purge`] scans at most once per this much emulator time.
const PURGE_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(1);

/// The one organization.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Org {
    pub id: String,
    /// The tailnet the organization started with; it cannot be deleted.
    pub original_tailnet: String,
    /// The organization's OAuth client (scopes `all`, `tailnets`).
    pub client_id: String,
    /// Its secret, kept in clear (the only one): the emulator prints it at every start.
    #[serde(serialize_with = "expose_serialize")]
    pub client_secret: Secret,
}

/// A tailnet and its policy file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TailnetRecord {
    pub id: String,
    pub display_name: String,
    pub dns_name: String,
    pub created_at: Timestamp,
    pub policy: PolicyRecord,
    /// Its settings.
    #[serde(default)]
    pub settings: super::tailnet_settings::TailnetSettings,
    /// What `acl/validate` reports as warnings for a valid policy (set by a test control).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validate_warnings: Vec<ValidateWarning>,
}

/// One `data` entry of a `warning(s) found` validation answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ValidateWarning {
    /// Who or what the warnings are about (`group:…@example.com`).
    pub user: String,
    /// The warnings.
    pub warnings: Vec<String>,
}

/// An auth key, an OAuth client or a user API key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyRecord {
    pub id: String,
    /// Creation order (set by [`Store::insert_key`]).
    pub seq: u64,
    pub tailnet: String,
    /// The SHA-256 of the key or client secret (shown once, at creation).
    #[serde(rename = "secretSha256", alias = "secret")]
    pub secret: SecretHash,
    pub created: Timestamp,
    pub description: String,
    pub revoked: Option<Timestamp>,
    pub kind: KeyKind,
}

/// What kind of key, with the attributes of that kind.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "keyType", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum KeyKind {
    /// `keyType: "auth"`.
    Auth(AuthKey),
    /// `keyType: "client"`.
    Client(OAuthClient),
    /// `keyType: "api"`: a user API key (only `POST /_emulator/api-keys` makes them).
    Api(UserApiKey),
    /// `keyType: "federated"`: a federated identity (no secret; tokens come from
    /// `/oauth/token-exchange`).
    Federated(FederatedIdentity),
}

/// Federated-identity attributes (replaced by PUT).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FederatedIdentity {
    pub scopes: Scopes,
    pub tags: Vec<String>,
    pub updated: Timestamp,
    pub issuer: String,
    pub subject: String,
    pub audience: String,
    pub custom_claim_rules: BTreeMap<String, String>,
}

/// Auth-key attributes (immutable once created).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AuthKey {
    pub reusable: bool,
    pub ephemeral: bool,
    pub preauthorized: bool,
    pub tags: Vec<String>,
    pub expiry_seconds: i64,
    pub expires: Timestamp,
    /// When a one-off key was used.
    pub used: Option<Timestamp>,
}

/// OAuth-client attributes (replaced by PUT).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OAuthClient {
    pub scopes: Scopes,
    pub tags: Vec<String>,
    pub updated: Timestamp,
}

/// An access token minted by `POST /oauth/token`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TokenRecord {
    pub id: String,
    /// The SHA-256 of the access token.
    #[serde(rename = "secretSha256", alias = "secret")]
    pub secret: SecretHash,
    pub client_id: String,
    /// The tailnet the token acts on (the client's own, or one named by `tailnet=`).
    pub tailnet: String,
    pub scopes: Scopes,
    pub tags: Vec<String>,
    pub expires: Timestamp,
}

/// How the organization starts.
pub(crate) struct Genesis<'a> {
    pub seed: Option<u64>,
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
}

impl KeyRecord {
    /// When the key became invalid, if it is invalid at `now`.
    pub fn invalid_since(&self, now: Timestamp) -> Option<Timestamp> {
        // Called for every key on every request (lists, purges): no allocation.
        let (used, expires) = match &self.kind {
            KeyKind::Auth(auth) => (auth.used, Some(auth.expires)),
            KeyKind::Client(_) | KeyKind::Federated(_) => (None, None),
            KeyKind::Api(api) => (None, Some(api.expires)),
        };
        [self.revoked, used, expires]
            .into_iter()
            .flatten()
            .filter(|t| *t <= now)
            .min()
    }

    /// True when the key is revoked, used up or expired at `now`.
    pub fn is_invalid(&self, now: Timestamp) -> bool {
        self.invalid_since(now).is_some()
    }

    /// True when the key has been invalid for the purge period.
    pub fn is_purged(&self, now: Timestamp) -> bool {
        self.invalid_since(now)
            .is_some_and(|since| plus_seconds(since, PURGE_AFTER_SECONDS) <= now)
    }

    /// The client attributes, when this is an OAuth client.
    pub fn as_client(&self) -> Option<&OAuthClient> {
        match &self.kind {
            KeyKind::Client(c) => Some(c),
            KeyKind::Auth(_) | KeyKind::Api(_) | KeyKind::Federated(_) => None,
        }
    }

    /// The federated-identity attributes, when this is one.
    pub fn as_federated(&self) -> Option<&FederatedIdentity> {
        match &self.kind {
            KeyKind::Federated(f) => Some(f),
            _ => None,
        }
    }

    /// The scope family that reads or writes this key.
    pub fn family(&self) -> Resource {
        match self.kind {
            KeyKind::Auth(_) => Resource::AuthKeys,
            KeyKind::Client(_) => Resource::OAuthKeys,
            KeyKind::Api(_) => Resource::ApiAccessTokens,
            KeyKind::Federated(_) => Resource::FederatedKeys,
        }
    }
}

impl Store {
    /// A fresh organization: the original tailnet with the default policy and the
    /// organization's OAuth client (scopes `all` and `tailnets`, no tags).
    pub fn new(genesis: &Genesis<'_>, now: Timestamp) -> Self {
        let mut ids = IdGen::new(genesis.seed);
        let org_id = ids.org_id();
        let tailnet_id = ids.tailnet_id();
        let dns_name = ids.dns_name();
        let client_id = genesis
            .client_id
            .map_or_else(|| ids.key_id(), str::to_owned);
        let secret = match genesis.client_secret {
            Some(s) => Secret::new(s),
            None => ids.secret(SecretKind::Client, &client_id),
        };
        let mut store = Store {
            version: DATA_VERSION,
            clock: Clock::default(),
            ids,
            org: Org {
                id: org_id,
                original_tailnet: tailnet_id.clone(),
                client_id: client_id.clone(),
                client_secret: secret.clone(),
            },
            tailnets: BTreeMap::new(),
            keys: BTreeMap::new(),
            tokens: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            keys_created: 0,
            purged_at: None,
        };
        store.insert_tailnet(TailnetRecord {
            id: tailnet_id.clone(),
            display_name: ORIGINAL_TAILNET_NAME.to_owned(),
            dns_name,
            created_at: now,
            policy: PolicyRecord::default_policy(),
            settings: Default::default(),
            validate_warnings: Vec::new(),
        });
        let scopes = Scopes::new([
            Scope::write(Resource::All),
            Scope::write(Resource::Tailnets),
        ]);
        store.insert_client(NewClient {
            id: client_id,
            tailnet: tailnet_id,
            secret: SecretHash::of(&secret),
            scopes,
            tags: Vec::new(),
            description: ORG_CLIENT_DESCRIPTION.to_owned(),
            now,
        });
        store
    }

    /// The emulator's "now".
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Adds a tailnet.
    pub fn insert_tailnet(&mut self, tailnet: TailnetRecord) {
        self.tailnets.insert(tailnet.id.clone(), tailnet);
    }

    /// A key id no key or token uses yet.
    pub fn fresh_key_id(&mut self) -> String {
        loop {
            let id = self.ids.key_id();
            if !self.keys.contains_key(&id) && !self.tokens.contains_key(&id) {
                return id;
            }
        }
    }

    /// A tailnet id no tailnet uses yet.
    pub fn fresh_tailnet_id(&mut self) -> String {
        loop {
            let id = self.ids.tailnet_id();
            if !self.tailnets.contains_key(&id) {
                return id;
            }
        }
    }

    /// Adds an OAuth client.
    pub fn insert_client(&mut self, new: NewClient) {
        let created = whole_seconds(new.now);
        let record = KeyRecord {
            id: new.id,
            seq: 0,
            tailnet: new.tailnet,
            secret: new.secret,
            created,
            description: new.description,
            revoked: None,
            kind: KeyKind::Client(OAuthClient {
                scopes: new.scopes,
                tags: new.tags,
                updated: created,
            }),
        };
        self.insert_key(record);
    }

    /// Adds a key, numbering it in creation order.
    pub fn insert_key(&mut self, mut record: KeyRecord) {
        self.keys_created += 1;
        record.seq = self.keys_created;
        self.keys.insert(record.id.clone(), record);
    }

    /// The key `id` of `tailnet` as the API sees it at `now` (`None` when absent or purged).
    pub fn visible_key(&self, tailnet: &str, id: &str, now: Timestamp) -> Option<&KeyRecord> {
        self.keys
            .get(id)
            .filter(|k| k.tailnet == tailnet && !k.is_purged(now))
    }

    /// A valid OAuth client or federated identity, by id: what an access token is minted from.
    pub fn valid_issuer(&self, id: &str, now: Timestamp) -> Option<&KeyRecord> {
        self.keys.get(id).filter(|k| {
            matches!(k.kind, KeyKind::Client(_) | KeyKind::Federated(_)) && !k.is_invalid(now)
        })
    }

    /// A valid (not revoked, not purged) OAuth client, by id.
    pub fn valid_client(&self, id: &str, now: Timestamp) -> Option<&KeyRecord> {
        self.keys
            .get(id)
            .filter(|k| k.as_client().is_some() && !k.is_invalid(now))
    }

    /// Revokes key `id` at `now` (keeping an earlier revocation) and, for a client, drops the
    /// tokens it issued.
    pub fn revoke_key(&mut self, id: &str, now: Timestamp) {
        if let Some(key) = self.keys.get_mut(id) {
            key.revoked.get_or_insert(whole_seconds(now));
        }
        self.tokens.retain(|_, t| t.client_id != id);
    }

    /// Deletes a tailnet and everything in it; tokens of its clients and tokens minted for it
    /// become invalid.
    pub fn delete_tailnet(&mut self, id: &str) {
        self.tailnets.remove(id);
        let removed: Vec<String> = self
            .keys
            .values()
            .filter(|k| k.tailnet == id)
            .map(|k| k.id.clone())
            .collect();
        self.keys.retain(|_, k| k.tailnet != id);
        self.webhooks.retain(|_, w| w.tailnet != id);
        self.tokens
            .retain(|_, t| t.tailnet != id && !removed.contains(&t.client_id));
    }

    /// Drops purged keys and expired tokens (and tokens whose client is gone), at most once per
    /// second of emulator time: a scan of every key and token on every write would make each
    /// write O(store). Memory hygiene only — every read already treats a purged key as gone and
    /// checks a token's expiry and client when it is presented.
    pub fn purge(&mut self, now: Timestamp) {
        if self
            .purged_at
            .is_some_and(|at| at <= now && now < at + PURGE_EVERY)
        {
            return;
        }
        self.purged_at = Some(now);
        self.keys.retain(|_, k| !k.is_purged(now));
        let keys = &self.keys;
        self.tokens.retain(|_, t| {
            t.expires > now
                && keys
                    .get(&t.client_id)
                    .is_some_and(|c| c.as_client().is_some() && !c.is_invalid(now))
        });
    }

    /// The tailnet of this display name (unique in the organization, case-insensitively).
    pub fn tailnet_named(&self, name: &str) -> Option<&TailnetRecord> {
        let name = name.to_lowercase();
        self.tailnets
            .values()
            .find(|t| t.display_name.to_lowercase() == name)
    }

    /// A tailnet by id or by DNS name (`tail1234.ts.net`, any case).
    pub fn tailnet_by_id_or_dns(&self, segment: &str) -> Option<&TailnetRecord> {
        self.tailnets.get(segment).or_else(|| {
            self.tailnets
                .values()
                .find(|t| t.dns_name.eq_ignore_ascii_case(segment))
        })
    }
}

/// What `insert_client` needs.
pub(crate) struct NewClient {
    pub id: String,
    pub tailnet: String,
    pub secret: SecretHash,
    pub scopes: Scopes,
    pub tags: Vec<String>,
    pub description: String,
    pub now: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (Store, Timestamp) {
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let genesis = Genesis {
            seed: Some(5),
            client_id: None,
            client_secret: None,
        };
        (Store::new(&genesis, now), now)
    }

    #[test]
    fn genesis_has_the_original_tailnet_and_the_org_client() {
        let (s, now) = store();
        let t = &s.tailnets[&s.org.original_tailnet];
        assert_eq!(t.display_name, "example.com");
        let client = s.valid_client(&s.org.client_id, now).unwrap();
        assert_eq!(
            client.as_client().unwrap().scopes.names(),
            ["all", "tailnets"]
        );
        assert!(s.org.client_secret.expose().starts_with("tskey-client-"));
        assert!(client.secret.matches(s.org.client_secret.expose()));
    }

    /// The data file holds only hashes of the secrets the emulator issued (its organization
    /// client's excepted): under `tailform --emulator` it sits next to an encrypted state.
    #[test]
    fn the_serialised_store_holds_no_issued_secret() {
        let (mut s, _) = store();
        let key_id = s.fresh_key_id();
        let key_secret = s.ids.secret(SecretKind::AuthKey, &key_id);
        s.insert_client(NewClient {
            id: key_id,
            tailnet: s.org.original_tailnet.clone(),
            secret: SecretHash::of(&key_secret),
            scopes: Scopes::new([Scope::write(Resource::All)]),
            tags: Vec::new(),
            description: String::new(),
            now: Timestamp::UNIX_EPOCH,
        });
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains(key_secret.expose()));
        assert_eq!(
            json.matches("tskey-").count(),
            1,
            "only the org client's secret"
        );
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let (mut s, now) = store();
        let token_id = s.fresh_key_id();
        let token_secret = s.ids.secret(SecretKind::AccessToken, &token_id);
        let token = TokenRecord {
            id: token_id.clone(),
            secret: SecretHash::of(&token_secret),
            client_id: s.org.client_id.clone(),
            tailnet: s.org.original_tailnet.clone(),
            scopes: Scopes::new([Scope::write(Resource::All)]),
            tags: Vec::new(),
            expires: now,
        };
        s.tokens.insert(token_id.clone(), token);
        let key_id = s.fresh_key_id();
        let key_secret = s.ids.secret(SecretKind::AuthKey, &key_id);
        s.insert_key(KeyRecord {
            id: key_id.clone(),
            seq: 0,
            tailnet: s.org.original_tailnet.clone(),
            secret: SecretHash::of(&key_secret),
            created: now,
            description: String::new(),
            revoked: None,
            kind: KeyKind::Auth(AuthKey {
                reusable: false,
                ephemeral: false,
                preauthorized: false,
                tags: vec!["tag:a".into()],
                expiry_seconds: 60,
                expires: now,
                used: None,
            }),
        });
        let org_secret = s.org.client_secret.expose().to_owned();
        let debugs = [
            format!("{s:?}"),
            format!("{:?}", s.keys[&key_id]),
            format!("{:?}", s.keys[&s.org.client_id]),
            format!("{:?}", s.tokens[&token_id]),
            format!("{:?}", s.tailnets[&s.org.original_tailnet]),
            format!("{:?}", s.ids),
            // The create response's view carries the secret to serialise it, never to show it.
            format!(
                "{:?}",
                super::super::key_view::key_out(
                    &s.keys[&key_id],
                    now,
                    super::super::key_view::Reveal::Secret(&key_secret)
                )
            ),
        ];
        for debug in &debugs {
            for secret in [token_secret.expose(), key_secret.expose(), &org_secret] {
                assert!(!debug.contains(secret), "{debug}");
            }
        }
        assert!(debugs[0].contains(&key_id) && debugs[0].contains("(sensitive value)"));
    }

    #[test]
    fn revoked_keys_are_purged_after_seven_days() {
        let (mut s, now) = store();
        let id = s.org.client_id.clone();
        let tailnet = s.org.original_tailnet.clone();
        s.revoke_key(&id, now);
        let key = s.visible_key(&tailnet, &id, now).unwrap();
        assert_eq!(key.invalid_since(now), Some(now));
        let almost = plus_seconds(now, PURGE_AFTER_SECONDS - 1);
        assert!(s.visible_key(&tailnet, &id, almost).is_some());
        let later = plus_seconds(now, PURGE_AFTER_SECONDS);
        assert!(s.visible_key(&tailnet, &id, later).is_none());
        s.purge(later);
        assert!(!s.keys.contains_key(&id));
    }
}

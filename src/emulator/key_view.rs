//! How a stored key looks on the wire (TAILSCALE-API §2.5/§2.8):
//! - auth key: `id, keyType, created, expires, expirySeconds, capabilities.devices.create
//!   {reusable, ephemeral, preauthorized, tags?}, description`; no top-level `scopes`/`tags`,
//!   no `updated`;
//! - OAuth client: `id, keyType, created, updated, scopes, tags?, description`; no `expires`,
//!   `expirySeconds` or `capabilities`; `tags` absent when empty;
//! - federated identity: `id, keyType: "federated", created, updated, scopes, tags?,
//!   description, audience, issuer, subject, customClaimRules` (`{}` when none, measured); no
//!   `key`, ever;
//! - user API key: `id, keyType: "api", created, expires, expirySeconds, scopes, description`;
//!   no `capabilities`, `tags` or `updated`;
//! - each stored key: `invalid: true` only when invalid, `revoked` only once revoked, `key` only in the
//!   create response; `userId` never (every key here is created by a trust credential, and the
//!   emulator has no users);
//! - an access token minted from an OAuth client: `id, keyType: "api", expirySeconds (3600),
//!   created, expires, scopes, description` — the shape of the OpenAPI example and of the real
//!   sample (`samples/keys.json`) without `userId`, which an OAuth-minted token has no reason to
//!   carry [assumed]; `description` is empty [assumed: FIDELITY-2 §10 asks which it is].

use jiff::Timestamp;

use super::clock::plus_seconds;
use super::store::{KeyKind, KeyRecord, TokenRecord};
use super::token::TOKEN_LIFETIME_SECONDS;
use super::wire::{CapabilitiesOut, CreateOut, DevicesOut, KeyOut, Revealed, WholeSeconds};
use crate::secret::Secret;

/// Whether the secret is shown.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Reveal<'s> {
    /// Only in the create response: the secret just made (the store keeps only its hash).
    Secret(&'s Secret),
    /// Everywhere else.
    Metadata,
}

/// The wire form of `key` at `now`, borrowed from the record.
pub(crate) fn key_out<'a>(key: &'a KeyRecord, now: Timestamp, reveal: Reveal<'a>) -> KeyOut<'a> {
    let mut out = KeyOut {
        id: &key.id,
        key: match reveal {
            Reveal::Secret(s) => Some(Revealed(s.expose())),
            Reveal::Metadata => None,
        },
        key_type: "auth",
        expiry_seconds: None,
        created: WholeSeconds(key.created),
        updated: None,
        expires: None,
        revoked: key.revoked.map(WholeSeconds),
        capabilities: None,
        scopes: None,
        tags: None,
        description: &key.description,
        audience: None,
        issuer: None,
        subject: None,
        custom_claim_rules: None,
        invalid: key.is_invalid(now),
    };
    match &key.kind {
        KeyKind::Auth(auth) => {
            out.expiry_seconds = Some(auth.expiry_seconds);
            out.expires = Some(WholeSeconds(auth.expires));
            out.capabilities = Some(CapabilitiesOut {
                devices: DevicesOut {
                    create: CreateOut {
                        reusable: auth.reusable,
                        ephemeral: auth.ephemeral,
                        preauthorized: auth.preauthorized,
                        tags: &auth.tags,
                    },
                },
            });
        }
        KeyKind::Client(client) => {
            out.key_type = "client";
            out.updated = Some(WholeSeconds(client.updated));
            out.scopes = Some(client.scopes.names());
            out.tags = (!client.tags.is_empty()).then_some(client.tags.as_slice());
        }
        KeyKind::Federated(f) => {
            out.key_type = "federated";
            out.updated = Some(WholeSeconds(f.updated));
            out.scopes = Some(f.scopes.names());
            out.tags = (!f.tags.is_empty()).then_some(f.tags.as_slice());
            out.audience = Some(&f.audience);
            out.issuer = Some(&f.issuer);
            out.subject = Some(&f.subject);
            out.custom_claim_rules = Some(&f.custom_claim_rules);
        }
        KeyKind::Api(api) => {
            out.key_type = "api";
            out.expiry_seconds = Some(api.expiry_seconds);
            out.expires = Some(WholeSeconds(api.expires));
            out.scopes = Some(super::api_keys::scopes().names());
        }
    }
    out
}

/// The wire form of an access token minted from an OAuth client (`keyType: "api"`).
pub(crate) fn token_out(token: &TokenRecord) -> KeyOut<'_> {
    KeyOut {
        id: &token.id,
        key: None,
        key_type: "api",
        expiry_seconds: Some(TOKEN_LIFETIME_SECONDS),
        created: WholeSeconds(plus_seconds(token.expires, -TOKEN_LIFETIME_SECONDS)),
        updated: None,
        expires: Some(WholeSeconds(token.expires)),
        revoked: None,
        capabilities: None,
        scopes: Some(token.scopes.names()),
        tags: None,
        description: "",
        audience: None,
        issuer: None,
        subject: None,
        custom_claim_rules: None,
        invalid: false,
    }
}

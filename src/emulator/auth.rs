//! Who is calling: the `Authorization` header (Bearer, or Basic with the token as username and
//! an empty password) resolved to a live access token, and the `{tailnet}` path segment
//! resolved against that token (its id, `-`, its DNS name, or `example.com` for the original
//! tailnet).
//!
//! A `tskey-api-…` value is an access token minted by an OAuth client or, failing that, a user
//! API key (`api_keys`). 401 `API token invalid` for anything missing, malformed, unknown,
//! expired, or whose client or tailnet is gone. An OAuth client *secret* used as a bearer token is recognised and refused
//! with 403 `calling actor does not have enough permissions to perform this function`.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;

use super::api_error::ApiError;
use super::api_keys;
use super::audit::Audit;
use super::ids::SecretKind;
use super::scope::{Scope, Scopes};
use super::store::{ORIGINAL_TAILNET_NAME, Store};
use super::tags::TagHolder;

/// An authenticated request's credential.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The OAuth client that minted the token (for a user API key: the key's own id).
    pub client_id: String,
    /// The tailnet the token acts on.
    pub tailnet: String,
    pub scopes: Scopes,
    pub tags: Vec<String>,
    /// A user API key rather than an OAuth-derived token.
    pub user_key: bool,
}

impl Caller {
    /// Resolves the `{tailnet}` path segment: `-`, the token's tailnet id, its DNS name
    /// (`tail1234.ts.net`, any case: real callers address API-only tailnets so, measured,
    /// FIDELITY-2 §1 #10), or the original tailnet's legacy id. Anything else is 403 `user
    /// tailnet does not match`, whether or not such a tailnet exists.
    pub fn resolve_tailnet(&self, segment: &str, store: &Store) -> Result<String, ApiError> {
        let own = &self.tailnet;
        let legacy = segment == ORIGINAL_TAILNET_NAME && *own == store.org.original_tailnet;
        let dns = store
            .tailnet_by_id_or_dns(segment)
            .is_some_and(|t| t.id == *own);
        if segment == "-" || segment == own || legacy || dns {
            Ok(own.clone())
        } else {
            Err(ApiError::tailnet_mismatch())
        }
    }

    /// True when the token's scopes grant `scope`.
    pub fn can(&self, scope: Scope) -> bool {
        self.scopes.grants(scope)
    }

    /// 403 unless the token's scopes grant `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.can(scope) {
            Ok(())
        } else {
            Err(ApiError::missing_scope())
        }
    }

    /// The token as a holder of tags, for the tag rules.
    pub fn tag_holder(&self) -> TagHolder<'_> {
        TagHolder {
            scopes: &self.scopes,
            tags: &self.tags,
        }
    }
}

/// Authenticates the request and resolves its `{tailnet}` segment, recording both in `audit`.
pub(crate) fn authorize(
    store: &Store,
    headers: &HeaderMap,
    now: Timestamp,
    segment: &str,
    audit: &Audit,
) -> Result<(Caller, String), ApiError> {
    let caller = authenticate(store, headers, now)?;
    audit.client(&caller.client_id);
    let tailnet = caller.resolve_tailnet(segment, store)?;
    audit.tailnet(&tailnet);
    Ok((caller, tailnet))
}

/// Resolves the request's credential at `now`.
pub(crate) fn authenticate(
    store: &Store,
    headers: &HeaderMap,
    now: Timestamp,
) -> Result<Caller, ApiError> {
    let presented = presented_token(headers).ok_or_else(ApiError::token_invalid)?;
    if let Some(rest) = presented.strip_prefix(SecretKind::AccessToken.prefix()) {
        return caller_for_token(store, rest, &presented, now);
    }
    if let Some(rest) = presented.strip_prefix(SecretKind::Client.prefix()) {
        let is_client_secret = rest
            .split_once('-')
            .and_then(|(id, _)| store.valid_client(id, now))
            .is_some_and(|c| c.secret.matches(&presented));
        if is_client_secret {
            return Err(ApiError::client_secret_as_token());
        }
    }
    Err(ApiError::token_invalid())
}

fn caller_for_token(
    store: &Store,
    rest: &str,
    presented: &str,
    now: Timestamp,
) -> Result<Caller, ApiError> {
    let (id, _) = rest.split_once('-').ok_or_else(ApiError::token_invalid)?;
    if let Some(key) = api_keys::authenticate(store, id, presented, now) {
        return Ok(Caller {
            client_id: key.id.clone(),
            tailnet: key.tailnet.clone(),
            scopes: api_keys::scopes(),
            tags: Vec::new(),
            user_key: true,
        });
    }
    let token = store
        .tokens
        .get(id)
        .filter(|t| t.secret.matches(presented) && t.expires > now)
        .ok_or_else(ApiError::token_invalid)?;
    if store.valid_issuer(&token.client_id, now).is_none()
        || !store.tailnets.contains_key(&token.tailnet)
    {
        return Err(ApiError::token_invalid());
    }
    Ok(Caller {
        client_id: token.client_id.clone(),
        tailnet: token.tailnet.clone(),
        scopes: token.scopes.clone(),
        tags: token.tags.clone(),
        user_key: false,
    })
}

/// The token from `Authorization: Bearer <t>` or `Authorization: Basic base64(<t>:)`.
fn presented_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let (user, password) = basic_credentials(rest)?;
        return password.is_empty().then_some(user);
    }
    None
}

/// Decodes `base64(user:password)`.
pub(crate) fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let bytes = STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// The `Basic` credentials of a request, if it carries them.
pub(crate) fn basic_header(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("basic")
        .then(|| basic_credentials(rest))
        .flatten()
}

//! `POST /api/v2/oauth/token`: the OAuth 2.0 client-credentials exchange (TAILSCALE-API §4).
//!
//! The form (`application/x-www-form-urlencoded`) carries `client_id`/`client_secret` — or they
//! come as HTTP Basic — plus optional `grant_type` (must be `client_credentials`), `scope`,
//! `tags` (space-delimited) and `tailnet`. Tokens live 3600 s on the emulator clock.
//!
//! Decisions:
//! - Order: wrong content type (400) → bad credentials (401) → unknown/duplicate parameters,
//!   `grant_type`, unknown scope names, unknown `tailnet` (400) → access to another tailnet and
//!   scopes the client cannot grant (403) → tags not permitted (400).
//! - Without `scope` the token gets all the client's scopes; without `tags`, all its tags.
//!   Legacy scope names are accepted and expanded. The response's `scope` leaves out the
//!   organization scopes (`"all"` for the organization client, as measured).
//! - `tailnet=<id>` other than the client's own needs a client that holds `all` *and* belongs to
//!   the organization's original tailnet (a client of an API-only tailnet cannot reach its
//!   siblings); otherwise 403 `OAuth client cannot grant access to tailnet "<id>"`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;

use super::api_error::ApiError;
use super::audit::Audit;
use super::auth::basic_header;
use super::clock::plus_seconds;
use super::ids::SecretKind;
use super::scope::{Requested, Scopes};
use super::secret_hash::SecretHash;
use super::state::Shared;
use super::store::{ORIGINAL_TAILNET_NAME, Store, TokenRecord};
use super::tags::{TagHolder, check_token_tags};
use super::wire::TokenOut;

/// Lifetime of an access token.
pub(crate) const TOKEN_LIFETIME_SECONDS: i64 = 3600;

const PARAMETERS: [&str; 6] = [
    "client_id",
    "client_secret",
    "grant_type",
    "scope",
    "tags",
    "tailnet",
];

/// The decoded form.
struct TokenForm {
    fields: BTreeMap<String, String>,
    problem: Option<String>,
}

impl TokenForm {
    fn parse(headers: &HeaderMap, body: &[u8]) -> Result<Self, ApiError> {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !body.is_empty() && !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(ApiError::bad_request(
                "the token endpoint takes an application/x-www-form-urlencoded body",
            ));
        }
        let mut fields = BTreeMap::new();
        let mut problem = None;
        for (name, value) in url::form_urlencoded::parse(body) {
            if !PARAMETERS.contains(&name.as_ref()) {
                problem.get_or_insert(format!("unknown parameter {:?}", name.as_ref()));
            } else if fields.insert(name.to_string(), value.to_string()).is_some() {
                problem.get_or_insert(format!(
                    "parameter {:?} is given more than once",
                    name.as_ref()
                ));
            }
        }
        Ok(Self { fields, problem })
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// A space-delimited list, `None` when absent or blank.
    fn list(&self, name: &str) -> Option<Vec<String>> {
        let items: Vec<String> = self
            .get(name)?
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        (!items.is_empty()).then_some(items)
    }
}

/// `POST /api/v2/oauth/token`.
pub(crate) async fn exchange(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<TokenOut>, ApiError> {
    let form = TokenForm::parse(&headers, &body)?;
    let basic = basic_header(&headers);
    shared
        .write(|store, now| mint(store, now, &form, basic, &audit))
        .map(Json)
}

/// The authenticated client's (or federated identity's) identity and grants.
pub(crate) struct ClientGrant {
    pub id: String,
    pub tailnet: String,
    pub scopes: Scopes,
    pub tags: Vec<String>,
}

fn mint(
    store: &mut Store,
    now: Timestamp,
    form: &TokenForm,
    basic: Option<(String, String)>,
    audit: &Audit,
) -> Result<TokenOut, ApiError> {
    let client = authenticate_client(store, now, form, basic)?;
    audit.client(&client.id);
    let requested = check_form(form)?;
    let tailnet = target_tailnet(store, form.get("tailnet"), &client.tailnet)?;
    check_tailnet_access(store, &client, &tailnet)?;
    let scopes = granted_scopes(requested, &client.scopes)?;
    let tags = match form.list("tags") {
        Some(tags) => {
            let owners = store
                .tailnets
                .get(&tailnet)
                .map(|t| t.policy.tag_owners())
                .unwrap_or_default();
            let holder = TagHolder {
                scopes: &client.scopes,
                tags: &client.tags,
            };
            check_token_tags(&tags, &owners, holder)?;
            tags
        }
        None => client.tags,
    };
    audit.tailnet(&tailnet);
    Ok(store_token(store, now, client.id, tailnet, scopes, tags))
}

/// Parameters, `grant_type` and scope names (400); the requested scopes, if any.
fn check_form(form: &TokenForm) -> Result<Option<Requested>, ApiError> {
    if let Some(problem) = &form.problem {
        return Err(ApiError::bad_request(problem.clone()));
    }
    if let Some(grant) = form
        .get("grant_type")
        .filter(|g| *g != "client_credentials")
    {
        return Err(ApiError::bad_request(format!(
            "unsupported grant_type {grant:?}"
        )));
    }
    form.list("scope")
        .map(|names| {
            Requested::parse(names.iter().map(String::as_str))
                .map_err(|name| ApiError::bad_request(format!("unknown scope {name:?}")))
        })
        .transpose()
}

/// Another tailnet needs `all` and a client of the original tailnet.
pub(crate) fn check_tailnet_access(
    store: &Store,
    client: &ClientGrant,
    tailnet: &str,
) -> Result<(), ApiError> {
    let allowed = tailnet == client.tailnet
        || (client.scopes.has_all() && client.tailnet == store.org.original_tailnet);
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("OAuth client cannot grant access to tailnet {tailnet:?}"),
        ))
    }
}

/// The requested scopes when the client can grant them all; all its scopes when none asked.
fn granted_scopes(requested: Option<Requested>, held: &Scopes) -> Result<Scopes, ApiError> {
    let Some(requested) = requested else {
        return Ok(held.clone());
    };
    let refused = requested.not_granted_by(held);
    if refused.is_empty() {
        Ok(requested.scopes)
    } else {
        Err(ApiError::cannot_grant(&refused))
    }
}

fn authenticate_client(
    store: &Store,
    now: Timestamp,
    form: &TokenForm,
    basic: Option<(String, String)>,
) -> Result<ClientGrant, ApiError> {
    let (id, secret) = match (form.get("client_id"), form.get("client_secret")) {
        (Some(id), Some(secret)) => (id.to_owned(), secret.to_owned()),
        _ => basic.ok_or_else(ApiError::token_invalid)?,
    };
    let record = store
        .valid_client(&id, now)
        .filter(|c| c.secret.matches(&secret))
        .ok_or_else(ApiError::token_invalid)?;
    let client = record.as_client().ok_or_else(ApiError::token_invalid)?;
    Ok(ClientGrant {
        id: record.id.clone(),
        tailnet: record.tailnet.clone(),
        scopes: client.scopes.clone(),
        tags: client.tags.clone(),
    })
}

pub(crate) fn target_tailnet(
    store: &Store,
    asked: Option<&str>,
    own: &str,
) -> Result<String, ApiError> {
    let legacy = |t: &str| t == ORIGINAL_TAILNET_NAME && own == store.org.original_tailnet;
    match asked {
        None | Some("" | "-") => Ok(own.to_owned()),
        Some(t) if t == own || legacy(t) => Ok(own.to_owned()),
        Some(t) if store.tailnets.contains_key(t) => Ok(t.to_owned()),
        Some(t) => Err(ApiError::bad_request(format!("tailnet {t:?} not found"))),
    }
}

/// The token response's `scope`: the granted scopes without the organization scopes
/// `tailnets`/`tailnets:read`, which a real token response does not show (measured: an
/// organization client holding `all` and `tailnets` reports `"all"`, FIDELITY-2 §1 #13, §3); a
/// token of nothing but organization scopes shows them (assumed).
fn scope_string(scopes: &Scopes) -> String {
    let names = scopes.names();
    let shown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !matches!(*n, "tailnets" | "tailnets:read"))
        .collect();
    if shown.is_empty() {
        names.join(" ")
    } else {
        shown.join(" ")
    }
}

pub(crate) fn store_token(
    store: &mut Store,
    now: Timestamp,
    client_id: String,
    tailnet: String,
    scopes: Scopes,
    tags: Vec<String>,
) -> TokenOut {
    let id = store.fresh_key_id();
    let secret = store.ids.secret(SecretKind::AccessToken, &id);
    let out = TokenOut {
        access_token: secret.expose().to_owned(),
        token_type: "Bearer",
        expires_in: TOKEN_LIFETIME_SECONDS,
        scope: scope_string(&scopes),
        tags: (!tags.is_empty()).then(|| tags.join(" ")),
    };
    let record = TokenRecord {
        id: id.clone(),
        secret: SecretHash::of(&secret),
        client_id,
        tailnet,
        scopes,
        tags,
        expires: plus_seconds(now, TOKEN_LIFETIME_SECONDS),
    };
    store.tokens.insert(id, record);
    out
}

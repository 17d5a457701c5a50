//! API-only tailnets (TAILSCALE-API §6): `GET|POST /api/v2/organizations/{org}/tailnets` and
//! `DELETE /api/v2/tailnet/{tailnet}`.
//!
//! Decisions (the source of each in brackets: measured, documented or assumed):
//! - `{org}` must be `-` (the token's organization); anything else is 404. [assumed]
//! - List needs `tailnets:read`, create needs `tailnets`; `all` grants neither (an organization
//!   scope, see `scope`). A create without it answers 403 `actor does not have permission to
//!   create tailnets` [measured, FIDELITY-2 §3]. The list includes the original tailnet, oldest
//!   first, with `totalCount`; `createdAt` keeps nanoseconds, as the real list does.
//! - The create body's unknown fields are ignored (the real API accepted `{"displayName", …,
//!   "tailnetName"}`) [measured, FIDELITY-2 §1 #11]; `displayName` is required.
//! - Display names match `^[A-Za-z0-9' -]{1,50}$` (400 otherwise) [measured, FIDELITY-2 §1 #3]
//!   and are unique in the organization case-insensitively [documented].
//! - A display name that is taken is not an error: the answer is 200 with the existing tailnet
//!   and `"alreadyExists": true` (the live OpenAPI description: "true where the call matched an
//!   existing tailnet rather than making one") [documented, FIDELITY-2 §1 #9, §8.2]. What
//!   `oauthClient` then holds is unknown (§10); the emulator's decision: nothing — the answer has
//!   no `oauthClient`, because a secret is shown only once and a repeated create must not mint a
//!   second credential nobody asked for [assumed]. A new tailnet's answer carries
//!   `"alreadyExists": false`.
//! - The cap counts the original tailnet (400 `organization has reached its limit of N
//!   tailnets`) [assumed wording]; a taken name answers `alreadyExists` even at the cap.
//!   Checked in this order: scope, body, display name, taken name, cap.
//! - A new tailnet gets the default policy and an OAuth client with scopes `["all"]`, no tags and
//!   an empty description, listed among its keys; its secret is shown once, in the response.
//! - DELETE needs `all` and a token for that very tailnet (its id, `-`, or its DNS name); the
//!   original tailnet answers 400.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;

use super::api_error::ApiError;
use super::audit::Audit;
use super::auth::{Caller, authenticate, authorize};
use super::clock::rfc3339_precise;
use super::ids::SecretKind;
use super::policy::PolicyRecord;
use super::scope::{Resource, Scope, Scopes};
use super::secret_hash::SecretHash;
use super::state::Shared;
use super::store::{NewClient, Store, TailnetRecord};
use super::wire::{
    CreateTailnetBody, CreatedTailnet, CreatedTailnetClient, TailnetList, TailnetOut,
};

/// Longest display name.
const MAX_DISPLAY_NAME: usize = 50;

fn authorize_org(
    store: &Store,
    headers: &HeaderMap,
    now: Timestamp,
    org: &str,
    audit: &Audit,
) -> Result<Caller, ApiError> {
    let caller = authenticate(store, headers, now)?;
    audit.client(&caller.client_id);
    if org != "-" {
        return Err(ApiError::not_found("organization"));
    }
    Ok(caller)
}

/// `GET /api/v2/organizations/{org}/tailnets`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> Result<Json<TailnetList>, ApiError> {
    shared.read(|store, now| {
        let caller = authorize_org(store, &headers, now, &org, &audit)?;
        caller.require(Scope::read(Resource::Tailnets))?;
        let mut tailnets: Vec<&TailnetRecord> = store.tailnets.values().collect();
        tailnets.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        let tailnets: Vec<TailnetOut> = tailnets
            .into_iter()
            .map(|t| TailnetOut {
                id: t.id.clone(),
                display_name: t.display_name.clone(),
                org_id: store.org.id.clone(),
                created_at: rfc3339_precise(t.created_at),
            })
            .collect();
        Ok(Json(TailnetList {
            total_count: tailnets.len(),
            tailnets,
        }))
    })
}

/// `POST /api/v2/organizations/{org}/tailnets`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(org): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CreatedTailnet>, ApiError> {
    let max = shared.max_tailnets;
    shared
        .write(|store, now| {
            let caller = authorize_org(store, &headers, now, &org, &audit)?;
            if !caller.can(Scope::write(Resource::Tailnets)) {
                return Err(ApiError::cannot_create_tailnets());
            }
            let request: CreateTailnetBody = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
            let name = request.display_name;
            check_display_name(&name)?;
            if let Some(existing) = store.tailnet_named(&name) {
                audit.tailnet(&existing.id);
                return Ok(CreatedTailnet {
                    id: existing.id.clone(),
                    display_name: existing.display_name.clone(),
                    org_id: store.org.id.clone(),
                    dns_name: existing.dns_name.clone(),
                    created_at: rfc3339_precise(existing.created_at),
                    oauth_client: None,
                    already_exists: true,
                });
            }
            if store.tailnets.len() >= max {
                return Err(ApiError::bad_request(format!(
                    "organization has reached its limit of {max} tailnets"
                )));
            }
            let created = create_tailnet(store, now, name);
            audit.tailnet(&created.id);
            if let Some(client) = &created.oauth_client {
                audit.key(&client.id);
                shared.client_created(&client.id);
            }
            Ok(created)
        })
        .map(Json)
}

fn check_display_name(name: &str) -> Result<(), ApiError> {
    let count = name.chars().count();
    let chars_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '\'' || c == '-');
    if (1..=MAX_DISPLAY_NAME).contains(&count) && chars_ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "invalid displayName {name:?}: use 1 to {MAX_DISPLAY_NAME} ASCII letters, digits, spaces, apostrophes or hyphens"
        )))
    }
}

fn create_tailnet(store: &mut Store, now: Timestamp, display_name: String) -> CreatedTailnet {
    let id = store.fresh_tailnet_id();
    let dns_name = store.ids.dns_name();
    let client_id = store.fresh_key_id();
    let secret = store.ids.secret(SecretKind::Client, &client_id);
    let out = CreatedTailnet {
        id: id.clone(),
        display_name: display_name.clone(),
        org_id: store.org.id.clone(),
        dns_name: dns_name.clone(),
        created_at: rfc3339_precise(now),
        oauth_client: Some(CreatedTailnetClient {
            id: client_id.clone(),
            secret: secret.expose().to_owned(),
        }),
        already_exists: false,
    };
    store.insert_tailnet(TailnetRecord {
        id: id.clone(),
        display_name,
        dns_name,
        created_at: now,
        policy: PolicyRecord::default_policy(),
        settings: Default::default(),
        validate_warnings: Vec::new(),
    });
    store.insert_client(NewClient {
        id: client_id,
        tailnet: id,
        secret: SecretHash::of(&secret),
        scopes: Scopes::new([Scope::write(Resource::All)]),
        tags: Vec::new(),
        description: String::new(),
        now,
    });
    out
}

/// `DELETE /api/v2/tailnet/{tailnet}`.
pub(crate) async fn delete(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        caller.require(Scope::write(Resource::All))?;
        if tailnet == store.org.original_tailnet {
            return Err(ApiError::bad_request(
                "the organization's original tailnet cannot be deleted",
            ));
        }
        store.delete_tailnet(&tailnet);
        Ok(StatusCode::OK)
    })
}

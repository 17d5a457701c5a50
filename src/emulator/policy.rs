//! The policy file of each tailnet (POLICY-WEBHOOKS §2–§3): the default every tailnet starts
//! with, the ETag, `If-Match`, and the three endpoints `GET|POST /tailnet/{t}/acl` and
//! `POST /tailnet/{t}/acl/validate`.
//!
//! Decisions:
//! - The stored text is kept verbatim; the ETag is `"<sha256 hex of the stored text>"`, sent on
//!   every GET and successful POST.
//! - `If-Match` (quoted or not) is checked before the body is read (HTTP precondition order), so
//!   a stale hash answers 412 even when the new body is invalid. `"ts-default"` matches only the
//!   untouched default. An empty POST body resets the policy to the default, which counts as
//!   untouched again.
//! - Whether an API-only tailnet's first policy counts as "the untouched default" is unknown
//!   (FIDELITY-2 §1 #2, §10): by default it does; with `strictTsDefault` in `/_emulator/faults`,
//!   `"ts-default"` matches only the original tailnet's untouched default and never an API-only
//!   tailnet's policy (412), so a client that relies on it fails a test.
//! - GET/POST answer JSON (normalised, comments gone) when `Accept` mentions `application/json`,
//!   the stored HuJSON (`Content-Type: application/hujson`) otherwise.
//! - `/acl/validate` with a JSON array (policy tests) answers with a message: the emulator has
//!   no users or devices to run tests against.
//! - `/acl/validate` of a valid policy on a tailnet given warnings by the test control
//!   `POST /_emulator/tailnets/{tailnet}/validate-warnings` answers 200
//!   `{"message": "warning(s) found", "data": [{"user", "warnings"}]}`, the shape of the OpenAPI
//!   example `validateSCIMGroupsNotSynced` (SCIM groups that are not syncing; the emulator has no
//!   SCIM, hence the control) [documented]; an invalid policy's error wins over warnings.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, Path, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, ETAG, IF_MATCH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::api_error::ApiError;
use super::audit::Audit;
use super::auth::authorize;
use super::policy_check::{PolicyDoc, Syntax};
use super::scope::{Resource, Scope};
use super::state::Shared;
use super::store::Store;
use super::tags::TagOwners;

/// The policy every tailnet starts with: allow-all `grants`, `tagOwners` only as a comment.
pub(crate) const DEFAULT_POLICY: &str = r#"// Example/default ACLs for unrestricted connections.
{
	// Declare static groups of users. Use autogroups for all users or users with a specific role.
	// "groups": {
	//  	"group:example": ["alice@example.com", "bob@example.com"],
	// },

	// Define the tags which can be applied to devices and by which users.
	// "tagOwners": {
	//  	"tag:example": ["autogroup:admin"],
	// },

	// Define grants that govern access for users, groups, autogroups, tags,
	// Tailscale IP addresses, and subnet ranges.
	"grants": [
		// Allow all connections.
		// Comment this section out if you want to define specific restrictions.
		{"src": ["*"], "dst": ["*"], "ip": ["*"]},
	],

	// Define users and devices that can use Tailscale SSH.
	"ssh": [
		// Allow all users to SSH into their own devices in check mode.
		// Comment this section out if you want to define specific restrictions.
		{
			"action": "check",
			"src":    ["autogroup:member"],
			"dst":    ["autogroup:self"],
			"users":  ["autogroup:nonroot", "root"],
		},
	],
}
"#;

/// The `If-Match` value that matches only the untouched default policy.
const TS_DEFAULT: &str = "ts-default";

/// A tailnet's stored policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PolicyRecord {
    /// The text as posted.
    pub text: String,
    /// True while the policy is the untouched default.
    pub is_default: bool,
}

impl PolicyRecord {
    /// The default policy, untouched.
    pub fn default_policy() -> Self {
        Self {
            text: DEFAULT_POLICY.to_owned(),
            is_default: true,
        }
    }

    /// SHA-256 of the stored text, hex.
    pub fn etag(&self) -> String {
        hex::encode(Sha256::digest(self.text.as_bytes()))
    }

    /// The stored policy, parsed (it was validated when stored).
    pub fn doc(&self) -> Result<PolicyDoc, ApiError> {
        PolicyDoc::parse(&self.text, Syntax::HuJson)
            .map_err(|m| ApiError::internal(format!("the stored policy is unreadable: {m}")))
    }

    /// The tags the policy defines (none when the stored text were unreadable).
    pub fn tag_owners(&self) -> TagOwners {
        self.doc().map(|d| d.tag_owners()).unwrap_or_default()
    }

    /// True when an `If-Match` value (quoted or not) matches this policy; `ts_default` says
    /// whether `"ts-default"` may match it at all (not on an API-only tailnet in strict mode).
    pub fn matches(&self, if_match: &str, ts_default: bool) -> bool {
        let value = if_match.trim().trim_matches('"');
        if value == TS_DEFAULT {
            ts_default && self.is_default
        } else {
            value == self.etag()
        }
    }
}

/// The policy of `tailnet` (which exists: the caller's token is for it).
fn policy_of<'a>(store: &'a Store, tailnet: &str) -> Result<&'a PolicyRecord, ApiError> {
    store
        .tailnets
        .get(tailnet)
        .map(|t| &t.policy)
        .ok_or_else(|| ApiError::not_found("tailnet"))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

fn body_syntax(headers: &HeaderMap) -> Syntax {
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"));
    if json { Syntax::Json } else { Syntax::HuJson }
}

/// The policy in the format `Accept` asks for, with its ETag.
fn policy_response(record: &PolicyRecord, headers: &HeaderMap) -> Result<Response, ApiError> {
    let (content_type, body) = if wants_json(headers) {
        ("application/json", record.doc()?.to_json())
    } else {
        ("application/hujson", record.text.clone())
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(CONTENT_TYPE, content_type)
        .header(ETAG, format!("\"{}\"", record.etag()))
        .body(Body::from(body))
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn body_text(body: &Bytes) -> Result<&str, ApiError> {
    std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("invalid policy file: the body is not UTF-8"))
}

/// `GET /api/v2/tailnet/{tailnet}/acl`.
pub(crate) async fn get_policy(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    shared.read(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        caller.require(Scope::read(Resource::PolicyFile))?;
        policy_response(policy_of(store, &tailnet)?, &headers)
    })
}

/// `POST /api/v2/tailnet/{tailnet}/acl`.
pub(crate) async fn set_policy(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let strict = shared.faults().config().strict_ts_default;
    shared.write(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        caller.require(Scope::write(Resource::PolicyFile))?;
        let current = policy_of(store, &tailnet)?;
        let ts_default = !strict || tailnet == store.org.original_tailnet;
        if let Some(if_match) = headers.get(IF_MATCH) {
            let value = if_match.to_str().unwrap_or_default();
            if !current.matches(value, ts_default) {
                return Err(ApiError::new(
                    StatusCode::PRECONDITION_FAILED,
                    "precondition failed, invalid old hash",
                ));
            }
        }
        let text = body_text(&body)?;
        let record = if text.trim().is_empty() {
            PolicyRecord::default_policy()
        } else {
            PolicyDoc::parse(text, body_syntax(&headers)).map_err(ApiError::bad_request)?;
            PolicyRecord {
                text: text.to_owned(),
                is_default: false,
            }
        };
        let response = policy_response(&record, &headers)?;
        if let Some(t) = store.tailnets.get_mut(&tailnet) {
            t.policy = record;
        }
        Ok(response)
    })
}

/// `POST /api/v2/tailnet/{tailnet}/acl/validate`: 200 `{}` when valid, 200 `{"message"}` not.
pub(crate) async fn validate_policy(
    State(shared): State<Arc<Shared>>,
    Extension(audit): Extension<Audit>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    shared.read(|store, now| {
        let (caller, tailnet) = authorize(store, &headers, now, &segment, &audit)?;
        caller.require(Scope::read(Resource::PolicyFile))?;
        let warnings = store
            .tailnets
            .get(&tailnet)
            .map(|t| t.validate_warnings.as_slice())
            .unwrap_or_default();
        let valid = || {
            if warnings.is_empty() {
                json!({})
            } else {
                json!({"message": "warning(s) found", "data": warnings})
            }
        };
        let text = match std::str::from_utf8(&body) {
            Ok(text) => text,
            Err(_) => {
                return Ok(Json(
                    json!({"message": "invalid policy file: the body is not UTF-8"}),
                ));
            }
        };
        if text.trim_start().starts_with('[') {
            return Ok(Json(json!({
                "message": "the emulator cannot run policy tests: it has no users or devices"
            })));
        }
        if text.trim().is_empty() {
            return Ok(Json(valid()));
        }
        Ok(Json(match PolicyDoc::parse(text, body_syntax(&headers)) {
            Ok(_) => valid(),
            Err(message) => json!({ "message": message }),
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_defines_no_tag() {
        let record = PolicyRecord::default_policy();
        let doc = record.doc().unwrap();
        assert_eq!(doc.tag_owners(), TagOwners::default());
        assert!(doc.to_json().contains("\"grants\""));
    }

    #[test]
    fn if_match_quoted_unquoted_and_ts_default() {
        let record = PolicyRecord::default_policy();
        let etag = record.etag();
        assert_eq!(etag.len(), 64);
        assert!(record.matches(&etag, true));
        assert!(record.matches(&format!("\"{etag}\""), true));
        assert!(record.matches("\"ts-default\"", true));
        assert!(record.matches("ts-default", true));
        assert!(!record.matches("\"0000\"", true));
        let touched = PolicyRecord {
            text: DEFAULT_POLICY.to_owned(),
            is_default: false,
        };
        assert!(!touched.matches("\"ts-default\"", true));
        assert!(touched.matches(&etag, true));
        // Strict: `ts-default` never matches, the ETag still does.
        assert!(!record.matches("\"ts-default\"", false));
        assert!(record.matches(&etag, false));
    }
}

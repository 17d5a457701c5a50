//! The emulator's test OIDC issuer: a signing key, its JWKS, signed JWTs on request, and the
//! verification `/oauth/token-exchange` applies. It stands in for a CI provider (GitHub
//! Actions) so that tests mint real signed tokens without the internet.
//!
//! Routes (emulator only, no authentication, like every `/_emulator/` control):
//! - `GET /_emulator/oidc/.well-known/openid-configuration` → `{issuer, jwks_uri, …}`;
//! - `GET /_emulator/oidc/jwks` → `{"keys": [<the P-256 key>]}`;
//! - `POST /_emulator/oidc/token` `{"subject", "audience", "issuer"?, "expiresInSeconds"?,
//!   "claims"?: {…}}` → `{"token": "<jwt>"}` (ES256; `iat`/`nbf` now and `exp` now + 300 s on
//!   the emulator clock unless told; `issuer` defaults to [`ISSUER`]);
//! - `GET /_emulator/oidc/actions?subject=…&audience=…` with any non-empty
//!   `Authorization: Bearer …` → `{"count": 1, "value": "<jwt>"}`: GitHub Actions' token
//!   endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`), with `repository_owner`/`repository` claims
//!   read from a `repo:<owner>/<name>:…` subject. Each fetch is logged in `/_emulator/stats`
//!   (path `/_emulator/oidc/actions`), so tests see when tailform fetched a token.
//!
//! Decisions:
//! - The issuer is the fixed identifier [`ISSUER`] (an `https` URL under the reserved `.invalid`
//!   domain), not the emulator's own `http://127.0.0.1:…` address: the real API takes only
//!   `https` issuers, and the emulator is as strict. Its keys are served at the routes above.
//! - The emulator cannot fetch another issuer's keys (no network): a token from any other issuer
//!   fails verification, answered like any mismatch.
//! - One key per process, generated at first use (tokens minted by one emulator verify at
//!   another in the same process; a restarted emulator refuses tokens of the previous one).

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::api_error::ApiError;
use super::audit::AuditRecord;
use super::state::Shared;
use super::stats::Finished;

/// The test issuer's identifier (`iss`).
pub(crate) const ISSUER: &str = "https://oidc.emulator.tailform.invalid";
/// GitHub Actions' token endpoint, as the emulator serves it.
pub(crate) const ACTIONS_ROUTE: &str = "/_emulator/oidc/actions";
/// Default lifetime of a minted token (GitHub's are about five minutes).
const DEFAULT_LIFETIME_SECONDS: i64 = 300;

struct Issuer {
    key: EcdsaKeyPair,
    kid: String,
}

static KEY: LazyLock<Option<Issuer>> = LazyLock::new(|| {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).ok()?;
    let kid = hex::encode(&sha2_digest(key.public_key().as_ref())[..8]);
    Some(Issuer { key, kid })
});

fn sha2_digest(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

fn issuer() -> Result<&'static Issuer, ApiError> {
    KEY.as_ref()
        .ok_or_else(|| ApiError::internal("the emulator's OIDC signing key could not be made"))
}

/// Signs `claims` as an ES256 JWT.
fn sign(claims: &Map<String, Value>) -> Result<String, ApiError> {
    let issuer = issuer()?;
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": issuer.kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    );
    let signature = issuer
        .key
        .sign(&SystemRandom::new(), input.as_bytes())
        .map_err(|_| ApiError::internal("signing the token failed"))?;
    Ok(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    ))
}

/// Why a token is refused (never shown to the caller, who sees only `Unauthorized`; logged at
/// debug level for whoever runs the emulator).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refused {
    /// Not a readable ES256 JWT.
    #[error("not a readable JWT")]
    Malformed,
    /// Another issuer (its keys are out of reach) or a bad signature.
    #[error("the signature does not verify with the emulator issuer's key")]
    Signature,
    /// A claim does not match.
    #[error("claim `{0}` does not match")]
    Claim(&'static str),
    /// A custom claim rule does not match.
    #[error("custom claim `{0}` does not match")]
    CustomClaim(String),
    /// Expired or not yet valid.
    #[error("the token is expired or not yet valid")]
    Time,
}

/// A verified token's claims.
pub(crate) type Claims = Map<String, Value>;

/// Verifies `jwt`'s signature (the emulator issuer's key) and time claims at `now`; answers the
/// claims for the caller to match.
pub(crate) fn verify(jwt: &str, now: Timestamp) -> Result<Claims, Refused> {
    let mut parts = jwt.split('.');
    let (Some(head), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Refused::Malformed);
    let header: Value = serde_json::from_slice(&decode(head)?).map_err(|_| Refused::Malformed)?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256") {
        return Err(Refused::Signature);
    }
    let issuer = issuer().map_err(|_| Refused::Signature)?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, issuer.key.public_key().as_ref())
        .verify(format!("{head}.{body}").as_bytes(), &decode(sig)?)
        .map_err(|_| Refused::Signature)?;
    let claims: Claims = serde_json::from_slice(&decode(body)?).map_err(|_| Refused::Malformed)?;
    let at = |name: &str| claims.get(name).and_then(Value::as_f64);
    let now = now.as_second() as f64;
    match (at("exp"), at("nbf")) {
        (Some(exp), nbf) if exp > now && nbf.is_none_or(|nbf| nbf <= now) => Ok(claims),
        _ => Err(Refused::Time),
    }
}

/// The claim `name` as a string (`aud` may be a list: true when any entry equals `want`).
pub(crate) fn claim_matches(claims: &Claims, name: &str, want: impl Fn(&str) -> bool) -> bool {
    match claims.get(name) {
        Some(Value::String(s)) => want(s),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).any(want),
        Some(Value::Bool(b)) => want(if *b { "true" } else { "false" }),
        Some(Value::Number(n)) => want(&n.to_string()),
        _ => false,
    }
}

/// `POST /_emulator/oidc/token` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MintBody {
    subject: String,
    audience: String,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    expires_in_seconds: Option<i64>,
    #[serde(default)]
    claims: BTreeMap<String, Value>,
}

fn claims_for(
    now: Timestamp,
    issuer: &str,
    subject: &str,
    audience: &str,
    lifetime: i64,
    extra: impl IntoIterator<Item = (String, Value)>,
) -> Claims {
    let now = now.as_second();
    let mut claims = Map::new();
    for (name, value) in extra {
        claims.insert(name, value);
    }
    claims.insert("iss".into(), json!(issuer));
    claims.insert("sub".into(), json!(subject));
    claims.insert("aud".into(), json!(audience));
    claims.insert("iat".into(), json!(now));
    claims.insert("nbf".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime));
    claims
}

async fn mint(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: MintBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))?;
    let claims = claims_for(
        shared.now(),
        body.issuer.as_deref().unwrap_or(ISSUER),
        &body.subject,
        &body.audience,
        body.expires_in_seconds.unwrap_or(DEFAULT_LIFETIME_SECONDS),
        body.claims,
    );
    Ok(Json(json!({"token": sign(&claims)?})))
}

/// `GET /_emulator/oidc/actions` query.
#[derive(Debug, Deserialize)]
struct ActionsQuery {
    audience: Option<String>,
    subject: Option<String>,
}

/// GitHub Actions' OIDC token endpoint, as `ACTIONS_ID_TOKEN_REQUEST_URL` serves it.
async fn actions(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<ActionsQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|t| !t.trim().is_empty());
    if bearer.is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "the request token is missing",
        ));
    }
    // Logged like an API request (the one `/_emulator/` route that is): it stands in for a
    // foreign API, and tests prove from the log when tailform fetched a token.
    shared.stats().record(Finished {
        method: "GET".to_owned(),
        path: ACTIONS_ROUTE.to_owned(),
        status: 200,
        audit: AuditRecord::default(),
    });
    let subject = query
        .subject
        .unwrap_or_else(|| "repo:example/repo:ref:refs/heads/main".to_owned());
    let mut extra = Vec::new();
    if let Some(repo) = subject
        .strip_prefix("repo:")
        .and_then(|r| r.split(':').next())
    {
        extra.push(("repository".to_owned(), json!(repo)));
        if let Some((owner, _)) = repo.split_once('/') {
            extra.push(("repository_owner".to_owned(), json!(owner)));
        }
    }
    let audience = query.audience.unwrap_or_default();
    let claims = claims_for(
        shared.now(),
        ISSUER,
        &subject,
        &audience,
        DEFAULT_LIFETIME_SECONDS,
        extra,
    );
    Ok(Json(json!({"count": 1, "value": sign(&claims)?})))
}

async fn configuration(headers: HeaderMap) -> Json<Value> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    Json(json!({
        "issuer": ISSUER,
        "jwks_uri": format!("http://{host}/_emulator/oidc/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
}

async fn jwks() -> Result<Json<Value>, ApiError> {
    let issuer = issuer()?;
    // An uncompressed P-256 point: 0x04 ‖ x ‖ y.
    let point = issuer.key.public_key().as_ref();
    let (x, y) = point
        .get(1..33)
        .zip(point.get(33..65))
        .ok_or_else(|| ApiError::internal("unexpected public key shape"))?;
    Ok(Json(json!({"keys": [{
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
        "kid": issuer.kid,
        "x": URL_SAFE_NO_PAD.encode(x),
        "y": URL_SAFE_NO_PAD.encode(y),
    }]})))
}

/// The issuer's routes.
pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/_emulator/oidc/.well-known/openid-configuration",
            get(configuration),
        )
        .route("/_emulator/oidc/jwks", get(jwks))
        .route("/_emulator/oidc/token", post(mint))
        .route(ACTIONS_ROUTE, get(actions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-12-04T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let claims = claims_for(
            now(),
            ISSUER,
            "repo:o/r:ref:refs/heads/main",
            "aud1",
            300,
            [],
        );
        let jwt = sign(&claims).unwrap();
        let got = verify(&jwt, now()).unwrap();
        assert!(claim_matches(&got, "sub", |s| s == "repo:o/r:ref:refs/heads/main"));
        assert!(claim_matches(&got, "aud", |s| s == "aud1"));
        let later = now()
            .checked_add(jiff::SignedDuration::from_secs(300))
            .unwrap();
        assert_eq!(verify(&jwt, later), Err(Refused::Time));
    }

    #[test]
    fn a_tampered_token_is_refused() {
        let jwt = sign(&claims_for(now(), ISSUER, "a", "b", 300, [])).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = claims_for(now(), ISSUER, "other", "b", 300, []);
        let forged_body = URL_SAFE_NO_PAD.encode(Value::Object(forged).to_string());
        let tampered = format!("{}.{forged_body}.{}", parts[0], parts[2]);
        assert_eq!(verify(&tampered, now()), Err(Refused::Signature));
        assert_eq!(verify("a.b", now()), Err(Refused::Malformed));
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            parts[1]
        );
        assert_eq!(verify(&none, now()), Err(Refused::Signature));
    }
}

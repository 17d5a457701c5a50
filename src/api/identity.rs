//! [`IdentityToken`]: where a federated identity's OIDC token (a JWT) comes from, the checks
//! made before it is sent, and fetching it from GitHub Actions.
//!
//! Two sources, with the Terraform provider's variable names (see `crate::credentials`):
//! - a token handed over in `TAILSCALE_IDENTITY_TOKEN` (any CI system's OIDC token);
//! - GitHub Actions (`TAILSCALE_AUDIENCE` set): the job's token is fetched from
//!   `ACTIONS_ID_TOKEN_REQUEST_URL` with `&audience=<audience>` and
//!   `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answered `{"value": "<jwt>"}`. It is
//!   fetched again for every exchange, so a run that outlives its Tailscale token (1 h) gets a
//!   fresh OIDC token (GitHub's live about 5 minutes) rather than re-sending an expired one.
//!
//! Before an exchange the JWT is checked (`jwt`): three parts and an `exp` in the future.

use jiff::Timestamp;
use serde::Deserialize;

use super::client::Client;
use super::error::ApiError;
use super::jwt::check_jwt;
use super::request::{Method, Request};
use super::transport::read;
use crate::secret::Secret;

/// Where the OIDC token for a federated identity comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityToken {
    /// A token given in the environment (`TAILSCALE_IDENTITY_TOKEN`), used as is.
    Given(Secret),
    /// The GitHub Actions job's token, fetched for each exchange.
    GitHubActions {
        /// `ACTIONS_ID_TOKEN_REQUEST_URL` (it already carries a query).
        request_url: String,
        /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
        request_token: Secret,
        /// `TAILSCALE_AUDIENCE`: the federated identity's audience, asked of GitHub.
        audience: String,
    },
}

/// GitHub's answer: `{"count": …, "value": "<jwt>"}`.
#[derive(Deserialize)]
struct ActionsToken {
    value: Secret,
}

impl IdentityToken {
    /// The environment variable a problem with the token is reported against.
    pub(super) fn source(&self) -> &'static str {
        match self {
            IdentityToken::Given(_) => "TAILSCALE_IDENTITY_TOKEN",
            IdentityToken::GitHubActions { .. } => "ACTIONS_ID_TOKEN_REQUEST_URL",
        }
    }

    /// The secrets this source carries, to scrub from anything echoed back.
    pub(super) fn secrets(&self) -> Vec<&str> {
        match self {
            IdentityToken::Given(jwt) => vec![jwt.expose()],
            IdentityToken::GitHubActions { request_token, .. } => vec![request_token.expose()],
        }
    }

    /// What tells two sources apart in the token cache (hashed there, never kept).
    pub(super) fn cache_material(&self) -> Secret {
        match self {
            IdentityToken::Given(jwt) => jwt.clone(),
            IdentityToken::GitHubActions {
                request_url,
                request_token,
                audience,
            } => Secret::new(format!(
                "{request_url}\n{audience}\n{}",
                request_token.expose()
            )),
        }
    }
}

/// The GitHub request: `request_url` with `audience` appended to its query.
fn actions_request(request_url: &str, audience: &str) -> Result<(String, Request), String> {
    let mut url = url::Url::parse(request_url).map_err(|e| format!("it is not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("it has no host".to_owned()),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("it must be an https URL".to_owned()),
    }
    url.query_pairs_mut().append_pair("audience", audience);
    let origin = url.origin().ascii_serialization();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let mut req = Request::new(Method::Get, path).idempotent();
    req.origin = Some(origin.clone());
    Ok((origin, req))
}

impl Client {
    /// The JWT to exchange now: the given one, or a fresh one from GitHub Actions; checked
    /// (three parts, not expired) either way.
    pub(super) async fn identity_jwt(
        &self,
        client_id: &str,
        identity: &IdentityToken,
    ) -> Result<Secret, ApiError> {
        let jwt = match identity {
            IdentityToken::Given(jwt) => jwt.clone(),
            IdentityToken::GitHubActions {
                request_url,
                request_token,
                audience,
            } => {
                self.fetch_actions_token(request_url, request_token, audience)
                    .await?
            }
        };
        check_jwt(jwt.expose(), Timestamp::now()).map_err(|problem| ApiError::IdentityToken {
            client_id: client_id.to_owned(),
            source_var: identity.source(),
            problem,
        })?;
        Ok(jwt)
    }

    async fn fetch_actions_token(
        &self,
        request_url: &str,
        request_token: &Secret,
        audience: &str,
    ) -> Result<Secret, ApiError> {
        let (_, req) =
            actions_request(request_url, audience).map_err(|reason| ApiError::ActionsToken {
                cause: Box::new(ApiError::InvalidEndpoint {
                    url: "ACTIONS_ID_TOKEN_REQUEST_URL".to_owned(),
                    reason,
                }),
            })?;
        let wrap = |cause: ApiError| ApiError::ActionsToken {
            cause: Box::new(cause),
        };
        let auth = format!("Bearer {}", request_token.expose());
        let mut header = reqwest::header::HeaderValue::from_str(&auth).map_err(|_| {
            wrap(ApiError::ClientSetup {
                cause: "ACTIONS_ID_TOKEN_REQUEST_TOKEN cannot be sent in an HTTP header".to_owned(),
            })
        })?;
        header.set_sensitive(true);
        let secrets = [request_token.expose()];
        let answer = self
            .send_elsewhere(&req, &header, &secrets)
            .await
            .map_err(wrap)?;
        let token = read(&req, answer, |t: ActionsToken| {
            if t.value.expose().is_empty() {
                return Err("the answer has an empty `value`".to_owned());
            }
            Ok(t.value)
        })
        .map_err(wrap)?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_actions_request_appends_the_audience_to_the_query() {
        let (origin, req) = actions_request(
            "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0",
            "api.tailscale.com/Tz8 x",
        )
        .unwrap();
        assert_eq!(origin, "https://pipelines.actions.githubusercontent.com");
        assert_eq!(
            req.path,
            "/abc/idtoken?api-version=2.0&audience=api.tailscale.com%2FTz8+x"
        );
        assert_eq!(req.method, Method::Get);
        let (origin, _) = actions_request("http://127.0.0.1:9/t", "a").unwrap();
        assert_eq!(origin, "http://127.0.0.1:9");
        assert!(actions_request("http://example.com/t", "a").is_err());
        assert!(actions_request("not a url", "a").is_err());
    }

    #[test]
    fn debug_never_shows_a_token() {
        let given = IdentityToken::Given(Secret::new("eyJhbGci.secret-jwt.sig"));
        let actions = IdentityToken::GitHubActions {
            request_url: "https://x/y".into(),
            request_token: Secret::new("request-token-value"),
            audience: "aud".into(),
        };
        let text = format!("{given:?} {actions:?}");
        assert!(!text.contains("secret-jwt") && !text.contains("request-token-value"));
    }
}

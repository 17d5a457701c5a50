//! Access tokens: the client-credentials exchange at `POST /api/v2/oauth/token` and a federated
//! identity's at `POST /api/v2/oauth/token-exchange`, through the token cache (`token_cache`) so
//! that they are rare.
//!
//! The exchange for an OAuth client created in this run waits while the client propagates (a
//! 401, 403 or 404 from the token endpoint is retried within the propagation budget; see
//! `propagation`).
//!
//! A token response without `expires_in` is assumed to live 3600 s, the lifetime Tailscale
//! documents ("An OAuth access token expires after 1 hour"); a 401 corrects a wrong guess.

use std::time::{Duration, Instant};

use super::client::Client;
use super::credential::Exchange;
use super::endpoint;
use super::error::ApiError;
use super::identity::IdentityToken;
use super::propagation::{self, PropagationWait, Wait};
use super::request::Request;
use super::token_cache::{Minted, TokenKey};
use super::transport::{Answer, read};
use super::wire;
use crate::secret::Secret;

/// Assumed lifetime when the server does not say.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

impl Client {
    /// A Bearer token for the OAuth client or federated identity, from the cache or freshly
    /// minted.
    pub(super) async fn access_token(
        &self,
        key: &TokenKey,
        exchange: &Exchange<'_>,
    ) -> Result<Secret, ApiError> {
        self.tokens()
            .get_or_mint(key, || self.mint(key, exchange))
            .await
    }

    /// Exchanges the client credentials for a token (retried like any idempotent request). For
    /// an OAuth client created in this run, a 401, 403 or 404 is waited out within the
    /// propagation budget (see `propagation`); the caller holds the key's lock meanwhile, so
    /// every caller needing the token waits for this one exchange.
    async fn mint(&self, key: &TokenKey, exchange: &Exchange<'_>) -> Result<Minted, ApiError> {
        let mut wait: Option<Wait> = None;
        loop {
            let result = match exchange {
                Exchange::ClientSecret(secret) => self.mint_once(key, secret).await,
                Exchange::Identity(identity) => self.exchange_identity(key, identity).await,
            };
            let refused = match &result {
                Err(ApiError::TokenMint { cause, .. }) => match cause.as_ref() {
                    ApiError::Status { status, .. } if propagation::refuses(*status) => {
                        Some(*status)
                    }
                    _ => None,
                },
                _ => None,
            };
            let Some(status) = refused.filter(|_| self.new_credentials().contains(&key.client_id))
            else {
                return result;
            };
            let wait = wait.get_or_insert_with(Wait::start);
            let Some(delay) = wait.next(&self.config().propagation) else {
                // Not `expect_err`: a panic message must never show a token.
                let Err(cause) = result else {
                    unreachable!("a refused mint is an error");
                };
                return Err(ApiError::NotYetUsable {
                    client_id: key.client_id.clone(),
                    waited: wait.waited(&self.config().propagation),
                    cause: Box::new(cause),
                });
            };
            self.count_retry();
            self.report_wait(&PropagationWait {
                client_id: key.client_id.clone(),
                status,
                waited: wait.elapsed(),
            });
            tokio::time::sleep(delay).await;
        }
    }

    /// One exchange.
    async fn mint_once(&self, key: &TokenKey, client_secret: &Secret) -> Result<Minted, ApiError> {
        let wrap = |cause: ApiError| ApiError::TokenMint {
            client_id: key.client_id.clone(),
            cause: Box::new(cause),
        };
        let req = endpoint::token(&key.client_id, client_secret, key.tailnet.as_deref());
        self.count_mint();
        let requested_at = Instant::now();
        let answer = self
            .send_unauthenticated(&req, &[client_secret.expose()])
            .await
            .map_err(wrap)?;
        minted(&req, answer, &key.client_id, requested_at).map_err(wrap)
    }

    /// One federated exchange: the OIDC token (fetched afresh from GitHub Actions) for an
    /// access token. Never waited out like a new OAuth client: a refusal is reported at once.
    async fn exchange_identity(
        &self,
        key: &TokenKey,
        identity: &IdentityToken,
    ) -> Result<Minted, ApiError> {
        let jwt = self.identity_jwt(&key.client_id, identity).await?;
        let wrap = |cause: ApiError| ApiError::IdentityExchange {
            client_id: key.client_id.clone(),
            cause: Box::new(cause),
        };
        let req = endpoint::token_exchange(&key.client_id, &jwt, key.tailnet.as_deref());
        self.count_mint();
        let requested_at = Instant::now();
        let mut secrets = identity.secrets();
        secrets.push(jwt.expose());
        let answer = self
            .send_unauthenticated(&req, &secrets)
            .await
            .map_err(wrap)?;
        minted(&req, answer, &key.client_id, requested_at).map_err(wrap)
    }
}

/// Reads a token response (`{access_token, token_type, expires_in, scope}`) of either exchange.
fn minted(
    req: &Request,
    answer: Answer,
    client_id: &str,
    requested_at: Instant,
) -> Result<Minted, ApiError> {
    let token = read(req, answer, |t: wire::Token| {
        if t.access_token.expose().is_empty() {
            return Err("the token response has an empty `access_token`".to_owned());
        }
        Ok(t)
    })?;
    if let Some(kind) = token.token_type.as_deref()
        && !kind.eq_ignore_ascii_case("bearer")
    {
        tracing::debug!(
            client_id,
            token_type = kind,
            "token type is not Bearer; using it as a Bearer token"
        );
    }
    Ok(Minted {
        token: token.access_token,
        lifetime: token
            .expires_in
            .map_or(DEFAULT_LIFETIME, Duration::from_secs),
        requested_at,
    })
}

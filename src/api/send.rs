//! The authenticated `send()`: every API call goes through [`Client::send`], which puts the
//! credential into the `Authorization` header (an API key as HTTP Basic, an OAuth client as a
//! Bearer token from the token cache), re-mints once on a 401, and waits out the refusals of an
//! OAuth client created in this run (see `propagation`). The HTTP attempt itself, its retries
//! and the reading of the answer are `transport`'s.
//!
//! A request made with the token of an OAuth client created in this run that answers 401, 403
//! or 404 is sent again, with backoff, until the client is confirmed or the propagation budget
//! is spent.

use reqwest::header::{self, HeaderValue};

use super::client::Client;
use super::credential::Credential;
use super::error::ApiError;
use super::propagation::{self, PropagationWait, Wait};
use super::request::{Method, Request};
use super::token_cache::TokenKey;
use super::transport::{Answer, into_answer};
use crate::secret::Secret;

/// The `Authorization` header for one round, and the token behind it (OAuth only).
struct Authorization {
    header: HeaderValue,
    token: Option<(TokenKey, Secret)>,
}

impl Client {
    /// Sends `req` with `cred`; returns a 2xx answer, or the error. A 401 on an OAuth token
    /// drops the token, mints a new one and sends once more.
    pub(super) async fn send(&self, cred: &Credential, req: &Request) -> Result<Answer, ApiError> {
        let mut prior_attempts = 0;
        let mut reminted = false;
        let mut wait: Option<Wait> = None;
        loop {
            let auth = self.authorization(cred).await?;
            let mut secrets = cred.secrets();
            if let Some((_, token)) = &auth.token {
                secrets.push(token.expose());
            }
            let received = self
                .execute(req, Some(&auth.header), &secrets)
                .await
                .map_err(|e| e.with_prior_attempts(prior_attempts))?;
            if let Some((key, token)) = &auth.token {
                let new = self.new_credentials().contains(&key.client_id);
                if new && propagation::refuses(received.status) {
                    let wait = wait.get_or_insert_with(Wait::start);
                    let status = received.status;
                    let attempts = received.attempts;
                    let Some(delay) = wait.next(&self.config().propagation) else {
                        // Not `expect_err`: a panic message must never show an answer.
                        let Err(cause) = into_answer(req, received, prior_attempts, &secrets)
                        else {
                            unreachable!("a refused status is an error");
                        };
                        return Err(ApiError::NotYetUsable {
                            client_id: key.client_id.clone(),
                            waited: wait.waited(&self.config().propagation),
                            cause: Box::new(cause),
                        });
                    };
                    prior_attempts += attempts;
                    if status == 401 {
                        self.tokens().invalidate(key, token).await;
                    }
                    self.count_retry();
                    self.report_wait(&PropagationWait {
                        client_id: key.client_id.clone(),
                        status,
                        waited: wait.elapsed(),
                    });
                    tokio::time::sleep(delay).await;
                    continue;
                }
                if new && (200..300).contains(&received.status) {
                    self.new_credentials().confirm(&key.client_id);
                }
            }
            if let (401, false, Some((key, token))) = (received.status, reminted, &auth.token) {
                reminted = true;
                prior_attempts += received.attempts;
                self.tokens().invalidate(key, token).await;
                self.count_retry();
                tracing::debug!(method = %req.method, path = %req.path, client_id = %key.client_id,
                    "401 with an OAuth token: minting a new token and sending once more");
                continue;
            }
            return into_answer(req, received, prior_attempts, &secrets);
        }
    }

    async fn authorization(&self, cred: &Credential) -> Result<Authorization, ApiError> {
        use base64::Engine as _;
        let Some((key, exchange)) = cred.token_source() else {
            let Credential::ApiKey(api_key) = cred else {
                unreachable!("only an API key has no token source");
            };
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{}:", api_key.expose()));
            let header =
                sensitive(HeaderValue::from_str(&format!("Basic {encoded}"))).map_err(|_| {
                    ApiError::ClientSetup {
                        cause: "the API key cannot be sent in an HTTP header".to_owned(),
                    }
                })?;
            return Ok(Authorization {
                header,
                token: None,
            });
        };
        let token = self.access_token(&key, &exchange).await?;
        let header = sensitive(HeaderValue::from_str(&format!("Bearer {}", token.expose())))
            .map_err(|_| ApiError::TokenMint {
                client_id: key.client_id.clone(),
                cause: Box::new(ApiError::Decode {
                    method: Method::Post,
                    path: exchange.path().to_owned(),
                    status: 200,
                    detail: "the access token has characters not allowed in an HTTP header"
                        .to_owned(),
                }),
            })?;
        Ok(Authorization {
            header,
            token: Some((key, token)),
        })
    }
}

fn sensitive(
    value: Result<HeaderValue, header::InvalidHeaderValue>,
) -> Result<HeaderValue, header::InvalidHeaderValue> {
    value.map(|mut v| {
        v.set_sensitive(true);
        v
    })
}

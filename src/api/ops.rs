//! The typed operations the reconciler calls. Each is thin: build the request (`endpoint`),
//! send it (`send`), convert the answer (`wire`). A 404 becomes a value where the API contract
//! makes it one (`KeyLookup::NotFound`, `Deleted::NotFound`).

use std::collections::HashSet;

use super::client::Client;
use super::credential::Credential;
use super::endpoint;
use super::error::ApiError;
use super::request::Request;
use super::transport::{Answer, read, unreadable};
use super::types::{
    AuthKeyRequest, CreatedKey, CreatedTailnet, Deleted, FederatedIdentityRequest, KeyInfo,
    KeyLookup, OAuthClientRequest, PolicyBody, PolicyDocument, PolicyValidation, TailnetInfo,
};
use super::{body, wire};

impl Client {
    /// Proves that `cred` authenticates, without calling an endpoint: an OAuth client's access
    /// token is minted (or taken from the cache, where the calls that follow find it); an API
    /// key has nothing to mint and is `Ok`. A refused exchange is [`ApiError::TokenMint`] (a
    /// federated identity's: [`ApiError::IdentityExchange`] or [`ApiError::IdentityToken`]).
    pub async fn ensure_token(&self, cred: &Credential) -> Result<(), ApiError> {
        match cred.token_source() {
            None => Ok(()),
            Some((key, exchange)) => self.access_token(&key, &exchange).await.map(drop),
        }
    }

    /// Lists the organisation's tailnets (including its original tailnet), following `cursor`
    /// paging when the server uses it. Needs an org credential with `tailnets:read`.
    pub async fn list_tailnets(&self, cred: &Credential) -> Result<Vec<TailnetInfo>, ApiError> {
        let mut tailnets = Vec::new();
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let req = endpoint::list_tailnets(cursor.as_deref());
            let page: wire::TailnetList = read(&req, self.send(cred, &req).await?, Ok)?;
            tailnets.extend(
                page.tailnets
                    .unwrap_or_default()
                    .into_iter()
                    .map(wire::Tailnet::into_info),
            );
            match page.cursor.filter(|c| !c.is_empty()) {
                None => return Ok(tailnets),
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(unreadable(
                        &req,
                        200,
                        "the server returned a paging cursor it had already returned".to_owned(),
                    ));
                }
                Some(next) => cursor = Some(next),
            }
        }
    }

    /// Creates an API-only tailnet; the answer holds its bootstrap OAuth client's one-time
    /// secret. Never retried once it may have reached the server
    /// ([`ApiError::OutcomeUnknown`]). An answer with `alreadyExists: true` (the API matched an
    /// existing tailnet of that name) is [`ApiError::AlreadyExists`], whatever else it holds: it
    /// is not a tailnet this call created.
    pub async fn create_tailnet(
        &self,
        cred: &Credential,
        display_name: &str,
    ) -> Result<CreatedTailnet, ApiError> {
        let req = endpoint::create_tailnet(display_name);
        let answer = self.send(cred, &req).await?;
        let status = answer.status;
        let tailnet: wire::Tailnet = read(&req, answer, Ok)?;
        if tailnet.already_exists == Some(true) {
            return Err(ApiError::AlreadyExists {
                display_name: tailnet
                    .display_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| display_name.to_owned()),
                id: tailnet.id,
            });
        }
        tailnet
            .into_created()
            .map_err(|detail| unreadable(&req, status, detail))
    }

    /// Deletes a tailnet (with a credential for that tailnet). Already gone → `NotFound`.
    pub async fn delete_tailnet(
        &self,
        cred: &Credential,
        tailnet: &str,
    ) -> Result<Deleted, ApiError> {
        self.delete(cred, &endpoint::delete_tailnet(tailnet)).await
    }

    /// Lists keys (auth keys, OAuth clients, API tokens, federated identities); `all` asks for
    /// every key of the tailnet rather than only the caller's.
    pub async fn list_keys(
        &self,
        cred: &Credential,
        tailnet: &str,
        all: bool,
    ) -> Result<Vec<KeyInfo>, ApiError> {
        let req = endpoint::list_keys(tailnet, all);
        read(&req, self.send(cred, &req).await?, |list: wire::KeyList| {
            Ok(list
                .keys
                .unwrap_or_default()
                .into_iter()
                .map(wire::Key::into_info)
                .collect())
        })
    }

    /// Reads one key. A revoked, expired or used key is `Found` with `invalid: true`; a 404
    /// (purged, or never existed) is `NotFound`.
    pub async fn get_key(
        &self,
        cred: &Credential,
        tailnet: &str,
        id: &str,
    ) -> Result<KeyLookup, ApiError> {
        let req = endpoint::get_key(tailnet, id);
        match self.send(cred, &req).await {
            Ok(answer) => read(&req, answer, |k: wire::Key| {
                Ok(KeyLookup::Found(k.into_info()))
            }),
            Err(e) if e.is_not_found() => Ok(KeyLookup::NotFound),
            Err(e) => Err(e),
        }
    }

    /// Creates an auth key; the answer holds its one-time secret.
    pub async fn create_auth_key(
        &self,
        cred: &Credential,
        tailnet: &str,
        req: &AuthKeyRequest,
    ) -> Result<CreatedKey, ApiError> {
        self.create_key(cred, &endpoint::create_auth_key(tailnet, req))
            .await
    }

    /// Creates an OAuth client; the answer holds its one-time secret.
    pub async fn create_oauth_client(
        &self,
        cred: &Credential,
        tailnet: &str,
        req: &OAuthClientRequest,
    ) -> Result<CreatedKey, ApiError> {
        self.create_key(cred, &endpoint::create_oauth_client(tailnet, req))
            .await
    }

    /// Replaces an OAuth client's scopes, tags and description (its secret is kept).
    pub async fn set_oauth_client(
        &self,
        cred: &Credential,
        tailnet: &str,
        id: &str,
        req: &OAuthClientRequest,
    ) -> Result<KeyInfo, ApiError> {
        let req = endpoint::set_oauth_client(tailnet, id, req);
        read(&req, self.send(cred, &req).await?, |k: wire::Key| {
            Ok(k.into_info())
        })
    }

    /// Creates a federated identity (it has no secret); answers it as stored, with the audience
    /// the API generated when none was sent.
    pub async fn create_federated_identity(
        &self,
        cred: &Credential,
        tailnet: &str,
        req: &FederatedIdentityRequest,
    ) -> Result<KeyInfo, ApiError> {
        let req = endpoint::create_federated_identity(tailnet, req);
        read(&req, self.send(cred, &req).await?, |k: wire::Key| {
            Ok(k.into_info())
        })
    }

    /// Replaces every field of a federated identity.
    pub async fn set_federated_identity(
        &self,
        cred: &Credential,
        tailnet: &str,
        id: &str,
        req: &FederatedIdentityRequest,
    ) -> Result<KeyInfo, ApiError> {
        let req = endpoint::set_federated_identity(tailnet, id, req);
        read(&req, self.send(cred, &req).await?, |k: wire::Key| {
            Ok(k.into_info())
        })
    }

    /// Deletes (revokes) a key. Already gone → `NotFound`.
    pub async fn delete_key(
        &self,
        cred: &Credential,
        tailnet: &str,
        id: &str,
    ) -> Result<Deleted, ApiError> {
        self.delete(cred, &endpoint::delete_key(tailnet, id)).await
    }

    /// Reads the policy file as HuJSON text, with its ETag.
    pub async fn get_policy(
        &self,
        cred: &Credential,
        tailnet: &str,
    ) -> Result<PolicyDocument, ApiError> {
        let req = endpoint::get_policy(tailnet);
        policy_document(&req, self.send(cred, &req).await?)
    }

    /// Replaces the policy file. With `if_match` (an ETag from [`Client::get_policy`], quoted or
    /// not, or `ts-default`), a policy changed in between is refused with 412
    /// ([`ApiError::is_precondition_failed`]). Answers the stored policy and its new ETag.
    pub async fn set_policy(
        &self,
        cred: &Credential,
        tailnet: &str,
        body: &PolicyBody,
        if_match: Option<&str>,
    ) -> Result<PolicyDocument, ApiError> {
        let req = endpoint::set_policy(tailnet, body, if_match);
        policy_document(&req, self.send(cred, &req).await?)
    }

    /// Validates a policy without storing it. The API answers 200 either way: `{}` (or an empty
    /// body) when valid, `{"message": …}` when not, `{"message": "warning(s) found", "data":
    /// [{"user", "warnings"}]}` when valid with warnings.
    pub async fn validate_policy(
        &self,
        cred: &Credential,
        tailnet: &str,
        body: &PolicyBody,
    ) -> Result<PolicyValidation, ApiError> {
        let req = endpoint::validate_policy(tailnet, body);
        let answer = self.send(cred, &req).await?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(PolicyValidation::Valid);
        }
        read(&req, answer, |m: wire::Message| {
            if let Some(warnings) = m.warnings_only() {
                return Ok(PolicyValidation::Warnings { warnings });
            }
            Ok(match m.text() {
                None => PolicyValidation::Valid,
                Some(message) => PolicyValidation::Invalid { message },
            })
        })
    }

    async fn create_key(&self, cred: &Credential, req: &Request) -> Result<CreatedKey, ApiError> {
        read(req, self.send(cred, req).await?, wire::Key::into_created)
    }

    pub(super) async fn delete(
        &self,
        cred: &Credential,
        req: &Request,
    ) -> Result<Deleted, ApiError> {
        match self.send(cred, req).await {
            Ok(_) => Ok(Deleted::Deleted),
            Err(e) if e.is_not_found() => Ok(Deleted::NotFound),
            Err(e) => Err(e),
        }
    }
}

/// The policy text and its ETag (quotes and any `W/` removed).
fn policy_document(req: &Request, answer: Answer) -> Result<PolicyDocument, ApiError> {
    let etag = answer.etag.as_deref().map(|raw| {
        raw.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    });
    let status = answer.status;
    let text = body::text(answer.body).map_err(|detail| unreadable(req, status, detail))?;
    Ok(PolicyDocument {
        text,
        etag: etag.filter(|e| !e.is_empty()),
    })
}

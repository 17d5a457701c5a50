//! The webhook endpoints (POLICY-WEBHOOKS §4, FIDELITY-2 §2.4/§8.3): their requests, their
//! wire shape and the typed operations. Only list and create carry the tailnet in the path;
//! get, PATCH (subscriptions only), delete and rotate address `/api/v2/webhooks/{id}`. The
//! signing secret is in the create and rotate answers only; it deserialises straight into a
//! [`Secret`].
//!
//! Neither a create nor a rotation is retried after an ambiguous failure: a second create on
//! the same URL is refused (500, measured), and a rotation whose answer was lost has already
//! stopped the secret the state holds — the caller records an intent for both.

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;

use super::client::Client;
use super::credential::Credential;
use super::endpoint::segment;
use super::error::ApiError;
use super::request::{Body, Method, Request};
use super::transport::read;
use super::types::Deleted;
use crate::secret::Secret;

/// A webhook as the API reports it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookInfo {
    /// Its endpoint id.
    pub id: String,
    /// Where events are posted.
    pub endpoint_url: String,
    /// The provider type as sent by the API (empty for Tailscale's JSON).
    pub provider_type: String,
    /// The events, sorted, without duplicates.
    pub subscriptions: Vec<String>,
    /// When it was created.
    pub created: Option<Timestamp>,
}

/// A webhook just created or rotated, with its new signing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookWithSecret {
    /// Its metadata.
    pub webhook: WebhookInfo,
    /// The secret (`tskey-webhook-…`): shown now, never again.
    pub secret: Secret,
}

/// What a webhook is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRequest {
    /// Where events are posted.
    pub endpoint_url: String,
    /// The provider type (empty: Tailscale's JSON, and the field is left out).
    pub provider_type: String,
    /// The events.
    pub subscriptions: Vec<String>,
}

/// `{"webhooks": [...]}`.
#[derive(Debug, Deserialize)]
struct WireList {
    #[serde(default)]
    webhooks: Option<Vec<WireWebhook>>,
}

/// A webhook object; tolerant (every field but the id may be absent or `null`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireWebhook {
    endpoint_id: String,
    #[serde(default)]
    endpoint_url: Option<String>,
    #[serde(default)]
    provider_type: Option<String>,
    #[serde(default)]
    subscriptions: Option<Vec<String>>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    secret: Option<Secret>,
}

impl WireWebhook {
    fn into_info(self) -> WebhookInfo {
        let mut subscriptions = self.subscriptions.unwrap_or_default();
        subscriptions.sort();
        subscriptions.dedup();
        WebhookInfo {
            id: self.endpoint_id,
            endpoint_url: self.endpoint_url.unwrap_or_default(),
            provider_type: self.provider_type.unwrap_or_default(),
            subscriptions,
            created: self
                .created
                .filter(|c| !c.starts_with("0001-01-01"))
                .and_then(|c| c.parse().ok()),
        }
    }

    fn into_with_secret(mut self) -> Result<WebhookWithSecret, String> {
        match self.secret.take() {
            Some(secret) if !secret.expose().is_empty() => Ok(WebhookWithSecret {
                webhook: self.into_info(),
                secret,
            }),
            _ => Err("the response has no `secret` (the webhook's signing secret)".to_owned()),
        }
    }
}

fn list_path(tailnet: &str) -> String {
    format!("/api/v2/tailnet/{}/webhooks", segment(tailnet))
}

fn webhook_path(id: &str) -> String {
    format!("/api/v2/webhooks/{}", segment(id))
}

/// `GET /api/v2/tailnet/{tailnet}/webhooks`.
fn list(tailnet: &str) -> Request {
    Request::new(Method::Get, list_path(tailnet))
}

/// `POST /api/v2/tailnet/{tailnet}/webhooks` (`providerType` left out for Tailscale's JSON).
fn create(tailnet: &str, req: &WebhookRequest) -> Request {
    let mut body = json!({
        "endpointUrl": req.endpoint_url,
        "subscriptions": req.subscriptions,
    });
    if !req.provider_type.is_empty() {
        body["providerType"] = json!(req.provider_type);
    }
    Request::new(Method::Post, list_path(tailnet)).body(Body::Json(body))
}

/// `GET /api/v2/webhooks/{id}`.
fn get(id: &str) -> Request {
    Request::new(Method::Get, webhook_path(id))
}

/// `PATCH /api/v2/webhooks/{id}` with `{"subscriptions": [...]}` (replaces the list).
fn set_subscriptions(id: &str, subscriptions: &[String]) -> Request {
    Request::new(Method::Patch, webhook_path(id))
        .body(Body::Json(json!({ "subscriptions": subscriptions })))
}

/// `DELETE /api/v2/webhooks/{id}`.
fn delete(id: &str) -> Request {
    Request::new(Method::Delete, webhook_path(id))
}

/// `POST /api/v2/webhooks/{id}/rotate`.
fn rotate(id: &str) -> Request {
    Request::new(Method::Post, format!("{}/rotate", webhook_path(id)))
}

impl Client {
    /// Lists a tailnet's webhooks (without secrets).
    pub async fn list_webhooks(
        &self,
        cred: &Credential,
        tailnet: &str,
    ) -> Result<Vec<WebhookInfo>, ApiError> {
        let req = list(tailnet);
        read(&req, self.send(cred, &req).await?, |l: WireList| {
            Ok(l.webhooks
                .unwrap_or_default()
                .into_iter()
                .map(WireWebhook::into_info)
                .collect())
        })
    }

    /// Reads one webhook; `None` when it does not exist.
    pub async fn get_webhook(
        &self,
        cred: &Credential,
        id: &str,
    ) -> Result<Option<WebhookInfo>, ApiError> {
        let req = get(id);
        match self.send(cred, &req).await {
            Ok(answer) => read(&req, answer, |w: WireWebhook| Ok(Some(w.into_info()))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a webhook; answers it with its signing secret.
    pub async fn create_webhook(
        &self,
        cred: &Credential,
        tailnet: &str,
        req: &WebhookRequest,
    ) -> Result<WebhookWithSecret, ApiError> {
        let req = create(tailnet, req);
        read(
            &req,
            self.send(cred, &req).await?,
            WireWebhook::into_with_secret,
        )
    }

    /// Replaces a webhook's subscriptions.
    pub async fn set_webhook_subscriptions(
        &self,
        cred: &Credential,
        id: &str,
        subscriptions: &[String],
    ) -> Result<WebhookInfo, ApiError> {
        let req = set_subscriptions(id, subscriptions);
        read(&req, self.send(cred, &req).await?, |w: WireWebhook| {
            Ok(w.into_info())
        })
    }

    /// Rotates a webhook's signing secret: the old one stops at once; answers the new one.
    pub async fn rotate_webhook(
        &self,
        cred: &Credential,
        id: &str,
    ) -> Result<WebhookWithSecret, ApiError> {
        let req = rotate(id);
        read(
            &req,
            self.send(cred, &req).await?,
            WireWebhook::into_with_secret,
        )
    }

    /// Deletes a webhook (its secret goes with it). Already gone → `NotFound`.
    pub async fn delete_webhook(&self, cred: &Credential, id: &str) -> Result<Deleted, ApiError> {
        self.delete(cred, &delete(id)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_follow_the_api_shapes() {
        let req = WebhookRequest {
            endpoint_url: "https://example.com/hook".into(),
            provider_type: String::new(),
            subscriptions: vec!["nodeCreated".into()],
        };
        let r = create("T1", &req);
        assert_eq!(
            (r.method, r.path.as_str()),
            (Method::Post, "/api/v2/tailnet/T1/webhooks")
        );
        assert_eq!(
            r.body,
            Body::Json(
                json!({"endpointUrl": "https://example.com/hook", "subscriptions": ["nodeCreated"]})
            )
        );
        let slack = create(
            "T1",
            &WebhookRequest {
                provider_type: "slack".into(),
                ..req
            },
        );
        let Body::Json(b) = slack.body else { panic!() };
        assert_eq!(b["providerType"], "slack");
        let p = set_subscriptions("4/5", &["a".into()]);
        assert_eq!(
            (p.method, p.path.as_str()),
            (Method::Patch, "/api/v2/webhooks/4%2F5")
        );
        assert_eq!(rotate("9").path, "/api/v2/webhooks/9/rotate");
        assert_eq!(delete("9").method, Method::Delete);
        assert_eq!(list("-").path, "/api/v2/tailnet/-/webhooks");
        assert_eq!(get("9").path, "/api/v2/webhooks/9");
    }

    #[test]
    fn a_webhook_without_a_secret_is_no_create_answer_and_debug_hides_it() {
        let w: WireWebhook = serde_json::from_str(
            r#"{"endpointId":"1","endpointUrl":"https://x.example","subscriptions":["b","a","b"],"created":"2026-01-01T00:00:00Z","unknown":1}"#,
        )
        .unwrap();
        assert_eq!(w.into_info().subscriptions, ["a", "b"]);
        let w: WireWebhook =
            serde_json::from_str(r#"{"endpointId":"1","secret":"tskey-webhook-abc"}"#).unwrap();
        let made = w.into_with_secret().unwrap();
        assert!(!format!("{made:?}").contains("tskey-webhook-abc"));
        let w: WireWebhook = serde_json::from_str(r#"{"endpointId":"1"}"#).unwrap();
        assert!(w.into_with_secret().is_err());
    }
}

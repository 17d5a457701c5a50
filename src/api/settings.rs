//! The tailnet settings endpoints (FIDELITY-2 §2.6, §8.5): `GET` and `PATCH
//! /api/v2/tailnet/{tailnet}/settings`. Authorisation is per field: a token without a field's
//! read scope gets the field left out (a token with none of them reads `{}`), so the answer is
//! kept as a JSON object, every field optional, unknown ones ignored by the caller.

use serde_json::{Map, Value};

use super::client::Client;
use super::credential::Credential;
use super::endpoint::segment;
use super::error::ApiError;
use super::request::{Body, Method, Request};
use super::transport::read;

fn path(tailnet: &str) -> String {
    format!("/api/v2/tailnet/{}/settings", segment(tailnet))
}

impl Client {
    /// Reads the settings the credentials may see.
    pub async fn get_settings(
        &self,
        cred: &Credential,
        tailnet: &str,
    ) -> Result<Map<String, Value>, ApiError> {
        let req = Request::new(Method::Get, path(tailnet));
        read(
            &req,
            self.send(cred, &req).await?,
            |m: Map<String, Value>| Ok(m),
        )
    }

    /// Changes exactly the fields in `fields` (PATCH; the others stay as they are).
    pub async fn set_settings(
        &self,
        cred: &Credential,
        tailnet: &str,
        fields: Map<String, Value>,
    ) -> Result<(), ApiError> {
        let req =
            Request::new(Method::Patch, path(tailnet)).body(Body::Json(Value::Object(fields)));
        self.send(cred, &req).await.map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_escapes_the_tailnet() {
        assert_eq!(path("-"), "/api/v2/tailnet/-/settings");
        assert_eq!(path("a/b"), "/api/v2/tailnet/a%2Fb/settings");
    }
}

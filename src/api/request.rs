//! One API request as plain data ([`Request`]): method, path, body, `Accept`, `If-Match` and
//! whether sending it twice is harmless. Built by `endpoint`, sent by `transport`.

use std::fmt;

use serde_json::Value;

use crate::secret::Secret;

/// An HTTP method the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether sending a request twice is harmless.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Idempotency {
    /// Reads, PUT, DELETE, the token exchange, `acl/validate`: retried on any transient failure.
    Idempotent,
    /// Creates and the policy POST: retried only when the request provably did not reach the
    /// server; any other ambiguous failure is `OutcomeUnknown`.
    NotIdempotent,
}

/// A media type the client sends or asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Media {
    /// `application/json`
    Json,
    /// `application/hujson` (the policy file as written, comments kept)
    HuJson,
    /// `application/x-www-form-urlencoded`
    Form,
}

impl Media {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Media::Json => "application/json",
            Media::HuJson => "application/hujson",
            Media::Form => "application/x-www-form-urlencoded",
        }
    }
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Body {
    /// No body.
    Empty,
    /// A JSON document (`Content-Type: application/json`).
    Json(Value),
    /// HuJSON text, sent verbatim (`Content-Type: application/hujson`).
    HuJson(String),
    /// A form (`Content-Type: application/x-www-form-urlencoded`).
    Form(Vec<FormField>),
}

impl Body {
    /// The `Content-Type` of the body, if there is one.
    pub(super) fn media(&self) -> Option<Media> {
        match self {
            Body::Empty => None,
            Body::Json(_) => Some(Media::Json),
            Body::HuJson(_) => Some(Media::HuJson),
            Body::Form(_) => Some(Media::Form),
        }
    }

    /// The encoded bytes.
    pub(super) fn encode(&self) -> Vec<u8> {
        match self {
            Body::Empty => Vec::new(),
            Body::Json(v) => v.to_string().into_bytes(),
            Body::HuJson(text) => text.clone().into_bytes(),
            Body::Form(fields) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                for field in fields {
                    form.append_pair(field.name, field.value.expose());
                }
                form.finish().into_bytes()
            }
        }
    }
}

/// One form field.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FormField {
    pub name: &'static str,
    pub value: FormValue,
}

/// A form value; a secret one is redacted in `Debug`.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum FormValue {
    Plain(String),
    Secret(Secret),
}

impl FormValue {
    pub(super) fn expose(&self) -> &str {
        match self {
            FormValue::Plain(s) => s,
            FormValue::Secret(s) => s.expose(),
        }
    }
}

/// One API request, as data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Request {
    pub method: Method,
    /// Path and query below the host base, e.g. `/api/v2/tailnet/-/keys?all=true`.
    pub path: String,
    pub body: Body,
    /// The `Accept` header.
    pub accept: Media,
    /// The `If-Match` header, already quoted.
    pub if_match: Option<String>,
    pub idempotency: Idempotency,
    /// `scheme://host[:port]` of a request that is not for the API (the CI provider's OIDC
    /// token endpoint); `None` for the API's own base URL.
    pub origin: Option<String>,
}

impl Request {
    pub(super) fn new(method: Method, path: String) -> Self {
        let idempotency = match method {
            Method::Post => Idempotency::NotIdempotent,
            Method::Get | Method::Put | Method::Patch | Method::Delete => Idempotency::Idempotent,
        };
        Request {
            method,
            path,
            body: Body::Empty,
            accept: Media::Json,
            if_match: None,
            idempotency,
            origin: None,
        }
    }

    pub(super) fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    pub(super) fn accept(mut self, accept: Media) -> Self {
        self.accept = accept;
        self
    }

    pub(super) fn idempotent(mut self) -> Self {
        self.idempotency = Idempotency::Idempotent;
        self
    }
}

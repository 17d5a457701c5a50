//! The credential in use: how to name it (its kind, its id, the variables it came from — never
//! its value) and when it expires. A user API key is `tskey-api-<id>-<secret>`, and every scope
//! may read the key in use (FIDELITY-2 §8.6), so `GET /tailnet/-/keys/<id>` tells its `expires`;
//! OAuth clients never expire. Plan and apply print the same expiry warning as doctor
//! ([`expiry_warning`]).

use jiff::Timestamp;

use crate::api::{ApiError, Client, Credential, KeyLookup};
use crate::model::Duration;

/// What the admin console calls the page where API keys are made.
const NEW_KEY: &str = "create a new API key (admin console: Settings → Keys) and set \
                       TAILSCALE_API_KEY to it, or use an organization OAuth client (it never \
                       expires)";

/// The id of a user API key, read from the key itself (`tskey-api-<id>-<secret>`).
pub fn api_key_id(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("tskey-api-")?;
    let (id, secret) = rest.split_once('-')?;
    let plausible = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
    (plausible && !secret.is_empty()).then_some(id)
}

/// The id a credential shows: the OAuth client's or federated identity's id, or the API key's.
pub fn credential_id(cred: &Credential) -> Option<String> {
    match cred {
        Credential::ApiKey(key) => api_key_id(key.expose()).map(str::to_owned),
        other => other.client_id().map(str::to_owned),
    }
}

/// An API key about to expire: what to say and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiring {
    /// `the API key `k…` expires in 3 days (2026-12-08T06:00:00Z), within --warn-expiry 14d`.
    pub detail: String,
    /// How to replace it.
    pub fix: &'static str,
}

impl Expiring {
    /// The one-line warning plan and apply print.
    pub fn line(&self) -> String {
        format!("{}: {}", self.detail, self.fix)
    }
}

/// `Some` when the key `id` expiring at `expires` has less than `threshold` left at `now` (a
/// zero threshold never warns).
pub fn expiring(
    id: &str,
    expires: Timestamp,
    now: Timestamp,
    threshold: Duration,
) -> Option<Expiring> {
    let left = expires.as_second() - now.as_second();
    let threshold_secs = i64::try_from(threshold.as_secs()).unwrap_or(i64::MAX);
    if left >= threshold_secs {
        return None;
    }
    let when = if left > 0 {
        format!("expires in {}", human(left))
    } else {
        "has expired".to_owned()
    };
    Some(Expiring {
        detail: format!(
            "the API key `{id}` {when} ({expires}), within --warn-expiry {threshold}",
            expires = whole_seconds(expires)
        ),
        fix: NEW_KEY,
    })
}

/// How long is left, in its largest whole unit: `3 days`, `1 hour`, `12 minutes`.
pub fn human(seconds: i64) -> String {
    let (n, unit) = match seconds {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3600 => (s / 3600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s.max(0), "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `ts` without its fraction of a second.
pub fn whole_seconds(ts: Timestamp) -> Timestamp {
    Timestamp::from_second(ts.as_second()).unwrap_or(ts)
}

/// Reads when the API key in `cred` expires (`GET /tailnet/-/keys/<its id>`): `Ok(None)` when the
/// API does not say; an error when it cannot be read.
pub async fn read_expiry(
    client: &Client,
    cred: &Credential,
    id: &str,
) -> Result<Option<Timestamp>, ReadExpiryError> {
    match client.get_key(cred, "-", id).await {
        Ok(KeyLookup::Found(info)) => Ok(info.expires),
        Ok(KeyLookup::NotFound) => Err(ReadExpiryError::NotFound),
        Err(e) => Err(ReadExpiryError::Api(e)),
    }
}

/// Why the expiry of an API key could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadExpiryError {
    /// The API answered 404 for the key's own id.
    NotFound,
    /// The request failed.
    Api(ApiError),
}

/// The warning plan and apply print when the credential in use is an API key with less than
/// `threshold` left; `None` for an OAuth client, an API key whose id or expiry cannot be read
/// (the plan's own reads report a credential that does not work), or one with time left.
pub async fn expiry_warning(
    client: &Client,
    cred: &Credential,
    threshold: Duration,
) -> Option<Expiring> {
    let Credential::ApiKey(key) = cred else {
        return None;
    };
    let id = api_key_id(key.expose())?;
    let expires = match read_expiry(client, cred, id).await {
        Ok(Some(expires)) => expires,
        Ok(None) => return None,
        Err(e) => {
            tracing::debug!(?e, "cannot read the API key's expiry");
            return None;
        }
    };
    let now = client.server_time().unwrap_or_else(Timestamp::now);
    expiring(id, expires, now, threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_read_from_the_key() {
        assert_eq!(
            api_key_id(concat!("tskey", "-api-kAbc123CNTRL-secretpart")),
            Some("kAbc123CNTRL")
        );
        assert_eq!(api_key_id("tskey-api-kAbc"), None);
        assert_eq!(api_key_id("tskey-api--x"), None);
        assert_eq!(api_key_id("tskey-client-k1-x"), None);
        assert_eq!(api_key_id("something else"), None);
    }

    #[test]
    fn warns_within_the_threshold_only() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let at = |days: i64| Timestamp::from_second(1_800_000_000 + days * 86_400 - 30).unwrap();
        let two_weeks = Duration::from_days(14);
        assert_eq!(expiring("k1", at(20), now, two_weeks), None);
        let soon = expiring("k1", at(3), now, two_weeks).unwrap();
        assert_eq!(
            soon.detail,
            format!(
                "the API key `k1` expires in 2 days ({}), within --warn-expiry 14d",
                whole_seconds(at(3))
            )
        );
        assert!(soon.line().starts_with(&soon.detail));
        assert!(soon.line().ends_with("(it never expires)"));
        assert!(
            expiring("k1", at(-1), now, two_weeks)
                .unwrap()
                .detail
                .contains("has expired")
        );
        assert_eq!(expiring("k1", at(3), now, Duration::ZERO), None);
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(86_400 * 3 + 5), "3 days");
        assert_eq!(human(86_400), "1 day");
        assert_eq!(human(7200), "2 hours");
        assert_eq!(human(61), "1 minute");
        assert_eq!(human(5), "5 seconds");
    }
}

//! The checks of the organization credential itself: the manifests and state doctor read, that
//! the credential authenticates and when it expires (which one is in use: `credential_source`),
//! the organization scopes
//! `tailnets` (list and create tailnets) and `all` (reach the tailnets it created), and the
//! tailnet cap. Each is a harmless read or a token exchange.

use jiff::Timestamp;

use super::credential::{self, ReadExpiryError, api_key_id, expiring};
use super::finding::{Check, Finding};
use super::refusal::{Refusal, answer};
use super::{Context, Loaded};
use crate::api::{ApiError, Client, Credential, TailnetInfo};
use crate::model::{Desired, Duration, TailnetKind};
use crate::reach;
use crate::state::{Record, State};

/// How to get the credential tailform is made for.
pub(super) const ORG_CLIENT_FIX: &str = "create an organization OAuth client with the scopes \
     `all` and `tailnets` (admin console of the organization's original tailnet: Settings → OAuth \
     clients) and set TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET to it";

/// What the credential checks share.
pub(super) struct Org<'a> {
    pub client: &'a Client,
    pub org: &'a Credential,
    pub plan: &'a Context<'a>,
    pub warn_expiry: Duration,
    pub max_tailnets: usize,
}

/// The manifests finding.
pub(super) fn manifests(loaded: Loaded<'_, Desired>) -> Finding {
    match loaded {
        Loaded::Ready(desired) => {
            let created = desired
                .tailnets
                .values()
                .filter(|t| matches!(t.kind, TailnetKind::Created { .. }))
                .count();
            let existing = desired.tailnets.len() - created;
            Finding::ok(
                Check::Manifests,
                format!(
                    "{} tailnet(s) declared: {created} that tailform creates, {existing} existing",
                    desired.tailnets.len()
                ),
            )
        }
        Loaded::Absent => Finding::warning(
            Check::Manifests,
            "no manifests (no -f, and no `tailform.yaml` here): only the credential is checked",
            "pass -f with the manifests plan and apply will use",
        ),
        Loaded::Failed(why) => Finding::problem(
            Check::Manifests,
            why,
            "run `tailform validate` and fix what it reports",
        ),
    }
}

/// The state finding.
pub(super) fn state(loaded: Loaded<'_, State>, location: &str) -> Finding {
    match loaded {
        Loaded::Ready(state) if state.resources.is_empty() && state.pending.is_empty() => {
            Finding::ok(
                Check::State,
                format!("{location} holds nothing yet (the first apply creates it)"),
            )
        }
        Loaded::Ready(state) => Finding::ok(
            Check::State,
            format!("{location} holds {} record(s)", state.resources.len()),
        ),
        Loaded::Absent => Finding::ok(Check::State, format!("{location} holds nothing yet")),
        Loaded::Failed(why) => Finding::problem(
            Check::State,
            format!("{location} cannot be read: {why}"),
            "fix what the error says: plan and apply read the same state",
        ),
    }
}

impl Org<'_> {
    /// The token (authentication) and expiry findings. `None` when the credential does not
    /// work: every other check would fail the same way, so none runs. Otherwise the credential's
    /// expiry, when known.
    pub async fn authenticate(&self, findings: &mut Vec<Finding>) -> Option<Option<Timestamp>> {
        match self.org {
            Credential::OAuth { client_id, .. } => match self.client.ensure_token(self.org).await {
                Ok(()) => {
                    findings.push(Finding::ok(
                        Check::Token,
                        format!("OAuth client `{client_id}` mints an access token"),
                    ));
                    findings.push(Finding::ok(
                        Check::Expiry,
                        "an OAuth client does not expire (its access tokens last an hour and \
                         are minted as needed)",
                    ));
                    Some(None)
                }
                Err(e) => {
                    findings.push(self.refused(&e));
                    None
                }
            },
            Credential::Federated { client_id, .. } => {
                match self.client.ensure_token(self.org).await {
                    Ok(()) => {
                        findings.push(Finding::ok(
                            Check::Token,
                            format!(
                                "federated identity `{client_id}` exchanges its OIDC token for an \
                                 access token"
                            ),
                        ));
                        findings.push(Finding::ok(
                            Check::Expiry,
                            "a federated identity does not expire (its access tokens last an \
                             hour and are exchanged as needed)",
                        ));
                        Some(None)
                    }
                    Err(e) => {
                        findings.push(self.refused(&e));
                        None
                    }
                }
            }
            Credential::ApiKey(key) => match api_key_id(key.expose()) {
                Some(id) => self.api_key(id, findings).await,
                None => match self.client.list_keys(self.org, "-", true).await {
                    Ok(_) => {
                        findings.push(Finding::ok(Check::Token, "the API accepts the key"));
                        Some(None)
                    }
                    Err(e) => {
                        findings.push(self.refused(&e));
                        None
                    }
                },
            },
        }
    }

    /// An API key: its own key, read by id, proves it works and tells when it expires.
    async fn api_key(&self, id: &str, findings: &mut Vec<Finding>) -> Option<Option<Timestamp>> {
        let read = credential::read_expiry(self.client, self.org, id).await;
        let accepted = || {
            Finding::ok(
                Check::Token,
                format!("the API accepts the API key `{id}` (it reads its own key)"),
            )
        };
        match read {
            Ok(Some(expires)) => {
                findings.push(accepted());
                let now = self.client.server_time().unwrap_or_else(Timestamp::now);
                findings.push(match expiring(id, expires, now, self.warn_expiry) {
                    Some(soon) if expires <= now => {
                        Finding::problem(Check::Expiry, soon.detail, soon.fix)
                    }
                    Some(soon) => Finding::warning(Check::Expiry, soon.detail, soon.fix),
                    None => Finding::ok(
                        Check::Expiry,
                        format!(
                            "the API key `{id}` expires in {} ({})",
                            credential::human(expires.as_second() - now.as_second()),
                            credential::whole_seconds(expires)
                        ),
                    ),
                });
                Some(Some(expires))
            }
            Ok(None) => {
                findings.push(accepted());
                findings.push(Finding::warning(
                    Check::Expiry,
                    format!("the API does not say when the API key `{id}` expires"),
                    "look it up in the admin console (Settings → Keys)",
                ));
                Some(None)
            }
            Err(ReadExpiryError::NotFound) => {
                findings.push(Finding::ok(Check::Token, "the API accepts the key"));
                findings.push(Finding::warning(
                    Check::Expiry,
                    format!("the API has no key `{id}` (the id read from the key), so its expiry is unknown"),
                    "look it up in the admin console (Settings → Keys)",
                ));
                Some(None)
            }
            Err(ReadExpiryError::Api(e)) if Refusal::of(&e) == Refusal::Forbidden => {
                findings.push(Finding::ok(Check::Token, "the API accepts the key"));
                findings.push(Finding::warning(
                    Check::Expiry,
                    format!("cannot read the API key `{id}` ({})", answer(&e)),
                    "look its expiry up in the admin console (Settings → Keys)",
                ));
                Some(None)
            }
            Err(ReadExpiryError::Api(e)) => {
                findings.push(self.refused(&e));
                None
            }
        }
    }

    /// The token finding for a credential the API does not accept.
    fn refused(&self, e: &ApiError) -> Finding {
        match (Refusal::of(e), self.org) {
            (Refusal::BadCredentials, Credential::OAuth { client_id, .. }) => Finding::problem(
                Check::Token,
                format!(
                    "the API refuses the OAuth client `{client_id}` ({})",
                    answer(e)
                ),
                format!(
                    "check TAILSCALE_OAUTH_CLIENT_ID and TAILSCALE_OAUTH_CLIENT_SECRET: the \
                     secret is wrong or the client was deleted; then {ORG_CLIENT_FIX}"
                ),
            ),
            (Refusal::BadCredentials, Credential::ApiKey(_)) => Finding::problem(
                Check::Token,
                format!("the API refuses the API key ({})", answer(e)),
                "TAILSCALE_API_KEY is wrong, revoked or expired: create a new API key (admin \
                 console: Settings → Keys), or use an organization OAuth client",
            ),
            (Refusal::Unreachable, _) => Finding::problem(
                Check::Token,
                format!("cannot reach the API: {e}"),
                "check --endpoint (TAILSCALE_BASE_URL) and the network: a proxy, a firewall, DNS",
            ),
            _ => Finding::problem(
                Check::Token,
                format!("cannot authenticate: {e}"),
                "run again; `-vv` logs every request",
            ),
        }
    }

    /// The `tailnets` scope: the organization's tailnet list (what plan reads first).
    pub async fn tailnets_scope(&self, findings: &mut Vec<Finding>) -> Option<Vec<TailnetInfo>> {
        let needed = self.plan.lists_tailnets();
        let new = self.plan.to_create();
        if let Credential::ApiKey(_) = self.org {
            findings.push(if needed {
                Finding::problem(
                    Check::TailnetsScope,
                    "an API key cannot list or create tailnets, and these manifests or the state \
                     have tailnets tailform creates: the tailnets API takes only an organization \
                     OAuth client",
                    ORG_CLIENT_FIX,
                )
            } else {
                Finding::ok(
                    Check::TailnetsScope,
                    "not needed: no tailnet here is one tailform creates (an API key could not \
                     create one)",
                )
            });
            return None;
        }
        match self.client.list_tailnets(self.org).await {
            Ok(list) => {
                let mut detail = format!("lists the organization's {} tailnet(s)", list.len());
                if new > 0 {
                    detail.push_str(&format!(
                        "; creating the {new} new one(s) needs the write scope `tailnets`, \
                         which no read can prove"
                    ));
                }
                findings.push(Finding::ok(Check::TailnetsScope, detail));
                Some(list)
            }
            Err(e) => {
                let unneeded = if needed {
                    ""
                } else {
                    "; these manifests do not need it"
                };
                let detail = if Refusal::of(&e) == Refusal::Forbidden {
                    format!(
                        "listing the organization's tailnets is refused ({}): the client lacks \
                         the scope `tailnets`{unneeded}",
                        answer(&e)
                    )
                } else {
                    format!("cannot list the organization's tailnets: {e}{unneeded}")
                };
                findings.push(Finding::missing(
                    needed,
                    Check::TailnetsScope,
                    detail,
                    ORG_CLIENT_FIX,
                ));
                None
            }
        }
    }

    /// The `all` scope: a token for a tailnet tailform created (`tailnet=`) when one exists,
    /// otherwise the reads plan makes in the client's own tailnet.
    pub async fn all_scope(&self, listed: Option<&[TailnetInfo]>, findings: &mut Vec<Finding>) {
        if let Credential::ApiKey(_) = self.org {
            return;
        }
        let created: Vec<(String, &str)> = self
            .plan
            .state
            .resources
            .iter()
            .filter_map(|(address, record)| match record {
                Record::Tailnet(t) if !t.existing => Some((address.to_string(), t.id.as_str())),
                _ => None,
            })
            .collect();
        let falls_back = self.plan.state.resources.values().any(|r| {
            matches!(r, Record::Tailnet(t) if !t.existing
                && reach::created(self.org, t).is_ok_and(|r| matches!(r.via, reach::Via::OrganizationFor { .. })))
        });
        let needed = self.plan.reaches_existing() || falls_back;
        let unneeded = if needed {
            ""
        } else {
            "; these manifests do not need it now, but tailform falls back to it when a \
             tailnet's own client is lost"
        };
        let child = created
            .iter()
            .find(|(_, id)| listed.is_none_or(|l| l.iter().any(|t| t.id == *id)));
        let result = match child {
            Some((address, id)) => {
                let what = format!("a token for `{address}` (`{id}`) with `tailnet=`");
                match self.child_token(id).await {
                    Ok(()) => Ok(format!("mints {what} (it holds `all`)")),
                    Err(why) => Err(format!("minting {what} is refused ({why})")),
                }
            }
            None => {
                let (keys, policy) = tokio::join!(
                    self.client.list_keys(self.org, "-", true),
                    self.client.get_policy(self.org, "-"),
                );
                match keys.and(policy) {
                    Ok(_) => Ok("reads its own tailnet's keys and policy file".to_owned()),
                    Err(e) => Err(format!(
                        "reading its own tailnet's keys and policy file is refused ({})",
                        answer(&e)
                    )),
                }
            }
        };
        findings.push(match result {
            Ok(detail) => Finding::ok(Check::AllScope, detail),
            Err(detail) => Finding::missing(
                needed,
                Check::AllScope,
                format!("{detail}: the client lacks the scope `all`{unneeded}"),
                ORG_CLIENT_FIX,
            ),
        });
    }

    /// Mints the organization client's token for tailnet `id`; the refusal in a few words.
    async fn child_token(&self, id: &str) -> Result<(), String> {
        let reach = reach::organization_for(self.org, id).map_err(|e| e.to_string())?;
        self.client
            .ensure_token(&reach.credential)
            .await
            .map_err(|e| answer(&e))
    }

    /// The tailnet cap: how many the organization has, and how many the manifests add.
    pub fn cap(&self, listed: Option<&[TailnetInfo]>, findings: &mut Vec<Finding>) {
        let Some(listed) = listed else {
            return;
        };
        let (used, new, max) = (listed.len(), self.plan.to_create(), self.max_tailnets);
        let detail = format!(
            "{used} of {max} tailnets used (the original included); the manifests create {new} \
             more"
        );
        findings.push(if used + new > max {
            Finding::problem(
                Check::TailnetCap,
                detail,
                "delete API-only tailnets that are no longer needed, or declare fewer; if \
                 Tailscale raised the organization's limit, pass --max-tailnets N",
            )
        } else {
            Finding::ok(Check::TailnetCap, detail)
        });
    }
}

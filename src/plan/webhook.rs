//! Webhook rules: subscriptions are an in-place `update` (PATCH); a changed `endpointUrl` or
//! `providerType` is a replace (the API cannot change them) — the new webhook first when the
//! URL changes, the old one first when it stays (the API refuses a second webhook on one URL);
//! the secret is rotated in place (`POST …/rotate`, same id) when `rotateEvery` has passed since
//! it was issued, on `--replace`, or after an interrupted rotation, and delivered right after;
//! a vanished webhook is created again; removed from the manifests → deleted. A live webhook on
//! the URL of one to be created that tailform does not track is a plan error (the create would
//! be refused), with the import that adopts it. Within a tailnet every webhook delete (but a
//! replaced webhook's deferred one) runs before every webhook create (the graph's rule), so a
//! renamed webhook, or two that swap URLs, never meet the API's one-webhook-per-URL refusal.

use crate::address::{Address, ResourceKind};
use crate::live::LiveWebhook;
use crate::model::{Duration, Name, ProviderType, Webhook};
use crate::state::{SecretKnowledge, WebhookAttributes, WebhookRecord};

use super::oauth_client::{Kind, Tracked};
use super::view::{webhook_attributes, webhook_view};
use super::{Action, Change, Fate, PlanError, Planner, Reason, Step, Target};

impl Planner<'_> {
    /// Plans every webhook of a tailnet.
    pub(crate) fn plan_webhooks(&mut self, tailnet: &Name, fate: Fate) {
        let desired = self.desired.tailnets.get(tailnet);
        for name in self.names_in(tailnet, ResourceKind::Webhook) {
            let address = Address::webhook(tailnet.clone(), name.clone());
            let webhook = desired.and_then(|t| t.webhooks.get(&name));
            let record = self.state.webhook(&address);
            self.plan_webhook(&address, webhook, record, fate);
            if let Some(w) = webhook {
                self.plan_deliveries(
                    &address,
                    &w.deliver,
                    &w.origin,
                    record.map(|r| r as &dyn Tracked),
                    fate,
                );
            }
        }
    }

    fn plan_webhook(
        &mut self,
        address: &Address,
        webhook: Option<&Webhook>,
        record: Option<&WebhookRecord>,
        fate: Fate,
    ) {
        if let Some(r) = record {
            self.plan_deposed(address, &r.deposed, fate, Kind::Webhook);
        }
        let wanted = webhook.map(webhook_attributes);
        let rotate_every = webhook.and_then(|w| w.rotate_every);
        match fate {
            Fate::Blocked => return,
            Fate::Deleted => return self.delete_or_forget(address, record, Kind::Webhook),
            Fate::Gone => return self.forget_record(address, record, Reason::Missing),
            Fate::Fresh | Fate::Replaced => {
                return match wanted {
                    Some(w) => {
                        let reason = record.map(|_| Reason::TailnetRecreated);
                        self.create_webhook(address, w, rotate_every, record, reason, None)
                    }
                    None => self.forget_record(address, record, Reason::TailnetRecreated),
                };
            }
            Fate::Keep | Fate::Existing => {}
        }
        let (wanted, record) = match (wanted, record) {
            (Some(w), None) => {
                return self.create_webhook(address, w, rotate_every, None, None, None);
            }
            (None, r) => return self.delete_or_forget(address, r, Kind::Webhook),
            (Some(w), Some(r)) => (w, r),
        };
        let Some(live) = self.live_webhook(address, &record.id) else {
            self.accept_gone(address);
            return self.create_webhook(
                address,
                wanted,
                rotate_every,
                Some(record),
                Some(Reason::Missing),
                None,
            );
        };
        let live_attrs = live_attributes(live);
        let view = |a: &WebhookAttributes| webhook_view(a, Some(&record.id), rotate_every);
        let fixed = fixed_paths(&live_attrs, &wanted);
        if !fixed.is_empty() {
            // The old webhook goes first when its URL is still wanted (the URL stays, or another
            // webhook moves onto it) or the new URL is held by another webhook: the API allows
            // one webhook per URL.
            let delete_first = live_attrs.endpoint_url == wanted.endpoint_url
                || self.url_wanted_elsewhere(address, &live_attrs.endpoint_url)
                || self.url_held_elsewhere(address, &record.id, &wanted.endpoint_url);
            return self.create_webhook(
                address,
                wanted,
                rotate_every,
                Some(record),
                Some(Reason::CannotUpdate),
                Some((fixed, delete_first)),
            );
        }
        let rotation = self.rotation(address, record, rotate_every);
        let subscriptions_differ = live_attrs.subscriptions != wanted.subscriptions;
        if !subscriptions_differ && rotation.is_none() {
            let mut change = Change::new(address.clone(), Action::NoOp)
                .unchanged(view(&live_attrs))
                .sensitive();
            if let Some(note) = super::secret_note(record.secret.as_ref()) {
                change = change.note(note);
            }
            return self.changes.push(change);
        }
        let mut change = Change::new(address.clone(), Action::Update)
            .values(Some(view(&live_attrs)), Some(view(&wanted)))
            .sensitive();
        let mut steps = Vec::new();
        if subscriptions_differ {
            if live_attrs.subscriptions != record.attributes.subscriptions {
                change = change.reason(Reason::Drift);
            }
            steps.push(Step::UpdateWebhook {
                address: address.clone(),
                subscriptions: wanted.subscriptions.clone(),
            });
        }
        if let Some(reason) = rotation {
            change = change
                .reason(reason)
                .note("the secret is rotated: the previous one stops verifying at once");
            change.new_secret = true;
            steps.push(Step::RotateWebhook {
                address: address.clone(),
            });
        } else {
            change = change.note("the secret is kept");
        }
        self.push(change, steps);
    }

    /// Why the webhook's secret is rotated by this plan, if it is.
    fn rotation(
        &self,
        address: &Address,
        record: &WebhookRecord,
        rotate_every: Option<Duration>,
    ) -> Option<Reason> {
        if self.replace_requested(address) {
            return Some(Reason::RotationRequested);
        }
        if self.interrupted_rotations.contains(address) {
            return Some(Reason::RotationInterrupted);
        }
        let since = record.rotated.or(record.created)?;
        let every = jiff::SignedDuration::from_secs(
            i64::try_from(rotate_every?.as_secs()).unwrap_or(i64::MAX),
        );
        let due = since.checked_add(every).ok()?;
        (due <= self.now).then_some(Reason::RotationDue { since })
    }

    fn create_webhook(
        &mut self,
        address: &Address,
        wanted: WebhookAttributes,
        rotate_every: Option<Duration>,
        record: Option<&WebhookRecord>,
        reason: Option<Reason>,
        replace: Option<(Vec<String>, bool)>,
    ) {
        if let Some(error) = self.url_taken(address, &wanted) {
            return self.errors.push(error);
        }
        let action = if record.is_some() {
            Action::Replace
        } else {
            Action::Create
        };
        let mut change = Change::new(address.clone(), action)
            .values(
                record.map(|r| webhook_view(&r.attributes, Some(&r.id), rotate_every)),
                Some(webhook_view(&wanted, None, rotate_every)),
            )
            .sensitive();
        if let Some(reason) = reason {
            change = change.reason(reason);
        }
        let mut steps = Vec::new();
        let (depose_current, delete_first) = match (&replace, record) {
            (Some((paths, delete_first)), Some(r)) => {
                change.replace_paths = paths.clone();
                if *delete_first {
                    change = change.note(
                        "the old webhook is deleted first: the API allows one webhook per URL",
                    );
                    steps.push(Step::DeleteWebhook {
                        address: address.clone(),
                        target: Target::Current(r.id.clone()),
                    });
                }
                (!delete_first, *delete_first)
            }
            _ => (false, false),
        };
        steps.push(Step::CreateWebhook {
            address: address.clone(),
            attributes: wanted,
            depose_current,
        });
        if let (true, false, Some(r)) = (depose_current, delete_first, record) {
            steps.push(Step::DeleteWebhook {
                address: address.clone(),
                target: Target::Deposed(r.id.clone()),
            });
        }
        self.push(change, steps);
    }

    /// A live webhook on `wanted`'s URL that no record tracks and no interrupted create
    /// explains: the create would be refused, so the plan stops with the import that adopts it.
    fn url_taken(&self, address: &Address, wanted: &WebhookAttributes) -> Option<PlanError> {
        let webhooks = self.live.contents(&address.tailnet)?.webhooks.as_ref()?;
        let tracked = self.tracked_webhook_ids(&address.tailnet);
        let holder = webhooks.values().find(|w| {
            w.endpoint_url == wanted.endpoint_url
                && !self.orphan_ids.contains(&w.id)
                && !tracked.contains(w.id.as_str())
        })?;
        let origin = self
            .desired
            .tailnets
            .get(&address.tailnet)
            .and_then(|t| t.webhooks.get(address.name()))
            .map(|w| w.origin.clone());
        let mut error = PlanError::new(
            address.clone(),
            format!(
                "webhook {} already posts to this endpointUrl and tailform does not track it; \
                 the API refuses a second webhook on one URL",
                holder.id
            ),
        )
        .hint(format!(
            "`tailform import {address} {}` to manage it (its secret is then rotated with \
             `apply --replace {address}`), or delete it",
            holder.id
        ));
        error.origin = origin;
        Some(error)
    }

    /// True when another webhook of the manifests posts to `url`.
    fn url_wanted_elsewhere(&self, address: &Address, url: &str) -> bool {
        self.desired
            .tailnets
            .get(&address.tailnet)
            .is_some_and(|t| {
                t.webhooks
                    .values()
                    .any(|w| &w.name != address.name() && w.endpoint_url == url)
            })
    }

    /// True when a live webhook other than `id` posts to `url`.
    fn url_held_elsewhere(&self, address: &Address, id: &str, url: &str) -> bool {
        self.live
            .contents(&address.tailnet)
            .and_then(|c| c.webhooks.as_ref())
            .is_some_and(|hooks| hooks.values().any(|w| w.id != id && w.endpoint_url == url))
    }

    /// Ids of the webhooks the state tracks in a tailnet (current and deposed).
    pub(crate) fn tracked_webhook_ids(&self, tailnet: &Name) -> std::collections::BTreeSet<&str> {
        self.state
            .resources
            .iter()
            .filter(|(a, _)| &a.tailnet == tailnet)
            .filter_map(|(_, r)| match r {
                crate::state::Record::Webhook(w) => Some(
                    std::iter::once(w.id.as_str()).chain(w.deposed.iter().map(|d| d.id.as_str())),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The live webhook with this id in the address's tailnet.
    pub(crate) fn live_webhook(&self, address: &Address, id: &str) -> Option<&LiveWebhook> {
        self.live
            .contents(&address.tailnet)?
            .webhooks
            .as_ref()?
            .get(id)
    }
}

/// The live webhook's attributes in the state's terms (an unknown provider type is kept as
/// none only when the API sent none; otherwise it differs from every manifest value).
fn live_attributes(live: &LiveWebhook) -> WebhookAttributes {
    WebhookAttributes {
        endpoint_url: live.endpoint_url.clone(),
        provider_type: ProviderType::parse(&live.provider_type).unwrap_or_default(),
        subscriptions: live.subscriptions.clone(),
    }
}

/// The attributes that force a replace because the API cannot change them.
fn fixed_paths(live: &WebhookAttributes, wanted: &WebhookAttributes) -> Vec<String> {
    let mut paths = Vec::new();
    if live.endpoint_url != wanted.endpoint_url {
        paths.push("endpointUrl".to_owned());
    }
    if live.provider_type != wanted.provider_type {
        paths.push("providerType".to_owned());
    }
    paths
}

impl Tracked for WebhookRecord {
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self) -> serde_json::Value {
        webhook_view(&self.attributes, Some(&self.id), None)
    }
    fn delivered(&self) -> &[String] {
        &self.delivered
    }
    fn secret(&self) -> SecretKnowledge<'_> {
        SecretKnowledge::of(self.secret.as_ref())
    }
}

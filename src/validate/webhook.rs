//! One webhook: name, `endpointUrl` (an `https://` URL with a host), `providerType`,
//! `subscriptions` (known events, at least one), `rotateEvery` (at least an hour), delivery and
//! `envName`; and, across a tailnet, one webhook per URL (the API answers a second endpoint on
//! the same URL with a 500).

use std::collections::{BTreeSet, HashMap};

use super::{delivery, text};
use crate::diagnostic::Code;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Entry, Field, RawWebhook};
use crate::model::{Duration, EnvName, Name, ProviderType, Subscription, Webhook};
use crate::suggest::did_you_mean;

const KIND: &str = "webhook";

/// The shortest `rotateEvery`: rotating more often breaks every receiver once an hour.
const MIN_ROTATE_EVERY: Duration = Duration::from_secs(3600);

/// What validation learnt about one webhook (used by the env-name check and the model).
pub(super) struct CheckedWebhook {
    /// The name as written, at its key.
    pub raw_name: At<String>,
    /// The valid name.
    pub name: Option<Name>,
    /// Its explicit `envName`.
    pub env_name: Option<At<EnvName>>,
    /// Its URL, when valid, where it is written.
    pub endpoint_url: Option<At<String>>,
    /// The model, when everything is valid.
    pub model: Option<Webhook>,
}

/// Validates one webhook.
pub(super) fn check(entry: &Entry<RawWebhook>, sink: &mut Sink<'_>) -> CheckedWebhook {
    let raw = &entry.body;
    let name = text::name(&entry.name, KIND, sink);
    let endpoint_url = endpoint_url(entry, sink);
    let provider_type = provider_type(&raw.provider_type, sink);
    let subscriptions = subscriptions(entry, sink);
    let rotate_every = rotate_every(&raw.rotate_every, sink);
    let deliver = delivery::deliveries(&raw.deliver, sink);
    let env_name = text::env_name(&raw.env_name, sink);
    let env_ok = env_name.is_some() || !raw.env_name.is_written();
    let model = match (
        &name,
        &endpoint_url,
        provider_type,
        subscriptions,
        rotate_every,
        deliver,
    ) {
        (
            Some(name),
            Some(url),
            Some(provider_type),
            Some(subscriptions),
            Some(rotate_every),
            Some(deliver),
        ) if env_ok => Some(Webhook {
            name: name.clone(),
            origin: text::origin(&entry.name.loc, sink),
            endpoint_url: url.value.clone(),
            provider_type,
            subscriptions,
            rotate_every,
            deliver,
            env_name: env_name.as_ref().map(|e| e.value.clone()),
        }),
        _ => None,
    };
    CheckedWebhook {
        raw_name: entry.name.clone(),
        name,
        env_name,
        endpoint_url,
        model,
    }
}

/// Reports a second webhook of one tailnet on a URL, at the second, naming the first.
pub(super) fn check_unique_urls(webhooks: &[CheckedWebhook], sink: &mut Sink<'_>) {
    let mut first: HashMap<&str, &CheckedWebhook> = HashMap::new();
    for w in webhooks {
        let Some(url) = &w.endpoint_url else { continue };
        let Some(earlier) = first.get(url.value.as_str()) else {
            first.insert(&url.value, w);
            continue;
        };
        let earlier_loc = earlier
            .endpoint_url
            .as_ref()
            .map_or(&earlier.raw_name.loc, |u| &u.loc);
        let related = sink.related_at(
            earlier_loc,
            format!("webhook `{}` posts to it", earlier.raw_name.value),
        );
        sink.report(
            Code::DuplicateWebhookUrl,
            &url.loc,
            format!(
                "webhooks `{}` and `{}` post to the same URL; the API allows one webhook per URL",
                earlier.raw_name.value, w.raw_name.value
            ),
        )
        .related(related)
        .hint("merge their subscriptions into one webhook");
    }
}

/// The URL: required, `https://` with a host (the API checks the shape, never connects).
fn endpoint_url(entry: &Entry<RawWebhook>, sink: &mut Sink<'_>) -> Option<At<String>> {
    match &entry.body.endpoint_url {
        Field::Broken => None,
        Field::Absent => {
            let loc = entry.name.loc.with_path(crate::manifest::child_path(
                &entry.name.loc.path,
                "endpointUrl",
            ));
            sink.report(
                Code::InvalidWebhookUrl,
                &loc,
                format!("webhook `{}` needs an `endpointUrl`", entry.name.value),
            )
            .hint("the `https://` URL the API posts events to");
            None
        }
        Field::Set(at) => {
            if text::is_https_url(&at.value) {
                return Some(at.clone());
            }
            sink.report(
                Code::InvalidWebhookUrl,
                &at.loc,
                "this `endpointUrl` is not an `https://` URL with a host",
            )
            .hint("the API posts events only over https");
            None
        }
    }
}

fn provider_type(raw: &Field<String>, sink: &mut Sink<'_>) -> Option<ProviderType> {
    match raw {
        Field::Absent => Some(ProviderType::None),
        Field::Broken => None,
        Field::Set(at) => ProviderType::parse(&at.value).or_else(|| {
            let known: Vec<&str> = ProviderType::ALL.iter().map(|p| p.as_str()).collect();
            let diag = sink.report(
                Code::WebhookProviderType,
                &at.loc,
                format!(
                    "`{}` is not a webhook provider type; it is one of {}",
                    at.value,
                    known.join(", ")
                ),
            );
            if let Some(s) = did_you_mean(&at.value, known.iter().copied()) {
                diag.hint(format!("did you mean `{s}`?"));
            }
            None
        }),
    }
}

/// The events: at least one, each known (exact spelling), duplicates folded.
fn subscriptions(entry: &Entry<RawWebhook>, sink: &mut Sink<'_>) -> Option<BTreeSet<Subscription>> {
    let list = match &entry.body.subscriptions {
        Field::Broken => return None,
        Field::Set(list) if !list.value.is_empty() => list,
        other => {
            let loc = other.get().map_or_else(
                || {
                    entry.name.loc.with_path(crate::manifest::child_path(
                        &entry.name.loc.path,
                        "subscriptions",
                    ))
                },
                |at| at.loc.clone(),
            );
            sink.report(
                Code::UnknownSubscription,
                &loc,
                format!(
                    "webhook `{}` needs at least one subscription",
                    entry.name.value
                ),
            )
            .hint("e.g. `subscriptions: [nodeCreated, policyUpdate]`");
            return None;
        }
    };
    let mut out = BTreeSet::new();
    let mut ok = true;
    for at in &list.value {
        match Subscription::parse(&at.value) {
            Some(s) => {
                out.insert(s);
            }
            None => {
                ok = false;
                let known = Subscription::ALL.iter().map(|s| s.as_str());
                let diag = sink.report(
                    Code::UnknownSubscription,
                    &at.loc,
                    format!("`{}` is not a webhook event", at.value),
                );
                match did_you_mean(&at.value, known) {
                    Some(s) => diag.hint(format!("did you mean `{s}`?")),
                    None => diag.hint(
                        "events are camelCase, e.g. `nodeCreated`, `policyUpdate`, `categoryTailnetManagement`",
                    ),
                };
            }
        }
    }
    ok.then_some(out)
}

fn rotate_every(raw: &Field<String>, sink: &mut Sink<'_>) -> Option<Option<Duration>> {
    let at = match super::auth_key::duration(raw, sink)? {
        None => return Some(None),
        Some(at) => at,
    };
    if at.value >= MIN_ROTATE_EVERY {
        return Some(Some(at.value));
    }
    let written = raw.get().map_or_else(String::new, |r| r.value.clone());
    sink.report(
        Code::RotateEveryRange,
        &at.loc,
        format!("`rotateEvery: {written}` is shorter than one hour"),
    )
    .hint("every rotation stops the old secret at once: rotate e.g. every `30d`");
    None
}

//! One tailnet — name, kind (created, with its display name, or existing, by id), policy, clients,
//! keys, federated identities and webhooks — and the rules across tailnets: unique display names, unique ids, the org cap.

use std::collections::{BTreeMap, HashMap};

use super::auth_key::{self, CheckedKey};
use super::federated_identity::{self, CheckedIdentity};
use super::oauth_client::{self, CheckedClient};
use super::policy::{self, PolicyCheck};
use super::settings;
use super::tags::{self, TailnetTags};
use super::text;
use super::webhook::{self, CheckedWebhook};
use crate::diagnostic::Code;
use crate::manifest::Loc;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Entry, RawTailnet};
use crate::model::{Name, Tailnet, TailnetKind, TailnetRef};

/// What validation learnt about one tailnet.
pub(super) struct CheckedTailnet {
    /// The name as written, at its key.
    pub raw_name: At<String>,
    /// The valid name.
    pub name: Option<Name>,
    /// Created (with the display name's place) or existing (with the id's place).
    pub kind: Option<At<TailnetKind>>,
    /// Its clients.
    pub clients: Vec<CheckedClient>,
    /// Its keys.
    pub keys: Vec<CheckedKey>,
    /// Its federated identities.
    pub identities: Vec<CheckedIdentity>,
    /// Its webhooks.
    pub webhooks: Vec<CheckedWebhook>,
    /// Its settings block: `Some(None)` absent, `None` invalid.
    pub settings: Option<Option<crate::model::Settings>>,
    /// The model, when everything in it is valid.
    pub model: Option<Tailnet>,
}

/// Validates one tailnet and everything in it.
pub(super) fn check(entry: &Entry<RawTailnet>, sink: &mut Sink<'_>) -> CheckedTailnet {
    let raw = &entry.body;
    let name = text::name(&entry.name, "tailnet", sink);
    let kind = kind(entry, sink);
    // Decided by whether `id` is written, not by whether it is valid: a mistyped id must not
    // turn the tailnet's keys into an API-only tailnet's keys (and their tag errors).
    let created = !raw.id.is_written();
    let dir = sink
        .sources()
        .file(entry.name.loc.file)
        .path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let policy = policy::check(&raw.policy, &dir, sink);
    let clients: Vec<CheckedClient> = raw
        .oauth_clients
        .iter()
        .map(|c| oauth_client::check(c, sink))
        .collect();
    let keys: Vec<CheckedKey> = raw
        .auth_keys
        .iter()
        .map(|k| auth_key::check(k, created, sink))
        .collect();
    let identities: Vec<CheckedIdentity> = raw
        .federated_identities
        .iter()
        .map(|f| federated_identity::check(f, sink))
        .collect();
    let webhooks: Vec<CheckedWebhook> = raw
        .webhooks
        .iter()
        .map(|w| webhook::check(w, sink))
        .collect();
    webhook::check_unique_urls(&webhooks, sink);
    tags::check(
        &TailnetTags {
            created,
            policy: &policy,
            clients: &clients,
            keys: &keys,
            identities: &identities,
        },
        sink,
    );
    let mut checked = CheckedTailnet {
        raw_name: entry.name.clone(),
        name,
        kind,
        clients,
        keys,
        identities,
        webhooks,
        settings: settings::check(&raw.settings, sink),
        model: None,
    };
    checked.model = build(&checked, entry, &policy, sink);
    checked
}

/// The model of a tailnet whose every part is valid.
fn build(
    t: &CheckedTailnet,
    entry: &Entry<RawTailnet>,
    policy: &PolicyCheck,
    sink: &Sink<'_>,
) -> Option<Tailnet> {
    let (Some(name), Some(kind)) = (&t.name, &t.kind) else {
        return None;
    };
    if matches!(policy, PolicyCheck::Broken) || entry.body.prevent_destroy.is_broken() {
        return None;
    }
    let settings = t.settings.clone()?;
    let oauth_clients: Option<BTreeMap<_, _>> = t
        .clients
        .iter()
        .map(|c| c.model.clone().map(|m| (m.name.clone(), m)))
        .collect();
    let auth_keys: Option<BTreeMap<_, _>> = t
        .keys
        .iter()
        .map(|k| k.model.clone().map(|m| (m.name.clone(), m)))
        .collect();
    let federated_identities: Option<BTreeMap<_, _>> = t
        .identities
        .iter()
        .map(|f| f.model.clone().map(|m| (m.name.clone(), m)))
        .collect();
    let webhooks: Option<BTreeMap<_, _>> = t
        .webhooks
        .iter()
        .map(|w| w.model.clone().map(|m| (m.name.clone(), m)))
        .collect();
    Some(Tailnet {
        name: name.clone(),
        origin: text::origin(&entry.name.loc, sink),
        kind: kind.value.clone(),
        prevent_destroy: entry.body.prevent_destroy.get().is_none_or(|p| p.value),
        policy: policy.model(),
        oauth_clients: oauth_clients?,
        auth_keys: auth_keys?,
        federated_identities: federated_identities?,
        webhooks: webhooks?,
        settings,
    })
}

/// Created (display name defaults to the logical name) or existing (`id`, `-` = own).
fn kind(entry: &Entry<RawTailnet>, sink: &mut Sink<'_>) -> Option<At<TailnetKind>> {
    let raw = &entry.body;
    if raw.id.is_broken() || raw.display_name.is_broken() {
        return None;
    }
    let Some(id) = raw.id.get() else {
        let (value, loc, defaulted) = match raw.display_name.get() {
            Some(d) => (d.value.as_str(), d.loc.clone(), false),
            None => (entry.name.value.as_str(), entry.name.loc.clone(), true),
        };
        let display_name = text::display_name(value, &loc, defaulted, sink)?;
        return Some(At {
            value: TailnetKind::Created { display_name },
            loc,
        });
    };
    let mut ok = true;
    if let Some(d) = raw.display_name.get() {
        sink.report(
            Code::DisplayNameOnExisting,
            &d.loc,
            "`displayName` has no effect on an existing tailnet (one with `id`)",
        )
        .hint("remove `displayName`, or remove `id` to have tailform create the tailnet");
        ok = false;
    }
    if let Some(p) = raw.prevent_destroy.get() {
        sink.report(
            Code::PreventDestroyIgnored,
            &p.loc,
            "`preventDestroy` is ignored on an existing tailnet: tailform never deletes it",
        );
    }
    let Some(reference) = TailnetRef::parse(&id.value) else {
        sink.report(
            Code::InvalidTailnetId,
            &id.loc,
            format!(
                "`{}` is not a tailnet id: it must be non-empty, without spaces, `/` or `?`",
                id.value
            ),
        )
        .hint("use the id from the admin console (e.g. `T1234CNTRL`) or `-` for the credentials' own tailnet");
        return None;
    };
    ok.then(|| At {
        value: TailnetKind::Existing(reference),
        loc: id.loc.clone(),
    })
}

/// Rules across tailnets, in declaration order: unique display names among created tailnets
/// (case-insensitive), one logical tailnet per existing tailnet, and the organization's cap
/// (created tailnets + the original ≤ `max_tailnets`).
pub(super) fn check_across(tailnets: &[CheckedTailnet], max_tailnets: usize, sink: &mut Sink<'_>) {
    let mut display_names: HashMap<String, &Loc> = HashMap::new();
    let mut ids: HashMap<&TailnetRef, &Loc> = HashMap::new();
    let mut created = 0usize;
    let mut cap_reported = false;
    for t in tailnets {
        let Some(kind) = &t.kind else {
            continue;
        };
        match &kind.value {
            TailnetKind::Created { display_name } => {
                let folded = display_name.as_str().to_lowercase();
                if let Some(first) = display_names.get(&folded) {
                    let related = sink.related_at(first, "first used here");
                    sink.report(
                        Code::DuplicateDisplayName,
                        &kind.loc,
                        format!(
                            "display name `{display_name}` is already used by another tailnet (display names are unique in the organization, ignoring case)"
                        ),
                    )
                    .related(related);
                } else {
                    display_names.insert(folded, &kind.loc);
                }
                created += 1;
                if created + 1 > max_tailnets && !cap_reported {
                    cap_reported = true;
                    sink.report(
                        Code::TailnetCap,
                        &t.raw_name.loc,
                        format!(
                            "tailnet `{}` would exceed the organization's cap of {max_tailnets} tailnets (the original tailnet counts as one)",
                            t.raw_name.value
                        ),
                    )
                    .hint("raise the cap with `--max-tailnets N` if your organization allows more");
                }
            }
            TailnetKind::Existing(reference) => {
                if let Some(first) = ids.get(reference) {
                    let related = sink.related_at(first, "first referenced here");
                    sink.report(
                        Code::DuplicateTailnetId,
                        &kind.loc,
                        format!(
                            "tailnet id `{reference}` is already referenced by another tailnet of the manifests"
                        ),
                    )
                    .related(related)
                    .hint("declare the tailnet once and put all its clients and keys under it");
                } else {
                    ids.insert(reference, &kind.loc);
                }
            }
        }
    }
}

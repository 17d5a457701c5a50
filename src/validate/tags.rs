//! Tag rules that span a tailnet (DESIGN §2, "Tags and the policy file"): with a `policy`
//! block every used tag must be defined there; `createdBy` must name a client of the tailnet
//! that holds `auth_keys`, and the key's tags must be exactly the client's or each owned by one
//! of the client's tags — a client with `all` may use any defined tag; on a created tailnet
//! without a policy block tailform makes a subset of the client's tags self-owned itself; with
//! a policy block ownership must be written there; on an existing tailnet without one the live
//! policy is unknown here, so the plan checks it.

use std::collections::BTreeSet;

use super::auth_key::CheckedKey;
use super::federated_identity::CheckedIdentity;
use super::oauth_client::CheckedClient;
use super::policy::PolicyCheck;
use crate::diagnostic::Code;
use crate::manifest::Sink;
use crate::manifest::raw::At;
use crate::model::{Policy, Scope, ScopeResource, Tag};
use crate::suggest::did_you_mean;

/// What the tag checks need to know about the tailnet.
pub(super) struct TailnetTags<'a> {
    /// True for a tailnet tailform creates.
    pub created: bool,
    /// Its policy block.
    pub policy: &'a PolicyCheck,
    /// Its clients.
    pub clients: &'a [CheckedClient],
    /// Its keys.
    pub keys: &'a [CheckedKey],
    /// Its federated identities.
    pub identities: &'a [CheckedIdentity],
}

/// Runs the tailnet-wide tag checks.
pub(super) fn check(t: &TailnetTags<'_>, sink: &mut Sink<'_>) {
    if let PolicyCheck::Valid {
        owners,
        place,
        policy,
    } = t.policy
    {
        let defined: BTreeSet<&Tag> = owners.keys().collect();
        let used = t
            .clients
            .iter()
            .flat_map(|c| &c.tags.list)
            .chain(t.keys.iter().flat_map(|k| &k.tags.list))
            .chain(t.identities.iter().flat_map(|f| &f.tags.list));
        for tag in used {
            undefined(tag, &defined, (policy, place), sink);
        }
    }
    for key in t.keys {
        created_by(t, key, sink);
    }
}

fn undefined(
    tag: &At<Tag>,
    defined: &BTreeSet<&Tag>,
    (policy, place): (&Policy, &str),
    sink: &mut Sink<'_>,
) {
    if defined.contains(&tag.value) {
        return;
    }
    let hint = match (closest_tag(&tag.value, defined), policy) {
        (Some(s), _) => format!("did you mean `{s}`?"),
        (None, Policy::TagOwners(_)) => {
            format!("add `{}: []` to `policy.tagOwners`", tag.value)
        }
        (None, Policy::File(_)) => {
            format!(
                "add `\"{}\": []` to the `tagOwners` of the {place}",
                tag.value
            )
        }
    };
    sink.report(
        Code::UndefinedTag,
        &tag.loc,
        format!("tag `{}` is not defined in {place}", tag.value),
    )
    .hint(hint);
}

/// The defined tag closest to `tag`, comparing the names after `tag:` (the shared prefix would
/// make unrelated short tags look alike).
fn closest_tag<'a>(tag: &Tag, defined: &BTreeSet<&'a Tag>) -> Option<&'a str> {
    let name = |t: &'a Tag| t.as_str().strip_prefix("tag:").unwrap_or(t.as_str());
    let wanted = tag.as_str().strip_prefix("tag:").unwrap_or(tag.as_str());
    let best = did_you_mean(wanted, defined.iter().map(|t| name(t)))?;
    defined.iter().find(|t| name(t) == best).map(|t| t.as_str())
}

fn created_by(t: &TailnetTags<'_>, key: &CheckedKey, sink: &mut Sink<'_>) {
    let Some(by) = &key.created_by else {
        return;
    };
    let Some(client) = t.clients.iter().find(|c| c.raw_name.value == by.value) else {
        let names = t.clients.iter().map(|c| c.raw_name.value.as_str());
        let diag = sink.report(
            Code::UnknownClient,
            &by.loc,
            format!(
                "createdBy names `{}`, which is not an OAuth client of this tailnet",
                by.value
            ),
        );
        if let Some(s) = did_you_mean(&by.value, names) {
            diag.hint(format!("did you mean `{s}`?"));
        }
        return;
    };
    let Some(scopes) = &client.scopes else {
        return;
    };
    if !scopes.grants(&Scope::write(ScopeResource::AuthKeys)) {
        sink.report(
            Code::ClientCannotCreateKeys,
            &by.loc,
            format!(
                "OAuth client `{}` cannot create auth keys: it lacks the `auth_keys` scope",
                by.value
            ),
        )
        .hint("add `auth_keys` to the client's scopes");
        return;
    }
    let key_tags = key.tags.set();
    let client_tags = client.tags.set();
    let skip = !key.tags.complete
        || !client.tags.complete
        || key_tags.is_empty()
        || key_tags == client_tags
        || scopes.grants(&Scope::write(ScopeResource::All));
    if skip {
        return;
    }
    for tag in &key.tags.list {
        permitted(t, tag, client, &client_tags, sink);
    }
}

/// One tag of a key whose tag set differs from its client's.
fn permitted(
    t: &TailnetTags<'_>,
    tag: &At<Tag>,
    client: &CheckedClient,
    client_tags: &BTreeSet<Tag>,
    sink: &mut Sink<'_>,
) {
    let client_name = &client.raw_name.value;
    let listed = client_tags
        .iter()
        .map(Tag::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    match t.policy {
        PolicyCheck::Absent if t.created => {
            if client_tags.contains(&tag.value) {
                return;
            }
            sink.report(
                Code::TagNotPermitted,
                &tag.loc,
                format!(
                    "OAuth client `{client_name}` cannot give `{}` to a key: it is not one of the client's tags ({listed})",
                    tag.value
                ),
            )
            .hint(format!(
                "use the client's tags, or declare `policy.tagOwners` with `\"{}\": [\"{}\"]` (the block must then define every tag of this tailnet)",
                tag.value,
                client_tags.iter().next().map_or("tag:CLIENT", Tag::as_str)
            ));
        }
        PolicyCheck::Valid { owners, place, .. } => {
            let owned = owners.get(&tag.value).is_some_and(|list| {
                list.iter()
                    .any(|o| client_tags.iter().any(|ct| ct.as_str() == o.as_str()))
            });
            if owned || !owners.contains_key(&tag.value) {
                // An undefined tag is already reported as such.
                return;
            }
            sink.report(
                Code::TagNotPermitted,
                &tag.loc,
                format!(
                    "OAuth client `{client_name}` cannot give `{}` to a key: the key's tags differ from the client's ({listed}) and no tag of the client owns `{}` in {place}",
                    tag.value, tag.value
                ),
            )
            .hint(format!(
                "add one of the client's tags to the owners of `{}`, e.g. `\"{}\": [\"{}\"]`",
                tag.value,
                tag.value,
                client_tags.iter().next().map_or("tag:CLIENT", Tag::as_str)
            ));
        }
        // Existing tailnet without a policy block: the plan checks against the live policy.
        PolicyCheck::Absent | PolicyCheck::Broken => {}
    }
}

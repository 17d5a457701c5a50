//! One OAuth client: name, description, scopes (current and legacy names), tags and the tags
//! its scopes require, delivery and `envName`.

use super::{delivery, text};
use crate::diagnostic::Code;
use crate::manifest::Loc;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Entry, Field, RawOAuthClient};
use crate::model::{EnvName, Name, OAuthClient, Scope, ScopeSet, ScopeSpelling};
use crate::suggest::did_you_mean;

/// What validation learnt about one client (used by the tag checks and the model).
pub(super) struct CheckedClient {
    /// The name as written, at its key.
    pub raw_name: At<String>,
    /// The valid name.
    pub name: Option<Name>,
    /// Its tags.
    pub tags: text::Tags,
    /// Its scopes, when every one is known.
    pub scopes: Option<ScopeSet>,
    /// Its explicit `envName`.
    pub env_name: Option<At<EnvName>>,
    /// The model, when everything is valid.
    pub model: Option<OAuthClient>,
}

/// Validates one client.
pub(super) fn check(entry: &Entry<RawOAuthClient>, sink: &mut Sink<'_>) -> CheckedClient {
    let raw = &entry.body;
    let name = text::name(&entry.name, "OAuth client", sink);
    let description = text::description(&raw.description, sink);
    let scopes = scopes(&raw.scopes, &entry.name, "OAuth client", sink);
    let tags = text::tags(&raw.tags, sink);
    require_tags(scopes.as_ref(), &tags, &entry.name, "OAuth client", sink);
    let deliver = delivery::deliveries(&raw.deliver, sink);
    let env_name = text::env_name(&raw.env_name, sink);
    let env_ok = env_name.is_some() || !raw.env_name.is_written();
    let model = match (&name, description, &scopes, deliver) {
        (Some(name), Some(description), Some(scopes), Some(deliver)) if tags.complete && env_ok => {
            Some(OAuthClient {
                name: name.clone(),
                origin: text::origin(&entry.name.loc, sink),
                description,
                scopes: scopes.clone(),
                tags: tags.set(),
                deliver,
                env_name: env_name.as_ref().map(|e| e.value.clone()),
            })
        }
        _ => None,
    };
    CheckedClient {
        raw_name: entry.name.clone(),
        name,
        tags,
        scopes,
        env_name,
        model,
    }
}

/// Reports a `kind` (an OAuth client or federated identity) whose scopes require tags and that
/// has none.
pub(super) fn require_tags(
    scopes: Option<&ScopeSet>,
    tags: &text::Tags,
    name: &At<String>,
    kind: &str,
    sink: &mut Sink<'_>,
) {
    if let Some(set) = scopes
        && set.requires_tags()
        && tags.list.is_empty()
        && tags.complete
    {
        let loc = tags.loc.clone().unwrap_or_else(|| tags_path(&name.loc));
        sink.report(
            Code::ClientNeedsTags,
            &loc,
            format!(
                "{kind} `{}` has the `auth_keys` or `devices:core` scope, which requires at least one tag",
                name.value
            ),
        )
        .hint("add `tags: [tag:NAME]`: keys and devices it creates carry these tags");
    }
}

/// Where a missing `tags` field would be: the resource's key, with the field's path.
pub(super) fn tags_path(entry: &Loc) -> Loc {
    entry.with_path(crate::manifest::child_path(&entry.path, "tags"))
}

/// The scopes of a `kind` (an OAuth client or federated identity) named `name`: at least one,
/// each known (legacy names expanded, with a warning).
pub(super) fn scopes(
    raw: &Field<Vec<At<String>>>,
    name: &At<String>,
    kind: &str,
    sink: &mut Sink<'_>,
) -> Option<ScopeSet> {
    if raw.is_broken() {
        return None;
    }
    let Some(list) = raw.get().filter(|l| !l.value.is_empty()) else {
        let loc = raw.get().map_or_else(
            || {
                name.loc
                    .with_path(crate::manifest::child_path(&name.loc.path, "scopes"))
            },
            |l| l.loc.clone(),
        );
        sink.report(
            Code::NoScopes,
            &loc,
            format!("{kind} `{}` needs at least one scope", name.value),
        )
        .hint("e.g. `scopes: [auth_keys]` to create auth keys");
        return None;
    };
    let mut out = Vec::new();
    let mut ok = true;
    for item in &list.value {
        match Scope::parse_spelling(&item.value) {
            Ok(ScopeSpelling::Current(scope)) => out.push(scope),
            Ok(ScopeSpelling::Legacy(legacy)) => {
                let means: Vec<String> = legacy.means.iter().map(ToString::to_string).collect();
                sink.report(
                    Code::LegacyScope,
                    &item.loc,
                    format!(
                        "`{}` is a legacy scope name; it means `{}`",
                        legacy.name,
                        means.join(" ")
                    ),
                )
                .hint("write the current scope names instead");
                out.extend(legacy.means);
            }
            Err(_) => {
                ok = false;
                let known = Scope::all_names();
                let candidates = known
                    .iter()
                    .map(String::as_str)
                    .chain(Scope::legacy_names().iter().copied());
                let diag = sink.report(
                    Code::UnknownScope,
                    &item.loc,
                    format!("`{}` is not a known scope", item.value),
                );
                if let Some(s) = did_you_mean(&item.value, candidates) {
                    diag.hint(format!("did you mean `{s}`?"));
                }
            }
        }
    }
    ok.then(|| ScopeSet::new(out))
}

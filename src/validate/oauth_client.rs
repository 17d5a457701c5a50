//! One OAuth client: name, description, scopes (current and legacy names), tags and the tags
//! its scopes require, delivery and `envName`.

use super::{delivery, text};
use crate::diagnostic::Code;
use crate::manifest::Loc;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Entry, RawOAuthClient};
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
    let scopes = scopes(entry, sink);
    let tags = text::tags(&raw.tags, sink);
    if let Some(set) = &scopes
        && set.requires_tags()
        && tags.list.is_empty()
        && tags.complete
    {
        let loc = tags
            .loc
            .clone()
            .unwrap_or_else(|| tags_path(&entry.name.loc));
        sink.report(
            Code::ClientNeedsTags,
            &loc,
            format!(
                "OAuth client `{}` has the `auth_keys` or `devices:core` scope, which requires at least one tag",
                entry.name.value
            ),
        )
        .hint("add `tags: [tag:NAME]`: keys and devices it creates carry these tags");
    }
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

/// Where a missing `tags` field would be: the resource's key, with the field's path.
pub(super) fn tags_path(entry: &Loc) -> Loc {
    entry.with_path(crate::manifest::child_path(&entry.path, "tags"))
}

fn scopes(entry: &Entry<RawOAuthClient>, sink: &mut Sink<'_>) -> Option<ScopeSet> {
    let raw = &entry.body.scopes;
    if raw.is_broken() {
        return None;
    }
    let Some(list) = raw.get().filter(|l| !l.value.is_empty()) else {
        let loc = raw.get().map_or_else(
            || {
                entry
                    .name
                    .loc
                    .with_path(crate::manifest::child_path(&entry.name.loc.path, "scopes"))
            },
            |l| l.loc.clone(),
        );
        sink.report(
            Code::NoScopes,
            &loc,
            format!(
                "OAuth client `{}` needs at least one scope",
                entry.name.value
            ),
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

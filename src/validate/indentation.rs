//! A resource named like one of its own fields — `tags:` written level with the key's name, so
//! that it became an auth key called `tags` — is almost always an indentation mistake, and it
//! produced several errors that did not say so ("auth key `tags` needs at least one tag"). Every
//! error about such a resource now gets a hint that says what happened, and so does the error of
//! the resource declared just above it about the field it lost.

use crate::manifest::Sources;
use crate::manifest::raw::{
    AUTH_KEY_FIELDS, Entry, FEDERATED_IDENTITY_FIELDS, OAUTH_CLIENT_FIELDS, RawManifest,
    TAILNET_FIELDS, WEBHOOK_FIELDS,
};

use crate::diagnostic::{Diagnostic, Severity};

/// Adds the indentation hints to the errors in `diags` (warnings are left as they are).
pub(crate) fn hint(raws: &[RawManifest], sources: &Sources, diags: &mut [Diagnostic]) {
    for raw in raws {
        let file = sources.file(raw.file).path.as_ref();
        let mut found = suspects(&raw.tailnets, "a tailnet", "tailnets", TAILNET_FIELDS);
        for t in &raw.tailnets {
            let base = format!("tailnets.{}", t.name.value);
            found.extend(suspects(
                &t.body.oauth_clients,
                "an OAuth client",
                &format!("{base}.oauthClients"),
                OAUTH_CLIENT_FIELDS,
            ));
            found.extend(suspects(
                &t.body.auth_keys,
                "an auth key",
                &format!("{base}.authKeys"),
                AUTH_KEY_FIELDS,
            ));
            found.extend(suspects(
                &t.body.federated_identities,
                "a federated identity",
                &format!("{base}.federatedIdentities"),
                FEDERATED_IDENTITY_FIELDS,
            ));
            found.extend(suspects(
                &t.body.webhooks,
                "a webhook",
                &format!("{base}.webhooks"),
                WEBHOOK_FIELDS,
            ));
        }
        for s in found {
            let errors = diags
                .iter_mut()
                .filter(|d| d.file == *file && d.severity == Severity::Error);
            for d in errors {
                if under(&d.path, &s.path) {
                    d.hint = Some(s.hint.clone());
                } else if let Some(above) = s.above.as_ref().filter(|a| d.path == a.lost_field) {
                    d.hint = Some(match &d.hint {
                        Some(h) => format!("{h}; or {}", above.hint),
                        None => above.hint.clone(),
                    });
                }
            }
        }
    }
}

/// A resource named like a field, and the resource declared just above it.
struct Suspect {
    path: String,
    hint: String,
    above: Option<Above>,
}

struct Above {
    /// The YAML path of the field it lost (`tailnets.demo.authKeys.web.tags`).
    lost_field: String,
    hint: String,
}

fn suspects<T>(entries: &[Entry<T>], kind: &str, base: &str, fields: &[&str]) -> Vec<Suspect> {
    let mut out = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let name = entry.name.value.as_str();
        if !fields.contains(&name) {
            continue;
        }
        let line = entry.name.loc.span.line;
        let above = i.checked_sub(1).map(|j| &entries[j].name);
        let hint = match above {
            Some(a) => format!(
                "`{name}` is a field of {kind}, not a name: indent `{name}:` on line {line} \
                 further, under `{}` (line {}), like its other fields",
                a.value, a.loc.span.line
            ),
            None => format!(
                "`{name}` is a field of {kind}, not a name: is `{name}:` on line {line} \
                 indented too little?"
            ),
        };
        out.push(Suspect {
            path: format!("{base}.{name}"),
            hint,
            above: above.map(|a| Above {
                lost_field: format!("{base}.{}.{name}", a.value),
                hint: format!("indent the `{name}:` on line {line} under `{}`", a.value),
            }),
        });
    }
    out
}

/// True when YAML path `path` is `of` or inside it.
fn under(path: &str, of: &str) -> bool {
    path.strip_prefix(of)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_a_resource_are_under_it() {
        assert!(under(
            "tailnets.a.authKeys.tags",
            "tailnets.a.authKeys.tags"
        ));
        assert!(under(
            "tailnets.a.authKeys.tags.tags",
            "tailnets.a.authKeys.tags"
        ));
        assert!(under(
            "tailnets.a.authKeys.tags[0]",
            "tailnets.a.authKeys.tags"
        ));
        assert!(!under(
            "tailnets.a.authKeys.tagsx",
            "tailnets.a.authKeys.tags"
        ));
    }
}

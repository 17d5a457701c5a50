//! One auth key: name, description, flags, tags (required on created tailnets and for keys made
//! by an OAuth client), expiry and rotation windows, the invalid-key policy, delivery and
//! `envName`. `createdBy` is resolved against the tailnet's clients in `tags`.

use super::oauth_client::tags_path;
use super::{delivery, text};
use crate::diagnostic::Code;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Entry, Field, RawAuthKey};
use crate::model::{AuthKey, Duration, EnvName, MAX_EXPIRY, Name, RecreateIfInvalid};
use crate::suggest::did_you_mean;

/// What validation learnt about one key.
pub(super) struct CheckedKey {
    /// The name as written, at its key.
    pub raw_name: At<String>,
    /// The valid name.
    pub name: Option<Name>,
    /// Its tags.
    pub tags: text::Tags,
    /// `createdBy` as written.
    pub created_by: Option<At<String>>,
    /// Its explicit `envName`.
    pub env_name: Option<At<EnvName>>,
    /// The model, when everything is valid.
    pub model: Option<AuthKey>,
}

/// Validates one key; `created_tailnet` is true on a tailnet tailform creates (API-only).
pub(super) fn check(
    entry: &Entry<RawAuthKey>,
    created_tailnet: bool,
    sink: &mut Sink<'_>,
) -> CheckedKey {
    let raw = &entry.body;
    let name = text::name(&entry.name, "auth key", sink);
    let description = text::description(&raw.description, sink);
    let tags = text::tags(&raw.tags, sink);
    require_tags(entry, &tags, created_tailnet, sink);
    let windows = windows(raw, sink);
    let recreate = recreate_if_invalid(&raw.recreate_if_invalid, sink);
    let created_by = raw.created_by.get().cloned();
    let deliver = delivery::deliveries(&raw.deliver, sink);
    let env_name = text::env_name(&raw.env_name, sink);
    let env_ok = env_name.is_some() || !raw.env_name.is_written();
    let flags = [&raw.reusable, &raw.ephemeral, &raw.preauthorized];
    let flags_ok = flags.iter().all(|f| !f.is_broken());
    let created_by_name = match &created_by {
        Some(c) => Name::parse(&c.value).ok(),
        None => None,
    };
    let created_by_ok = created_by.is_none() || created_by_name.is_some();
    let model = match (&name, description, windows, recreate, deliver) {
        (Some(name), Some(description), Some(w), Some(recreate), Some(deliver))
            if tags.complete && env_ok && flags_ok && created_by_ok =>
        {
            Some(AuthKey {
                name: name.clone(),
                origin: text::origin(&entry.name.loc, sink),
                description,
                reusable: flag(&raw.reusable),
                ephemeral: flag(&raw.ephemeral),
                preauthorized: flag(&raw.preauthorized),
                tags: tags.set(),
                expiry: w.expiry,
                rotate_before: w.rotate_before,
                recreate_if_invalid: recreate,
                created_by: created_by_name,
                deliver,
                env_name: env_name.as_ref().map(|e| e.value.clone()),
                keep_previous: w.keep_previous,
            })
        }
        _ => None,
    };
    CheckedKey {
        raw_name: entry.name.clone(),
        name,
        tags,
        created_by,
        env_name,
        model,
    }
}

fn flag(f: &Field<bool>) -> bool {
    f.get().is_some_and(|b| b.value)
}

/// Keys of API-only tailnets, and keys minted with an OAuth client's token, must be tagged.
fn require_tags(
    entry: &Entry<RawAuthKey>,
    tags: &text::Tags,
    created_tailnet: bool,
    sink: &mut Sink<'_>,
) {
    if !tags.list.is_empty() || !tags.complete {
        return;
    }
    let loc = tags
        .loc
        .clone()
        .unwrap_or_else(|| tags_path(&entry.name.loc));
    let name = &entry.name.value;
    let message = if created_tailnet {
        format!(
            "auth key `{name}` needs at least one tag: an API-only tailnet allows only tagged devices"
        )
    } else if let Some(client) = entry.body.created_by.get() {
        format!(
            "auth key `{name}` needs at least one tag: keys created with OAuth client `{}`'s token are always tagged",
            client.value
        )
    } else {
        return;
    };
    sink.report(Code::KeyNeedsTags, &loc, message)
        .hint("add `tags: [tag:NAME]`");
}

/// Expiry, rotation window and overlap window, checked against each other.
struct Windows {
    expiry: Duration,
    rotate_before: Duration,
    keep_previous: Option<Duration>,
}

fn windows(raw: &RawAuthKey, sink: &mut Sink<'_>) -> Option<Windows> {
    // Parse all three first so that every unparsable one is reported.
    let expiry = duration(&raw.expiry, sink);
    let rotate_before = duration(&raw.rotate_before, sink);
    let keep_previous = duration(&raw.keep_previous, sink);
    let (expiry, rotate_before, keep_previous) = (expiry?, rotate_before?, keep_previous?);
    let expiry = match expiry {
        None => MAX_EXPIRY,
        Some(At { value, loc }) => {
            if value < Duration::from_secs(1) || value > MAX_EXPIRY {
                sink.report(
                    Code::ExpiryRange,
                    &loc,
                    format!("expiry `{value}` is outside the range the API accepts, 1s to 90d"),
                );
                return None;
            }
            value
        }
    };
    let mut ok = true;
    let rotate_before = match rotate_before {
        None => Duration::from_secs(expiry.as_secs() / 3),
        Some(At { value, loc }) => {
            if value >= expiry {
                sink.report(
                    Code::RotateBeforeRange,
                    &loc,
                    format!(
                        "rotateBefore `{value}` is not shorter than the expiry `{expiry}`, so the key would be rotated as soon as it is created"
                    ),
                )
                .hint("use a window shorter than the expiry, or `0` to disable rotation");
                ok = false;
            }
            value
        }
    };
    if let Some(At { value, loc }) = &keep_previous
        && *value >= expiry
    {
        sink.report(
            Code::KeepPreviousRange,
            loc,
            format!("keepPrevious `{value}` is not shorter than the expiry `{expiry}`"),
        )
        .hint("the previous key is revoked after this window; it must end before the key expires");
        ok = false;
    }
    ok.then(|| Windows {
        expiry,
        rotate_before,
        keep_previous: keep_previous.map(|k| k.value),
    })
}

/// A duration field: `Some(None)` when absent, `None` when invalid (reported).
pub(super) fn duration(raw: &Field<String>, sink: &mut Sink<'_>) -> Option<Option<At<Duration>>> {
    match raw {
        Field::Absent => Some(None),
        Field::Broken => None,
        Field::Set(at) => match Duration::parse(&at.value) {
            Ok(d) => Some(Some(At {
                value: d,
                loc: at.loc.clone(),
            })),
            Err(e) => {
                sink.report(
                    Code::InvalidDuration,
                    &at.loc,
                    format!("`{}` is not a duration: {e}", at.value),
                );
                None
            }
        },
    }
}

fn recreate_if_invalid(raw: &Field<String>, sink: &mut Sink<'_>) -> Option<RecreateIfInvalid> {
    match raw {
        Field::Absent => Some(RecreateIfInvalid::default()),
        Field::Broken => None,
        Field::Set(at) => RecreateIfInvalid::parse(&at.value).or_else(|| {
            let known = ["auto", "always", "never"];
            let diag = sink.report(
                Code::RecreateIfInvalid,
                &at.loc,
                format!(
                    "`{}` is not a recreateIfInvalid value; it is `auto`, `always` or `never`",
                    at.value
                ),
            );
            if let Some(s) = did_you_mean(&at.value, known) {
                diag.hint(format!("did you mean `{s}`?"));
            }
            None
        }),
    }
}

//! Validation of the text fields every resource shares — logical names, descriptions, display
//! names, environment variable names — and of tag lists, each error mapped to its code.

use std::sync::Arc;

use crate::diagnostic::Code;
use crate::manifest::Loc;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Field};
use crate::model::{
    Description, DisplayName, EnvName, Name, NameError, Origin, Tag, TagError, TextError,
};

/// A logical name (`kind` is "tailnet", "OAuth client" or "auth key"); `None` once reported.
pub(super) fn name(raw: &At<String>, kind: &str, sink: &mut Sink<'_>) -> Option<Name> {
    match Name::parse(&raw.value) {
        Ok(name) => Some(name),
        Err(e) => {
            let message = format!("`{}` is not a valid {kind} name: {e}", raw.value);
            let diag = sink.report(Code::InvalidName, &raw.loc, message);
            if let Some(fixed) = name_fix(&raw.value, &e) {
                diag.hint(format!("did you mean `{fixed}`?"));
            }
            None
        }
    }
}

/// A plausible valid spelling of an invalid name: lower-cased, other characters turned into `-`.
fn name_fix(raw: &str, e: &NameError) -> Option<String> {
    if matches!(e, NameError::Empty | NameError::TooLong(_)) {
        return None;
    }
    let fixed: String = raw
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let fixed = fixed.trim_matches('-').to_owned();
    Name::parse(&fixed).ok().map(|_| fixed)
}

/// A description (absent: empty).
pub(super) fn description(raw: &Field<String>, sink: &mut Sink<'_>) -> Option<Description> {
    let Some(at) = raw.get() else {
        return Some(Description::default());
    };
    Description::parse(&at.value)
        .map_err(|e| {
            let diag = sink.report(Code::Description, &at.loc, format!("the description {e}"));
            if matches!(e, TextError::BadChar { .. }) {
                diag.hint("the API accepts up to 50 ASCII letters, digits, spaces and hyphens");
            }
        })
        .ok()
}

/// A display name (the API's grammar `^[A-Za-z0-9' -]{1,50}$`); `defaulted` when it is the
/// logical name because no `displayName` is set.
pub(super) fn display_name(
    value: &str,
    loc: &Loc,
    defaulted: bool,
    sink: &mut Sink<'_>,
) -> Option<DisplayName> {
    DisplayName::parse(value)
        .map_err(|e| {
            let what = if defaulted {
                "the display name (the logical name: no `displayName` is set)"
            } else {
                "the display name"
            };
            let diag = sink.report(Code::DisplayName, loc, format!("{what} {e}"));
            match e {
                TextError::BadChar { found, .. } if found.is_alphabetic() => {
                    diag.hint(format!(
                        "the API refuses letters outside ASCII (`{found}`): display names match \
                         ^[A-Za-z0-9' -]{{1,50}}$"
                    ));
                }
                TextError::BadChar { .. } | TextError::TooLong { .. } => {
                    diag.hint("display names match ^[A-Za-z0-9' -]{1,50}$ (the API's grammar)");
                }
                TextError::Empty => {}
            }
        })
        .ok()
}

/// An explicit `envName`, if set and valid.
pub(super) fn env_name(raw: &Field<String>, sink: &mut Sink<'_>) -> Option<At<EnvName>> {
    let at = raw.get()?;
    match EnvName::parse(&at.value) {
        Ok(name) => Some(At {
            value: name,
            loc: at.loc.clone(),
        }),
        Err(e) => {
            let upper: String = at
                .value
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            let diag = sink.report(
                Code::InvalidEnvName,
                &at.loc,
                format!(
                    "`{}` is not a valid environment variable name: {e}",
                    at.value
                ),
            );
            if EnvName::parse(&upper).is_ok() {
                diag.hint(format!("did you mean `{upper}`?"));
            }
            None
        }
    }
}

/// Parsed tags of a list, each with its place, and whether every item parsed (a broken or
/// partly invalid list turns off the checks that compare tag sets, to avoid follow-on errors).
pub(super) struct Tags {
    /// The valid tags, in list order.
    pub list: Vec<At<Tag>>,
    /// False when the list had the wrong type or any invalid tag.
    pub complete: bool,
    /// The list itself, when written.
    pub loc: Option<Loc>,
}

impl Tags {
    /// The tags as a set.
    pub fn set(&self) -> std::collections::BTreeSet<Tag> {
        self.list.iter().map(|t| t.value.clone()).collect()
    }
}

/// Parses a tag list (absent: empty).
pub(super) fn tags(raw: &Field<Vec<At<String>>>, sink: &mut Sink<'_>) -> Tags {
    let Some(list) = raw.get() else {
        return Tags {
            list: Vec::new(),
            complete: !raw.is_broken(),
            loc: None,
        };
    };
    let mut out = Tags {
        list: Vec::with_capacity(list.value.len()),
        complete: true,
        loc: Some(list.loc.clone()),
    };
    for item in &list.value {
        match tag(item, sink) {
            Some(t) => out.list.push(t),
            None => out.complete = false,
        }
    }
    out
}

/// One tag; `None` once reported.
pub(super) fn tag(raw: &At<String>, sink: &mut Sink<'_>) -> Option<At<Tag>> {
    match Tag::parse(&raw.value) {
        Ok(tag) => Some(At {
            value: tag,
            loc: raw.loc.clone(),
        }),
        Err(TagError::MissingPrefix) => {
            let message = format!("`{}` is not a tag: a tag starts with `tag:`", raw.value);
            let diag = sink.report(Code::TagPrefix, &raw.loc, message);
            let fixed = format!("tag:{}", raw.value);
            if Tag::parse(&fixed).is_ok() {
                diag.hint(format!("did you mean `{fixed}`?"));
            }
            None
        }
        Err(e) => {
            let message = format!("`{}` is not a valid tag: {e}", raw.value);
            sink.report(Code::InvalidTag, &raw.loc, message);
            None
        }
    }
}

/// The model origin of a place.
pub(super) fn origin(loc: &Loc, sink: &Sink<'_>) -> Origin {
    Origin {
        file: Arc::clone(&sink.sources().file(loc.file).path),
        line: loc.span.line,
        column: loc.span.column,
    }
}

/// True for an `https://` URL with a host: what the API takes for an OIDC issuer and a webhook
/// endpoint.
pub(super) fn is_https_url(raw: &str) -> bool {
    url::Url::parse(raw)
        .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

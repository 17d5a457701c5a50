//! One federated identity: name, description, issuer (an `https://` URL with a host), subject,
//! audience, custom claim rules (not `sub`, `iss` or `aud`), scopes and the tags they require.

use std::collections::BTreeMap;

use super::oauth_client::{require_tags, scopes};
use super::text;
use crate::diagnostic::Code;
use crate::manifest::Sink;
use crate::manifest::raw::{Entry, Field, RawFederatedIdentity};
use crate::model::{FederatedIdentity, RESERVED_CLAIMS};

const KIND: &str = "federated identity";

/// What validation learnt about one identity (used by the tag checks and the model).
pub(super) struct CheckedIdentity {
    /// Its tags.
    pub tags: text::Tags,
    /// The model, when everything is valid.
    pub model: Option<FederatedIdentity>,
}

/// Validates one identity.
pub(super) fn check(entry: &Entry<RawFederatedIdentity>, sink: &mut Sink<'_>) -> CheckedIdentity {
    let raw = &entry.body;
    let name = text::name(&entry.name, KIND, sink);
    let description = text::description(&raw.description, sink);
    let issuer = issuer(entry, sink);
    let subject = subject(entry, sink);
    let audience = match &raw.audience {
        Field::Broken => None,
        Field::Absent => Some(None),
        Field::Set(a) if a.value.trim().is_empty() => Some(None),
        Field::Set(a) => Some(Some(a.value.clone())),
    };
    let rules = claim_rules(&raw.custom_claim_rules, sink);
    let scopes = scopes(&raw.scopes, &entry.name, KIND, sink);
    let tags = text::tags(&raw.tags, sink);
    require_tags(scopes.as_ref(), &tags, &entry.name, KIND, sink);
    let model = match (
        &name,
        description,
        issuer,
        subject,
        audience,
        rules,
        &scopes,
    ) {
        (
            Some(name),
            Some(description),
            Some(issuer),
            Some(subject),
            Some(audience),
            Some(custom_claim_rules),
            Some(scopes),
        ) if tags.complete => Some(FederatedIdentity {
            name: name.clone(),
            origin: text::origin(&entry.name.loc, sink),
            description,
            scopes: scopes.clone(),
            tags: tags.set(),
            issuer,
            subject,
            audience,
            custom_claim_rules,
        }),
        _ => None,
    };
    CheckedIdentity { tags, model }
}

/// The issuer: required, an `https://` URL with a host (the API refuses anything else).
fn issuer(entry: &Entry<RawFederatedIdentity>, sink: &mut Sink<'_>) -> Option<String> {
    match &entry.body.issuer {
        Field::Broken => None,
        Field::Absent => {
            let loc = entry
                .name
                .loc
                .with_path(crate::manifest::child_path(&entry.name.loc.path, "issuer"));
            sink.report(
                Code::InvalidIssuer,
                &loc,
                format!(
                    "federated identity `{}` needs an `issuer`",
                    entry.name.value
                ),
            )
            .hint("e.g. `issuer: https://token.actions.githubusercontent.com` for GitHub Actions");
            None
        }
        Field::Set(at) => {
            if text::is_https_url(&at.value) {
                return Some(at.value.clone());
            }
            sink.report(
                Code::InvalidIssuer,
                &at.loc,
                format!("`{}` is not an `https://` URL with a host", at.value),
            )
            .hint("the issuer is the OIDC provider's URL, e.g. `https://token.actions.githubusercontent.com`");
            None
        }
    }
}

/// The subject pattern: required and not blank.
fn subject(entry: &Entry<RawFederatedIdentity>, sink: &mut Sink<'_>) -> Option<String> {
    let raw = &entry.body.subject;
    match raw {
        Field::Broken => None,
        Field::Set(at) if !at.value.trim().is_empty() => Some(at.value.clone()),
        _ => {
            let loc = raw.get().map_or_else(
                || {
                    entry
                        .name
                        .loc
                        .with_path(crate::manifest::child_path(&entry.name.loc.path, "subject"))
                },
                |at| at.loc.clone(),
            );
            sink.report(
                Code::InvalidSubject,
                &loc,
                format!(
                    "federated identity `{}` needs a `subject` (the `sub` claim a token must match)",
                    entry.name.value
                ),
            )
            .hint("e.g. `subject: repo:org/repo:ref:refs/heads/main`; `*` matches any run of characters");
            None
        }
    }
}

/// Claim rules: string patterns, none for a reserved claim.
fn claim_rules(
    raw: &Field<Vec<crate::manifest::raw::RawClaimRule>>,
    sink: &mut Sink<'_>,
) -> Option<BTreeMap<String, String>> {
    let rules = match raw {
        Field::Broken => return None,
        Field::Absent => return Some(BTreeMap::new()),
        Field::Set(rules) => rules,
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for rule in &rules.value {
        if RESERVED_CLAIMS.contains(&rule.claim.value.as_str()) {
            ok = false;
            let field = match rule.claim.value.as_str() {
                "sub" => "subject",
                "iss" => "issuer",
                _ => "audience",
            };
            sink.report(
                Code::ReservedClaim,
                &rule.claim.loc,
                format!(
                    "`{}` cannot be a custom claim rule: the identity's `{field}` matches it",
                    rule.claim.value
                ),
            )
            .hint(format!("set `{field}` instead"));
        }
        match rule.pattern.get() {
            Some(p) => {
                out.insert(rule.claim.value.clone(), p.value.clone());
            }
            None => ok = false,
        }
    }
    ok.then_some(out)
}

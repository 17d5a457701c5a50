//! `PlanView`: the one serialisable view of a plan that every renderer consumes, so text, JSON
//! and Markdown agree by construction. Its JSON form uses Terraform's key names
//! (`format_version`, `resource_changes[].change.actions`, `before_sensitive`, `replace_paths`,
//! `action_reason`) so tooling built for `terraform show -json` reads it.
//!
//! The view borrows the plan's attribute values, diffs and notes instead of copying them: a
//! plan of thousands of unchanged keys is viewed (and its text rendered) without duplicating it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::address::ResourceKind;
use crate::kind::AfterApply;
use crate::plan::{Action, Plan, Reason, Summary};

/// The JSON format version (a minor bump is additive; consumers ignore unknown keys). 1.1: a
/// plan that cannot be made is still one JSON document (`errored: true`, `complete: false`, its
/// problems in `diagnostics`), and a diagnostic may carry `detail`, `address`, `code`, `slug`,
/// `path` and `range`.
pub const FORMAT_VERSION: &str = "1.1";

/// A plan, ready to render (borrowing from the plan).
#[derive(Debug, Clone, Serialize)]
pub struct PlanView<'a> {
    /// Format version.
    pub format_version: &'static str,
    /// The tailform version that made the plan.
    pub tailform_version: &'static str,
    /// The clock the plan used (the server's), RFC 3339.
    pub timestamp: String,
    /// True when applying it would change something.
    pub applyable: bool,
    /// True for a plan; false when it could not be made.
    pub complete: bool,
    /// True when the plan could not be made: `diagnostics` says why and there are no changes.
    pub errored: bool,
    /// Every change, no-ops included, sorted by address.
    pub resource_changes: Vec<ResourceChangeView<'a>>,
    /// Counts.
    pub summary: Summary,
    /// Warnings, and the errors of a plan that could not be made.
    pub diagnostics: Vec<DiagnosticView>,
}

/// One address's change.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceChangeView<'a> {
    /// `tailnet.acme.auth_key.web`.
    pub address: String,
    /// The kind; serialised as its type name (`tailscale_auth_key`, …).
    #[serde(rename = "type", serialize_with = "type_name")]
    pub kind: ResourceKind,
    /// The object's own name.
    pub name: String,
    /// Set when the change concerns a previous (deposed) object: its id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deposed: Option<&'a str>,
    /// The address a `moved` entry renamed it from (Terraform's key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_address: Option<String>,
    /// The change.
    pub change: ChangeView<'a>,
    /// Why; serialised as its Terraform-style name (`replace_because_expiring`, …).
    #[serde(
        rename = "action_reason",
        serialize_with = "reason_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<&'a Reason>,
    /// The reason in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason_text: Option<String>,
    /// A unified diff (policies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<&'a str>,
    /// Notes for humans.
    #[serde(skip_serializing_if = "no_notes")]
    pub notes: &'a [String],
    /// The action, for renderers (not serialised: `change.actions` carries it).
    #[serde(skip)]
    pub action: Action,
}

fn no_notes(notes: &&[String]) -> bool {
    notes.is_empty()
}

fn type_name<S: serde::Serializer>(kind: &ResourceKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.type_name())
}

fn reason_name<S: serde::Serializer>(reason: &Option<&Reason>, s: S) -> Result<S::Ok, S::Error> {
    match reason {
        Some(r) => s.serialize_str(r.json_name()),
        None => s.serialize_none(),
    }
}

/// Terraform's `change` object.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView<'a> {
    /// `["create"]`, `["create", "delete"]`, …
    pub actions: Vec<&'static str>,
    /// Attributes before (no secrets; `null` when the object does not exist yet).
    pub before: &'a Value,
    /// Attributes after (no secrets; `null` when the object will not exist).
    pub after: &'a Value,
    /// Attributes only known after apply.
    pub after_unknown: Value,
    /// Sensitive attributes before.
    pub before_sensitive: Value,
    /// Sensitive attributes after.
    pub after_sensitive: Value,
    /// Paths whose change forces replacement (`[["tags"]]`).
    pub replace_paths: Vec<Vec<String>>,
}

/// A warning or error, with Terraform's key names (`severity`, `summary`, `detail`, `address`,
/// `range`) and, for a manifest problem, its code and YAML path.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiagnosticView {
    /// `warning` or `error`.
    pub severity: &'static str,
    /// The message.
    pub summary: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The address concerned (a plan problem).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `E012` (a manifest problem).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    /// `tag-prefix` (a manifest problem).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slug: Option<&'static str>,
    /// The YAML path of the value (`tailnets.acme.authKeys.web.tags[0]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Where in which file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeView>,
}

/// A place in a manifest file (Terraform's diagnostic `range`).
#[derive(Debug, Clone, Serialize)]
pub struct RangeView {
    /// The file, as named on the command line or found in a folder.
    pub filename: String,
    /// The first character.
    pub start: PosView,
    /// Just after the last character.
    pub end: PosView,
}

/// A position: 1-based line and column (in characters) and the byte offset.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PosView {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Byte offset from the start of the file.
    pub byte: usize,
}

impl DiagnosticView {
    /// A warning of the plan.
    pub fn warning(summary: impl Into<String>) -> Self {
        Self {
            severity: "warning",
            summary: summary.into(),
            ..Self::default()
        }
    }

    /// An error with no position (the API could not be reached, the state is locked, …).
    pub fn error(summary: impl Into<String>) -> Self {
        Self {
            severity: "error",
            summary: summary.into(),
            ..Self::default()
        }
    }

    /// A problem that stops the plan at one address.
    pub fn plan_error(e: &crate::plan::PlanError) -> Self {
        let mut summary = e.message.clone();
        if let Some(origin) = &e.origin {
            summary = format!("{origin}: {summary}");
        }
        Self {
            detail: e.hint.clone(),
            address: Some(e.address.to_string()),
            ..Self::error(summary)
        }
    }

    /// A manifest problem, with its code, YAML path and place.
    pub fn manifest(d: &crate::validate::Diagnostic) -> Self {
        let range = (d.line > 0).then(|| {
            let start = PosView {
                line: d.line,
                column: d.column,
                byte: d.span.map_or(0, |s| s.offset),
            };
            let end = match (d.span, &d.source) {
                (Some(span), Some(text)) if span.len > 0 => {
                    advance(start, text.as_str(), span.offset, span.len)
                }
                _ => start,
            };
            RangeView {
                filename: d.file.display().to_string(),
                start,
                end,
            }
        });
        Self {
            severity: d.severity.as_str(),
            summary: d.message.clone(),
            detail: d.hint.clone(),
            code: Some(d.code.id()),
            slug: Some(d.code.slug()),
            path: (!d.path.is_empty()).then(|| d.path.clone()),
            range,
            ..Self::default()
        }
    }
}

/// `start` moved over the `len` bytes of `text` that begin at byte `offset`.
fn advance(start: PosView, text: &str, offset: usize, len: usize) -> PosView {
    let mut pos = start;
    let end = offset.saturating_add(len).min(text.len());
    for c in text.get(offset..end).unwrap_or_default().chars() {
        if c == '\n' {
            pos.line += 1;
            pos.column = 1;
        } else {
            pos.column += 1;
        }
    }
    pos.byte = end;
    pos
}

/// `null`, for a missing `before` or `after`.
static NULL: Value = Value::Null;

impl<'a> PlanView<'a> {
    /// Builds the view of a plan.
    pub fn new(plan: &'a Plan) -> Self {
        let resource_changes: Vec<ResourceChangeView> =
            plan.changes.iter().map(change_view).collect();
        Self {
            format_version: FORMAT_VERSION,
            tailform_version: env!("CARGO_PKG_VERSION"),
            timestamp: plan.now.to_string(),
            applyable: plan.has_changes(),
            complete: true,
            errored: false,
            resource_changes,
            summary: plan.summary(),
            diagnostics: plan.warnings.iter().map(DiagnosticView::warning).collect(),
        }
    }

    /// The view of a plan that could not be made: no changes, `errored`, and why.
    pub fn errored(diagnostics: Vec<DiagnosticView>) -> PlanView<'static> {
        PlanView {
            format_version: FORMAT_VERSION,
            tailform_version: env!("CARGO_PKG_VERSION"),
            timestamp: jiff::Timestamp::now().to_string(),
            applyable: false,
            complete: false,
            errored: true,
            resource_changes: Vec::new(),
            summary: Summary::default(),
            diagnostics,
        }
    }

    /// The changes that do something (a move alone is one: apply records it).
    pub fn changes(&self) -> impl Iterator<Item = &ResourceChangeView<'a>> {
        self.resource_changes
            .iter()
            .filter(|c| c.action != Action::NoOp || c.previous_address.is_some())
    }

    /// No-op entries that carry notes (why nothing happens).
    pub fn notes(&self) -> impl Iterator<Item = &ResourceChangeView<'a>> {
        self.resource_changes
            .iter()
            .filter(|c| c.action == Action::NoOp && !c.notes.is_empty())
    }
}

fn change_view(c: &crate::plan::Change) -> ResourceChangeView<'_> {
    let secret_marker = |present: bool| {
        if c.sensitive && present {
            json!({ "secret": true })
        } else {
            json!({})
        }
    };
    let creates = matches!(c.action, Action::Create | Action::Replace);
    let kind = c.address.kind();
    // A rotation in place (a webhook's) keeps the id: only the secret is new.
    let after_apply = match (creates, c.new_secret) {
        (true, _) => kind.spec().after_apply,
        (false, true) => &[AfterApply::Secret][..],
        (false, false) => &[][..],
    };
    let after_unknown = if c.after.is_some() && !after_apply.is_empty() {
        let mut unknown = json!({});
        for attribute in after_apply {
            let shown = c
                .after
                .as_deref()
                .is_some_and(|a| a.get(attribute.attribute()).is_some());
            if (*attribute != AfterApply::Secret || c.sensitive) && !shown {
                unknown[attribute.attribute()] = json!(true);
            }
        }
        unknown
    } else {
        json!({})
    };
    ResourceChangeView {
        address: c.address.to_string(),
        kind,
        name: c.address.name().to_string(),
        deposed: c.deposed.as_deref(),
        previous_address: c.previous_address.as_ref().map(ToString::to_string),
        change: ChangeView {
            actions: c.action.json_actions().to_vec(),
            before: c.before.as_deref().unwrap_or(&NULL),
            after: c.after.as_deref().unwrap_or(&NULL),
            after_unknown,
            before_sensitive: secret_marker(c.before.is_some()),
            after_sensitive: secret_marker(c.after.is_some()),
            replace_paths: c.replace_paths.iter().map(|p| vec![p.clone()]).collect(),
        },
        reason: c.reason.as_ref(),
        action_reason_text: c.reason.as_ref().map(|r| r.describe()),
        diff: c.diff.as_deref(),
        notes: &c.notes,
        action: c.action,
    }
}

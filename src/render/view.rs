//! `PlanView`: the one serialisable view of a plan that every renderer consumes, so text, JSON
//! and Markdown agree by construction. Its JSON form uses Terraform's key names
//! (`format_version`, `resource_changes[].change.actions`, `before_sensitive`, `replace_paths`,
//! `action_reason`) so tooling built for `terraform show -json` reads it.
//!
//! The view borrows the plan's attribute values, diffs and notes instead of copying them: a
//! plan of thousands of unchanged keys is viewed (and its text rendered) without duplicating it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::plan::{Action, Plan, Summary};

/// The JSON format version (a minor bump is additive; consumers ignore unknown keys).
pub const FORMAT_VERSION: &str = "1.0";

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
    /// Always true: tailform plans are complete.
    pub complete: bool,
    /// Always false for a rendered plan (errors are reported instead of a plan).
    pub errored: bool,
    /// Every change, no-ops included, sorted by address.
    pub resource_changes: Vec<ResourceChangeView<'a>>,
    /// Counts.
    pub summary: Summary,
    /// Warnings.
    pub diagnostics: Vec<DiagnosticView>,
}

/// One address's change.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceChangeView<'a> {
    /// `tailnet.acme.auth_key.web`.
    pub address: String,
    /// `tailscale_auth_key`, …
    #[serde(rename = "type")]
    pub type_name: &'static str,
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
    /// Why (Terraform-style reason name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_reason: Option<&'static str>,
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

/// A warning or error line.
#[derive(Debug, Clone, Serialize)]
pub struct DiagnosticView {
    /// `warning` or `error`.
    pub severity: &'static str,
    /// The message.
    pub summary: String,
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
            diagnostics: plan
                .warnings
                .iter()
                .map(|w| DiagnosticView {
                    severity: "warning",
                    summary: w.clone(),
                })
                .collect(),
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
    let after_unknown =
        if creates && c.after.is_some() && c.address.kind() != crate::address::ResourceKind::Policy
        {
            let mut unknown = json!({ "id": true });
            if c.sensitive {
                unknown["secret"] = json!(true);
            }
            if c.address.kind() == crate::address::ResourceKind::AuthKey {
                unknown["expires"] = json!(true);
            }
            unknown
        } else {
            json!({})
        };
    ResourceChangeView {
        address: c.address.to_string(),
        type_name: c.address.kind().type_name(),
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
        action_reason: c.reason.as_ref().map(|r| r.json_name()),
        action_reason_text: c.reason.as_ref().map(|r| r.describe()),
        diff: c.diff.as_deref(),
        notes: &c.notes,
        action: c.action,
    }
}

//! The text plan (default format): Terraform-like blocks per change — `+` create, `~` update,
//! `+/-` replace (create first), `-` delete — with `# forces replacement` on attributes, reasons
//! in words, list diffs element by element, secrets as `(sensitive value)`, and the
//! `Plan: N to add, N to change, N to destroy.` summary. Colour only when asked.

use std::fmt::Write;

use serde_json::Value;

use crate::plan::{Action, Reason};
use crate::secret::REDACTED;

use super::view::{PlanView, ResourceChangeView};

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Styling with or without colour.
    pub fn new(color: bool) -> Self {
        Self { color }
    }

    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    fn symbol(self, symbol: &str) -> String {
        let code = match symbol {
            "+" => "32",
            "-" => "31",
            "~" => "33",
            "+/-" | "-/+" => "35",
            _ => "36",
        };
        self.paint(code, symbol)
    }

    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
}

/// Renders the plan as text.
pub fn render(view: &PlanView, style: Style) -> String {
    let mut out = String::new();
    let changes: Vec<&ResourceChangeView> = view.changes().collect();
    let refresh_only = changes.iter().all(|c| c.action == Action::Read) && !changes.is_empty();
    if changes.is_empty() {
        out.push_str(&style.bold("No changes. Your tailnets match the manifests."));
        out.push('\n');
    } else {
        out.push_str(if refresh_only {
            "tailform detected the following changes made outside of tailform:\n\n"
        } else {
            "tailform will perform the following actions:\n\n"
        });
        for c in &changes {
            render_change(&mut out, c, style);
        }
        out.push_str(&summary_line(view, style));
    }
    if view.summary.unmanaged > 0 {
        let _ = writeln!(
            out,
            "\n{} live key(s) in managed tailnets are not managed by tailform and are left untouched.",
            view.summary.unmanaged
        );
    }
    let notes: Vec<&ResourceChangeView> = view.notes().collect();
    if !notes.is_empty() {
        out.push('\n');
        for c in notes {
            for n in c.notes {
                let _ = writeln!(out, "Note: {}: {n}", display_address(c));
            }
        }
    }
    for d in &view.diagnostics {
        let _ = writeln!(out, "\n{}: {}", style.paint("33", "Warning"), d.summary);
    }
    out
}

/// `Plan: 1 to add, 0 to change, 0 to destroy.` (with `, N to forget` when any).
pub fn summary_line(view: &PlanView, style: Style) -> String {
    let s = &view.summary;
    if s.drift > 0 && s.add + s.change + s.destroy + s.forget == 0 {
        return format!(
            "{} This is a refresh-only plan: nothing will be changed.\n",
            style.bold(&format!(
                "Drift: {} object(s) changed outside tailform.",
                s.drift
            ))
        );
    }
    let mut line = format!(
        "Plan: {} to add, {} to change, {} to destroy",
        s.add, s.change, s.destroy
    );
    if s.forget > 0 {
        let _ = write!(line, ", {} to forget", s.forget);
    }
    if s.moved > 0 {
        let _ = write!(line, ", {} moved", s.moved);
    }
    line.push('.');
    let mut out = style.bold(&line);
    out.push('\n');
    if s.rotate > 0 {
        let _ = writeln!(out, "{} key(s) are due for rotation.", s.rotate);
    }
    if s.rotate_secrets > 0 {
        let _ = writeln!(
            out,
            "{} webhook secret(s) are due for rotation.",
            s.rotate_secrets
        );
    }
    out
}

fn display_address(c: &ResourceChangeView) -> String {
    match &c.deposed {
        Some(id) if matches!(c.reason, Some(Reason::Orphan)) => {
            format!("{} (orphan {id})", c.address)
        }
        Some(id) => format!("{} (previous object {id})", c.address),
        None => c.address.clone(),
    }
}

fn header(c: &ResourceChangeView) -> &'static str {
    match c.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::Replace => "must be replaced",
        Action::Delete if c.deposed.is_some() => c.kind.spec().previous_deleted,
        Action::Delete => "will be destroyed",
        Action::Forget => "will no longer be tracked (nothing live is touched)",
        Action::Read => match c.reason {
            Some(Reason::Missing) => "has been deleted outside tailform",
            Some(Reason::Invalid) => {
                "is no longer valid: revoked, expired or used outside tailform"
            }
            _ => "has changed outside tailform",
        },
        Action::NoOp => "is unchanged",
    }
}

fn render_change(out: &mut String, c: &ResourceChangeView, style: Style) {
    if let Some(previous) = &c.previous_address {
        let _ = writeln!(
            out,
            "  {}",
            style.bold(&format!("# {previous} has moved to {}", c.address))
        );
        if c.action == Action::NoOp {
            out.push('\n');
            return;
        }
    }
    let _ = writeln!(
        out,
        "  {}",
        style.bold(&format!("# {} {}", display_address(c), header(c)))
    );
    if let Some(reason) = &c.action_reason_text {
        let _ = writeln!(out, "  # ({reason})");
    }
    for note in c.notes {
        let _ = writeln!(out, "  # {note}");
    }
    let symbol = match c.action {
        Action::Replace => "+/-",
        Action::Read if gone(c) => "-",
        a => a.symbol(),
    };
    // A policy diff says everything; the compact attribute lines would repeat it.
    let lines = if c.diff.is_some() {
        Vec::new()
    } else {
        attribute_lines(c)
    };
    if lines.is_empty() && c.diff.is_none() {
        out.push('\n');
        return;
    }
    let kind = c.kind.segment();
    let _ = writeln!(out, "{:>3} {kind} \"{}\" {{", style.symbol(symbol), c.name);
    let width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let mut hidden = 0;
    for line in &lines {
        match &line.kind {
            LineKind::Same => hidden += 1,
            kind => render_line(out, line, kind, width, style),
        }
    }
    if hidden > 0 && !matches!(c.action, Action::Create | Action::Delete | Action::Forget) {
        let _ = writeln!(out, "        # ({hidden} unchanged attribute(s) hidden)");
    }
    if let Some(diff) = &c.diff {
        for l in diff.lines() {
            let painted = match l.chars().next() {
                Some('+') if !l.starts_with("+++") => style.paint("32", l),
                Some('-') if !l.starts_with("---") => style.paint("31", l),
                _ => l.to_owned(),
            };
            let _ = writeln!(out, "        {painted}");
        }
    }
    out.push_str("    }\n\n");
}

/// A refresh found the object gone: its record is shown as removed.
fn gone(c: &ResourceChangeView) -> bool {
    c.action == Action::Read && c.change.after.is_null()
}

fn render_line(out: &mut String, line: &Line, kind: &LineKind, width: usize, style: Style) {
    let name = format!("{:<width$}", line.name);
    let forces = if line.forces {
        "  # forces replacement"
    } else {
        ""
    };
    match kind {
        LineKind::Same => {}
        LineKind::Add(v) => {
            let _ = writeln!(out, "      {} {name} = {v}{forces}", style.symbol("+"));
        }
        LineKind::Remove(v) => {
            let _ = writeln!(out, "      {} {name} = {v}{forces}", style.symbol("-"));
        }
        LineKind::Change(a, b) => {
            let _ = writeln!(
                out,
                "      {} {name} = {a} -> {b}{forces}",
                style.symbol("~")
            );
        }
        LineKind::ListChange(items) => {
            let _ = writeln!(out, "      {} {name} = [{forces}", style.symbol("~"));
            for (sym, item) in items {
                let s = if *sym == " " {
                    " ".to_owned()
                } else {
                    style.symbol(sym)
                };
                let _ = writeln!(out, "          {s} {item},");
            }
            out.push_str("        ]\n");
        }
    }
}

struct Line {
    name: String,
    kind: LineKind,
    forces: bool,
}

enum LineKind {
    Same,
    Add(String),
    Remove(String),
    Change(String, String),
    ListChange(Vec<(&'static str, String)>),
}

fn attribute_lines(c: &ResourceChangeView) -> Vec<Line> {
    let empty = serde_json::Map::new();
    let before = c.change.before.as_object().unwrap_or(&empty);
    let after = c.change.after.as_object().unwrap_or(&empty);
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    let forces = |n: &str| {
        c.change
            .replace_paths
            .iter()
            .any(|p| p.first().is_some_and(|x| x == n))
    };
    let unknown = |n: &str| {
        c.change
            .after_unknown
            .get(n)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let mut lines: Vec<Line> = names
        .into_iter()
        .map(|n| {
            let (b, a) = (before.get(n), after.get(n));
            let kind = match c.action {
                Action::Create => a.map_or(LineKind::Same, |v| LineKind::Add(show(v))),
                Action::Delete | Action::Forget => {
                    b.map_or(LineKind::Same, |v| LineKind::Remove(show(v)))
                }
                Action::Read if gone(c) => b.map_or(LineKind::Same, |v| LineKind::Remove(show(v))),
                _ => compare(b, a, unknown(n)),
            };
            Line {
                name: n.clone(),
                kind,
                forces: forces(n),
            }
        })
        .collect();
    // What only the API knows (an id; an audience it generates) and nothing shows yet.
    for name in ["id", "audience"] {
        if unknown(name) && !before.contains_key(name) && !after.contains_key(name) {
            lines.push(Line {
                name: name.into(),
                kind: LineKind::Add("(known after apply)".into()),
                forces: false,
            });
        }
    }
    let sensitive = c.change.after_sensitive.get("secret").is_some()
        || c.change.before_sensitive.get("secret").is_some();
    if sensitive {
        let kind = match c.action {
            Action::Create => LineKind::Add(REDACTED.into()),
            Action::Delete | Action::Forget => LineKind::Remove(REDACTED.into()),
            Action::Read if gone(c) => LineKind::Remove(REDACTED.into()),
            Action::Replace => LineKind::Change(REDACTED.into(), "(known after apply)".into()),
            // A rotation in place: the same object, a new secret.
            Action::Update if unknown("secret") => {
                LineKind::Change(REDACTED.into(), "(known after apply)".into())
            }
            _ => LineKind::Same,
        };
        lines.push(Line {
            name: "secret".into(),
            kind,
            forces: false,
        });
    }
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    lines
}

fn compare(before: Option<&Value>, after: Option<&Value>, unknown_after: bool) -> LineKind {
    match (before, after) {
        (Some(b), _) if unknown_after => LineKind::Change(show(b), "(known after apply)".into()),
        (Some(b), Some(a)) if b == a => LineKind::Same,
        (Some(Value::Array(b)), Some(Value::Array(a))) => LineKind::ListChange(list_diff(b, a)),
        (Some(b), Some(a)) => LineKind::Change(show(b), show(a)),
        (None, Some(a)) => LineKind::Add(show(a)),
        (Some(b), None) => LineKind::Remove(show(b)),
        (None, None) => LineKind::Same,
    }
}

fn list_diff(before: &[Value], after: &[Value]) -> Vec<(&'static str, String)> {
    let b: Vec<String> = before.iter().map(show).collect();
    let a: Vec<String> = after.iter().map(show).collect();
    similar::capture_diff_slices(similar::Algorithm::Myers, &b, &a)
        .iter()
        .flat_map(|op| op.iter_changes(&b, &a))
        .map(|change| {
            let sym = match change.tag() {
                similar::ChangeTag::Delete => "-",
                similar::ChangeTag::Insert => "+",
                similar::ChangeTag::Equal => " ",
            };
            (sym, change.value().clone())
        })
        .collect()
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("{k:?}: {}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

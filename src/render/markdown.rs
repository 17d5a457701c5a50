//! The Markdown plan (`--format markdown`) for pull-request comments: a summary table first,
//! warnings for deletions and rotations, then the full text plan in `<details>` inside a
//! ```` ```diff ```` block (symbols moved to the line start so GitHub colours them), kept under
//! 65,000 characters.

use std::fmt::Write;

use crate::plan::Action;

use super::text::{self, Style};
use super::view::PlanView;

/// GitHub's comment limit is 65,536 characters; stay clearly below it.
pub const MAX_CHARS: usize = 65_000;
const MAX_TABLE_ROWS: usize = 100;

/// Renders the plan as Markdown.
pub fn render(view: &PlanView) -> String {
    let s = &view.summary;
    let mut out = String::new();
    let changes: Vec<_> = view.changes().collect();
    if changes.is_empty() {
        out.push_str("### tailform plan: no changes\n\nYour tailnets match the manifests.\n");
        return out;
    }
    let _ = writeln!(
        out,
        "### tailform plan: {} to add, {} to change, {} to destroy{}\n",
        s.add,
        s.change,
        s.destroy,
        if s.forget > 0 {
            format!(", {} to forget", s.forget)
        } else {
            String::new()
        }
    );
    out.push_str("| Action | Address | Reason |\n|---|---|---|\n");
    for c in changes.iter().take(MAX_TABLE_ROWS) {
        let action = match c.action {
            Action::Replace => "replace",
            a => a.json_actions()[0],
        };
        let address = match &c.deposed {
            Some(id) => format!("`{}` (previous `{id}`)", c.address),
            None => format!("`{}`", c.address),
        };
        let reason = c
            .action_reason_text
            .clone()
            .unwrap_or_default()
            .replace('|', "\\|");
        let _ = writeln!(out, "| {action} | {address} | {reason} |");
    }
    if changes.len() > MAX_TABLE_ROWS {
        let _ = writeln!(out, "| … | {} more | |", changes.len() - MAX_TABLE_ROWS);
    }
    let deletions: Vec<String> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete) && c.deposed.is_none())
        .map(|c| format!("`{}`", c.address))
        .collect();
    if !deletions.is_empty() {
        let _ = writeln!(
            out,
            "\n> [!WARNING]\n> **Deletion**: {} will be deleted.",
            join_limited(&deletions)
        );
    }
    if s.rotate > 0 {
        let _ = writeln!(
            out,
            "\n> [!NOTE]\n> **Rotation**: {} key(s) are due for rotation; new keys are created before the old ones are revoked.",
            s.rotate
        );
    }
    if s.rotate_secrets > 0 {
        let _ = writeln!(
            out,
            "\n> [!NOTE]\n> **Rotation**: {} webhook secret(s) are due for rotation; each old secret stops verifying at once, and the new one is delivered right after.",
            s.rotate_secrets
        );
    }
    for d in &view.diagnostics {
        let _ = writeln!(out, "\n> [!CAUTION]\n> {}", d.summary);
    }
    let body = diff_body(&text::render(view, Style::new(false)));
    let open = "\n<details><summary>Full plan</summary>\n\n```diff\n";
    let close = "```\n\n</details>\n";
    let room = MAX_CHARS.saturating_sub(out.len() + open.len() + close.len() + 200);
    out.push_str(open);
    if body.len() <= room {
        out.push_str(&body);
    } else {
        let mut end = room;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        let cut = body[..end].rfind('\n').unwrap_or(0);
        out.push_str(&body[..cut]);
        let _ = writeln!(
            out,
            "\n… (truncated to stay under GitHub's comment limit; run `tailform plan` for the full plan)"
        );
    }
    out.push_str(close);
    out
}

/// Moves `+`, `-`, `~` to column 0 so a ```` ```diff ```` block colours them.
fn diff_body(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let moved = match trimmed.chars().next() {
            Some(c @ ('+' | '-' | '~'))
                if indent > 0
                    && !trimmed.starts_with("+/-")
                    && !trimmed.starts_with("+++")
                    && !trimmed.starts_with("---") =>
            {
                let marker = if c == '~' { '!' } else { c };
                format!("{marker}{}{}", " ".repeat(indent - 1), &trimmed[1..])
            }
            _ => line.to_owned(),
        };
        out.push_str(&moved);
        out.push('\n');
    }
    out
}

fn join_limited(items: &[String]) -> String {
    const SHOW: usize = 20;
    let mut s = items
        .iter()
        .take(SHOW)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > SHOW {
        let _ = write!(s, " and {} more", items.len() - SHOW);
    }
    s
}

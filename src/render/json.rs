//! The JSON plan (`--format json`): the `PlanView` serialised, pretty-printed.

use super::view::PlanView;

/// Renders the plan as JSON.
pub fn render(view: &PlanView) -> String {
    let mut s = serde_json::to_string_pretty(view).expect("the plan view serialises");
    s.push('\n');
    s
}

//! Rendering: every output format is built from one [`PlanView`] (text, JSON, Markdown), so they
//! agree by construction. Pure: renderers return strings; commands print them.

pub mod dot;
pub mod json;
pub mod markdown;
pub mod progress;
pub mod text;
mod view;

pub use view::{
    ChangeView, DiagnosticView, FORMAT_VERSION, PlanView, PosView, RangeView, ResourceChangeView,
};
#[cfg(test)]
mod tests;

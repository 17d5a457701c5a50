//! Diagnostics: what every stage that reads a manifest reports and how it is shown — the stable
//! codes and severities (`code`), one finding with its place and quoted text (`finding`), the
//! position it points at (`span`), and the renderers for text, JSON and GitHub annotations
//! (`render`, with `snippet` for the quoted source lines). Below both `manifest` (which reads
//! files and reports what it cannot parse) and `validate` (which checks what was read), so that
//! neither needs the other to say what went wrong.

pub mod code;
mod finding;
pub mod render;
mod snippet;
mod span;

pub use code::{Code, Severity};
pub use finding::{ByteSpan, Diagnostic, Related, SourceText, sorted};
pub use render::{TextOptions, render_github, render_json, render_text};
pub use span::Span;

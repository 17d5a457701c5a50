//! Renderers for a list of diagnostics — pure: each takes the diagnostics and a writer.
//! - text: for people, with source snippets (miette), the file name shown above each snippet;
//! - json: a JSON list of objects (`code`, `slug`, `severity`, `file`, `line`, `column`,
//!   `path`, `message`, `hint`, `related`);
//! - github: GitHub Actions workflow commands (`::error file=…,line=…,col=…,title=…::message`).

use std::fmt;
use std::io;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};
use serde::Serialize;

use super::code::Severity;
use super::finding::{ByteSpan, Diagnostic, Related};
use super::snippet::Snippet;

/// How the text renderer draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextOptions {
    /// ANSI colours.
    pub color: bool,
    /// Wrap width in columns.
    pub width: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            color: false,
            width: 100,
        }
    }
}

/// Writes each diagnostic with its snippet, then nothing else (the caller adds a summary).
pub fn render_text(
    w: &mut impl io::Write,
    diags: &[Diagnostic],
    opts: TextOptions,
) -> io::Result<()> {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false);
    for d in diags {
        let mut out = String::new();
        handler
            .render_report(&mut out, &Report::new(d))
            .map_err(|_| io::Error::other("cannot format a diagnostic"))?;
        writeln!(w, "{out}")?;
    }
    Ok(())
}

/// Writes the diagnostics as one pretty-printed JSON list and a newline.
pub fn render_json(w: &mut impl io::Write, diags: &[Diagnostic]) -> io::Result<()> {
    let list: Vec<JsonDiagnostic<'_>> = diags.iter().map(JsonDiagnostic::from).collect();
    serde_json::to_writer_pretty(&mut *w, &list)?;
    writeln!(w)
}

/// Writes one GitHub Actions annotation per diagnostic: `::error` or `::warning`, with the file,
/// line, column and `title=E012 tag-prefix`; the hint follows the message on a second line.
pub fn render_github(w: &mut impl io::Write, diags: &[Diagnostic]) -> io::Result<()> {
    for d in diags {
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut props = format!("file={}", escape_property(&d.file.display().to_string()));
        if d.line > 0 {
            props.push_str(&format!(",line={},col={}", d.line, d.column));
        }
        props.push_str(&format!(",title={}", escape_property(&d.code.to_string())));
        let mut message = d.message.clone();
        if !d.path.is_empty() {
            message = format!("{}: {message}", d.path);
        }
        if let Some(hint) = &d.hint {
            message.push_str(&format!("\nhint: {hint}"));
        }
        writeln!(w, "::{level} {props}::{}", escape_data(&message))?;
    }
    Ok(())
}

/// GitHub workflow-command escaping of the message part.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub workflow-command escaping of a property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    slug: &'static str,
    severity: Severity,
    file: String,
    line: usize,
    column: usize,
    path: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: String,
    line: usize,
    column: usize,
    message: &'a str,
}

impl<'a> From<&'a Diagnostic> for JsonDiagnostic<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonDiagnostic {
            code: d.code.id(),
            slug: d.code.slug(),
            severity: d.severity,
            file: d.file.display().to_string(),
            line: d.line,
            column: d.column,
            path: &d.path,
            message: &d.message,
            hint: d.hint.as_deref(),
            related: d
                .related
                .iter()
                .map(|r| JsonRelated {
                    file: r.file.display().to_string(),
                    line: r.line,
                    column: r.column,
                    message: &r.message,
                })
                .collect(),
        }
    }
}

/// A diagnostic as miette sees it. Related places in the same file become extra labels; those
/// in other files become related reports with their own snippet.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: Option<Snippet>,
    others: Vec<RelatedReport<'a>>,
}

impl<'a> Report<'a> {
    fn new(diag: &'a Diagnostic) -> Self {
        let spans: Vec<(usize, usize)> = std::iter::once(diag.span)
            .chain(
                diag.related
                    .iter()
                    .filter(|r| r.file == diag.file)
                    .map(|r| r.span),
            )
            .flatten()
            .map(|s| (s.offset, s.len))
            .collect();
        let source = diag.source.as_ref().map(|s| {
            Snippet::new(
                diag.file.display().to_string(),
                s.shared(),
                &spans,
                diag.column,
            )
        });
        let others = diag
            .related
            .iter()
            .filter(|r| r.file != diag.file)
            .map(RelatedReport::new)
            .collect();
        Report {
            diag,
            source,
            others,
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.source.is_none() {
            write!(f, "{}", self.diag.file.display())?;
            if self.diag.line > 0 {
                write!(f, ":{}:{}", self.diag.line, self.diag.column)?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

fn label(text: &str, span: Option<ByteSpan>, source: &Snippet) -> Option<LabeledSpan> {
    span.map(|s| LabeledSpan::new_with_span(Some(text.to_owned()), source.span(s.offset, s.len)))
}

/// The diagnostic's own place: miette's header (`╭─[file:line:column]`) names the primary
/// label, so the header points where the JSON's `line`/`column` do — at a duplicate's second
/// declaration, not at the first one above it.
fn primary_label(text: &str, span: Option<ByteSpan>, source: &Snippet) -> Option<LabeledSpan> {
    span.map(|s| {
        LabeledSpan::new_primary_with_span(Some(text.to_owned()), source.span(s.offset, s.len))
    })
}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .hint
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        let text = if self.diag.path.is_empty() {
            "here"
        } else {
            self.diag.path.as_str()
        };
        let primary = primary_label(text, self.diag.span, source);
        let same_file = self
            .diag
            .related
            .iter()
            .filter(|r| r.file == self.diag.file)
            .filter_map(move |r| label(&r.message, r.span, source));
        Some(Box::new(primary.into_iter().chain(same_file)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.others.is_empty() {
            return None;
        }
        Some(Box::new(
            self.others.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// A related place in another file, shown as an advice with its own snippet.
struct RelatedReport<'a> {
    related: &'a Related,
    source: Option<Snippet>,
}

impl<'a> RelatedReport<'a> {
    fn new(related: &'a Related) -> Self {
        let spans: Vec<(usize, usize)> = related
            .span
            .map(|s| (s.offset, s.len))
            .into_iter()
            .collect();
        let source = related.source.as_ref().map(|s| {
            Snippet::new(
                related.file.display().to_string(),
                s.shared(),
                &spans,
                related.column,
            )
        });
        RelatedReport { related, source }
    }
}

impl fmt::Debug for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.related, f)
    }
}

impl fmt::Display for RelatedReport<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.related.file.display(),
            self.related.line,
            self.related.column,
            self.related.message
        )
    }
}

impl std::error::Error for RelatedReport<'_> {}

impl miette::Diagnostic for RelatedReport<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let source = self.source.as_ref()?;
        let l = label(&self.related.message, self.related.span, source)?;
        Some(Box::new(std::iter::once(l)))
    }
}

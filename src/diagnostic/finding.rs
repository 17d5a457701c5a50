//! `Diagnostic`: one finding of loading or validation — code, severity, place (file, line,
//! column, YAML path), one sentence and an optional hint — with the text it quotes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::code::{Code, Severity};
use super::span::Span;

/// A file's text, shared between the loaded sources and the diagnostics that quote it (the text
/// renderer shows snippets from it). Its `Debug` shows only the size.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceText(Arc<str>);

impl SourceText {
    /// Wraps a text.
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        Self(text.into())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared text (no copy).
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

impl fmt::Debug for SourceText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceText({} bytes)", self.0.len())
    }
}

/// A byte range in a file (for snippets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ByteSpan {
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes (0: a point).
    pub len: usize,
}

/// A second place a diagnostic refers to ("first declared here").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// The manifest file of the other place.
    pub file: PathBuf,
    /// 1-based line (0: the whole file).
    pub line: usize,
    /// 1-based column (0: the whole file).
    pub column: usize,
    /// What is there, in a few words.
    pub message: String,
    /// Byte range, for the snippet.
    pub span: Option<ByteSpan>,
    /// The file's text, for the snippet.
    pub source: Option<SourceText>,
}

/// One finding. `line` and `column` are 1-based and count characters; both are 0 when the
/// finding is about a whole file (it cannot be read, or there is none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable identity.
    pub code: Code,
    /// Error or warning (always `code.severity()`).
    pub severity: Severity,
    /// The file it is in.
    pub file: PathBuf,
    /// 1-based line, 0 for a whole-file finding.
    pub line: usize,
    /// 1-based column, 0 for a whole-file finding.
    pub column: usize,
    /// The YAML path of the value (`tailnets.acme.authKeys.web.tags[1]`); empty for a file.
    pub path: String,
    /// One sentence.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub hint: Option<String>,
    /// Other places involved (the first declaration of a duplicate, …).
    pub related: Vec<Related>,
    /// Byte range of the value, for snippets.
    pub span: Option<ByteSpan>,
    /// The file's text, for snippets (absent when the file could not be read).
    pub source: Option<SourceText>,
}

impl Diagnostic {
    /// A finding about a whole file (or path), with no position.
    pub fn for_file(code: Code, file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            file: file.into(),
            line: 0,
            column: 0,
            path: String::new(),
            message: message.into(),
            hint: None,
            related: Vec::new(),
            span: None,
            source: None,
        }
    }

    /// A finding at a position of a file whose text is known.
    pub fn at(code: Code, file: &Path, source: &SourceText, span: Span, message: String) -> Self {
        Diagnostic {
            line: span.line,
            column: span.column,
            span: Some(ByteSpan {
                offset: span.offset,
                len: span.len,
            }),
            source: Some(source.clone()),
            ..Diagnostic::for_file(code, file, message)
        }
    }

    /// Sets the YAML path.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Adds a hint.
    pub fn hint(&mut self, hint: impl Into<String>) -> &mut Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a related place.
    pub fn related(&mut self, related: Related) -> &mut Self {
        self.related.push(related);
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: error[E012 tag-prefix] tailnets.a.authKeys.k.tags[0]: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}[{}]", self.severity.as_str(), self.code)?;
        if !self.path.is_empty() {
            write!(f, " {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Sorts diagnostics by file, line, column and code (the order every renderer shows).
pub fn sorted(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.code).cmp(&(&b.file, b.line, b.column, b.code))
    });
    diags
}

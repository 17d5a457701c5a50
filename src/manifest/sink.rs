//! `Sink`: collects diagnostics about manifest positions ([`Loc`]) while loading and validation
//! walk every file, so that all findings are reported together, in a stable order.

use crate::diagnostic::{ByteSpan, Code, Diagnostic, Related, sorted};

use super::{Loc, Sources};

/// Collects diagnostics about manifest positions while validation runs.
pub(crate) struct Sink<'s> {
    sources: &'s Sources,
    diags: Vec<Diagnostic>,
}

impl<'s> Sink<'s> {
    /// An empty sink over these sources.
    pub(crate) fn new(sources: &'s Sources) -> Self {
        Sink {
            sources,
            diags: Vec::new(),
        }
    }

    /// The sources the positions refer to.
    pub(crate) fn sources(&self) -> &'s Sources {
        self.sources
    }

    /// Reports `code` at `loc`; returns the diagnostic to add a hint or related places.
    pub(crate) fn report(
        &mut self,
        code: Code,
        loc: &Loc,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let file = self.sources.file(loc.file);
        let diag = Diagnostic::at(code, &file.path, &file.text, loc.span, message.into())
            .with_path(loc.path.as_str());
        self.push(diag)
    }

    /// Adds a diagnostic built elsewhere (e.g. about a policy file).
    pub(crate) fn push(&mut self, diag: Diagnostic) -> &mut Diagnostic {
        self.diags.push(diag);
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// A related place at `loc`.
    pub(crate) fn related_at(&self, loc: &Loc, message: impl Into<String>) -> Related {
        let file = self.sources.file(loc.file);
        Related {
            file: file.path.as_ref().clone(),
            line: loc.span.line,
            column: loc.span.column,
            message: message.into(),
            span: Some(ByteSpan {
                offset: loc.span.offset,
                len: loc.span.len,
            }),
            source: Some(file.text.clone()),
        }
    }

    /// How many errors (not warnings) were reported so far.
    pub(crate) fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    /// Every diagnostic, in a stable order: by file, line, column, then code.
    pub(crate) fn finish(self) -> Vec<Diagnostic> {
        sorted(self.diags)
    }
}

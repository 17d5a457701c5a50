//! `Sources`: the manifest files of one run — path, text and parsed spanned tree each — and
//! `Loc`, a position in one of them together with its YAML path. Also the one helper that reads
//! a file named by a manifest (the policy file), with the limits tailform puts on it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::node::{self, Node, Span};
use crate::diagnostic::{Code, Diagnostic, SourceText};

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(usize);

/// One parsed manifest file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as discovered (relative paths stay relative, for readable messages).
    pub path: Arc<PathBuf>,
    /// The file's text.
    pub text: SourceText,
    /// Its YAML document.
    pub root: Node,
}

/// Every manifest file of a run, in discovery order (sorted).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Parses already-read texts (in order). Every file is parsed; all syntax errors are returned
    /// together.
    pub fn from_texts(texts: Vec<(PathBuf, String)>) -> Result<Sources, Vec<Diagnostic>> {
        let mut files = Vec::with_capacity(texts.len());
        let mut errors = Vec::new();
        for (path, text) in texts {
            let text = SourceText::new(text);
            match node::parse(text.as_str()) {
                Ok(root) => files.push(SourceFile {
                    path: Arc::new(path),
                    text,
                    root,
                }),
                Err(e) => errors.push(syntax_diagnostic(&path, &text, e)),
            }
        }
        if errors.is_empty() {
            Ok(Sources { files })
        } else {
            Err(errors)
        }
    }

    /// The files, in order.
    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    /// One file.
    ///
    /// A `FileId` is only made by [`Sources::files`], so it always indexes this set.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// Number of files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// True when there is no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn syntax_diagnostic(path: &Path, text: &SourceText, e: node::SyntaxError) -> Diagnostic {
    let message = strip_location_suffix(&e.message);
    match e.span {
        Some(span) => {
            let span = Span {
                offset: offset_of(text.as_str(), span.line, span.column),
                len: 0,
                ..span
            };
            Diagnostic::at(Code::YamlSyntax, path, text, span, message)
        }
        None => Diagnostic::for_file(Code::YamlSyntax, path, message),
    }
}

/// The parser appends " at line N, column M"; diagnostics carry the position separately.
fn strip_location_suffix(message: &str) -> String {
    let trimmed = match message.rfind(" at line ") {
        Some(i) if message[i..].contains(", column ") => &message[..i],
        _ => message,
    };
    if trimmed.starts_with("multiple YAML documents") {
        return "a manifest file holds one YAML document; put each document in its own file"
            .to_owned();
    }
    trimmed.to_owned()
}

/// The byte offset of a 1-based line and character column (clamped to the text). Lines end as
/// YAML ends them: at `\n`, `\r\n` or a lone `\r`.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut current = 1;
    let mut col = 1;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if current == line && col == column {
            return i;
        }
        match c {
            '\n' => {
                if current == line {
                    return i;
                }
                current += 1;
                col = 1;
            }
            '\r' => {
                if current == line {
                    return i;
                }
                if chars.peek().is_some_and(|&(_, n)| n == '\n') {
                    chars.next();
                }
                current += 1;
                col = 1;
            }
            _ => col += 1,
        }
    }
    text.len()
}

/// The number of lines of a text, counted as YAML counts them (see [`offset_of`]).
pub fn line_count(text: &str) -> usize {
    1 + text.matches('\n').count() + text.matches('\r').count() - text.matches("\r\n").count()
}

/// A position in a manifest file and the YAML path of the value there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The manifest file, as given on the command line or found in the folder.
    pub file: FileId,
    /// Where in it.
    pub span: Span,
    /// The YAML path (`tailnets.acme.authKeys.web.tags[1]`).
    pub path: String,
}

impl Loc {
    /// The location of a node found under `path`.
    pub fn new(file: FileId, node: &Node, path: String) -> Self {
        Loc {
            file,
            span: node.span,
            path,
        }
    }

    /// The same place with another path.
    pub fn with_path(&self, path: String) -> Self {
        Loc {
            path,
            ..self.clone()
        }
    }
}

/// `parent.key` (or `key` at the top).
pub fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        let mut p = String::with_capacity(parent.len() + key.len() + 1);
        p.push_str(parent);
        p.push('.');
        p.push_str(key);
        p
    }
}

/// `parent[index]`.
pub fn index_path(parent: &str, index: usize) -> String {
    let mut p = String::with_capacity(parent.len() + 4);
    p.push_str(parent);
    // Writing to a String cannot fail.
    let _ = write!(p, "[{index}]");
    p
}

/// Why a file named by a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadFileError {
    /// The OS refused (not found, permission, …).
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A folder, device or other non-regular file.
    #[error("it is not a regular file")]
    NotAFile,
    /// Larger than the limit.
    #[error("it is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: u64,
    },
    /// Not UTF-8 text.
    #[error("it is not UTF-8 text")]
    NotUtf8,
}

/// Reads a regular UTF-8 text file of at most `max` bytes (never a device or a pipe, which could
/// block or never end).
pub fn read_text_file(path: &Path, max: u64) -> Result<String, ReadFileError> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(ReadFileError::NotAFile);
    }
    if meta.len() > max {
        return Err(ReadFileError::TooLarge { max });
    }
    let bytes = std::fs::read(path)?;
    String::from_utf8(bytes).map_err(|_| ReadFileError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        let text = "ab\ncdé\nf";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 3), 5);
        assert_eq!(offset_of(text, 3, 1), 8);
        assert_eq!(offset_of(text, 9, 9), text.len());
        assert_eq!(offset_of(text, 1, 9), 2);
        let cr = "a\rb\r\nc";
        assert_eq!(offset_of(cr, 2, 1), 2);
        assert_eq!(offset_of(cr, 3, 1), 5);
        assert_eq!(line_count(cr), 3);
        assert_eq!(line_count(""), 1);
    }

    #[test]
    fn syntax_errors_are_positioned_without_suffix() {
        let err = Sources::from_texts(vec![("m.yaml".into(), "a: [1\n".into())]).unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].code, Code::YamlSyntax);
        assert_eq!((err[0].line, err[0].column), (1, 4));
        assert_eq!(err[0].message, "unclosed bracket '['");
    }

    /// Found by the `load` fuzz target: YAML ends lines at a lone `\r` too, so line numbers and
    /// offsets must count it.
    #[test]
    fn lone_carriage_returns_end_lines() {
        let text = "a: 1\r\rb: [\n";
        let err = Sources::from_texts(vec![("m.yaml".into(), text.into())]).unwrap_err();
        assert_eq!((err[0].line, err[0].column), (3, 4));
        assert_eq!(err[0].span.map(|s| s.offset), Some(9));
        assert!(err[0].line <= line_count(text));
    }

    #[test]
    fn paths() {
        assert_eq!(child_path("", "tailnets"), "tailnets");
        assert_eq!(child_path("tailnets", "a"), "tailnets.a");
        assert_eq!(index_path("tags", 2), "tags[2]");
    }
}

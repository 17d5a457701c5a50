//! From files to raw manifests: which files ([`discover`]), reading and parsing them into a
//! span-keeping YAML tree ([`load`] → [`Sources`]), the raw typed shape (`raw`, built by
//! validation through `extract`), and the JSON Schema of the format (`schema`).
//!
//! This is where manifest I/O happens; `crate::validate` turns [`Sources`] into
//! `crate::model::Desired` and reads nothing but the policy files manifests name.

mod discover;
pub(crate) mod extract;
pub mod node;
pub mod raw;
pub mod schema;
mod sink;
mod source;

use std::path::PathBuf;

pub use discover::{DEFAULT_MANIFEST, discover};
pub use node::{Node, Span, Value};
pub(crate) use sink::Sink;
pub use source::{
    FileId, Loc, ReadFileError, SourceFile, Sources, child_path, index_path, line_count, offset_of,
    read_text_file,
};

use crate::diagnostic::{Code, Diagnostic};

/// The largest manifest or policy file tailform reads (16 MiB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads and parses every file; every unreadable file and every YAML syntax error is returned
/// together.
pub fn load(files: &[PathBuf]) -> Result<Sources, Vec<Diagnostic>> {
    let mut texts = Vec::with_capacity(files.len());
    let mut errors = Vec::new();
    for path in files {
        match read_text_file(path, MAX_FILE_BYTES) {
            Ok(text) => texts.push((path.clone(), text)),
            Err(ReadFileError::NotUtf8) => errors.push(Diagnostic::for_file(
                Code::YamlSyntax,
                path,
                "the file is not UTF-8 text",
            )),
            Err(e) => errors.push(Diagnostic::for_file(
                Code::ReadError,
                path,
                format!("cannot read `{}`: {e}", path.display()),
            )),
        }
    }
    match Sources::from_texts(texts) {
        Ok(sources) if errors.is_empty() => Ok(sources),
        Ok(_) => Err(errors),
        Err(mut parse_errors) => {
            errors.append(&mut parse_errors);
            Err(crate::diagnostic::sorted(errors))
        }
    }
}

//! `tailform schema`: prints the manifest's JSON Schema (draft 2020-12) on stdout, for editors
//! through yaml-language-server.

use std::io::Write;

use crate::error::Error;
use crate::exit::Exit;
use crate::manifest::schema::json_schema;

/// Runs `tailform schema`.
pub fn run() -> Result<Exit, Error> {
    let text = serde_json::to_string_pretty(&json_schema())
        .map_err(|e| Error::Usage(format!("cannot print the schema: {e}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(|e| Error::io("write", "standard output", e))?;
    Ok(Exit::Success)
}

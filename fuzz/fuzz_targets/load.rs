//! Fuzz target `load`: any bytes, as a manifest file, through parsing and validation. The
//! loader must never panic: it returns a model or diagnostics, and every diagnostic about the
//! input points inside it.

#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use tailform::manifest::Sources;
use tailform::validate::{ValidateOptions, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = PathBuf::from("fuzz.yaml");
    let result = Sources::from_texts(vec![(file.clone(), text.to_owned())])
        .and_then(|sources| validate(&sources, &ValidateOptions::default()));
    if let Err(diags) = result {
        assert!(diags.iter().any(|d| d.is_error()));
        for d in diags.iter().filter(|d| d.file == file) {
            assert!(d.line >= 1 && d.line <= tailform::manifest::line_count(text));
            if let Some(span) = d.span {
                assert!(span.offset + span.len <= text.len());
            }
        }
    }
});

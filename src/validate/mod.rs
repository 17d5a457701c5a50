//! From [`Sources`] to a typed, validated [`crate::model::Desired`]: every rule of DESIGN §2 in
//! one pass, with every finding — shape and semantics, in every file — reported together as
//! [`Diagnostic`]s (stable [`Code`], file, line, column, YAML path, one sentence, a hint).
//!
//! Validation is pure except for reading the policy files that manifests name.
//! [`load_and_validate`] is the one call commands use.

mod auth_key;
mod delivery;
mod env_name;
mod federated_identity;
mod indentation;
mod moved;
mod oauth_client;
mod policy;
mod settings;
mod tags;
mod tailnet;
mod text;
mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

// The diagnostics live below both the manifest reader and this validator; named here too, as
// the validator's results.
pub use crate::diagnostic::{
    ByteSpan, Code, Diagnostic, Related, Severity, SourceText, TextOptions, render_github,
    render_json, render_text,
};

use crate::manifest::Sink;
use crate::manifest::raw::{Entry, RawManifest, RawTailnet};
use crate::manifest::{self, Loc, Sources, extract::extract};
use crate::model::{Desired, Name};
use tailnet::CheckedTailnet;

/// Limits that come from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidateOptions {
    /// The organization's tailnet cap, the original tailnet included (`--max-tailnets`).
    pub max_tailnets: usize,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions { max_tailnets: 10 }
    }
}

/// A valid manifest set.
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// The desired state.
    pub desired: Desired,
    /// Warnings (validation passed; show them).
    pub warnings: Vec<Diagnostic>,
}

/// Discovers, loads and validates: the one call commands use.
pub fn load_and_validate(
    paths: &[PathBuf],
    opts: &ValidateOptions,
) -> Result<Validated, Vec<Diagnostic>> {
    let files = manifest::discover(paths).map_err(|d| vec![d])?;
    let sources = manifest::load(&files)?;
    validate(&sources, opts)
}

/// Validates loaded manifests. `Err` holds every diagnostic (errors and warnings) when there is
/// at least one error.
pub fn validate(sources: &Sources, opts: &ValidateOptions) -> Result<Validated, Vec<Diagnostic>> {
    let mut sink = Sink::new(sources);
    let raws: Vec<RawManifest> = sources
        .files()
        .map(|(id, file)| extract(id, &file.root, &mut sink))
        .collect();
    let entries = merge(&raws, &mut sink);
    let checked: Vec<CheckedTailnet> = entries
        .into_iter()
        .map(|entry| tailnet::check(entry, &mut sink))
        .collect();
    tailnet::check_across(&checked, opts.max_tailnets, &mut sink);
    env_name::check(&checked, &mut sink);
    let moves = moved::check(&raws, &checked, &mut sink);
    // Only when nothing else is wrong: with errors, nothing is applied anyway, and a file that
    // failed to declare its tailnets would make this warning noise.
    if checked.is_empty() && sink.error_count() == 0 {
        warn_empty(&raws, &mut sink);
    }
    let tailnets: BTreeMap<Name, _> = checked
        .into_iter()
        .filter_map(|t| t.model.map(|m| (m.name.clone(), m)))
        .collect();
    let failed = sink.error_count() > 0;
    let mut diags = sink.finish();
    indentation::hint(&raws, sources, &mut diags);
    if failed {
        return Err(diags);
    }
    Ok(Validated {
        desired: Desired { tailnets, moves },
        warnings: diags,
    })
}

/// All tailnets of all files, in declaration order; a name declared in two files is reported
/// at the second and only the first is kept.
fn merge<'r>(raws: &'r [RawManifest], sink: &mut Sink<'_>) -> Vec<&'r Entry<RawTailnet>> {
    let mut seen: HashMap<&str, &Loc> = HashMap::new();
    let mut out = Vec::new();
    for entry in raws.iter().flat_map(|r| &r.tailnets) {
        if let Some(first) = seen.get(entry.name.value.as_str()) {
            let related = sink.related_at(first, "first declared here");
            sink.report(
                Code::DuplicateResource,
                &entry.name.loc,
                format!("tailnet `{}` is declared twice", entry.name.value),
            )
            .related(related)
            .hint("a tailnet and everything in it is declared in one file");
            continue;
        }
        seen.insert(&entry.name.value, &entry.name.loc);
        out.push(entry);
    }
    out
}

fn warn_empty(raws: &[RawManifest], sink: &mut Sink<'_>) {
    let Some(first) = raws.first() else {
        return;
    };
    let loc = first.tailnets_key.clone().unwrap_or_else(|| Loc {
        file: first.file,
        span: manifest::Span {
            line: 1,
            column: 1,
            offset: 0,
            len: 0,
        },
        path: "tailnets".to_owned(),
    });
    sink.report(
        Code::EmptyManifest,
        &loc,
        "the manifests declare no tailnet; apply would delete everything tailform manages",
    )
    .hint("declare tailnets under `tailnets:`, or check the `-f` paths");
}

//! `tailform show [PLANFILE] [--format text|json]`: a saved plan as it will be applied (text, or
//! its JSON plan), or — without a plan file — the state, every record with its secrets
//! redacted (JSON in the shape of Terraform's `show -json` state: `values.root_module.resources`,
//! each with `address`, `type`, `name`, `values` and `sensitive_values`).

#![allow(
    clippy::print_stdout,
    reason = "what is shown is this command's output"
)]

use serde_json::{Value, json};

use super::console::{out, outln};
use super::session;
use crate::cli::{GlobalArgs, ShowArgs, ShowFormat};
use crate::error::Error;
use crate::exit::Exit;
use crate::planfile::SavedPlan;
use crate::render::FORMAT_VERSION;
use crate::state::State;

/// Runs `tailform show`.
pub fn run(global: &GlobalArgs, args: &ShowArgs) -> Result<Exit, Error> {
    match &args.plan_file {
        Some(path) => {
            let saved = SavedPlan::load(path)?;
            match args.format {
                ShowFormat::Text => out!("{}", saved.text),
                ShowFormat::Json => outln!("{}", saved.json_text(path)?),
            }
        }
        None => {
            let state = session::backend(global)?.load()?;
            match args.format {
                ShowFormat::Text => out!("{}", state_text(&state)?),
                ShowFormat::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&state_json(&state)?)
                        .expect("JSON values serialise")
                ),
            }
        }
    }
    Ok(Exit::Success)
}

fn state_text(state: &State) -> Result<String, Error> {
    if state.resources.is_empty() {
        return Ok("The state is empty.\n".to_owned());
    }
    let mut out = String::new();
    for address in state.resources.keys() {
        out.push_str(&format!(
            "# {address}:\n{}\n\n",
            super::state::show(state, address)?
        ));
    }
    Ok(out)
}

fn state_json(state: &State) -> Result<Value, Error> {
    let mut resources = Vec::with_capacity(state.resources.len());
    for (address, record) in &state.resources {
        let values: Value = serde_json::from_str(&super::state::show(state, address)?)
            .expect("a shown record is JSON");
        let sensitive = if record.stored_secret().is_some() {
            json!({ "secret": true })
        } else {
            json!({})
        };
        resources.push(json!({
            "address": address.to_string(),
            "type": address.kind().type_name(),
            "name": address.name(),
            "values": values,
            "sensitive_values": sensitive,
        }));
    }
    Ok(json!({
        "format_version": FORMAT_VERSION,
        "lineage": state.lineage,
        "serial": state.serial,
        "values": { "root_module": { "resources": resources } },
    }))
}

//! `tailform output [ADDR] [--format text|json|env] [--reveal]`: how users get the secrets out of
//! the state. On a terminal values are redacted unless `--reveal`; when stdout is a pipe or a
//! file they are printed (that is what `eval "$(tailform output --format env)"` needs).

#![allow(clippy::print_stdout, reason = "the secrets are this command's output")]

use super::console::{errln, outln};
use std::collections::BTreeMap;
use std::io::IsTerminal;

use serde_json::json;

use crate::address::Address;
use crate::cli::{GlobalArgs, OutputArgs, OutputFormat};
use crate::error::Error;
use crate::exit::Exit;
use crate::model::EnvName;
use crate::secret::{REDACTED, Secret};
use crate::state::{Record, State};

use super::session;

/// What `output` shows for a secret that is encrypted and no configured key opens.
const SEALED: &str = "(encrypted: set TAILFORM_PASSPHRASE or pass --age-identity)";

/// One secret the state holds.
struct Output<'s> {
    address: Address,
    id: &'s str,
    secret: Option<&'s Secret>,
}

/// Runs `tailform output`.
pub fn run(global: &GlobalArgs, args: &OutputArgs) -> Result<Exit, Error> {
    let mut backend = session::backend(global)?;
    let state = backend.load()?;
    let outputs = collect(&state, args.address.as_ref())?;
    let sealed = |a: &Address| backend.sealing().is_unreadable(&a.to_string());
    let reveal = args.reveal || !std::io::stdout().is_terminal();
    let show = |s: Option<&Secret>| match (s, reveal) {
        (Some(s), true) => s.expose().to_owned(),
        (Some(_), false) => REDACTED.to_owned(),
        (None, _) => String::new(),
    };
    match args.format {
        OutputFormat::Text => {
            let width = outputs
                .iter()
                .map(|o| o.address.to_string().len())
                .max()
                .unwrap_or(0);
            for o in &outputs {
                let value = match o.secret {
                    Some(_) => show(o.secret),
                    None if sealed(&o.address) => SEALED.to_owned(),
                    None => "(unknown: imported)".to_owned(),
                };
                outln!("{:<width$}  {value}", o.address.to_string());
            }
        }
        OutputFormat::Json => {
            let map: BTreeMap<String, serde_json::Value> = outputs
                .iter()
                .map(|o| {
                    let secret = o.secret.map(|s| show(Some(s)));
                    (
                        o.address.to_string(),
                        json!({ "id": o.id, "secret": secret }),
                    )
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&map).expect("JSON values serialise")
            );
        }
        OutputFormat::Env => {
            let names = env_names(global, args)?;
            for o in outputs.iter().filter(|o| o.secret.is_some()) {
                let name = names
                    .get(&o.address)
                    .cloned()
                    .unwrap_or_else(|| EnvName::derive(&o.address));
                outln!("{name}='{}'", show(o.secret));
            }
        }
    }
    if !reveal && outputs.iter().any(|o| o.secret.is_some()) && !global.quiet {
        errln!("(values are redacted on a terminal; pass --reveal to show them)");
    }
    Ok(Exit::Success)
}

/// `envName:` overrides from the manifests (`-f`, or `tailform.yaml` when it exists).
fn env_names(global: &GlobalArgs, args: &OutputArgs) -> Result<BTreeMap<Address, EnvName>, Error> {
    let files = &args.manifests.files;
    if files.is_empty() && !std::path::Path::new(crate::manifest::DEFAULT_MANIFEST).exists() {
        return Ok(BTreeMap::new());
    }
    let desired = session::manifests(global, files)?;
    let mut names = BTreeMap::new();
    for (t, tailnet) in &desired.tailnets {
        for (n, c) in &tailnet.oauth_clients {
            if let Some(e) = &c.env_name {
                names.insert(Address::oauth_client(t.clone(), n.clone()), e.clone());
            }
        }
        for (n, k) in &tailnet.auth_keys {
            if let Some(e) = &k.env_name {
                names.insert(Address::auth_key(t.clone(), n.clone()), e.clone());
            }
        }
    }
    Ok(names)
}

fn collect<'s>(state: &'s State, only: Option<&Address>) -> Result<Vec<Output<'s>>, Error> {
    if let Some(a) = only.filter(|a| state.get(a).is_none()) {
        return Err(Error::NotInState(a.clone()));
    }
    Ok(state
        .resources
        .iter()
        .filter(|(a, _)| only.is_none_or(|o| o == *a))
        .filter_map(|(a, r)| match r {
            Record::Tailnet(t) => t.oauth_client.as_ref().map(|c| Output {
                address: a.clone(),
                id: &c.id,
                secret: c.secret.as_ref(),
            }),
            Record::OAuthClient(c) => Some(Output {
                address: a.clone(),
                id: &c.id,
                secret: c.secret.as_ref(),
            }),
            Record::AuthKey(k) => Some(Output {
                address: a.clone(),
                id: &k.id,
                secret: k.secret.as_ref(),
            }),
            Record::Policy(_) => None,
        })
        .collect())
}

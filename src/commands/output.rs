//! `tailform output [ADDR] [--format text|json|env] [--reveal]`: how users get the secrets out of
//! the state. On a terminal values are redacted unless `--reveal`; when stdout is a pipe or a
//! file they are printed (that is what `eval "$(tailform output --format env)"` needs).
//!
//! A federated identity has no secret; what a CI job needs of it — its id and its audience — is
//! not secret, so it is listed too and never redacted: text `id …, audience …`, JSON
//! `federated_identity_id` and `audience`, env `<NAME>_ID` and `<NAME>_AUDIENCE`.

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
use crate::state::{Record, SecretKnowledge, State};

use super::session;

/// What `output` shows (text format) for a secret that is encrypted and no configured key
/// opens; the command then fails.
const SEALED: &str = "(encrypted: set TAILFORM_PASSPHRASE or pass --age-identity)";

/// One secret the state holds (or, for a kind without one, the values that name it).
struct Output<'s> {
    address: Address,
    owner: Owner<'s>,
    /// `None`: the kind has no secret (a federated identity).
    secret: Option<SecretKnowledge<'s>>,
}

impl Output<'_> {
    fn knows(&self, what: SecretKnowledge<'_>) -> bool {
        self.secret == Some(what)
    }

    fn open(&self) -> Option<&Secret> {
        self.secret.and_then(|s| s.open())
    }
}

/// Whose secret it is, with the ids that name it. A tailnet's entry holds the secret of the
/// tailnet's own OAuth client, so its JSON names both ids (`tailnet_id`, `oauth_client_id`):
/// a bare `id` there was read as the tailnet's.
#[derive(Clone, Copy)]
enum Owner<'s> {
    /// A created tailnet's own OAuth client.
    Tailnet {
        tailnet_id: &'s str,
        client_id: &'s str,
    },
    /// A declared OAuth client.
    OAuthClient { client_id: &'s str },
    /// An auth key.
    AuthKey { key_id: &'s str },
    /// A webhook: its signing secret.
    Webhook { webhook_id: &'s str },
    /// A federated identity: no secret; its id and audience are what a CI job sets.
    Identity {
        id: &'s str,
        audience: Option<&'s str>,
    },
}

impl Owner<'_> {
    /// The JSON fields naming the owner, beside `secret`.
    fn json(self, secret: Option<String>) -> serde_json::Value {
        match self {
            Owner::Tailnet {
                tailnet_id,
                client_id,
            } => json!({
                "tailnet_id": tailnet_id,
                "oauth_client_id": client_id,
                "secret": secret,
            }),
            Owner::OAuthClient { client_id } => {
                json!({ "oauth_client_id": client_id, "secret": secret })
            }
            Owner::AuthKey { key_id } => json!({ "key_id": key_id, "secret": secret }),
            Owner::Webhook { webhook_id } => {
                json!({ "webhook_id": webhook_id, "secret": secret })
            }
            Owner::Identity { id, audience } => {
                json!({ "federated_identity_id": id, "audience": audience })
            }
        }
    }
}

/// Runs `tailform output`.
///
/// A secret that is asked for (every secret, or the one at ADDR) and is sealed with no key given
/// is an error in every format, so `eval "$(tailform output --format env)"` never silently sets
/// nothing: JSON and env print nothing at all; text prints the table (ids are useful) and then
/// fails. A secret the state never had (an imported record) is `null` in JSON and left out of
/// env with a note on stderr; asked for by address, it is an error.
pub fn run(global: &GlobalArgs, args: &OutputArgs) -> Result<Exit, Error> {
    let mut backend = session::backend(global)?;
    let state = backend.load()?;
    let outputs = collect(&state, args.address.as_ref())?;
    if let Some(only) = &args.address
        && outputs.iter().any(|o| o.knows(SecretKnowledge::Absent))
    {
        return Err(Error::NoSecret(only.clone()));
    }
    let sealed: Vec<Address> = outputs
        .iter()
        .filter(|o| o.knows(SecretKnowledge::Sealed))
        .map(|o| o.address.clone())
        .collect();
    if !sealed.is_empty() && args.format != OutputFormat::Text {
        return Err(Error::SealedOutput { addresses: sealed });
    }
    let reveal = args.reveal || !std::io::stdout().is_terminal();
    let show = |s: &Secret| match reveal {
        true => s.expose().to_owned(),
        false => REDACTED.to_owned(),
    };
    match args.format {
        OutputFormat::Text => {
            let width = outputs
                .iter()
                .map(|o| o.address.to_string().len())
                .max()
                .unwrap_or(0);
            for o in &outputs {
                let value = match (o.secret, o.owner) {
                    (Some(SecretKnowledge::Open(s)), _) => show(s),
                    (Some(SecretKnowledge::Sealed), _) => SEALED.to_owned(),
                    (Some(SecretKnowledge::Absent), _) => "(unknown: imported)".to_owned(),
                    (None, Owner::Identity { id, audience }) => {
                        format!("id {id}, audience {}", audience.unwrap_or("(unknown)"))
                    }
                    (None, _) => String::new(),
                };
                outln!("{:<width$}  {value}", o.address.to_string());
            }
        }
        OutputFormat::Json => {
            let map: BTreeMap<String, serde_json::Value> = outputs
                .iter()
                .map(|o| {
                    let secret = o.open().map(show);
                    (o.address.to_string(), o.owner.json(secret))
                })
                .collect();
            outln!(
                "{}",
                serde_json::to_string_pretty(&map).expect("JSON values serialise")
            );
        }
        OutputFormat::Env => {
            let names = env_names(global, args)?;
            for o in &outputs {
                let name = names
                    .get(&o.address)
                    .cloned()
                    .unwrap_or_else(|| EnvName::derive(&o.address));
                if let Owner::Identity { id, audience } = o.owner {
                    outln!("{name}_ID='{id}'");
                    if let Some(audience) = audience {
                        outln!("{name}_AUDIENCE='{audience}'");
                    }
                    continue;
                }
                let Some(secret) = o.open() else {
                    continue;
                };
                outln!("{name}='{}'", show(secret));
            }
        }
    }
    let imported: Vec<String> = outputs
        .iter()
        .filter(|o| o.knows(SecretKnowledge::Absent))
        .map(|o| o.address.to_string())
        .collect();
    if args.format == OutputFormat::Env && !imported.is_empty() && !global.quiet {
        errln!(
            "(no secret for {}: imported, the API never shows it again)",
            imported.join(", ")
        );
    }
    if !sealed.is_empty() {
        return Err(Error::SealedOutput { addresses: sealed });
    }
    if !reveal && outputs.iter().any(|o| o.open().is_some()) && !global.quiet {
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
        for (n, w) in &tailnet.webhooks {
            if let Some(e) = &w.env_name {
                names.insert(Address::webhook(t.clone(), n.clone()), e.clone());
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
                owner: Owner::Tailnet {
                    tailnet_id: &t.id,
                    client_id: &c.id,
                },
                secret: Some(SecretKnowledge::of(c.secret.as_ref())),
            }),
            Record::OAuthClient(c) => Some(Output {
                address: a.clone(),
                owner: Owner::OAuthClient { client_id: &c.id },
                secret: Some(SecretKnowledge::of(c.secret.as_ref())),
            }),
            Record::AuthKey(k) => Some(Output {
                address: a.clone(),
                owner: Owner::AuthKey { key_id: &k.id },
                secret: Some(SecretKnowledge::of(k.secret.as_ref())),
            }),
            Record::FederatedIdentity(f) => Some(Output {
                address: a.clone(),
                owner: Owner::Identity {
                    id: &f.id,
                    audience: f.audience.as_deref(),
                },
                secret: None,
            }),
            Record::Webhook(w) => Some(Output {
                address: a.clone(),
                owner: Owner::Webhook { webhook_id: &w.id },
                secret: Some(SecretKnowledge::of(w.secret.as_ref())),
            }),
            Record::Policy(_) | Record::Settings(_) => None,
        })
        .collect())
}

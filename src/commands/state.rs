//! `tailform state list | show ADDR | rm ADDR | encrypt | decrypt | push | pull | workspaces`:
//! inspect and edit the state (secrets always redacted in `show`; `rm` forgets an object, which
//! stays live, unmanaged), and move it between backends (`push --to`, `pull --from`).

#![allow(
    clippy::print_stdout,
    reason = "listing the state is this command's output"
)]

use super::console::{errln, outln};
use crate::address::Address;
use crate::cli::{GlobalArgs, StateCommand};
use crate::error::Error;
use crate::exit::Exit;
use crate::seal::Mode;
use crate::secret::REDACTED;
use crate::state::{Backend, Record, State, StoredSecret};

use super::session;

/// Runs `tailform state …`.
pub fn run(global: &GlobalArgs, command: StateCommand) -> Result<Exit, Error> {
    match command {
        StateCommand::List => {
            let state = session::backend(global)?.load()?;
            let width = state
                .resources
                .keys()
                .map(|a| a.to_string().len())
                .max()
                .unwrap_or(0);
            for (address, record) in &state.resources {
                let address = address.to_string();
                match record.id() {
                    Some(id) => outln!("{address:<width$}  {id}"),
                    None => outln!("{address}"),
                }
            }
            Ok(Exit::Success)
        }
        StateCommand::Show { address } => {
            let state = session::backend(global)?.load()?;
            outln!("{}", show(&state, &address)?);
            Ok(Exit::Success)
        }
        StateCommand::Mv { from, to } => {
            crate::model::Move::check(&from, &to)?;
            let mut backend = session::backend(global)?;
            let _lock = session::lock(global, backend.as_mut(), "state mv")?;
            let mut state = backend.load()?;
            let moves = [crate::model::Move {
                from: from.clone(),
                to: to.clone(),
                origin: None,
            }];
            let moved = crate::plan::follow_moves(&mut state, &moves)?;
            if moved.is_empty() {
                return Err(Error::NotInState(from));
            }
            backend.save(&mut state)?;
            errln!(
                "Moved `{from}` to `{to}`: its object, its id and any secret it holds are unchanged; declare it at \
                 `{to}` in the manifests (or the next plan deletes it as undeclared)."
            );
            Ok(Exit::Success)
        }
        StateCommand::Rm { address, force } => {
            let mut backend = session::backend(global)?;
            let _lock = session::lock(global, backend.as_mut(), "state rm")?;
            let mut state = backend.load()?;
            let Some(record) = state.resources.get(&address) else {
                return Err(Error::NotInState(address));
            };
            if record.stored_secrets().next().is_some() && !force {
                errln!(
                    "`{address}` holds a secret the API never shows again: removing the record \
                     loses it (the live object stays, unmanaged; `tailform state mv` renames a \
                     record instead)."
                );
                match super::confirm::ask(
                    "Remove it and lose its secret?\n  Only 'yes' will be accepted.\n\n  Enter a value: ",
                )? {
                    Some(true) => {}
                    Some(false) => return Err(Error::NotConfirmed("nothing was removed")),
                    None => {
                        return Err(Error::NotConfirmed(
                            "`state rm` of a record with a secret needs a confirmation and \
                             standard input is closed: pass --force to remove it anyway",
                        ));
                    }
                }
            }
            state.resources.remove(&address);
            backend.save(&mut state)?;
            let children = state
                .resources
                .keys()
                .filter(|a| {
                    address.member == crate::address::Member::Tailnet
                        && a.tailnet == address.tailnet
                })
                .count();
            errln!(
                "Removed `{address}` from the state; the live object is untouched and no longer managed."
            );
            if children > 0 {
                errln!(
                    "{children} record(s) inside this tailnet remain; remove them too if they should no longer be managed."
                );
            }
            Ok(Exit::Success)
        }
        StateCommand::Encrypt => migrate(global, Mode::Encrypt),
        StateCommand::Decrypt => migrate(global, Mode::Decrypt),
        StateCommand::Push { to, force } => {
            let from = session::backend_to_copy(global)?;
            let to = session::backend_at(global, to.expose(), Mode::Keep)?;
            copy(global, from, to, force, "state push")
        }
        StateCommand::Pull { from, force } => {
            let from = session::backend_at(global, from.expose(), Mode::Keep)?;
            let to = session::backend_to_copy(global)?;
            copy(global, from, to, force, "state pull")
        }
        StateCommand::Workspaces => {
            for name in session::backend(global)?.workspaces()? {
                outln!("{name}");
            }
            Ok(Exit::Success)
        }
    }
}

/// Copies the state from one backend to another, both locked. Refused — unless `force` — when
/// the destination holds another lineage or a newer serial; always refused when the source's
/// secrets are sealed and no key opens them (they would be lost). The copy keeps the source's
/// serial, so a plan saved against one side still applies against the other; a destination
/// already at that serial of the same lineage is left alone. `--force` writes a serial above
/// both.
fn copy(
    global: &GlobalArgs,
    mut from: Box<dyn Backend>,
    mut to: Box<dyn Backend>,
    force: bool,
    operation: &str,
) -> Result<Exit, Error> {
    let _from_lock = session::lock(global, from.as_mut(), operation)?;
    let _to_lock = session::lock(global, to.as_mut(), operation)?;
    let mut state = from.load()?;
    if state.serial == 0 {
        return Err(Error::NothingToCopy {
            from: from.describe(),
        });
    }
    if state
        .resources
        .values()
        .flat_map(Record::stored_secrets)
        .any(StoredSecret::is_sealed)
    {
        return Err(Error::SealedSecrets {
            from: from.describe(),
        });
    }
    let existing = to.load()?;
    let exists = existing.serial > 0;
    if exists && existing.lineage != state.lineage && !force {
        return Err(Error::LineageMismatch {
            destination: to.describe(),
            ours: state.lineage,
            theirs: existing.lineage,
        });
    }
    if exists && existing.serial > state.serial && !force {
        return Err(Error::OlderSerial {
            destination: to.describe(),
            ours: state.serial,
            theirs: existing.serial,
        });
    }
    let copied = state.serial;
    if exists && existing.lineage == state.lineage && existing.serial == copied && !force {
        errln!(
            "The {} already holds this state at serial {copied}; nothing was written.",
            to.describe()
        );
        return Ok(Exit::Success);
    }
    if force {
        to.overwrite(&mut state)?;
    } else {
        // `save` writes the next serial: the source's own.
        state.serial = copied - 1;
        to.save(&mut state)?;
    }
    errln!(
        "Copied the state (lineage {}, serial {copied}, {} resource(s)) from {} to {}; it is at \
         serial {} there.",
        state.lineage,
        state.resources.len(),
        from.describe(),
        to.describe(),
        state.serial
    );
    Ok(Exit::Success)
}

/// Rewrites the state encrypted (and enforcing encryption) or in plaintext. Nothing is written
/// when the keys do not open it.
fn migrate(global: &GlobalArgs, mode: Mode) -> Result<Exit, Error> {
    let mut backend = session::backend_with(global, mode)?;
    let _lock = session::lock(global, backend.as_mut(), "state migrate")?;
    let mut state = backend.load()?;
    let was_encrypted = backend.sealing().is_encrypted();
    backend.save(&mut state)?;
    let secrets = state
        .resources
        .values()
        .filter(|r| r.secret().is_some())
        .count();
    match (mode, was_encrypted) {
        (Mode::Decrypt, false) => errln!("The state was not encrypted; it is unchanged."),
        (Mode::Decrypt, true) => errln!(
            "Decrypted {secrets} secret(s): the {} now holds them in plaintext.",
            backend.describe()
        ),
        _ => errln!(
            "Encrypted {secrets} secret(s) in the {}; encryption is enforced from now on.",
            backend.describe()
        ),
    }
    Ok(Exit::Success)
}

/// A record as pretty JSON with every secret replaced by `(sensitive value)`.
pub fn show(state: &State, address: &Address) -> Result<String, Error> {
    let record = state
        .get(address)
        .ok_or_else(|| Error::NotInState(address.clone()))?;
    let mut one = State::new();
    one.resources.insert(address.clone(), record.clone());
    let mut json = one.to_json()["resources"][address.to_string()].take();
    redact(&mut json, record);
    Ok(serde_json::to_string_pretty(&json).expect("a JSON value serialises"))
}

fn redact(json: &mut serde_json::Value, record: &Record) {
    let marker = serde_json::Value::String(REDACTED.to_owned());
    match record {
        Record::Tailnet(_) => {
            if let Some(c) = json.get_mut("oauthClient") {
                c["secret"] = marker;
            }
        }
        Record::OAuthClient(_) | Record::AuthKey(_) | Record::Webhook(_) => {
            if json.get("secret").is_some() {
                json["secret"] = marker;
            }
        }
        Record::Policy(_) | Record::FederatedIdentity(_) | Record::Settings(_) => {}
    }
}

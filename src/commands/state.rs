//! `tailform state list | show ADDR | rm ADDR`: inspect and edit the state (secrets always
//! redacted in `show`; `rm` forgets an object, which stays live, unmanaged).

#![allow(
    clippy::print_stdout,
    reason = "listing the state is this command's output"
)]

use crate::address::Address;
use crate::cli::{GlobalArgs, StateCommand};
use crate::error::Error;
use crate::exit::Exit;
use crate::seal::Mode;
use crate::secret::REDACTED;
use crate::state::{Record, State};

use super::session;

/// Runs `tailform state …`.
pub fn run(global: &GlobalArgs, command: StateCommand) -> Result<Exit, Error> {
    match command {
        StateCommand::List => {
            let state = session::state_file(global)?.load()?;
            let width = state
                .resources
                .keys()
                .map(|a| a.to_string().len())
                .max()
                .unwrap_or(0);
            for (address, record) in &state.resources {
                let address = address.to_string();
                match record.id() {
                    Some(id) => println!("{address:<width$}  {id}"),
                    None => println!("{address}"),
                }
            }
            Ok(Exit::Success)
        }
        StateCommand::Show { address } => {
            let state = session::state_file(global)?.load()?;
            println!("{}", show(&state, &address)?);
            Ok(Exit::Success)
        }
        StateCommand::Rm { address } => {
            let _lock = session::lock(global, "state rm")?;
            let file = session::state_file(global)?;
            let mut state = file.load()?;
            if state.resources.remove(&address).is_none() {
                return Err(Error::NotInState(address));
            }
            file.save(&mut state)?;
            let children = state
                .resources
                .keys()
                .filter(|a| {
                    address.member == crate::address::Member::Tailnet
                        && a.tailnet == address.tailnet
                })
                .count();
            eprintln!(
                "Removed `{address}` from the state; the live object is untouched and no longer managed."
            );
            if children > 0 {
                eprintln!(
                    "{children} record(s) inside this tailnet remain; remove them too if they should no longer be managed."
                );
            }
            Ok(Exit::Success)
        }
        StateCommand::Encrypt => migrate(global, Mode::Encrypt),
        StateCommand::Decrypt => migrate(global, Mode::Decrypt),
    }
}

/// Rewrites the state encrypted (and enforcing encryption) or in plaintext. Nothing is written
/// when the keys do not open it.
fn migrate(global: &GlobalArgs, mode: Mode) -> Result<Exit, Error> {
    let _lock = session::lock(global, "state migrate")?;
    let file = session::state_file_with(global, mode)?;
    let mut state = file.load()?;
    let was_encrypted = file.sealing().is_encrypted();
    file.save(&mut state)?;
    let secrets = state
        .resources
        .values()
        .filter(|r| r.secret().is_some())
        .count();
    match (mode, was_encrypted) {
        (Mode::Decrypt, false) => eprintln!("The state was not encrypted; it is unchanged."),
        (Mode::Decrypt, true) => eprintln!(
            "Decrypted {secrets} secret(s): `{}` now holds them in plaintext.",
            file.path().display()
        ),
        _ => eprintln!(
            "Encrypted {secrets} secret(s) in `{}`; encryption is enforced from now on.",
            file.path().display()
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
        Record::OAuthClient(_) | Record::AuthKey(_) => {
            if json.get("secret").is_some() {
                json["secret"] = marker;
            }
        }
        Record::Policy(_) => {}
    }
}

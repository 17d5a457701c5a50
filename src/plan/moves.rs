//! Following `moved` entries (and `tailform state mv`): renaming state records before the diff,
//! so a renamed client or key keeps its object, id and secret instead of being revoked and
//! created again.
//!
//! A move of `from` to `to` renames the record at `from` (a tailnet's move renames every record
//! in it: its policy, clients, keys), the `createdBy` of keys naming a renamed client, and the
//! pending intents of the renamed addresses. A move whose `from` the state does not hold is
//! already done (or has nothing to do) and is skipped; one whose `to` is already held is an
//! error — two objects would claim one address. Pure: it edits the state it is given.

use crate::address::{Address, Member};
use crate::model::Move;
use crate::state::{Record, State};

/// A move that was followed: shown in the plan (`# FROM has moved to TO`) and recorded by apply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Moved {
    /// The previous address.
    pub from: Address,
    /// The address now.
    pub to: Address,
}

/// Why a move cannot be followed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveStateError {
    /// `to` is already tracked.
    #[error(
        "cannot move `{from}` to `{to}`: the state already tracks an object at `{to}` (remove \
         one of them first with `tailform state rm`)"
    )]
    Occupied {
        /// From.
        from: Address,
        /// To.
        to: Address,
    },
}

/// Follows `moves` in order on `state`; returns the ones that renamed something.
pub fn follow(state: &mut State, moves: &[Move]) -> Result<Vec<Moved>, MoveStateError> {
    let mut done = Vec::new();
    for m in moves {
        if !holds(state, &m.from) {
            continue;
        }
        if holds(state, &m.to) {
            return Err(MoveStateError::Occupied {
                from: m.from.clone(),
                to: m.to.clone(),
            });
        }
        rename(state, &m.from, &m.to);
        done.push(Moved {
            from: m.from.clone(),
            to: m.to.clone(),
        });
    }
    Ok(done)
}

/// True when the state tracks `address` (for a tailnet: anything in it).
fn holds(state: &State, address: &Address) -> bool {
    match address.member {
        Member::Tailnet => state.resources.keys().any(|a| a.tailnet == address.tailnet),
        _ => state.resources.contains_key(address),
    }
}

/// The new address of `a` under the move `from` → `to`, when it moves.
fn renamed(a: &Address, from: &Address, to: &Address) -> Option<Address> {
    match from.member {
        Member::Tailnet if a.tailnet == from.tailnet => Some(Address {
            tailnet: to.tailnet.clone(),
            member: a.member.clone(),
        }),
        _ if a == from => Some(to.clone()),
        _ => None,
    }
}

fn rename(state: &mut State, from: &Address, to: &Address) {
    let moving: Vec<Address> = state
        .resources
        .keys()
        .filter(|a| renamed(a, from, to).is_some())
        .cloned()
        .collect();
    for old in moving {
        let record = state
            .resources
            .remove(&old)
            .expect("the address was just listed");
        let new = renamed(&old, from, to).expect("the address moves");
        state.resources.insert(new, record);
    }
    if let (Member::OAuthClient(old), Member::OAuthClient(new)) = (&from.member, &to.member) {
        for (a, r) in &mut state.resources {
            if let Record::AuthKey(k) = r
                && a.tailnet == to.tailnet
                && k.attributes.created_by.as_deref() == Some(old.as_str())
            {
                k.attributes.created_by = Some(new.as_str().to_owned());
            }
        }
    }
    for intent in &mut state.pending {
        if let Some(new) = renamed(&intent.address, from, to) {
            intent.address = new;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixture::{self, client, key, name, tailnet, with_client, with_key};

    /// Tailnet `demo` with client `provisioner`, key `web` (made by it) and key `ci-runner`.
    fn quickstart_state() -> State {
        let t = with_client(
            tailnet("demo"),
            client("provisioner", &["auth_keys"], &["tag:web"]),
        );
        let mut web = key("web", &["tag:web"]);
        web.created_by = Some(name("provisioner"));
        let t = with_key(with_key(t, web), key("ci-runner", &["tag:web"]));
        fixture::converged(&fixture::desired(vec![t]), fixture::now()).0
    }

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    fn mv(from: &str, to: &str) -> Move {
        Move {
            from: a(from),
            to: a(to),
            origin: None,
        }
    }

    #[test]
    fn a_key_move_renames_its_record_and_keeps_its_secret() {
        let mut state = quickstart_state();
        let before = state.get(&a("tailnet.demo.auth_key.web")).cloned().unwrap();
        let done = follow(
            &mut state,
            &[mv(
                "tailnet.demo.auth_key.web",
                "tailnet.demo.auth_key.frontend",
            )],
        )
        .unwrap();
        assert_eq!(done.len(), 1);
        assert!(state.get(&a("tailnet.demo.auth_key.web")).is_none());
        assert_eq!(
            state.get(&a("tailnet.demo.auth_key.frontend")),
            Some(&before)
        );
        // Followed again (the next plan): nothing left to do.
        let again = follow(
            &mut state,
            &[mv(
                "tailnet.demo.auth_key.web",
                "tailnet.demo.auth_key.frontend",
            )],
        )
        .unwrap();
        assert!(again.is_empty());
    }

    #[test]
    fn a_client_move_renames_the_created_by_of_its_keys() {
        let mut state = quickstart_state();
        follow(
            &mut state,
            &[mv(
                "tailnet.demo.oauth_client.provisioner",
                "tailnet.demo.oauth_client.minter",
            )],
        )
        .unwrap();
        let web = state.auth_key(&a("tailnet.demo.auth_key.web")).unwrap();
        assert_eq!(web.attributes.created_by.as_deref(), Some("minter"));
    }

    #[test]
    fn a_tailnet_move_takes_everything_in_it_and_an_occupied_target_is_refused() {
        let mut state = quickstart_state();
        let count = state.resources.len();
        follow(&mut state, &[mv("tailnet.demo", "tailnet.prod")]).unwrap();
        assert_eq!(state.resources.len(), count);
        assert!(state.resources.keys().all(|k| k.tailnet.as_str() == "prod"));
        let err = follow(
            &mut state,
            &[mv(
                "tailnet.prod.auth_key.web",
                "tailnet.prod.auth_key.ci-runner",
            )],
        )
        .unwrap_err();
        assert!(matches!(err, MoveStateError::Occupied { .. }), "{err}");
    }
}

//! `Move`: a `moved` entry (Terraform's `moved` block) or a `tailform state mv` — the object the
//! state knows at `from` is the one now wanted at `to`, so its record (id, secret, deliveries)
//! is renamed instead of the object being revoked and created again. [`Move::check`] holds the
//! rules both share.

use crate::address::{Address, Member};

use super::Origin;

/// A rename of a state record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// The address the state knows it by.
    pub from: Address,
    /// The address it is wanted at.
    pub to: Address,
    /// Where the `moved` entry is written (`None` for `state mv`).
    pub origin: Option<Origin>,
}

/// Why two addresses cannot be a move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// The same address twice.
    #[error("`{0}` is moved to itself")]
    Same(Address),
    /// Different kinds.
    #[error(
        "`{from}` is {} and `{to}` {}: an object keeps its kind (remove one and declare the \
         other instead)",
        kind(from),
        kind(to)
    )]
    Kind {
        /// From.
        from: Address,
        /// To.
        to: Address,
    },
    /// An OAuth client or auth key into another tailnet.
    #[error(
        "`{from}` cannot move to another tailnet (`{to}`): an OAuth client or auth key belongs \
         to the tailnet it was created in — declare a new one there instead"
    )]
    AcrossTailnets {
        /// From.
        from: Address,
        /// To.
        to: Address,
    },
    /// A policy address.
    #[error("`{0}` cannot be moved on its own: a tailnet's policy moves with its tailnet")]
    Policy(Address),
}

fn kind(a: &Address) -> &'static str {
    a.kind().spec().described
}

impl Move {
    /// Checks that `from` can be renamed to `to`: different addresses of the same kind; an
    /// OAuth client or auth key within its tailnet; no policy on its own.
    pub fn check(from: &Address, to: &Address) -> Result<(), MoveError> {
        if from == to {
            return Err(MoveError::Same(from.clone()));
        }
        for a in [from, to] {
            if a.member == Member::Policy {
                return Err(MoveError::Policy(a.clone()));
            }
        }
        if from.kind() != to.kind() {
            return Err(MoveError::Kind {
                from: from.clone(),
                to: to.clone(),
            });
        }
        if from.member != Member::Tailnet && from.tailnet != to.tailnet {
            return Err(MoveError::AcrossTailnets {
                from: from.clone(),
                to: to.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn a_move_keeps_kind_and_tailnet() {
        assert_eq!(
            Move::check(
                &a("tailnet.d.auth_key.web"),
                &a("tailnet.d.auth_key.frontend")
            ),
            Ok(())
        );
        assert_eq!(Move::check(&a("tailnet.d"), &a("tailnet.e")), Ok(()));
        let across = Move::check(&a("tailnet.d.auth_key.web"), &a("tailnet.e.auth_key.web"));
        assert!(matches!(across, Err(MoveError::AcrossTailnets { .. })));
        let kinds = Move::check(
            &a("tailnet.d.auth_key.web"),
            &a("tailnet.d.oauth_client.web"),
        )
        .unwrap_err();
        assert_eq!(
            kinds.to_string(),
            "`tailnet.d.auth_key.web` is an auth key and `tailnet.d.oauth_client.web` an OAuth \
             client: an object keeps its kind (remove one and declare the other instead)"
        );
        assert!(matches!(
            Move::check(&a("tailnet.d.policy"), &a("tailnet.e.policy")),
            Err(MoveError::Policy(_))
        ));
        assert!(matches!(
            Move::check(&a("tailnet.d"), &a("tailnet.d")),
            Err(MoveError::Same(_))
        ));
    }
}

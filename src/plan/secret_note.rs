//! What a plan says about a record whose secret tailform cannot use: imported (the API never
//! shows it again: only a replace gets one) or sealed (encrypted in the state, and the command
//! was not given the key that opens it: nothing needs replacing, only unlocking).

use crate::address::{Address, Member};
use crate::model::Name;
use crate::state::{SecretKnowledge, State, StoredSecret, UNSEAL_HINT};

use super::Step;

/// The note for an unchanged record's secret, when the state has none. A sealed secret needs
/// no note: nothing is wrong with it, and a plan that needs it says so where it does
/// ([`sealed_credentials`], undeliverable sinks) — a note per record would bury a CI plan run
/// without the key.
pub(crate) fn secret_note(stored: Option<&StoredSecret>) -> Option<String> {
    match SecretKnowledge::of(stored) {
        SecretKnowledge::Open(_) | SecretKnowledge::Sealed => None,
        SecretKnowledge::Absent => Some(
            "its secret is unknown to tailform (imported); `--replace` it to get one".to_owned(),
        ),
    }
}

/// Why a current secret cannot be handed to `sinks`.
pub(crate) fn undeliverable(knowledge: SecretKnowledge<'_>, sinks: &str) -> Option<String> {
    match knowledge {
        SecretKnowledge::Open(_) => None,
        SecretKnowledge::Sealed => Some(format!(
            "its secret is encrypted in the state and no key given opens it, so it cannot be \
             delivered to {sinks} ({UNSEAL_HINT})"
        )),
        SecretKnowledge::Absent => Some(format!(
            "its secret is not known to tailform (imported), so it cannot be delivered to {sinks}"
        )),
    }
}

/// A key a plan creates with its `createdBy` client's token, where that client's secret is
/// sealed in the state and no key given opens it (and the plan does not create the client anew).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCredential {
    /// The key to create.
    pub key: Address,
    /// The client whose secret is needed.
    pub client: Address,
}

impl std::fmt::Display for SealedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "creating `{}` needs the secret of `{}`, which is encrypted in the state and no key \
             given opens it ({UNSEAL_HINT})",
            self.key, self.client
        )
    }
}

/// Every step of `steps` that cannot run because the credential it needs is sealed: plan warns
/// of each, and apply refuses before it starts anything (an apply without the key would leave
/// half the rotations done).
pub fn sealed_credentials<'s>(
    steps: impl IntoIterator<Item = &'s Step>,
    state: &State,
) -> Vec<SealedCredential> {
    let steps: Vec<&Step> = steps.into_iter().collect();
    let creates_client = |client: &Address| {
        steps
            .iter()
            .any(|s| matches!(s, Step::CreateClient { address, .. } if address == client))
    };
    steps
        .iter()
        .filter_map(|s| match s {
            Step::CreateKey {
                address,
                attributes,
                ..
            } => {
                let name = Name::parse(attributes.created_by.as_deref()?).ok()?;
                let client = Address {
                    tailnet: address.tailnet.clone(),
                    member: Member::OAuthClient(name),
                };
                let sealed = state
                    .oauth_client(&client)
                    .and_then(|c| c.secret.as_ref())
                    .is_some_and(StoredSecret::is_sealed);
                (sealed && !creates_client(&client)).then(|| SealedCredential {
                    key: address.clone(),
                    client,
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn sealed_secrets_never_get_replace_advice() {
        let sealed = StoredSecret::Sealed("x".into());
        let open = StoredSecret::from(Secret::new("s"));
        assert_eq!(secret_note(Some(&sealed)), None);
        assert_eq!(secret_note(Some(&open)), None);
        assert!(secret_note(None).unwrap().contains("--replace"));
        let why = undeliverable(SecretKnowledge::Sealed, "file `k`").unwrap();
        assert!(why.contains("TAILFORM_PASSPHRASE") && why.contains("--age-identity"));
        assert!(
            !why.contains("--replace") && !why.contains("imported"),
            "{why}"
        );
    }
}

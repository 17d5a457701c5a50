//! `SealError`: why the secrets of a state document could not be sealed or opened.

use std::path::PathBuf;

/// Why secrets could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// No configured key opens the state key.
    #[error(
        "cannot decrypt the state's secrets: the passphrase or identities given do not match \
         (it is sealed to {sealed_to}); nothing was written"
    )]
    WrongKey {
        /// What the state key is sealed to.
        sealed_to: String,
    },
    /// A value could not be decrypted with the state key.
    #[error(
        "the sealed secret at `{pointer}` cannot be decrypted with the state key: the state is damaged"
    )]
    Damaged {
        /// JSON pointer of the value.
        pointer: String,
    },
    /// A sealed value in a document without an encryption header (hand-edited or damaged).
    #[error(
        "the state holds an encrypted secret at `{pointer}` but no `encryption` header to open \
         it: the state is damaged (restore it from a backup that has the header)"
    )]
    NoHeader {
        /// JSON pointer of the value.
        pointer: String,
    },
    /// Plaintext refused.
    #[error(
        "encryption is enforced for this state and no key is configured to seal new secrets: set \
         TAILFORM_PASSPHRASE or pass --age-recipients (nothing was written)"
    )]
    Enforced,
    /// Both a passphrase and recipients were given.
    #[error("use either TAILFORM_PASSPHRASE or --age-recipients to seal the state, not both")]
    TwoWriters,
    /// A keys file cannot be read or parsed.
    #[error("cannot use the age keys file `{}`: {detail}", path.display())]
    KeysFile {
        /// The age keys file (`--age-identity` or `--age-recipients`).
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// `state decrypt` on a state whose secrets cannot be read.
    #[error(
        "the state's secrets cannot be decrypted with the keys given, so they cannot be written in plaintext"
    )]
    CannotDecrypt,
    /// age itself failed.
    #[error("age encryption failed: {0}")]
    Age(String),
}

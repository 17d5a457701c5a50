//! Encryption at rest for the secrets in a state document (issue 6). Envelope encryption with
//! age: each state has its own X25519 key; every secret is encrypted to that key's public
//! recipient (fast, per value, so ids and metadata stay readable); the state key itself is sealed
//! once in the document's `encryption` header — to a passphrase (`TAILFORM_PASSPHRASE`, scrypt)
//! or to X25519 recipients (`--age-recipients FILE`).
//!
//! - Reading tries the passphrase, the fallback passphrase (`TAILFORM_PASSPHRASE_FALLBACK`) and
//!   every `--age-identity FILE`; a wrong passphrase is an error before anything is written.
//! - Without any key, the state still loads: its secrets stay sealed (unusable, but carried over
//!   unchanged), and new secrets are sealed to the state's public recipient.
//! - Key roll-over: a fallback identity reads; the next save seals the state key to the current
//!   recipients (OpenTofu's `fallback`).
//! - `enforce` (set by `tailform state encrypt`, or `TAILFORM_ENCRYPTION_ENFORCE=1`) refuses to
//!   write a plaintext secret.
//!
//! Works on the JSON document, so every state backend shares it; plaintext copies made while
//! sealing are zeroized.

mod error;
mod header;
mod keys;

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Mutex;

use age::x25519;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

pub use error::SealError;
pub use header::Header;
pub use keys::Keys;

use keys::{b64, unb64};

/// What a save should do with encryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keep the state as it is (encrypted stays encrypted); encrypt a plaintext state when a key
    /// is configured.
    #[default]
    Keep,
    /// `tailform state encrypt`: encrypt (and enforce).
    Encrypt,
    /// `tailform state decrypt`: write plaintext and drop the header.
    Decrypt,
}

/// Seals and opens the secrets of one state document, remembering what it learned between a
/// load and the saves that follow (the state key, values it could not open, ciphertexts already
/// made).
#[derive(Debug, Default)]
pub struct Sealer {
    keys: Keys,
    mode: Mode,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    header: Option<Header>,
    state_key: Option<x25519::Identity>,
    /// The header needs sealing to the current keys (new state key, or roll-over).
    reseal: bool,
    /// The last `close` created the header or sealed the state key anew (encryption turned on,
    /// or a roll-over to a new passphrase or recipients).
    envelope_changed: bool,
    /// Ciphertexts already made, by SHA-256 of the plaintext (each save seals only new secrets).
    cache: HashMap<[u8; 32], String>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("header", &self.header)
            .field(
                "state_key",
                &self.state_key.as_ref().map(|_| crate::secret::REDACTED),
            )
            .field("cached", &self.cache.len())
            .finish()
    }
}

impl Sealer {
    /// A sealer with these keys.
    pub fn new(keys: Keys) -> Self {
        Self {
            keys,
            mode: Mode::Keep,
            inner: Mutex::default(),
        }
    }

    /// Sets what saves do with encryption.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// True once after a `close` that created the encryption header or sealed the state key to
    /// new keys: the previous version of the document (a backup, a journal) holds the secrets
    /// in plaintext or under the old key, and must not be kept.
    pub fn take_envelope_changed(&self) -> bool {
        std::mem::take(&mut self.inner().envelope_changed)
    }

    /// True when the document loaded was encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.inner().header.is_some()
    }

    /// After reading a document: removes the header and replaces each sealed secret by its
    /// plaintext; without a key that opens the state key, sealed secrets stay `{"age": …}`
    /// (they load as sealed `StoredSecret`s, carried over unchanged).
    pub fn open(&self, doc: &mut Value) -> Result<(), SealError> {
        let mut inner = self.inner();
        *inner = Inner::default();
        let Some(header) = doc.as_object_mut().and_then(|o| o.remove("encryption")) else {
            return match first_sealed(doc) {
                Some(pointer) => Err(SealError::NoHeader { pointer }),
                None => Ok(()),
            };
        };
        let header: Header = serde_json::from_value(header)
            .map_err(|e| SealError::Age(format!("the encryption header is malformed: {e}")))?;
        let opened = self.keys.open_state_key(&header);
        let any_key_given = self.keys.passphrase.is_some()
            || self.keys.fallback_passphrase.is_some()
            || !self.keys.identities.is_empty();
        if opened.is_none() && any_key_given {
            return Err(SealError::WrongKey {
                sealed_to: header.sealed_to.join(", "),
            });
        }
        if let Some((key, current)) = opened {
            inner.reseal = !current && self.keys.can_seal();
            inner.state_key = Some(key);
        }
        inner.header = Some(header);
        let mut failure = None;
        walk_secrets(doc, &mut String::new(), &mut |pointer, value| {
            let Some(ciphertext) = value.get("age").and_then(Value::as_str).map(str::to_owned)
            else {
                return;
            };
            let Some(state_key) = inner.state_key.as_ref() else {
                // No key opens it: it stays `{"age": …}` in the record (a sealed
                // `StoredSecret`) and is written back byte for byte.
                return;
            };
            let opened = unb64(&ciphertext)
                .and_then(|c| age::decrypt(state_key, &c).ok())
                .and_then(|p| String::from_utf8(p).ok());
            match opened {
                Some(plain) => {
                    let digest: [u8; 32] = Sha256::digest(plain.as_bytes()).into();
                    inner.cache.insert(digest, ciphertext);
                    *value = Value::String(plain);
                }
                None => {
                    failure = Some(SealError::Damaged {
                        pointer: pointer.to_owned(),
                    })
                }
            }
        });
        failure.map_or(Ok(()), Err)
    }

    /// Before writing a document: seals every plaintext secret (or refuses under `enforce`),
    /// leaves sealed values as they are, and adds the header.
    pub fn close(&self, doc: &mut Value) -> Result<(), SealError> {
        let mut inner = self.inner();
        if self.mode == Mode::Decrypt {
            if first_sealed(doc).is_some() {
                return Err(SealError::CannotDecrypt);
            }
            if self.keys.enforce {
                return Err(SealError::Enforced);
            }
            return Ok(());
        }
        let wants_encryption =
            inner.header.is_some() || self.keys.can_seal() || self.mode == Mode::Encrypt;
        if !wants_encryption {
            if let Some(pointer) = first_sealed(doc) {
                return Err(SealError::NoHeader { pointer });
            }
            // Under enforce, no write at all: even one without a secret (the intents saved
            // before a create) would let an apply start that could only end with a secret held
            // in memory.
            if self.keys.enforce {
                return Err(SealError::Enforced);
            }
            return Ok(());
        }
        if inner.header.is_none() {
            if !self.keys.can_seal() {
                return Err(SealError::Enforced);
            }
            let key = x25519::Identity::generate();
            inner.header = Some(Header {
                state_key: String::new(),
                recipient: key.to_public().to_string(),
                sealed_to: Vec::new(),
                enforce: true,
            });
            inner.state_key = Some(key);
            inner.reseal = true;
        }
        if inner.reseal {
            inner.envelope_changed = true;
            let key = inner
                .state_key
                .as_ref()
                .expect("a state key exists when it must be resealed");
            let sealed = self.keys.seal_state_key(key)?;
            let header = inner.header.as_mut().expect("the header exists");
            header.state_key = sealed;
            header.sealed_to = self.keys.sealed_to();
            inner.reseal = false;
        }
        if let (Mode::Encrypt, Some(h)) = (self.mode, inner.header.as_mut()) {
            h.enforce = true;
        }
        let recipient = x25519::Recipient::from_str(
            &inner.header.as_ref().expect("the header exists").recipient,
        )
        .map_err(|e| SealError::Age(format!("the state's recipient is malformed: {e}")))?;
        let mut failure = None;
        let inner = &mut *inner;
        // Sealed values no key opened (`{"age": …}`) are written back as they are.
        walk_secrets(doc, &mut String::new(), &mut |_, value| {
            if let Value::String(plain) = value {
                let digest: [u8; 32] = Sha256::digest(plain.as_bytes()).into();
                let ciphertext = match inner.cache.get(&digest) {
                    Some(c) => c.clone(),
                    None => match age::encrypt(&recipient, plain.as_bytes()) {
                        Ok(c) => {
                            let c = b64(&c);
                            inner.cache.insert(digest, c.clone());
                            c
                        }
                        Err(e) => {
                            failure = Some(SealError::Age(e.to_string()));
                            return;
                        }
                    },
                };
                plain.zeroize();
                *value = json!({ "age": ciphertext });
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let header = serde_json::to_value(inner.header.as_ref().expect("the header exists"))
            .expect("the header serialises");
        if let Some(obj) = doc.as_object_mut() {
            obj.insert("encryption".into(), header);
        }
        Ok(())
    }
}

/// Calls `f` on every `secret` field of the document's records (`/resources/<address>/secret`,
/// `…/oauthClient/secret`, deposed tailnets' clients), with its JSON pointer.
fn walk_secrets(doc: &mut Value, pointer: &mut String, f: &mut dyn FnMut(&str, &mut Value)) {
    match doc {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(k));
                if k == "secret" {
                    f(pointer, v);
                } else if k != "pending" && k != "encryption" {
                    walk_secrets(v, pointer, f);
                }
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk_secrets(v, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The JSON pointer of the first sealed (`{"age": …}`) secret in the document, if any.
fn first_sealed(doc: &mut Value) -> Option<String> {
    let mut found = None;
    walk_secrets(doc, &mut String::new(), &mut |pointer, value| {
        if found.is_none() && value.is_object() {
            found = Some(pointer.to_owned());
        }
    });
    found
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests;

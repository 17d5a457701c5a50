//! `Keys`: the passphrase, fallback passphrase, X25519 recipients and identities a user
//! configured, and sealing the state key to them (scrypt or age recipients) or opening it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::x25519;
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroize;

use super::error::SealError;
use super::header::Header;

/// The keys a user configured.
#[derive(Default)]
pub struct Keys {
    pub(super) passphrase: Option<SecretString>,
    pub(super) fallback_passphrase: Option<SecretString>,
    pub(super) recipients: Vec<x25519::Recipient>,
    pub(super) identities: Vec<x25519::Identity>,
    pub(super) enforce: bool,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| crate::secret::REDACTED),
            )
            .field(
                "fallback_passphrase",
                &self
                    .fallback_passphrase
                    .as_ref()
                    .map(|_| crate::secret::REDACTED),
            )
            .field(
                "recipients",
                &self
                    .recipients
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>(),
            )
            .field("identities", &self.identities.len())
            .field("enforce", &self.enforce)
            .finish()
    }
}

impl Keys {
    /// Keys from the environment (`TAILFORM_PASSPHRASE`, `TAILFORM_PASSPHRASE_FALLBACK`,
    /// `TAILFORM_ENCRYPTION_ENFORCE`) and the `--age-recipients` / `--age-identity` files.
    pub fn load(
        var: impl Fn(&str) -> Option<String>,
        recipient_files: &[PathBuf],
        identity_files: &[PathBuf],
    ) -> Result<Keys, SealError> {
        let secret = |name: &str| var(name).filter(|v| !v.is_empty()).map(SecretString::from);
        let mut keys = Keys {
            passphrase: secret("TAILFORM_PASSPHRASE"),
            fallback_passphrase: secret("TAILFORM_PASSPHRASE_FALLBACK"),
            enforce: var("TAILFORM_ENCRYPTION_ENFORCE")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            ..Keys::default()
        };
        for path in recipient_files {
            for line in key_lines(path)? {
                let r = x25519::Recipient::from_str(&line).map_err(|e| SealError::KeysFile {
                    path: path.clone(),
                    detail: format!("`{line}` is not an age X25519 recipient ({e})"),
                })?;
                keys.recipients.push(r);
            }
        }
        for path in identity_files {
            for line in key_lines(path)? {
                let i = x25519::Identity::from_str(&line).map_err(|_| SealError::KeysFile {
                    path: path.clone(),
                    detail: "a line is not an age X25519 identity (AGE-SECRET-KEY-1…)".into(),
                })?;
                keys.identities.push(i);
            }
        }
        if keys.passphrase.is_some() && !keys.recipients.is_empty() {
            return Err(SealError::TwoWriters);
        }
        Ok(keys)
    }

    /// A passphrase only (tests and tools).
    pub fn passphrase(passphrase: &str) -> Keys {
        Keys {
            passphrase: Some(SecretString::from(passphrase.to_owned())),
            ..Keys::default()
        }
    }

    /// True when a key to seal the state key with is configured.
    pub fn can_seal(&self) -> bool {
        self.passphrase.is_some() || !self.recipients.is_empty()
    }

    pub(super) fn sealed_to(&self) -> Vec<String> {
        if self.passphrase.is_some() {
            vec!["passphrase".into()]
        } else {
            self.recipients.iter().map(ToString::to_string).collect()
        }
    }

    pub(super) fn seal_state_key(&self, key: &x25519::Identity) -> Result<String, SealError> {
        let plain = key.to_string();
        let encrypted = if let Some(p) = &self.passphrase {
            let mut r = age::scrypt::Recipient::new(p.clone());
            r.set_work_factor(SCRYPT_WORK_FACTOR);
            age::encrypt(&r, plain.expose_secret().as_bytes())
        } else {
            let recipients: Vec<&dyn age::Recipient> = self
                .recipients
                .iter()
                .map(|r| r as &dyn age::Recipient)
                .collect();
            let encryptor = age::Encryptor::with_recipients(recipients.into_iter())
                .map_err(|e| SealError::Age(e.to_string()))?;
            let mut out = Vec::new();
            let mut w = encryptor
                .wrap_output(&mut out)
                .map_err(|e| SealError::Age(e.to_string()))?;
            std::io::Write::write_all(&mut w, plain.expose_secret().as_bytes())
                .map_err(|e| SealError::Age(e.to_string()))?;
            w.finish().map_err(|e| SealError::Age(e.to_string()))?;
            Ok(out)
        }
        .map_err(|e| SealError::Age(e.to_string()))?;
        Ok(b64(&encrypted))
    }

    /// Opens the state key with the passphrase, the fallback passphrase or an identity; the
    /// flag says whether the current write key opened it (no re-seal needed).
    pub(super) fn open_state_key(&self, header: &Header) -> Option<(x25519::Identity, bool)> {
        let ciphertext = unb64(&header.state_key)?;
        let mut tries: Vec<(Box<dyn age::Identity>, bool)> = Vec::new();
        for (p, current) in [(&self.passphrase, true), (&self.fallback_passphrase, false)] {
            if let Some(p) = p {
                let mut id = age::scrypt::Identity::new(p.clone());
                id.set_max_work_factor(SCRYPT_WORK_FACTOR.max(22));
                tries.push((Box::new(id), current));
            }
        }
        let sealed_to_recipients = header.sealed_to.iter().any(|s| s.starts_with("age1"));
        for id in &self.identities {
            let current = sealed_to_recipients && self.sealed_to() == header.sealed_to;
            tries.push((Box::new(id.clone()), current));
        }
        for (identity, current) in tries {
            if let Some(plain) = decrypt_with(identity.as_ref(), &ciphertext) {
                let mut text = String::from_utf8(plain).ok()?;
                let key = x25519::Identity::from_str(&text).ok();
                text.zeroize();
                let reseal = !current || self.sealed_to() != header.sealed_to;
                return key.map(|k| (k, !reseal));
            }
        }
        None
    }
}

/// scrypt work factor for the passphrase envelope: one derivation per command, so the usual
/// cost (~1 s) is affordable and brute force stays expensive.
const SCRYPT_WORK_FACTOR: u8 = 16;

fn key_lines(path: &Path) -> Result<Vec<String>, SealError> {
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut text))
        .map_err(|e| SealError::KeysFile {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    let lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    text.zeroize();
    Ok(lines)
}

/// Decrypts with one identity given as a trait object.
fn decrypt_with(identity: &dyn age::Identity, ciphertext: &[u8]) -> Option<Vec<u8>> {
    let decryptor = age::Decryptor::new_buffered(ciphertext).ok()?;
    let mut reader = decryptor.decrypt(std::iter::once(identity)).ok()?;
    let mut plain = Vec::new();
    reader.read_to_end(&mut plain).ok()?;
    Some(plain)
}

pub(super) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(super) fn unb64(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

//! Ids and secrets, drawn from one ChaCha20 stream so that the same seed and the same requests
//! give the same ids and secrets.
//!
//! Shapes follow the real ones: `k…CNTRL` (keys, clients, tokens), `T…CNTRL` (tailnets),
//! `o…CNTRL` (organizations), each with 12 alphanumerics; secrets are
//! `tskey-<auth|client|api>-<id>-<32 alphanumerics>`; DNS names `tail<6 hex>.ts.net`.
//! The stream position is persisted, so a restarted emulator keeps producing fresh values.
//! `Debug` shows only the position: the seed would predict every future secret.

use std::fmt;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::secret::Secret;

const ALNUM: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const HEX: &[u8] = b"0123456789abcdef";

/// Which kind of secret to mint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretKind {
    /// `tskey-auth-…`.
    AuthKey,
    /// `tskey-client-…`.
    Client,
    /// `tskey-api-…` (access tokens).
    AccessToken,
    /// `tskey-webhook-…` (webhook signing secrets).
    Webhook,
}

impl SecretKind {
    /// The prefix before the id, dash included.
    pub fn prefix(self) -> &'static str {
        match self {
            SecretKind::AuthKey => "tskey-auth-",
            SecretKind::Client => "tskey-client-",
            SecretKind::AccessToken => "tskey-api-",
            SecretKind::Webhook => "tskey-webhook-",
        }
    }
}

/// The seeded generator.
#[derive(Clone)]
pub(crate) struct IdGen {
    rng: ChaCha20Rng,
}

impl IdGen {
    /// A generator from `seed`, or from OS randomness when `None`.
    pub fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(seed) => ChaCha20Rng::seed_from_u64(seed),
            None => rand::make_rng(),
        };
        Self { rng }
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.rng.random_range(0..alphabet.len())]))
            .collect()
    }

    /// A key, client or token id: `k` + 12 alphanumerics + `CNTRL`.
    pub fn key_id(&mut self) -> String {
        format!("k{}CNTRL", self.chars(ALNUM, 12))
    }

    /// A tailnet id: `T` + 12 alphanumerics + `CNTRL`.
    pub fn tailnet_id(&mut self) -> String {
        format!("T{}CNTRL", self.chars(ALNUM, 12))
    }

    /// An organization id: `o` + 12 alphanumerics + `CNTRL`.
    pub fn org_id(&mut self) -> String {
        format!("o{}CNTRL", self.chars(ALNUM, 12))
    }

    /// A tailnet DNS name: `tail<6 hex>.ts.net`.
    pub fn dns_name(&mut self) -> String {
        format!("tail{}.ts.net", self.chars(HEX, 6))
    }

    /// A webhook endpoint id: digits, as the API's (`"123456"`).
    pub fn webhook_id(&mut self) -> String {
        self.chars(b"0123456789", 9)
    }

    /// A secret for the object `id`.
    pub fn secret(&mut self, kind: SecretKind, id: &str) -> Secret {
        Secret::new(format!("{}{id}-{}", kind.prefix(), self.chars(ALNUM, 32)))
    }
}

impl fmt::Debug for IdGen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdGen")
            .field("word_pos", &self.rng.get_word_pos())
            .finish_non_exhaustive()
    }
}

/// The persisted form: the seed and the stream position.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdGenState {
    seed: String,
    word_pos: String,
}

impl Serialize for IdGen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        IdGenState {
            seed: hex::encode(self.rng.get_seed()),
            word_pos: self.rng.get_word_pos().to_string(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for IdGen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let state = IdGenState::deserialize(d)?;
        let seed: [u8; 32] = hex::decode(&state.seed)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| D::Error::custom("`ids.seed` must be 64 hex digits"))?;
        let word_pos: u128 = state
            .word_pos
            .parse()
            .map_err(|_| D::Error::custom("`ids.wordPos` must be a decimal number"))?;
        let mut rng = ChaCha20Rng::from_seed(seed);
        rng.set_word_pos(word_pos);
        Ok(Self { rng })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut ids = IdGen::new(Some(1));
        let k = ids.key_id();
        assert!(
            k.starts_with('k') && k.ends_with("CNTRL") && k.len() == 18,
            "{k}"
        );
        let t = ids.tailnet_id();
        assert!(
            t.starts_with('T') && t.ends_with("CNTRL") && t.len() == 18,
            "{t}"
        );
        let dns = ids.dns_name();
        assert!(dns.starts_with("tail") && dns.ends_with(".ts.net") && dns.len() == 17);
        let s = ids.secret(SecretKind::AuthKey, &k);
        let rest = s
            .expose()
            .strip_prefix(&format!("tskey-auth-{k}-"))
            .unwrap();
        assert_eq!(rest.len(), 32);
        assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn same_seed_same_values_and_position_survives_a_round_trip() {
        let mut a = IdGen::new(Some(42));
        let mut b = IdGen::new(Some(42));
        assert_eq!(a.key_id(), b.key_id());
        let json = serde_json::to_string(&a).unwrap();
        let mut restored: IdGen = serde_json::from_str(&json).unwrap();
        assert_eq!(restored.key_id(), b.key_id());
        assert!(!format!("{a:?}").contains("seed"));
    }
}

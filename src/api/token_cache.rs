//! The OAuth access-token cache that makes token exchanges rare: plain data, no HTTP (the
//! exchange itself is `token`'s).
//!
//! Tokens are cached per (client id, client secret, `tailnet` parameter) until 60 s before they
//! expire, in a cache shared by every clone of the [`Client`](super::Client). The secret is part
//! of the key (as a SHA-256 digest, so the cache never holds it) so that a credential with a
//! wrong secret is refused by the token endpoint instead of being served a token minted with the
//! right one. Each key has its own async lock, held during the exchange, so concurrent callers
//! needing the same token wait for one mint instead of each minting their own. A token that
//! answers 401 is dropped (only if it is still the cached one), and `send` mints again once.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::error::ApiError;
use crate::secret::Secret;

/// Refresh this long before the server's expiry.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// What a token is cached under.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct TokenKey {
    pub client_id: String,
    pub secret: SecretDigest,
    pub tailnet: Option<String>,
}

impl TokenKey {
    /// The key for tokens minted with these client credentials and `tailnet` parameter.
    pub fn new(client_id: &str, client_secret: &Secret, tailnet: Option<&str>) -> Self {
        TokenKey {
            client_id: client_id.to_owned(),
            secret: SecretDigest::of(client_secret),
            tailnet: tailnet.map(str::to_owned),
        }
    }
}

/// The SHA-256 of a client secret: tells two secrets apart without holding either. Its `Debug`
/// shows nothing of it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct SecretDigest([u8; 32]);

impl SecretDigest {
    fn of(secret: &Secret) -> Self {
        use sha2::{Digest, Sha256};
        SecretDigest(Sha256::digest(secret.expose().as_bytes()).into())
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDigest(..)")
    }
}

/// A freshly minted token.
pub(super) struct Minted {
    pub token: Secret,
    pub lifetime: Duration,
    /// Taken before the request was sent, so the cached lifetime errs short.
    pub requested_at: Instant,
}

struct Cached {
    token: Secret,
    refresh_at: Instant,
}

/// One key's state. `finished` counts completed mints; a caller compares it before and after
/// waiting for the lock to know whether a mint ended while it waited.
#[derive(Default)]
struct Slot {
    state: tokio::sync::Mutex<SlotState>,
    finished: AtomicU64,
}

#[derive(Default)]
struct SlotState {
    cached: Option<Cached>,
    /// The error of the last mint, if it failed.
    failure: Option<ApiError>,
}

/// The token cache. `Debug` lists client ids and freshness, never a token.
#[derive(Default)]
pub(super) struct TokenCache {
    slots: Mutex<HashMap<TokenKey, Arc<Slot>>>,
}

impl TokenCache {
    fn slot(&self, key: &TokenKey) -> Arc<Slot> {
        // A panic elsewhere while holding this lock cannot leave the map inconsistent (one
        // insert), so a poisoned lock is still usable.
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.entry(key.clone()).or_default().clone()
    }

    /// The cached token for `key` if it is fresh, else the result of `mint` (stored). Callers
    /// for the same key are serialised, so at most one mint per key runs at a time, and callers
    /// that waited for a mint share its result: its token, or its error (a failing token
    /// endpoint is asked once, not once per waiting caller).
    pub async fn get_or_mint<F, Fut>(&self, key: &TokenKey, mint: F) -> Result<Secret, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Minted, ApiError>>,
    {
        let slot = self.slot(key);
        let seen = slot.finished.load(Ordering::Acquire);
        let mut state = slot.state.lock().await;
        if let Some(c) = state
            .cached
            .as_ref()
            .filter(|c| Instant::now() < c.refresh_at)
        {
            return Ok(c.token.clone());
        }
        if slot.finished.load(Ordering::Acquire) != seen
            && let Some(failure) = &state.failure
        {
            return Err(failure.clone());
        }
        let result = mint().await;
        slot.finished.fetch_add(1, Ordering::AcqRel);
        match result {
            Ok(minted) => {
                let lifetime = minted.lifetime.saturating_sub(REFRESH_MARGIN);
                state.cached = Some(Cached {
                    token: minted.token.clone(),
                    refresh_at: minted.requested_at + lifetime,
                });
                state.failure = None;
                Ok(minted.token)
            }
            Err(e) => {
                state.failure = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Drops the cached token for `key` if it is still `rejected` (another caller may already
    /// have replaced it).
    pub async fn invalidate(&self, key: &TokenKey, rejected: &Secret) {
        let slot = self.slot(key);
        let mut state = slot.state.lock().await;
        if state.cached.as_ref().is_some_and(|c| &c.token == rejected) {
            state.cached = None;
        }
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let mut entries: Vec<(&TokenKey, String)> = slots
            .iter()
            .map(|(key, slot)| {
                let state = match slot.state.try_lock() {
                    Err(_) => "minting".to_owned(),
                    Ok(s) => match s.cached.as_ref() {
                        None if s.failure.is_some() => "last mint failed".to_owned(),
                        None => "empty".to_owned(),
                        Some(c) => {
                            let left = c.refresh_at.saturating_duration_since(Instant::now());
                            format!("fresh for {}s", left.as_secs())
                        }
                    },
                };
                (key, state)
            })
            .collect();
        entries.sort();
        let mut list = f.debug_list();
        for (key, state) in entries {
            list.entry(&format_args!(
                "{}@{}: {state}",
                key.client_id,
                key.tailnet.as_deref().unwrap_or("-")
            ));
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use super::*;

    fn key() -> TokenKey {
        TokenKey::new("kClient", &Secret::new("client-secret"), Some("T1"))
    }

    fn minted(token: &str, lifetime: u64) -> Minted {
        Minted {
            token: Secret::new(token),
            lifetime: Duration::from_secs(lifetime),
            requested_at: Instant::now(),
        }
    }

    #[tokio::test]
    async fn a_fresh_token_is_reused() {
        let cache = TokenCache::default();
        let t1 = cache
            .get_or_mint(&key(), || async { Ok(minted("tok-1", 3600)) })
            .await
            .unwrap();
        let t2 = cache
            .get_or_mint(&key(), || async { Ok(minted("tok-2", 3600)) })
            .await
            .unwrap();
        assert_eq!((t1.expose(), t2.expose()), ("tok-1", "tok-1"));
    }

    #[tokio::test]
    async fn a_token_within_a_minute_of_expiry_is_replaced() {
        let cache = TokenCache::default();
        cache
            .get_or_mint(&key(), || async { Ok(minted("tok-1", 60)) })
            .await
            .unwrap();
        let t2 = cache
            .get_or_mint(&key(), || async { Ok(minted("tok-2", 3600)) })
            .await
            .unwrap();
        assert_eq!(t2.expose(), "tok-2");
    }

    #[tokio::test]
    async fn tokens_are_per_client_and_tailnet() {
        let cache = TokenCache::default();
        let other = TokenKey::new("kClient", &Secret::new("client-secret"), None);
        cache
            .get_or_mint(&key(), || async { Ok(minted("tok-1", 3600)) })
            .await
            .unwrap();
        let t = cache
            .get_or_mint(&other, || async { Ok(minted("tok-2", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.expose(), "tok-2");
    }

    #[tokio::test]
    async fn a_wrong_secret_never_gets_the_token_minted_with_the_right_one() {
        let cache = TokenCache::default();
        cache
            .get_or_mint(&key(), || async { Ok(minted("tok-right", 3600)) })
            .await
            .unwrap();
        let wrong = TokenKey::new("kClient", &Secret::new("wrong-secret"), Some("T1"));
        let err = cache
            .get_or_mint(&wrong, || async {
                Err(ApiError::ClientSetup {
                    cause: "refused".into(),
                })
            })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot set up the HTTP client: refused");
        let debug = format!("{wrong:?}");
        assert!(!debug.contains("wrong-secret"), "{debug}");
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_rejected_token() {
        let cache = TokenCache::default();
        cache
            .get_or_mint(&key(), || async { Ok(minted("tok-1", 3600)) })
            .await
            .unwrap();
        cache
            .invalidate(&key(), &Secret::new("some-older-token"))
            .await;
        let t = cache
            .get_or_mint(&key(), || async { Ok(minted("tok-2", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.expose(), "tok-1");
        cache.invalidate(&key(), &Secret::new("tok-1")).await;
        let t = cache
            .get_or_mint(&key(), || async { Ok(minted("tok-2", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.expose(), "tok-2");
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_mint() {
        let cache = Arc::new(TokenCache::default());
        let mints = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (cache, mints) = (cache.clone(), mints.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_mint(&key(), || async {
                            mints.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Ok(minted("tok-shared", 3600))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().expose(), "tok-shared");
        }
        assert_eq!(mints.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn callers_waiting_on_a_failed_mint_share_its_error() {
        let cache = Arc::new(TokenCache::default());
        let mints = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, mints) = (cache.clone(), mints.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_mint(&key(), || async {
                            mints.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            Err(ApiError::ClientSetup {
                                cause: "refused".into(),
                            })
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            let err = task.await.unwrap().unwrap_err();
            assert_eq!(err.to_string(), "cannot set up the HTTP client: refused");
        }
        assert_eq!(mints.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_mint_is_not_cached() {
        let cache = TokenCache::default();
        let err = cache
            .get_or_mint(&key(), || async {
                Err(ApiError::ClientSetup {
                    cause: "boom".into(),
                })
            })
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot set up the HTTP client: boom");
        let t = cache
            .get_or_mint(&key(), || async { Ok(minted("tok-1", 3600)) })
            .await
            .unwrap();
        assert_eq!(t.expose(), "tok-1");
    }

    #[tokio::test]
    async fn debug_shows_clients_not_tokens() {
        let cache = TokenCache::default();
        cache
            .get_or_mint(&key(), || async { Ok(minted("tok-very-secret", 3600)) })
            .await
            .unwrap();
        let text = format!("{cache:?}");
        assert!(!text.contains("tok-very-secret"), "{text}");
        assert!(text.starts_with("[kClient@T1: fresh for 35"), "{text}");
    }
}

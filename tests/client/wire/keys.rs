//! Auth keys through the client: every capability combination read back as asked, and the
//! lifecycle — expiry by the clock, one-off use, delete, and the purge seven days later.

use serde_json::json;
use tailform::api::{
    AuthKeyRequest, CreatedKey, Credential, Deleted, DeviceCapabilities, KeyInfo, KeyLookup,
    KeyType,
};

use super::support::Wire;

const SEVEN_DAYS: i64 = 7 * 24 * 3600;
const NINETY_DAYS: u64 = 7_776_000;

/// A tailnet whose policy defines `tag:web` and `tag:db`, and its own client's credential.
async fn tagged_tailnet(wire: &Wire) -> Credential {
    let (_, cred) = wire.new_tailnet("Keys").await;
    wire.set_tag_owners(&cred, json!({"tag:web": [], "tag:db": []}))
        .await;
    cred
}

fn request(tags: &[&str], expiry_seconds: u64, description: &str) -> AuthKeyRequest {
    AuthKeyRequest {
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        expiry_seconds,
        description: description.to_owned(),
        ..AuthKeyRequest::default()
    }
}

async fn create(wire: &Wire, cred: &Credential, req: &AuthKeyRequest) -> CreatedKey {
    wire.client
        .create_auth_key(cred, "-", req)
        .await
        .expect("the key is created")
}

async fn lookup(wire: &Wire, cred: &Credential, id: &str) -> KeyLookup {
    wire.client
        .get_key(cred, "-", id)
        .await
        .expect("the key is read")
}

async fn listed_auth_keys(wire: &Wire, cred: &Credential) -> Vec<KeyInfo> {
    let keys = wire.client.list_keys(cred, "-", true).await.unwrap();
    keys.into_iter()
        .filter(|k| k.key_type == KeyType::Auth)
        .collect()
}

/// Asserts everything a fresh key must show for `req`.
#[track_caller]
fn assert_as_asked(created: &CreatedKey, req: &AuthKeyRequest) {
    let key = &created.key;
    let expiry = if req.expiry_seconds == 0 {
        NINETY_DAYS
    } else {
        req.expiry_seconds
    };
    assert_eq!(key.key_type, KeyType::Auth);
    assert_eq!(
        key.capabilities,
        Some(DeviceCapabilities {
            reusable: req.reusable,
            ephemeral: req.ephemeral,
            preauthorized: req.preauthorized,
            tags: req.tags.clone(),
        })
    );
    assert_eq!(key.expiry_seconds, Some(expiry));
    assert_eq!(key.description, req.description);
    assert!(!key.invalid);
    assert_eq!(
        (key.revoked, key.updated, key.user_id.as_deref()),
        (None, None, None)
    );
    assert!(key.scopes.is_empty() && key.tags.is_empty());
    let (Some(created_at), Some(expires)) = (key.created, key.expires) else {
        panic!("a key has created and expires: {key:?}");
    };
    let lifetime = expires.duration_since(created_at).as_secs();
    assert_eq!(u64::try_from(lifetime).ok(), Some(expiry));

    let secret = created.secret.expose();
    let random = secret
        .strip_prefix(&format!("tskey-auth-{}-", key.id))
        .unwrap_or_else(|| panic!("the secret of {} is not tskey-auth-<id>-…", key.id));
    assert!(
        !random.is_empty() && random.chars().all(|c| c.is_ascii_alphanumeric()),
        "the secret of {} ends in a random part",
        key.id
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_capability_combination_reads_back_as_asked() {
    let wire = Wire::start().await;
    let cred = tagged_tailnet(&wire).await;
    let tag_sets: [&[&str]; 2] = [&["tag:web"], &["tag:web", "tag:db"]];
    let expiries = [0, 3600, 86_400, NINETY_DAYS];

    let mut created = Vec::new();
    for bits in 0..16usize {
        let req = AuthKeyRequest {
            reusable: bits & 1 != 0,
            ephemeral: bits & 2 != 0,
            preauthorized: bits & 4 != 0,
            ..request(
                tag_sets[bits >> 3],
                expiries[bits % 4],
                &format!("combo {bits}"),
            )
        };
        let key = create(&wire, &cred, &req).await;
        assert_as_asked(&key, &req);
        created.push(key);
    }
    let mut ids: Vec<&str> = created.iter().map(|k| k.key.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 16, "every key has its own id");

    for key in &created {
        assert_eq!(
            lookup(&wire, &cred, &key.key.id).await,
            KeyLookup::Found(key.key.clone()),
            "GET shows exactly what the create answered (minus the secret)"
        );
    }
    let infos: Vec<KeyInfo> = created.iter().map(|k| k.key.clone()).collect();
    assert_eq!(listed_auth_keys(&wire, &cred).await, infos);

    // Without `all`, an OAuth-derived token lists only the tailnet's OAuth clients.
    let clients = wire.client.list_keys(&cred, "-", false).await.unwrap();
    assert!(
        clients.len() == 1 && clients[0].key_type == KeyType::Client,
        "{clients:?}"
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_expires_when_the_clock_passes_its_expiry() {
    let wire = Wire::start().await;
    let cred = tagged_tailnet(&wire).await;
    let key = create(&wire, &cred, &request(&["tag:web"], 600, "short lived")).await;
    assert_eq!(
        listed_auth_keys(&wire, &cred).await,
        std::slice::from_ref(&key.key)
    );
    let expires = key.key.expires.expect("an auth key expires");
    let server_now = || wire.client.server_time().expect("every answer has a Date");
    assert!(
        server_now() < expires,
        "the client reads the emulator's clock"
    );

    wire.advance(601).await;
    let expired = KeyInfo {
        invalid: true,
        ..key.key.clone()
    };
    assert_eq!(
        lookup(&wire, &cred, &key.key.id).await,
        KeyLookup::Found(expired),
        "expired: invalid, not revoked, same expiry"
    );
    assert!(
        server_now() >= expires,
        "the emulator's `Date` moved with its clock, and the client follows it"
    );
    assert_eq!(listed_auth_keys(&wire, &cred).await, []);
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_off_key_is_invalid_once_used_and_a_reusable_one_is_not() {
    let wire = Wire::start().await;
    let cred = tagged_tailnet(&wire).await;
    let one_off = create(&wire, &cred, &request(&["tag:web"], 0, "one off")).await;
    let reusable_req = AuthKeyRequest {
        reusable: true,
        ..request(&["tag:web"], 0, "reusable")
    };
    let reusable = create(&wire, &cred, &reusable_req).await;

    let used = wire.use_key(&one_off.key.id).await;
    assert_eq!(used["invalid"], json!(true), "{used}");
    let used = wire.use_key(&reusable.key.id).await;
    assert_eq!(used.get("invalid"), None, "{used}");

    assert_eq!(
        lookup(&wire, &cred, &one_off.key.id).await,
        KeyLookup::Found(KeyInfo {
            invalid: true,
            ..one_off.key.clone()
        })
    );
    assert_eq!(
        lookup(&wire, &cred, &reusable.key.id).await,
        KeyLookup::Found(reusable.key.clone())
    );
    assert_eq!(
        listed_auth_keys(&wire, &cred).await,
        std::slice::from_ref(&reusable.key)
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_key_is_invalid_then_not_found_after_the_seven_day_purge() {
    let wire = Wire::start().await;
    let cred = tagged_tailnet(&wire).await;
    let key = create(&wire, &cred, &request(&["tag:db"], 0, "to delete")).await;
    let id = key.key.id.as_str();

    assert_eq!(
        wire.client.delete_key(&cred, "-", id).await.unwrap(),
        Deleted::Deleted
    );
    let KeyLookup::Found(revoked) = lookup(&wire, &cred, id).await else {
        panic!("a revoked key stays readable until purged");
    };
    let revoked_at = revoked.revoked.expect("a deleted key carries `revoked`");
    assert!(key.key.created.is_some_and(|c| c <= revoked_at));
    assert_eq!(
        revoked,
        KeyInfo {
            invalid: true,
            revoked: Some(revoked_at),
            ..key.key.clone()
        }
    );
    assert_eq!(listed_auth_keys(&wire, &cred).await, []);

    // Deleting an already revoked key succeeds and keeps the first revocation time.
    assert_eq!(
        wire.client.delete_key(&cred, "-", id).await.unwrap(),
        Deleted::Deleted
    );
    assert_eq!(
        lookup(&wire, &cred, id).await,
        KeyLookup::Found(revoked.clone())
    );

    wire.advance(SEVEN_DAYS - 60).await;
    assert_eq!(
        lookup(&wire, &cred, id).await,
        KeyLookup::Found(revoked),
        "not purged a minute before seven days"
    );
    wire.advance(60).await;
    assert_eq!(lookup(&wire, &cred, id).await, KeyLookup::NotFound);
    assert_eq!(
        wire.client.delete_key(&cred, "-", id).await.unwrap(),
        Deleted::NotFound
    );

    let stats = wire.stats().await;
    let key_route = "/api/v2/tailnet/{tailnet}/keys/{key_id}";
    assert_eq!(stats.count(&format!("GET {key_route}"), 404), 1);
    assert_eq!(stats.count(&format!("DELETE {key_route}"), 200), 2);
    assert_eq!(stats.count(&format!("DELETE {key_route}"), 404), 1);
    wire.shutdown().await;
}

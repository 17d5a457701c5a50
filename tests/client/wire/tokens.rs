//! Tokens: the form and Basic exchanges, `?tailnet=` tokens, the transparent re-mint of a token
//! the server no longer accepts, one mint for concurrent callers, and a wrong secret refused.

use tailform::api::{ApiError, Credential, KeyType, Method};
use tailform::secret::Secret;

use super::support::{LIST_KEYS, LIST_TAILNETS, TOKEN, Wire, status_error, step, without_tokens};
use crate::common::retry::fast_retry;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_and_basic_token_exchanges_both_give_tokens_the_client_can_use() {
    let wire = Wire::start().await;
    let org_id = wire.emulator.org_client_id().to_owned();
    let secret = wire.emulator.org_client_secret().clone();

    // The client exchanges with a form (`endpoint::token`: client_id + client_secret fields).
    let via_client = wire.client.list_tailnets(&wire.org()).await.unwrap();
    let names: Vec<&str> = via_client.iter().map(|t| t.display_name.as_str()).collect();
    assert_eq!(names, ["example.com"]);
    assert_eq!(wire.client.stats().token_mints, 1);

    // The same exchange done by hand, and the Basic variant the client does not use.
    let form = wire.raw_token_form(&org_id, &secret).await;
    let basic = wire.raw_token_basic(&org_id, &secret).await;
    for answer in [&form, &basic] {
        assert_eq!(
            (answer.token_type.as_str(), answer.expires_in),
            ("Bearer", 3600)
        );
        assert_eq!(answer.scope, "all");
        assert!(answer.access_token.expose().starts_with("tskey-api-"));
    }
    assert_ne!(form.access_token, basic.access_token, "two distinct tokens");

    // Both tokens work with the client, sent the API-key way (HTTP Basic, empty password).
    for token in [form.access_token, basic.access_token] {
        let listed = wire
            .client
            .list_tailnets(&Credential::ApiKey(token))
            .await
            .unwrap();
        assert_eq!(listed, via_client);
    }
    assert_eq!(
        wire.client.stats().token_mints,
        1,
        "an API key is never exchanged"
    );

    let stats = wire.stats().await;
    assert_eq!(stats.count(TOKEN, 200), 3);
    assert_eq!(stats.count(LIST_TAILNETS, 200), 3);
    assert!(
        stats
            .log
            .iter()
            .all(|e| e.client_id.as_deref() == Some(org_id.as_str())),
        "every request is attributed to the organization client: {:?}",
        stats.log
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tailnet_parameter_token_reaches_that_tailnet_and_no_other() {
    let wire = Wire::start().await;
    let original = wire.client.list_tailnets(&wire.org()).await.unwrap()[0]
        .id
        .clone();
    let (first, first_cred) = wire.new_tailnet("First").await;
    let (second, _) = wire.new_tailnet("Second").await;
    let via_org = wire.org_for(&first.tailnet.id);

    let keys = without_tokens(wire.client.list_keys(&via_org, "-", true).await.unwrap());
    let seen: Vec<(&str, &KeyType)> = keys.iter().map(|k| (k.id.as_str(), &k.key_type)).collect();
    assert_eq!(seen, [(first.oauth_client_id.as_str(), &KeyType::Client)]);
    assert_eq!(
        without_tokens(
            wire.client
                .list_keys(&via_org, &first.tailnet.id, true)
                .await
                .unwrap()
        ),
        keys,
        "the tailnet's id in the path is the same tailnet as `-`"
    );
    assert_eq!(
        without_tokens(wire.client.list_keys(&first_cred, "-", true).await.unwrap()),
        keys,
        "the tailnet's own client sees the same keys"
    );

    for other in [&second.tailnet.id, &original] {
        let err = wire
            .client
            .list_keys(&via_org, other, true)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            status_error(
                Method::Get,
                &format!("/api/v2/tailnet/{other}/keys?all=true"),
                403,
                "user tailnet does not match"
            )
        );
        assert!(matches!(err, ApiError::Status { .. }));
    }

    let stats = wire.stats().await;
    let org_mints: Vec<Option<&str>> = stats
        .log
        .iter()
        .filter(|e| {
            e.path == "/api/v2/oauth/token"
                && e.client_id.as_deref() == Some(wire.emulator.org_client_id())
        })
        .map(|e| e.tailnet.as_deref())
        .collect();
    assert_eq!(
        org_mints,
        [Some(original.as_str()), Some(first.tailnet.id.as_str())],
        "one token for the original tailnet, one (reused) for the created tailnet"
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_reminted_once_after_a_401() {
    let wire = Wire::start().await;
    let org = wire.org();
    let before = wire.client.list_tailnets(&org).await.unwrap();
    assert_eq!(wire.client.stats().token_mints, 1);
    wire.reset_stats().await;

    wire.advance(3601).await;
    let after = wire.client.list_tailnets(&org).await.unwrap();
    assert_eq!(after, before);

    let path = "/api/v2/organizations/-/tailnets";
    let stats = wire.stats().await;
    assert_eq!(
        stats.sequence(),
        [
            step("GET", path, 401),
            step("POST", "/api/v2/oauth/token", 200),
            step("GET", path, 200),
        ]
    );
    let client = wire.client.stats();
    assert_eq!((client.token_mints, client.retries), (2, 1));

    // The new token is cached: the next call mints nothing.
    wire.client.list_tailnets(&org).await.unwrap();
    let stats = wire.stats().await;
    assert_eq!(stats.count(TOKEN, 200), 1);
    assert_eq!(stats.count(LIST_TAILNETS, 200), 2);
    assert_eq!(wire.client.stats().token_mints, 2);
    wire.shutdown().await;
}

/// Regression: the token cache was keyed by client id and `tailnet` only, so a credential with
/// the right id and a wrong secret was served the token minted with the right secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_even_when_its_client_id_has_a_cached_token() {
    let wire = Wire::start().await;
    let right = wire.client.list_tailnets(&wire.org()).await.unwrap();
    assert_eq!(right.len(), 1);

    let org_id = wire.emulator.org_client_id().to_owned();
    let wrong_secret = format!("{}-not", wire.emulator.org_client_secret().expose());
    let wrong = Credential::oauth(org_id.clone(), Secret::new(wrong_secret));
    let err = wire.client.list_tailnets(&wrong).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::TokenMint {
            client_id: org_id,
            cause: Box::new(status_error(
                Method::Post,
                "/api/v2/oauth/token",
                401,
                "API token invalid"
            )),
        }
    );

    // The right secret still uses its cached token; the wrong one never got one.
    assert_eq!(wire.client.list_tailnets(&wire.org()).await.unwrap(), right);
    let stats = wire.stats().await;
    assert_eq!((stats.count(TOKEN, 200), stats.count(TOKEN, 401)), (1, 1));
    assert_eq!(stats.count(LIST_TAILNETS, 200), 2);
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_with_a_fresh_client_share_one_token_mint() {
    let wire = Wire::start().await;
    let (created, cred) = wire.new_tailnet("Concurrent").await;
    wire.reset_stats().await;

    let client = wire.client_with(fast_retry(4));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let (client, cred) = (client.clone(), cred.clone());
            tokio::spawn(async move { client.list_keys(&cred, "-", true).await })
        })
        .collect();
    for call in calls {
        let keys = without_tokens(call.await.expect("the task finishes").unwrap());
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].id, created.oauth_client_id);
    }
    let stats = wire.stats().await;
    assert_eq!(stats.count(TOKEN, 200), 1, "{:?}", stats.sequence());
    assert_eq!(stats.calls(TOKEN), 1);
    assert_eq!(stats.count(LIST_KEYS, 200), 8);
    assert_eq!(client.stats().token_mints, 1);
    wire.shutdown().await;
}

//! No secret seen in a wire test shows in the `Debug` (or, for errors, `Display`) of any client
//! or emulator value: client, credentials, created keys and tailnets, errors, the emulator and
//! its config.

use serde_json::json;
use tailform::api::{AuthKeyRequest, Credential, KeyLookup, OAuthClientRequest};
use tailform::emulator::EmulatorConfig;
use tailform::secret::Secret;

use super::support::{SEED, Wire};

/// Fresh, generated organization credentials (never a real secret).
fn generated_org() -> (String, String) {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let id = format!("kWire{}CNTRL", &random[..12]);
    let secret = format!("tskey-client-{id}-{random}");
    (id, secret)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_output_never_shows_a_secret() {
    let (org_id, org_secret) = generated_org();
    let config = EmulatorConfig {
        seed: Some(SEED),
        client_id: Some(org_id.clone()),
        client_secret: Some(org_secret.clone()),
        ..EmulatorConfig::default()
    };
    let wire = Wire::start_with(config.clone()).await;
    assert_eq!(wire.emulator.org_client_id(), org_id);

    let (tailnet, admin) = wire.new_tailnet("Secrets").await;
    wire.set_tag_owners(&admin, json!({"tag:web": []})).await;
    let auth_key = wire
        .client
        .create_auth_key(
            &admin,
            "-",
            &AuthKeyRequest {
                tags: vec!["tag:web".to_owned()],
                ..AuthKeyRequest::default()
            },
        )
        .await
        .unwrap();
    let oauth_client = wire
        .client
        .create_oauth_client(
            &admin,
            "-",
            &OAuthClientRequest {
                scopes: vec!["auth_keys".to_owned()],
                tags: vec!["tag:web".to_owned()],
                description: String::new(),
            },
        )
        .await
        .unwrap();
    let form_token = wire
        .raw_token_form(&org_id, &Secret::new(org_secret.clone()))
        .await
        .access_token;
    let basic_token = wire
        .raw_token_basic(&tailnet.oauth_client_id, &tailnet.oauth_client_secret)
        .await
        .access_token;
    let api_key = Credential::ApiKey(form_token.clone());
    let by_token = wire.client.list_tailnets(&api_key).await.unwrap();
    assert_eq!(by_token.len(), 2);

    // Errors that had secrets in hand: a client secret used as a token, a wrong secret, a lost
    // create response.
    let secret_as_token = Credential::ApiKey(oauth_client.secret.clone());
    let refused = wire
        .client
        .list_keys(&secret_as_token, "-", true)
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(403));
    let wrong_secret = format!("{org_secret}x");
    let wrong = Credential::oauth(org_id.clone(), Secret::new(wrong_secret.clone()));
    let mint_failed = wire.client.list_tailnets(&wrong).await.unwrap_err();
    assert!(
        mint_failed
            .to_string()
            .contains("failed with 401: API token invalid"),
        "{mint_failed}"
    );
    wire.faults(json!({"dropResponseAfterCommit": 1.0})).await;
    let lost = wire
        .client
        .create_auth_key(
            &admin,
            "-",
            &AuthKeyRequest {
                tags: vec!["tag:web".to_owned()],
                ..AuthKeyRequest::default()
            },
        )
        .await
        .unwrap_err();
    wire.faults(json!({})).await;
    assert!(lost.is_outcome_unknown());
    let lookup = wire
        .client
        .get_key(&admin, "-", &auth_key.key.id)
        .await
        .unwrap();
    assert!(matches!(lookup, KeyLookup::Found(_)));

    let secrets: Vec<(&str, &str)> = vec![
        ("organization client secret", org_secret.as_str()),
        ("wrong organization secret", wrong_secret.as_str()),
        (
            "tailnet client secret",
            tailnet.oauth_client_secret.expose(),
        ),
        ("auth key", auth_key.secret.expose()),
        ("OAuth client secret", oauth_client.secret.expose()),
        ("form-minted token", form_token.expose()),
        ("Basic-minted token", basic_token.expose()),
    ];
    let shown: Vec<(&str, String)> = vec![
        ("Client", format!("{:?}", wire.client)),
        ("org Credential", format!("{:?}", wire.org())),
        ("tailnet Credential", format!("{admin:?}")),
        (
            "tailnet= Credential",
            format!("{:?}", wire.org_for(&tailnet.tailnet.id)),
        ),
        ("ApiKey Credential", format!("{api_key:?}")),
        ("wrong Credential", format!("{wrong:?}")),
        ("CreatedTailnet", format!("{tailnet:?}")),
        ("CreatedKey (auth key)", format!("{auth_key:?}")),
        ("CreatedKey (OAuth client)", format!("{oauth_client:?}")),
        ("KeyLookup", format!("{lookup:?}")),
        ("ApiError 403", format!("{refused:?} {refused}")),
        (
            "ApiError TokenMint",
            format!("{mint_failed:?} {mint_failed}"),
        ),
        ("ApiError OutcomeUnknown", format!("{lost:?} {lost}")),
        ("Emulator", format!("{:?}", wire.emulator)),
        ("EmulatorConfig", format!("{config:?}")),
    ];
    for (what, text) in &shown {
        for (name, secret) in &secrets {
            assert!(
                !text.contains(secret),
                "the {name} shows in the Debug of {what}: {text}"
            );
        }
        assert!(!text.contains("tskey-"), "{what} shows a key: {text}");
    }
    // The values are still useful: ids show where they belong.
    let debug_of = |what: &str| {
        shown
            .iter()
            .find(|(w, _)| *w == what)
            .map(|(_, text)| text.as_str())
            .unwrap_or_default()
    };
    for (what, id) in [
        ("Client", tailnet.oauth_client_id.as_str()),
        ("CreatedTailnet", tailnet.tailnet.id.as_str()),
        ("CreatedKey (auth key)", auth_key.key.id.as_str()),
        ("EmulatorConfig", org_id.as_str()),
        ("Emulator", org_id.as_str()),
    ] {
        assert!(debug_of(what).contains(id), "{what}: {}", debug_of(what));
    }
    wire.shutdown().await;
}

//! API-only tailnets through the client: create (with its one-time client), list, delete, the
//! organization's cap and unique display names.

use tailform::api::{ApiError, Deleted, KeyType, Method, TailnetInfo};

use super::support::{CREATE_TAILNET, Wire, status_error, without_tokens};

const TAILNETS: &str = "/api/v2/organizations/-/tailnets";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_tailnet_is_listed_usable_and_gone_after_delete() {
    let wire = Wire::start().await;
    let org = wire.org();
    let before = wire.client.list_tailnets(&org).await.unwrap();
    let [original] = before.as_slice() else {
        panic!("a fresh organization has only its original tailnet: {before:?}");
    };
    assert_eq!(original.display_name, "example.com");

    let (created, cred) = wire.new_tailnet("Acme Prod").await;
    let tailnet = &created.tailnet;
    assert!(
        tailnet.id.starts_with('T') && tailnet.id.ends_with("CNTRL"),
        "{}",
        tailnet.id
    );
    assert_eq!(tailnet.display_name, "Acme Prod");
    assert_eq!(tailnet.org_id, original.org_id);
    assert!(
        tailnet
            .dns_name
            .as_deref()
            .is_some_and(|d| d.starts_with("tail") && d.ends_with(".ts.net")),
        "{:?}",
        tailnet.dns_name
    );
    assert!(tailnet.created_at.is_some());
    let prefix = format!("tskey-client-{}-", created.oauth_client_id);
    assert!(created.oauth_client_secret.expose().starts_with(&prefix));

    // The one-time client works in its own tailnet: it is the tailnet's only key, scope `all`.
    let keys = without_tokens(wire.client.list_keys(&cred, "-", true).await.unwrap());
    let [bootstrap] = keys.as_slice() else {
        panic!("a new tailnet holds only its bootstrap client: {keys:?}");
    };
    assert_eq!(
        (
            &bootstrap.id,
            &bootstrap.key_type,
            &bootstrap.scopes,
            &bootstrap.tags
        ),
        (
            &created.oauth_client_id,
            &KeyType::Client,
            &vec!["all".to_owned()],
            &Vec::<String>::new()
        )
    );
    assert!(!bootstrap.invalid);

    let listed = wire.client.list_tailnets(&org).await.unwrap();
    let as_listed = TailnetInfo {
        dns_name: None,
        ..tailnet.clone()
    };
    assert_eq!(listed, [original.clone(), as_listed]);

    let raw_token = wire
        .raw_token_form(&created.oauth_client_id, &created.oauth_client_secret)
        .await
        .access_token;
    assert_eq!(
        wire.client
            .delete_tailnet(&cred, &tailnet.id)
            .await
            .unwrap(),
        Deleted::Deleted
    );
    assert_eq!(
        wire.client.list_tailnets(&org).await.unwrap(),
        std::slice::from_ref(original)
    );

    // Every token of the deleted tailnet's client is dead, and the client cannot mint another.
    assert_eq!(
        wire.raw_get(&raw_token, "/api/v2/tailnet/-/keys").await,
        (401, serde_json::json!({"message": "API token invalid"}))
    );
    let err = wire.client.list_keys(&cred, "-", true).await.unwrap_err();
    assert_eq!(
        err,
        ApiError::TokenMint {
            client_id: created.oauth_client_id.clone(),
            cause: Box::new(status_error(
                Method::Post,
                "/api/v2/oauth/token",
                401,
                "API token invalid"
            )),
        }
    );
    let err = wire
        .client
        .list_keys(&wire.org_for(&tailnet.id), "-", true)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        ApiError::TokenMint {
            client_id: wire.emulator.org_client_id().to_owned(),
            cause: Box::new(status_error(
                Method::Post,
                "/api/v2/oauth/token",
                400,
                &format!("tailnet {:?} not found", tailnet.id)
            )),
        }
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eleventh_tailnet_is_refused() {
    let wire = Wire::start().await;
    let org = wire.org();
    for i in 1..=9 {
        wire.new_tailnet(&format!("Tailnet {i}")).await;
    }
    let full = wire.client.list_tailnets(&org).await.unwrap();
    assert_eq!(full.len(), 10, "nine created plus the original");

    let err = wire
        .client
        .create_tailnet(&org, "Tailnet 10")
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(
            Method::Post,
            TAILNETS,
            400,
            "organization has reached its limit of 10 tailnets"
        )
    );
    assert_eq!(wire.client.list_tailnets(&org).await.unwrap(), full);
    let stats = wire.stats().await;
    assert_eq!(
        (
            stats.count(CREATE_TAILNET, 200),
            stats.count(CREATE_TAILNET, 400)
        ),
        (9, 1)
    );
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_display_name_is_refused_whatever_its_case() {
    let wire = Wire::start().await;
    let org = wire.org();
    let (first, _) = wire.new_tailnet("Acme Prod").await;
    // The API answers `alreadyExists: true` with the existing tailnet; the client refuses it.
    for name in ["Acme Prod", "ACME prod"] {
        let err = wire.client.create_tailnet(&org, name).await.unwrap_err();
        assert_eq!(
            err,
            ApiError::AlreadyExists {
                display_name: "Acme Prod".into(),
                id: first.tailnet.id.clone(),
            }
        );
    }
    let names: Vec<String> = wire
        .client
        .list_tailnets(&org)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.display_name)
        .collect();
    assert_eq!(names, ["example.com", "Acme Prod"]);
    assert_eq!(wire.stats().await.count(CREATE_TAILNET, 200), 3);
    wire.shutdown().await;
}

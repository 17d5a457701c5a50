//! The policy file through the client: GET with its ETag, POST with `If-Match`, 412 on a stale
//! ETag, and `acl/validate` for a valid and an invalid policy.

use serde_json::json;
use sha2::{Digest, Sha256};
use tailform::api::{Method, PolicyBody, PolicyDocument, PolicyValidation};

use super::support::{Wire, status_error};

const ACL: &str = "/api/v2/tailnet/-/acl";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Asserts the ETag is the SHA-256 of the text the server holds, and returns it.
#[track_caller]
fn etag_of(doc: &PolicyDocument) -> String {
    let etag = doc.etag.clone().expect("the policy answer carries an ETag");
    assert_eq!(etag, sha256(&doc.text), "ETag of {:?}", doc.text);
    etag
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_posts_with_if_match_and_refuses_a_stale_etag() {
    let wire = Wire::start().await;
    let (_, cred) = wire.new_tailnet("Policy").await;

    let default = wire.client.get_policy(&cred, "-").await.unwrap();
    assert!(
        default
            .text
            .starts_with("// Example/default ACLs for unrestricted connections."),
        "a new tailnet starts with the default policy: {}",
        default.text
    );
    let default_etag = etag_of(&default);

    let first = json!({"tagOwners": {"tag:web": []}});
    let stored = wire
        .client
        .set_policy(
            &cred,
            "-",
            &PolicyBody::Json(first.clone()),
            Some(&default_etag),
        )
        .await
        .unwrap();
    assert_eq!(stored.text, first.to_string(), "stored verbatim");
    let first_etag = etag_of(&stored);
    assert_ne!(first_etag, default_etag);
    assert_eq!(wire.client.get_policy(&cred, "-").await.unwrap(), stored);

    // The default's ETag is stale now, and so is `ts-default`: both answer 412, nothing changes.
    for stale in [default_etag.as_str(), "ts-default"] {
        let err = wire
            .client
            .set_policy(&cred, "-", &PolicyBody::Json(json!({})), Some(stale))
            .await
            .unwrap_err();
        assert!(err.is_precondition_failed(), "{err:?}");
        assert_eq!(
            err,
            status_error(
                Method::Post,
                ACL,
                412,
                "precondition failed, invalid old hash"
            )
        );
    }
    assert_eq!(wire.client.get_policy(&cred, "-").await.unwrap(), stored);

    // HuJSON (comments, trailing commas) is stored as written; the quoted ETag works as well.
    let hujson = "// web servers\n{\"tagOwners\": {\"tag:web\": [], \"tag:db\": [],},}\n";
    let quoted = format!("\"{first_etag}\"");
    let stored = wire
        .client
        .set_policy(
            &cred,
            "-",
            &PolicyBody::HuJson(hujson.to_owned()),
            Some(&quoted),
        )
        .await
        .unwrap();
    assert_eq!(stored.text, hujson);
    etag_of(&stored);
    assert_eq!(wire.client.get_policy(&cred, "-").await.unwrap(), stored);
    wire.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_policy_tells_valid_from_invalid_and_changes_nothing() {
    let wire = Wire::start().await;
    let (_, cred) = wire.new_tailnet("Validate").await;
    let before = wire.client.get_policy(&cred, "-").await.unwrap();

    let valid = PolicyBody::Json(json!({
        "tagOwners": {"tag:web": []},
        "grants": [{"src": ["tag:web"], "dst": ["*"], "ip": ["*"]}],
    }));
    assert_eq!(
        wire.client
            .validate_policy(&cred, "-", &valid)
            .await
            .unwrap(),
        PolicyValidation::Valid
    );

    let undefined = PolicyBody::Json(json!({
        "grants": [{"src": ["tag:ghost"], "dst": ["*"], "ip": ["*"]}],
    }));
    assert_eq!(
        wire.client
            .validate_policy(&cred, "-", &undefined)
            .await
            .unwrap(),
        PolicyValidation::Invalid {
            message: "src=tag not found: \"tag:ghost\"".to_owned()
        }
    );

    let owners_not_a_list = PolicyBody::HuJson("{\"tagOwners\": {\"tag:web\": \"me\"}}".to_owned());
    assert_eq!(
        wire.client
            .validate_policy(&cred, "-", &owners_not_a_list)
            .await
            .unwrap(),
        PolicyValidation::Invalid {
            message: "invalid policy file: tagOwners[\"tag:web\"] must be a list of owners"
                .to_owned()
        }
    );

    // The same invalid policy, posted for real, is a 400 with the same message.
    let err = wire
        .client
        .set_policy(&cred, "-", &undefined, None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        status_error(Method::Post, ACL, 400, "src=tag not found: \"tag:ghost\"")
    );
    assert_eq!(wire.client.get_policy(&cred, "-").await.unwrap(), before);
    wire.shutdown().await;
}

//! Tailnet settings (`/tailnet/{t}/settings`): per-field authorisation as measured (a token
//! without a field's read scope does not see it; one with none of them reads `{}`), PATCH of
//! exactly the fields sent, and the strict refusals (unknown field, wrong type, out of range,
//! read-only `regionalRoutingOn`, a field without its write scope) that change nothing.

use reqwest::Method;
use serde_json::json;

use super::support::Emu;

#[tokio::test]
async fn fields_are_filtered_by_scope_and_patched_one_by_one() {
    let e = Emu::start().await;
    let org = e.org_token().await;
    let all = e.get(&org, "/api/v2/tailnet/-/settings").await;
    let all = all.ok().clone();
    assert_eq!(all["httpsEnabled"], false);
    assert_eq!(all["devicesKeyDurationDays"], 180);
    assert_eq!(all["regionalRoutingOn"], false);

    let narrow = e.create_client(&org, &["feature_settings"], &[]).await;
    let narrow = e.client_token(&narrow, &[]).await;
    let seen = e.get(&narrow, "/api/v2/tailnet/-/settings").await;
    let seen = seen.ok().clone();
    assert!(seen.get("httpsEnabled").is_none(), "{seen}");
    assert!(seen.get("networkFlowLoggingOn").is_none(), "{seen}");
    assert_eq!(seen["devicesApprovalOn"], false);
    let none = e.create_client(&org, &["dns:read"], &[]).await;
    let none = e.client_token(&none, &[]).await;
    assert_eq!(
        e.get(&none, "/api/v2/tailnet/-/settings").await.ok(),
        &json!({})
    );

    let patch = |body| {
        e.call(
            Method::PATCH,
            "/api/v2/tailnet/-/settings",
            Some(&org),
            Some(body),
        )
    };
    let done = patch(json!({"httpsEnabled": true, "routeSelection": "regional-routing"})).await;
    assert_eq!(done.ok()["httpsEnabled"], true);
    assert_eq!(done.ok()["regionalRoutingOn"], true);
    assert_eq!(done.ok()["devicesApprovalOn"], false, "untouched");
    for bad in [
        json!({"nope": true}),
        json!({"httpsEnabled": "yes"}),
        json!({"devicesKeyDurationDays": 0}),
        json!({"devicesKeyDurationDays": 181}),
        json!({"regionalRoutingOn": true}),
        json!({"usersRoleAllowedToJoinExternalTailnets": "owner"}),
        json!({"devicesApprovalOn": true, "httpsEnabled": 1}),
    ] {
        let r = patch(bad.clone()).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
    }
    assert_eq!(
        e.get(&org, "/api/v2/tailnet/-/settings").await.ok()["devicesApprovalOn"],
        false,
        "a refused PATCH changes nothing"
    );
    let refused = e
        .call(
            Method::PATCH,
            "/api/v2/tailnet/-/settings",
            Some(&narrow),
            Some(json!({"httpsEnabled": true})),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

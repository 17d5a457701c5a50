//! Snapshot tests of the three formats for one plan that holds every action kind, plus the
//! guarantees that hold for any plan (no secret in any format, Markdown size cap).

use jiff::SignedDuration;

use super::text::Style;
use super::*;
use crate::address::Address;
use crate::model::{Duration, Name};
use crate::plan::fixture::*;
use crate::plan::{PlanOptions, diff};
use crate::state::{Deposed, KeyAttributes, KeyRecord, Record};

fn opts() -> PlanOptions {
    PlanOptions {
        max_tailnets: 10,
        ..PlanOptions::default()
    }
}

/// A plan with create, update, replace (attribute change, with a list diff), delete, forget, a
/// deposed revoke and a no-op with a note.
fn every_kind() -> (crate::plan::Plan, crate::state::State) {
    let base = {
        let t = tailnet("acme");
        let t = with_client(t, client("ci", &["auth_keys"], &["tag:ci"]));
        let t = with_key(t, key("web", &["tag:web"]));
        let t = with_key(t, key("deploy", &["tag:web"]));
        let mut once = key("once", &["tag:web"]);
        once.reusable = false;
        desired(vec![with_key(t, once)])
    };
    let (mut state, mut live) = converged(&base, now() - SignedDuration::from_hours(24));
    // A tracked key that vanished and is no longer wanted: forget.
    let gone = Address::auth_key(name("acme"), name("gone"));
    state.resources.insert(
        gone,
        Record::AuthKey(KeyRecord {
            id: "k-gone".into(),
            secret: Some(crate::secret::Secret::new("key-secret-gone").into()),
            created: None,
            expires: None,
            attributes: KeyAttributes {
                description: String::new(),
                reusable: true,
                ephemeral: false,
                preauthorized: false,
                tags: vec!["tag:web".into()],
                expiry_seconds: 86_400,
                created_by: None,
            },
            delivered: Vec::new(),
            deposed: vec![],
        }),
    );
    // A previous web key whose overlap window has passed.
    let web = Address::auth_key(name("acme"), name("web"));
    if let Some(Record::AuthKey(r)) = state.resources.get_mut(&web) {
        r.deposed.push(Deposed {
            id: "k-web-old".into(),
            revoke_after: None,
        });
        let attrs = r.attributes.clone();
        contents(&mut live, "acme").keys.insert(
            "k-web-old".into(),
            live_auth_key(
                "k-web-old",
                &attrs,
                now(),
                now() + SignedDuration::from_hours(48),
            ),
        );
    }
    // The one-off key was used.
    contents(&mut live, "acme")
        .keys
        .get_mut("k-once")
        .unwrap()
        .invalid = true;

    let mut wanted = base.clone();
    let t = wanted.tailnets.get_mut(&name("acme")).unwrap();
    t.auth_keys.remove(&name("deploy"));
    let web = t.auth_keys.get_mut(&name("web")).unwrap();
    web.tags = tags(&["tag:web", "tag:prod"]);
    web.expiry = Duration::from_days(30);
    *t.oauth_clients
        .get_mut(&Name::parse("ci").unwrap())
        .unwrap() = client("ci", &["auth_keys", "devices:core"], &["tag:ci"]);
    t.auth_keys.insert(name("api"), key("api", &["tag:ci"]));
    let plan = diff(&wanted, &state, &live, &opts()).unwrap();
    (plan, state)
}

#[test]
fn text_snapshot() {
    let (plan, _) = every_kind();
    insta::assert_snapshot!(text::render(&PlanView::new(&plan), Style::new(false)));
}

#[test]
fn json_snapshot() {
    let (plan, _) = every_kind();
    insta::assert_snapshot!(json::render(&PlanView::new(&plan)));
}

#[test]
fn markdown_snapshot() {
    let (plan, _) = every_kind();
    insta::assert_snapshot!(markdown::render(&PlanView::new(&plan)));
}

#[test]
fn no_format_contains_a_secret() {
    let (plan, state) = every_kind();
    let view = PlanView::new(&plan);
    let outputs = [
        text::render(&view, Style::new(true)),
        json::render(&view),
        markdown::render(&view),
        format!("{plan:?}"),
    ];
    let secrets: Vec<String> = state
        .resources
        .values()
        .filter_map(|r| r.secret().map(|s| s.expose().to_owned()))
        .collect();
    assert!(secrets.len() >= 5, "{secrets:?}");
    for out in &outputs {
        for s in &secrets {
            assert!(!out.contains(s.as_str()), "secret leaked into output");
        }
    }
}

#[test]
fn no_changes_text() {
    let d = desired(vec![with_key(tailnet("a"), key("k", &["tag:a"]))]);
    let (state, live) = converged(&d, now());
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        text::render(&PlanView::new(&plan), Style::new(false)),
        "No changes. Your tailnets match the manifests.\n"
    );
    assert_eq!(
        markdown::render(&PlanView::new(&plan)),
        "### tailform plan: no changes\n\nYour tailnets match the manifests.\n"
    );
}

#[test]
fn markdown_stays_under_the_comment_limit() {
    let mut t = tailnet("big");
    for i in 0..3000 {
        t = with_key(t, key(&format!("key-{i}"), &["tag:a", "tag:b"]));
    }
    let plan = diff(
        &desired(vec![t]),
        &crate::state::State::new(),
        &empty_live(),
        &opts(),
    )
    .unwrap();
    let md = markdown::render(&PlanView::new(&plan));
    assert!(md.len() < markdown::MAX_CHARS, "{}", md.len());
    assert!(md.contains("truncated to stay under GitHub's comment limit"));
    assert!(md.ends_with("</details>\n"));
    assert!(md.contains("| … | 2902 more | |"), "{}", &md[..2000]);
}

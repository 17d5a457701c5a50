//! Unit tests of `graph`.

use super::*;
use crate::plan::step::PolicyWrite;
use crate::state::{ClientAttributes, KeyAttributes, ManagedPolicy};

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn key_attrs(created_by: Option<&str>) -> KeyAttributes {
    KeyAttributes {
        description: String::new(),
        reusable: false,
        ephemeral: false,
        preauthorized: false,
        tags: vec!["tag:a".into()],
        expiry_seconds: 3600,
        created_by: created_by.map(str::to_owned),
    }
}

fn position(g: &StepGraph, pred: impl Fn(&Step) -> bool) -> usize {
    let order = g.order();
    order
        .iter()
        .position(|&n| pred(g.step(n)))
        .expect("step present")
}

#[test]
fn creates_follow_tailnet_policy_client_key_order() {
    let steps = vec![
        Step::CreateKey {
            address: addr("tailnet.t.auth_key.k"),
            attributes: key_attrs(Some("c")),
            depose_current: false,
            keep_previous: None,
        },
        Step::CreateClient {
            address: addr("tailnet.t.oauth_client.c"),
            attributes: ClientAttributes {
                description: String::new(),
                scopes: vec!["auth_keys".into()],
                tags: vec!["tag:a".into()],
            },
            depose_current: false,
        },
        Step::WritePolicy {
            address: addr("tailnet.t.policy"),
            write: PolicyWrite::MergeIntoDefault {
                tag_owners: Default::default(),
            },
            managed: ManagedPolicy::TagOwners(Default::default()),
        },
        Step::CreateTailnet {
            address: addr("tailnet.t"),
            display_name: "t".into(),
            prevent_destroy: true,
            replacing: false,
        },
    ];
    let created_by = BTreeMap::from([(
        addr("tailnet.t.auth_key.k"),
        addr("tailnet.t.oauth_client.c"),
    )]);
    let g = StepGraph::build(steps, &created_by);
    let t = position(&g, |s| matches!(s, Step::CreateTailnet { .. }));
    let p = position(&g, |s| matches!(s, Step::WritePolicy { .. }));
    let c = position(&g, |s| matches!(s, Step::CreateClient { .. }));
    let k = position(&g, |s| matches!(s, Step::CreateKey { .. }));
    assert!(t < p && p < c && c < k, "{t} {p} {c} {k}");
    let key = g
        .steps()
        .find(|(_, s)| matches!(s, Step::CreateKey { .. }))
        .unwrap()
        .0;
    assert_eq!(g.dependencies(key).count(), 3);
}

#[test]
fn deletes_run_in_reverse_and_replacements_create_first() {
    let steps = vec![
        Step::DeleteTailnet {
            address: addr("tailnet.t"),
            target: Target::Current("T1".into()),
        },
        Step::DeleteClient {
            address: addr("tailnet.t.oauth_client.c"),
            target: Target::Current("k1".into()),
        },
        Step::DeleteKey {
            address: addr("tailnet.t.auth_key.k"),
            target: Target::Current("k2".into()),
        },
        Step::DeleteKey {
            address: addr("tailnet.u.auth_key.r"),
            target: Target::Deposed("k3".into()),
        },
        Step::CreateKey {
            address: addr("tailnet.u.auth_key.r"),
            attributes: key_attrs(None),
            depose_current: true,
            keep_previous: None,
        },
    ];
    let created_by = BTreeMap::from([(
        addr("tailnet.t.auth_key.k"),
        addr("tailnet.t.oauth_client.c"),
    )]);
    let g = StepGraph::build(steps, &created_by);
    let tk = position(&g, |s| {
        matches!(
            s,
            Step::DeleteKey {
                target: Target::Current(_),
                ..
            }
        )
    });
    let tc = position(&g, |s| matches!(s, Step::DeleteClient { .. }));
    let tt = position(&g, |s| matches!(s, Step::DeleteTailnet { .. }));
    assert!(tk < tc && tc < tt);
    let new = position(&g, |s| matches!(s, Step::CreateKey { .. }));
    let old = position(&g, |s| {
        matches!(
            s,
            Step::DeleteKey {
                target: Target::Deposed(_),
                ..
            }
        )
    });
    assert!(new < old);
    // Different tailnets are independent.
    let create = g
        .steps()
        .find(|(_, s)| matches!(s, Step::CreateKey { .. }))
        .unwrap()
        .0;
    assert_eq!(g.dependencies(create).count(), 0);
}

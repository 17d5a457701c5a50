//! Diff rule tests: one behaviour per test, asserting the whole list of changes (action, address,
//! reason) and, where order matters, the executable order of the steps.

use jiff::SignedDuration;

use super::fixture::*;
use super::*;
use crate::live::LiveTailnet;
use crate::model::{
    Duration, Name, Policy, PolicyFile, RecreateIfInvalid, TagOwner, TailnetKind, TailnetRef,
};

fn opts() -> PlanOptions {
    PlanOptions {
        max_tailnets: 10,
        ..PlanOptions::default()
    }
}

/// `action address [deposed] (reason)` for every change that is not a no-op.
fn lines(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            let mut s = format!("{:?} {}", c.action, c.address);
            if let Some(d) = &c.deposed {
                s.push_str(&format!(" deposed {d}"));
            }
            if let Some(r) = &c.reason {
                s.push_str(&format!(" ({})", r.json_name()));
            }
            s
        })
        .collect()
}

fn order(plan: &Plan) -> Vec<String> {
    plan.graph
        .order()
        .into_iter()
        .map(|n| plan.graph.step(n).describe())
        .collect()
}

fn quickstart() -> crate::model::Desired {
    let t = tailnet("acme");
    let t = with_client(
        t,
        client("ci", &["auth_keys", "devices:core"], &["tag:ci", "tag:web"]),
    );
    let t = with_key(t, key("web", &["tag:web"]));
    let mut deploy = key("deploy", &["tag:web"]);
    deploy.created_by = Some(name("ci"));
    let t = with_key(t, deploy);
    desired(vec![t])
}

#[test]
fn from_nothing_creates_everything_in_dependency_order() {
    let d = quickstart();
    let plan = diff(&d, &State::new(), &empty_live(), &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Create tailnet.acme",
            "Create tailnet.acme.policy",
            "Create tailnet.acme.oauth_client.ci",
            "Create tailnet.acme.auth_key.deploy",
            "Create tailnet.acme.auth_key.web",
        ]
    );
    let order = order(&plan);
    assert_eq!(order[0], "create tailnet tailnet.acme");
    assert_eq!(order[1], "write policy tailnet.acme.policy");
    let client = order
        .iter()
        .position(|s| s.contains("oauth_client.ci"))
        .unwrap();
    let deploy = order
        .iter()
        .position(|s| s.contains("auth_key.deploy"))
        .unwrap();
    assert!(client < deploy, "{order:?}");
    let s = plan.summary();
    assert_eq!((s.add, s.change, s.destroy), (5, 0, 0));
    // The tags are defined automatically; the createdBy key's subset of its client's tags is
    // self-owned so the client may mint it.
    let policy = plan
        .changes
        .iter()
        .find(|c| c.address == addr("tailnet.acme.policy"))
        .unwrap();
    assert_eq!(
        policy.after.as_ref().unwrap()["tagOwners"],
        serde_json::json!({"tag:ci": [], "tag:web": ["tag:web"]})
    );
}

#[test]
fn converged_state_has_no_changes() {
    let d = quickstart();
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), Vec::<String>::new());
    assert!(!plan.has_changes());
    assert!(plan.graph.is_empty());
}

#[test]
fn revoked_reusable_key_is_recreated_without_a_delete() {
    let d = quickstart();
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    contents(&mut live, "acme").keys.remove("k-web");
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Replace tailnet.acme.auth_key.web (replace_because_missing)"]
    );
    assert_eq!(order(&plan), ["create auth key tailnet.acme.auth_key.web"]);
}

#[test]
fn used_one_off_key_is_left_alone_under_auto_and_replaced_under_always() {
    let mut d = quickstart();
    let t = d.tailnets.get_mut(&name("acme")).unwrap();
    t.auth_keys.get_mut(&name("web")).unwrap().reusable = false;
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    contents(&mut live, "acme")
        .keys
        .get_mut("k-web")
        .unwrap()
        .invalid = true;
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), Vec::<String>::new());
    let web = plan
        .changes
        .iter()
        .find(|c| c.address == addr("tailnet.acme.auth_key.web"))
        .unwrap();
    assert!(
        web.notes[0].contains("one-off keys are not recreated"),
        "{:?}",
        web.notes
    );

    let t = d.tailnets.get_mut(&name("acme")).unwrap();
    t.auth_keys
        .get_mut(&name("web"))
        .unwrap()
        .recreate_if_invalid = RecreateIfInvalid::Always;
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Replace tailnet.acme.auth_key.web (replace_because_invalid)"]
    );
}

#[test]
fn never_recreate_warns() {
    let mut d = quickstart();
    let t = d.tailnets.get_mut(&name("acme")).unwrap();
    t.auth_keys
        .get_mut(&name("web"))
        .unwrap()
        .recreate_if_invalid = RecreateIfInvalid::Never;
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    contents(&mut live, "acme").keys.remove("k-web");
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), Vec::<String>::new());
    assert_eq!(plan.warnings.len(), 1);
    assert!(plan.warnings[0].contains("recreateIfInvalid is never"));
}

#[test]
fn rotation_creates_the_new_key_before_revoking_the_old() {
    let d = quickstart();
    // Created 61 days ago with a 90-day expiry: 29 days left < rotateBefore 30d.
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24 * 61));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Replace tailnet.acme.auth_key.deploy (replace_because_expiring)",
            "Replace tailnet.acme.auth_key.web (replace_because_expiring)",
        ]
    );
    let order = order(&plan);
    let create = order
        .iter()
        .position(|s| s == "create auth key tailnet.acme.auth_key.web")
        .unwrap();
    let revoke = order
        .iter()
        .position(|s| s == "revoke previous auth key tailnet.acme.auth_key.web")
        .unwrap();
    assert!(create < revoke, "{order:?}");
    assert_eq!(plan.summary().rotate, 2);
}

#[test]
fn rotation_disabled_by_zero_window() {
    let mut d = quickstart();
    for k in d
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .auth_keys
        .values_mut()
    {
        k.rotate_before = Duration::ZERO;
    }
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24 * 89));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), Vec::<String>::new());
}

#[test]
fn keep_previous_defers_the_revoke_until_the_window_passes() {
    let mut d = quickstart();
    let web = d
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .auth_keys
        .get_mut(&name("web"))
        .unwrap();
    web.keep_previous = Some(Duration::from_days(2));
    web.tags = tags(&["tag:ci"]);
    let (state, live) = converged(&quickstart(), now() - SignedDuration::from_hours(24));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    // `tag:ci` is already defined (the client uses it): no policy write. The previous key is not
    // revoked in this apply (keepPrevious).
    assert_eq!(
        lines(&plan),
        ["Replace tailnet.acme.auth_key.web (replace_because_cannot_update)"]
    );
    assert_eq!(order(&plan), ["create auth key tailnet.acme.auth_key.web"]);
    let web = plan
        .changes
        .iter()
        .find(|c| c.address == addr("tailnet.acme.auth_key.web"))
        .unwrap();
    assert_eq!(web.replace_paths, ["tags"]);
    assert!(
        plan.graph
            .steps()
            .all(|(_, s)| !matches!(s, Step::DeleteKey { .. }))
    );
}

#[test]
fn deposed_key_is_revoked_once_its_window_passed() {
    let d = quickstart();
    let (mut state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    let address = addr("tailnet.acme.auth_key.web");
    let Some(crate::state::Record::AuthKey(rec)) = state.resources.get_mut(&address) else {
        panic!()
    };
    rec.deposed.push(crate::state::Deposed {
        id: "k-old".into(),
        revoke_after: Some(now() + SignedDuration::from_hours(1)),
    });
    let attrs = rec.attributes.clone();
    contents(&mut live, "acme").keys.insert(
        "k-old".into(),
        live_auth_key(
            "k-old",
            &attrs,
            now(),
            now() + SignedDuration::from_hours(99),
        ),
    );
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), Vec::<String>::new());
    let kept = plan
        .changes
        .iter()
        .find(|c| c.deposed.as_deref() == Some("k-old"))
        .unwrap();
    assert!(
        kept.notes[0].contains("stays valid until"),
        "{:?}",
        kept.notes
    );

    live.now = now() + SignedDuration::from_hours(2);
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Delete tailnet.acme.auth_key.web deposed k-old (delete_because_deposed)"]
    );
}

#[test]
fn key_attribute_change_replaces_with_paths() {
    let mut d = quickstart();
    let web = d
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .auth_keys
        .get_mut(&name("web"))
        .unwrap();
    web.expiry = Duration::from_days(30);
    web.preauthorized = true;
    let (state, live) = converged(&quickstart(), now() - SignedDuration::from_hours(24));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    let web = plan
        .changes
        .iter()
        .find(|c| c.address == addr("tailnet.acme.auth_key.web"))
        .unwrap();
    assert_eq!(web.action, Action::Replace);
    assert_eq!(web.replace_paths, ["preauthorized", "expiry"]);
    assert_eq!(
        order(&plan),
        [
            "create auth key tailnet.acme.auth_key.web",
            "revoke previous auth key tailnet.acme.auth_key.web"
        ]
    );
}

#[test]
fn client_scope_change_is_an_in_place_update() {
    let mut d = quickstart();
    let t = d.tailnets.get_mut(&name("acme")).unwrap();
    *t.oauth_clients.get_mut(&name("ci")).unwrap() = client(
        "ci",
        &["auth_keys", "devices:core", "policy_file:read"],
        &["tag:ci", "tag:web"],
    );
    let (state, live) = converged(&quickstart(), now() - SignedDuration::from_hours(24));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), ["Update tailnet.acme.oauth_client.ci"]);
    assert_eq!(
        order(&plan),
        ["update OAuth client tailnet.acme.oauth_client.ci"]
    );
}

#[test]
fn client_changed_outside_is_drift() {
    let d = quickstart();
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    if let crate::live::LiveKeyKind::Client { scopes, .. } = &mut contents(&mut live, "acme")
        .keys
        .get_mut("k-ci")
        .unwrap()
        .kind
    {
        scopes.push("dns".into());
    }
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Update tailnet.acme.oauth_client.ci (update_because_changed_outside)"]
    );
    let refresh = diff(
        &d,
        &state,
        &live,
        &PlanOptions {
            refresh_only: true,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        lines(&refresh),
        ["Read tailnet.acme.oauth_client.ci (update_because_changed_outside)"]
    );
    assert!(refresh.graph.is_empty());
}

#[test]
fn removing_a_tailnet_is_guarded_by_prevent_destroy() {
    let d = quickstart();
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let empty = desired(vec![]);
    let errs = diff(
        &empty,
        &state,
        &live,
        &PlanOptions {
            allow_destroy: true,
            ..opts()
        },
    )
    .unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].address, addr("tailnet.acme"));
    assert_eq!(
        errs[0].message,
        "this tailnet would be deleted, but `preventDestroy` protects it"
    );

    let mut unprotected = quickstart();
    unprotected
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .prevent_destroy = false;
    let (state, live) = converged(&unprotected, now() - SignedDuration::from_hours(24));
    let errs = diff(&empty, &state, &live, &opts()).unwrap_err();
    assert_eq!(
        errs[0].message,
        "this tailnet would be deleted; that needs --allow-destroy"
    );

    let plan = diff(
        &empty,
        &state,
        &live,
        &PlanOptions {
            allow_destroy: true,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Delete tailnet.acme (delete_because_no_resource_config)",
            "Forget tailnet.acme.policy (delete_because_no_resource_config)",
            "Delete tailnet.acme.oauth_client.ci (delete_because_no_resource_config)",
            "Delete tailnet.acme.auth_key.deploy (delete_because_no_resource_config)",
            "Delete tailnet.acme.auth_key.web (delete_because_no_resource_config)",
        ]
    );
    let order = order(&plan);
    assert_eq!(order.last().unwrap(), "delete tailnet tailnet.acme");
    let deploy = order
        .iter()
        .position(|s| s.contains("auth_key.deploy"))
        .unwrap();
    let ci = order
        .iter()
        .position(|s| s.contains("oauth_client.ci"))
        .unwrap();
    assert!(
        deploy < ci,
        "keys before the client that created them: {order:?}"
    );
}

#[test]
fn prevent_destroy_change_is_recorded_without_an_api_call() {
    let d = quickstart();
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let mut relaxed = quickstart();
    relaxed
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .prevent_destroy = false;
    let plan = diff(&relaxed, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), ["Update tailnet.acme"]);
    assert_eq!(order(&plan), ["record settings of tailnet.acme"]);
}

#[test]
fn same_display_name_live_but_untracked_points_at_import() {
    let d = quickstart();
    let mut live = empty_live();
    live.org_tailnets
        .as_mut()
        .unwrap()
        .push(crate::live::OrgTailnet {
            id: "T999".into(),
            display_name: "ACME".into(),
            created_at: None,
        });
    let errs = diff(&d, &State::new(), &live, &opts()).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(
        errs[0].message,
        "a tailnet named `acme` already exists (T999) but the state does not track it at this address"
    );
    assert_eq!(
        errs[0].hint.as_deref(),
        Some("adopt it with `tailform import tailnet.acme T999`, or choose another displayName")
    );
}

#[test]
fn tailnet_deleted_outside_is_recreated_with_everything_in_it() {
    let d = quickstart();
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    live.tailnets.insert(name("acme"), LiveTailnet::Gone);
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Create tailnet.acme (replace_because_missing)",
            "Create tailnet.acme.policy",
            "Replace tailnet.acme.oauth_client.ci (replace_because_tailnet_recreated)",
            "Replace tailnet.acme.auth_key.deploy (replace_because_tailnet_recreated)",
            "Replace tailnet.acme.auth_key.web (replace_because_tailnet_recreated)",
        ]
    );
    assert!(plan.graph.steps().all(|(_, s)| !s.is_destructive()));
}

#[test]
fn renaming_a_tailnet_replaces_it_and_deletes_the_old_one_last() {
    let mut d = quickstart();
    d.tailnets.get_mut(&name("acme")).unwrap().prevent_destroy = false;
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    d.tailnets.get_mut(&name("acme")).unwrap().kind = TailnetKind::Created {
        display_name: crate::model::DisplayName::parse("Acme Two").unwrap(),
    };
    let errs = diff(&d, &state, &live, &opts()).unwrap_err();
    assert_eq!(
        errs[0].message,
        "this tailnet would be replaced; that needs --allow-destroy"
    );
    let plan = diff(
        &d,
        &state,
        &live,
        &PlanOptions {
            allow_destroy: true,
            ..opts()
        },
    )
    .unwrap();
    assert_eq!(
        lines(&plan)[0],
        "Replace tailnet.acme (replace_because_cannot_update)"
    );
    let order = order(&plan);
    assert_eq!(order.first().unwrap(), "create tailnet tailnet.acme");
    assert_eq!(
        order.last().unwrap(),
        "delete previous tailnet tailnet.acme"
    );
}

/// Issue 18, bug 1: a replaced tailnet's successor is created before the old one is deleted,
/// so the organization holds both for a while. With `--max-tailnets 2` (the original tailnet and
/// `acme`) a rename used to plan cleanly and then fail on every apply with "organization has
/// reached its limit".
#[test]
fn issue_18_a_tailnet_replace_needs_room_for_both_copies() {
    let mut d = quickstart();
    d.tailnets.get_mut(&name("acme")).unwrap().prevent_destroy = false;
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    assert_eq!(live.org_tailnets.as_ref().unwrap().len(), 2);
    d.tailnets.get_mut(&name("acme")).unwrap().kind = TailnetKind::Created {
        display_name: crate::model::DisplayName::parse("Acme Two").unwrap(),
    };
    let at_cap = PlanOptions {
        allow_destroy: true,
        max_tailnets: 2,
        ..opts()
    };
    let errs = diff(&d, &state, &live, &at_cap).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert_eq!(errs[0].address, addr("tailnet.acme"));
    assert_eq!(
        errs[0].message,
        "the organization would have 3 tailnets (it has 2 now), above its cap of 2"
    );
    let room = PlanOptions {
        max_tailnets: 3,
        ..at_cap
    };
    assert_eq!(
        lines(&diff(&d, &state, &live, &room).unwrap())[0],
        "Replace tailnet.acme (replace_because_cannot_update)"
    );
}

fn file_policy(text: &str) -> Policy {
    Policy::File(PolicyFile {
        path: "policy.hujson".into(),
        text: text.into(),
        value: crate::policy_doc::parse(text).unwrap(),
    })
}

#[test]
fn policy_file_change_is_a_diffed_update_and_reformatting_is_not() {
    let original = "{\"tagOwners\": {\"tag:ci\": [], \"tag:web\": []}, \"grants\": []}";
    let mut d = quickstart();
    d.tailnets.get_mut(&name("acme")).unwrap().policy = Some(file_policy(original));
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));

    // Same meaning, different formatting, comments and key order: no change.
    let reformatted = "// our policy\n{\n  \"grants\": [],\n  \"TagOwners\": {\"tag:web\": [], \"tag:ci\": [],},\n}\n";
    d.tailnets.get_mut(&name("acme")).unwrap().policy = Some(file_policy(reformatted));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), Vec::<String>::new());

    let changed = "{\"tagOwners\": {\"tag:ci\": [], \"tag:web\": [\"tag:ci\"]}, \"grants\": []}";
    d.tailnets.get_mut(&name("acme")).unwrap().policy = Some(file_policy(changed));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), ["Update tailnet.acme.policy"]);
    let change = plan
        .changes
        .iter()
        .find(|c| c.address == addr("tailnet.acme.policy"))
        .unwrap();
    let diff_text = change.diff.as_deref().unwrap();
    assert!(diff_text.contains("-    \"tag:web\": []"), "{diff_text}");
    assert!(
        diff_text.contains("+    \"tag:web\": [\n+      \"tag:ci\"\n+    ]"),
        "{diff_text}"
    );
    let step = plan.graph.steps().next().unwrap().1;
    let Step::WritePolicy {
        write: PolicyWrite::Text { text, if_match },
        ..
    } = step
    else {
        panic!("{step:?}")
    };
    assert_eq!(text, changed);
    assert_eq!(if_match.as_deref(), Some("etag-1"));
}

#[test]
fn policy_edited_outside_tailform_is_drift() {
    let original = "{\"tagOwners\": {\"tag:ci\": [], \"tag:web\": []}}";
    let mut d = quickstart();
    d.tailnets.get_mut(&name("acme")).unwrap().policy = Some(file_policy(original));
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    let edited = "{\"tagOwners\": {\"tag:ci\": [], \"tag:web\": [], \"tag:x\": []}}";
    let policy = &mut contents(&mut live, "acme").policy;
    policy.text = edited.into();
    policy.value = crate::policy_doc::parse(edited).unwrap();
    policy.etag = Some("etag-2".into());
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Update tailnet.acme.policy (update_because_changed_outside)"]
    );
}

#[test]
fn tag_owners_are_merged_keeping_the_rest_of_the_live_policy() {
    let mut d = quickstart();
    let owners = [("tag:ci", vec![]), ("tag:web", vec!["tag:ci"])]
        .into_iter()
        .map(|(t, o)| {
            (
                crate::model::Tag::parse(t).unwrap(),
                o.into_iter().map(|x| TagOwner::parse(x).unwrap()).collect(),
            )
        })
        .collect();
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    let hand_edited = "// hand-written\n{\"grants\": [], \"tagOwners\": {\"tag:ci\": [], \"tag:web\": [\"tag:web\"], \"tag:other\": []}}";
    let policy = &mut contents(&mut live, "acme").policy;
    policy.text = hand_edited.into();
    policy.value = crate::policy_doc::parse(hand_edited).unwrap();
    d.tailnets.get_mut(&name("acme")).unwrap().policy = Some(Policy::TagOwners(owners));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(lines(&plan), ["Update tailnet.acme.policy"]);
    let step = plan.graph.steps().next().unwrap().1;
    let Step::WritePolicy {
        write: PolicyWrite::Text { text, .. },
        ..
    } = step
    else {
        panic!("{step:?}")
    };
    assert!(text.starts_with("// hand-written"), "{text}");
    let owners = crate::policy_doc::tag_owners(&crate::policy_doc::parse(text).unwrap());
    assert_eq!(owners["tag:web"], ["tag:ci"]);
    assert!(
        owners.contains_key("tag:other"),
        "entries tailform does not manage stay"
    );
}

#[test]
fn existing_tailnet_without_policy_needs_its_tags_defined() {
    let mut t = tailnet("corp");
    t.kind = TailnetKind::Existing(TailnetRef::Own);
    let t = with_key(t, key("web", &["tag:web", "tag:db"]));
    let d = desired(vec![t]);
    let (state, mut live) = converged(&d, now());
    let text = "{\"tagOwners\": {\"tag:web\": []}}";
    let policy = &mut contents(&mut live, "corp").policy;
    policy.text = text.into();
    policy.value = crate::policy_doc::parse(text).unwrap();
    let errs = diff(&d, &state, &live, &opts()).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].address, addr("tailnet.corp.auth_key.web"));
    assert_eq!(
        errs[0].message,
        "tag `tag:db` is not defined in the tailnet's policy file"
    );
    assert!(
        errs[0].to_string().starts_with("tailform.yaml:1:1: "),
        "{}",
        errs[0]
    );
}

#[test]
fn removed_key_and_client_are_deleted() {
    let d = quickstart();
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let mut smaller = quickstart();
    let t = smaller.tailnets.get_mut(&name("acme")).unwrap();
    t.auth_keys.remove(&name("deploy"));
    t.auth_keys.remove(&name("web"));
    t.oauth_clients.clear();
    let plan = diff(&smaller, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Update tailnet.acme.policy",
            "Delete tailnet.acme.oauth_client.ci (delete_because_no_resource_config)",
            "Delete tailnet.acme.auth_key.deploy (delete_because_no_resource_config)",
            "Delete tailnet.acme.auth_key.web (delete_because_no_resource_config)",
        ]
    );
}

#[test]
fn replace_by_request_and_its_errors() {
    let d = quickstart();
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let o = PlanOptions {
        replace: vec![addr("tailnet.acme.auth_key.web")],
        ..opts()
    };
    let plan = diff(&d, &state, &live, &o).unwrap();
    assert_eq!(
        lines(&plan),
        ["Replace tailnet.acme.auth_key.web (replace_by_request)"]
    );
    let o = PlanOptions {
        replace: vec![
            addr("tailnet.acme.auth_key.nope"),
            addr("tailnet.acme.policy"),
        ],
        ..opts()
    };
    let errs = diff(&d, &state, &live, &o).unwrap_err();
    let messages: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "cannot replace it: it is not in the state, so there is nothing to replace",
            "cannot replace it: a policy cannot be replaced; it is updated in place",
        ]
    );
}

#[test]
fn an_unknown_target_or_replace_is_an_error_naming_the_closest_address() {
    let d = quickstart();
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let o = PlanOptions {
        targets: vec![
            addr("tailnet.acme.auth_key.wbe"),
            addr("tailnet.acme.auth_key.web"),
            addr("tailnet.acme.policy"),
            addr("tailnet.zzz.oauth_client.qqqqqq"),
        ],
        replace: vec![addr("tailnet.acme.oauth_client.cii")],
        ..opts()
    };
    let errs = diff(&d, &state, &live, &o).unwrap_err();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "`tailnet.acme.oauth_client.cii`: cannot replace it: it is not in the state, so \
             there is nothing to replace\n  hint: did you mean `tailnet.acme.oauth_client.ci`?",
            "`tailnet.acme.auth_key.wbe`: cannot target it: it is neither in the manifests nor \
             in the state\n  hint: did you mean `tailnet.acme.auth_key.web`?",
            "`tailnet.zzz.oauth_client.qqqqqq`: cannot target it: it is neither in the manifests \
             nor in the state",
        ]
    );
}

#[test]
fn target_limits_to_the_address_and_its_dependencies() {
    let d = quickstart();
    let o = PlanOptions {
        targets: vec![addr("tailnet.acme.auth_key.deploy")],
        ..opts()
    };
    let plan = diff(&d, &State::new(), &empty_live(), &o).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Create tailnet.acme",
            "Create tailnet.acme.policy",
            "Create tailnet.acme.oauth_client.ci",
            "Create tailnet.acme.auth_key.deploy",
        ]
    );
    assert_eq!(plan.warnings.len(), 1);
}

#[test]
fn tailnet_cap_counts_the_live_organization() {
    let d = desired((0..3).map(|i| tailnet(&format!("t{i}"))).collect());
    let mut live = empty_live();
    for i in 0..7 {
        live.org_tailnets
            .as_mut()
            .unwrap()
            .push(crate::live::OrgTailnet {
                id: format!("T{i}"),
                display_name: format!("other {i}"),
                created_at: None,
            });
    }
    let errs = diff(&d, &State::new(), &live, &opts()).unwrap_err();
    assert_eq!(
        errs[0].message,
        "the organization would have 11 tailnets (it has 8 now), above its cap of 10"
    );
}

#[test]
fn untracked_live_keys_are_counted_and_left_alone() {
    let d = quickstart();
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        plan.unmanaged, 0,
        "the bootstrap client belongs to the tailnet's record"
    );
    let stranger = live_auth_key(
        "k-stranger",
        &super::view::key_attributes(&key("x", &["tag:web"])),
        now(),
        now() + SignedDuration::from_hours(5),
    );
    contents(&mut live, "acme")
        .keys
        .insert("k-stranger".into(), stranger);
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(plan.unmanaged, 1);
    assert_eq!(plan.summary().unmanaged, 1);
    assert!(!plan.has_changes());
    assert!(plan.graph.is_empty());
    assert!(Name::parse("acme").is_ok());
}

/// FIDELITY-2 §1 #7: every token tailform mints is listed as `keyType: "api"`; those are not
/// "unmanaged keys" (the count would grow by one per client, tailnet and hour).
#[test]
fn access_tokens_are_not_counted_as_unmanaged_keys() {
    let d = quickstart();
    let (state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    for id in ["k-token-1", "k-token-2"] {
        contents(&mut live, "acme").keys.insert(
            id.into(),
            crate::live::LiveKey {
                id: id.into(),
                kind: crate::live::LiveKeyKind::AccessToken,
                description: String::new(),
                created: Some(now()),
                invalid: false,
            },
        );
    }
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(plan.unmanaged, 0);
    assert!(!plan.has_changes());
}

fn intent(
    address: &str,
    tailnet_id: Option<&str>,
    fingerprint: serde_json::Value,
) -> crate::state::Intent {
    crate::state::Intent {
        holder: None,
        id: uuid::Uuid::new_v4(),
        address: addr(address),
        tailnet_id: tailnet_id.map(str::to_owned),
        fingerprint,
        started: now() - SignedDuration::from_secs(30),
    }
}

fn web_fingerprint() -> serde_json::Value {
    serde_json::json!({"keyType": "auth", "description": "", "reusable": true, "ephemeral": false,
        "preauthorized": false, "tags": ["tag:web"], "expirySeconds": 7_776_000})
}

#[test]
fn an_interrupted_key_create_revokes_the_orphan_before_creating_again() {
    let d = quickstart();
    let (mut state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    // The create of `web` reached the API, but the crash lost the response: no record.
    let web = addr("tailnet.acme.auth_key.web");
    let crate::state::Record::AuthKey(rec) = state.resources.remove(&web).unwrap() else {
        panic!()
    };
    let orphan_id = rec.id.clone();
    contents(&mut live, "acme")
        .keys
        .get_mut(&orphan_id)
        .unwrap()
        .created = Some(now() - SignedDuration::from_secs(20));
    state.pending.push(intent(
        "tailnet.acme.auth_key.web",
        Some("T-acme"),
        web_fingerprint(),
    ));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        [
            "Create tailnet.acme.auth_key.web",
            "Delete tailnet.acme.auth_key.web deposed k-web (delete_because_orphan_from_interrupted_apply)",
        ]
    );
    assert_eq!(plan.unmanaged, 0, "the orphan is not counted as unmanaged");
    let order = order(&plan);
    assert_eq!(order.len(), 3, "{order:?}");
    assert_eq!(
        order[0],
        "revoke orphaned auth key tailnet.acme.auth_key.web"
    );
    assert!(
        order.contains(&"clear the interrupted create of tailnet.acme.auth_key.web".to_owned())
    );
    assert!(order.contains(&"create auth key tailnet.acme.auth_key.web".to_owned()));
}

/// `count` keys with identical attributes (`w0`, `w1`, …), converged, then each one's record
/// dropped and replaced by a pending intent: `count` live orphans, `count` indistinguishable
/// intents. Returns the orphans' ids.
fn identical_interrupted_keys(
    count: usize,
    intents: usize,
) -> (crate::model::Desired, State, crate::live::Live, Vec<String>) {
    let mut t = tailnet("acme");
    for i in 0..count {
        t = with_key(t, key(&format!("w{i}"), &["tag:web"]));
    }
    let d = desired(vec![t]);
    let (mut state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    let mut orphans = Vec::new();
    for i in 0..count {
        let address = addr(&format!("tailnet.acme.auth_key.w{i}"));
        let Some(crate::state::Record::AuthKey(rec)) = state.resources.remove(&address) else {
            panic!("w{i} is converged")
        };
        contents(&mut live, "acme")
            .keys
            .get_mut(&rec.id)
            .unwrap()
            .created = Some(now() - SignedDuration::from_secs(20));
        orphans.push(rec.id);
    }
    for i in 0..intents {
        state.pending.push(intent(
            &format!("tailnet.acme.auth_key.w{}", i % count),
            Some("T-acme"),
            web_fingerprint(),
        ));
    }
    (d, state, live, orphans)
}

/// The ids the plan's steps revoke as orphans, one entry per step.
fn orphan_revokes(plan: &Plan) -> Vec<String> {
    let mut ids: Vec<String> = plan
        .graph
        .order()
        .into_iter()
        .filter_map(|n| match plan.graph.step(n) {
            Step::DeleteKey {
                target: Target::Orphan(id),
                ..
            } => Some(id.clone()),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

/// Issue "No secret lost on any path", defect 6: with several in-flight creates of identical
/// attributes, each live orphan matched every intent (N×N deletes, orphans listed under several
/// addresses). Each orphan is now revoked and listed exactly once, one per intent.
#[test]
fn identical_interrupted_creates_revoke_each_orphan_exactly_once() {
    let (d, state, live, mut orphans) = identical_interrupted_keys(4, 4);
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    orphans.sort();
    assert_eq!(orphan_revokes(&plan), orphans, "{:?}", lines(&plan));
    let mut listed: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.reason == Some(Reason::Orphan))
        .map(|c| c.deposed.clone().unwrap())
        .collect();
    listed.sort();
    assert_eq!(listed, orphans, "each orphan is shown once");
    // One orphan under each intent's address (any one-to-one assignment would do; this one
    // pairs them in creation order).
    let mut addresses: Vec<String> = plan
        .changes
        .iter()
        .filter(|c| c.reason == Some(Reason::Orphan))
        .map(|c| c.address.to_string())
        .collect();
    addresses.dedup();
    assert_eq!(addresses.len(), 4, "{:?}", lines(&plan));
    let s = plan.summary();
    assert_eq!(
        (s.add, s.destroy, s.forget),
        (4, 4, 0),
        "{:?}",
        lines(&plan)
    );
    assert_eq!(plan.unmanaged, 0);
    let clears = order(&plan)
        .iter()
        .filter(|s| s.starts_with("clear the interrupted create of"))
        .count();
    assert_eq!(clears, 4);
}

/// More intents than live orphans (some creates never reached the API, or two intents for one
/// address from successive interrupted applies): each orphan once, the other intents cleared.
#[test]
fn surplus_identical_intents_are_cleared_not_matched_twice() {
    let (d, state, live, mut orphans) = identical_interrupted_keys(2, 5);
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    orphans.sort();
    assert_eq!(orphan_revokes(&plan), orphans, "{:?}", lines(&plan));
    let s = plan.summary();
    assert_eq!(
        (s.add, s.destroy, s.forget),
        (2, 2, 3),
        "{:?}",
        lines(&plan)
    );
}

/// More matching objects than intents: one create makes at most one object, so one of them is
/// not ours — but which cannot be told, and an orphan must never stay live: all are revoked,
/// each once.
#[test]
fn matching_objects_beyond_the_intents_are_still_revoked_once() {
    let (d, mut state, live, mut orphans) = identical_interrupted_keys(3, 3);
    state.pending.truncate(1);
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    orphans.sort();
    assert_eq!(orphan_revokes(&plan), orphans, "{:?}", lines(&plan));
}

#[test]
fn an_intent_that_never_reached_the_api_is_cleared() {
    let d = quickstart();
    let (mut state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    // Same attributes as the (tracked) web key, but nothing untracked matches.
    state.pending.push(intent(
        "tailnet.acme.auth_key.web",
        Some("T-acme"),
        web_fingerprint(),
    ));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Forget tailnet.acme.auth_key.web (forget_because_interrupted_create_not_found)"]
    );
    assert_eq!(
        order(&plan),
        ["clear the interrupted create of tailnet.acme.auth_key.web"]
    );
}

#[test]
fn objects_outside_the_window_or_with_other_attributes_are_not_orphans() {
    let d = quickstart();
    let (mut state, mut live) = converged(&d, now() - SignedDuration::from_hours(24));
    let stranger = live_auth_key(
        "k-other",
        &super::view::key_attributes(&key("x", &["tag:ci"])),
        now() - SignedDuration::from_secs(10),
        now() + SignedDuration::from_hours(5),
    );
    let mut old = live_auth_key(
        "k-old-web",
        &super::view::key_attributes(&key("x", &["tag:web"])),
        now() - SignedDuration::from_hours(3),
        now() + SignedDuration::from_hours(5),
    );
    old.description = String::new();
    contents(&mut live, "acme")
        .keys
        .insert("k-other".into(), stranger);
    contents(&mut live, "acme")
        .keys
        .insert("k-old-web".into(), old);
    state.pending.push(intent(
        "tailnet.acme.auth_key.web",
        Some("T-acme"),
        web_fingerprint(),
    ));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Forget tailnet.acme.auth_key.web (forget_because_interrupted_create_not_found)"]
    );
    assert_eq!(
        plan.unmanaged, 2,
        "both are someone else's keys, left untouched"
    );
}

#[test]
fn an_interrupted_tailnet_create_is_deleted_then_created_again_not_imported() {
    let d = quickstart();
    let mut live = empty_live();
    live.org_tailnets
        .as_mut()
        .unwrap()
        .push(crate::live::OrgTailnet {
            id: "T-orphan".into(),
            display_name: "acme".into(),
            created_at: Some(now() - SignedDuration::from_secs(5)),
        });
    let mut state = State::new();
    state.pending.push(intent(
        "tailnet.acme",
        None,
        serde_json::json!({"displayName": "acme"}),
    ));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan)[..2],
        [
            "Create tailnet.acme".to_owned(),
            "Delete tailnet.acme deposed T-orphan (delete_because_orphan_from_interrupted_apply)"
                .to_owned(),
        ]
    );
    let order = order(&plan);
    let delete = order
        .iter()
        .position(|s| s == "delete orphaned tailnet tailnet.acme")
        .unwrap();
    let create = order
        .iter()
        .position(|s| s == "create tailnet tailnet.acme")
        .unwrap();
    assert!(delete < create, "{order:?}");
    // Without the intent, the same live tailnet is someone else's: import, never a second create.
    let errs = diff(&d, &State::new(), &live, &opts()).unwrap_err();
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0]
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("tailform import tailnet.acme T-orphan"),
        "{errs:?}"
    );
}

#[test]
fn deliveries_follow_the_new_secret_and_precede_the_revoke() {
    let mut d = quickstart();
    let web = d
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .auth_keys
        .get_mut(&name("web"))
        .unwrap();
    web.deliver = vec![
        crate::model::Delivery::File {
            path: "web.key".into(),
        },
        crate::model::Delivery::Command {
            argv: vec!["vault".into(), "kv".into(), "put".into()],
        },
    ];
    let (mut state, live) = converged(&d, now() - SignedDuration::from_hours(24 * 61));
    // Both sinks had the current secret: rotation (61 days in) delivers the new one.
    if let Some(crate::state::Record::AuthKey(r)) =
        state.resources.get_mut(&addr("tailnet.acme.auth_key.web"))
    {
        r.delivered = vec![
            "file:./web.key".into(),
            "command:[\"vault\",\"kv\",\"put\"]".into(),
        ];
    }
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    let web = plan
        .changes
        .iter()
        .find(|c| c.address == addr("tailnet.acme.auth_key.web") && c.deposed.is_none())
        .unwrap();
    assert_eq!(
        web.notes,
        ["then delivered to file ./web.key, command `vault kv put`"]
    );
    let order: Vec<String> = order(&plan)
        .into_iter()
        .filter(|s| s.contains("auth_key.web"))
        .collect();
    assert_eq!(order[0], "create auth key tailnet.acme.auth_key.web");
    assert_eq!(
        order[3],
        "revoke previous auth key tailnet.acme.auth_key.web"
    );
    assert!(
        order[1..3]
            .iter()
            .all(|s| s.starts_with("deliver tailnet.acme.auth_key.web to ")),
        "{order:?}"
    );
}

#[test]
fn a_sink_without_the_current_secret_gets_it_without_a_new_key() {
    let mut d = quickstart();
    let web = d
        .tailnets
        .get_mut(&name("acme"))
        .unwrap()
        .auth_keys
        .get_mut(&name("web"))
        .unwrap();
    web.deliver = vec![crate::model::Delivery::File {
        path: "web.key".into(),
    }];
    let (state, live) = converged(&d, now() - SignedDuration::from_hours(24));
    let plan = diff(&d, &state, &live, &opts()).unwrap();
    assert_eq!(
        lines(&plan),
        ["Update tailnet.acme.auth_key.web (update_because_delivery_pending)"]
    );
    assert_eq!(
        order(&plan),
        ["deliver tailnet.acme.auth_key.web to file ./web.key"]
    );
}

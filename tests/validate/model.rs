//! What validation builds: the typed `Desired` state, with defaults applied, legacy scopes
//! expanded, origins at the map keys and policy files kept verbatim.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tailform::manifest::Sources;
use tailform::model::{
    Delivery, Duration, Name, Policy, RecreateIfInvalid, Scope, ScopeResource, Tag, TailnetKind,
    TailnetRef,
};
use tailform::validate::{Code, ValidateOptions, load_and_validate, validate};

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn tags(list: &[&str]) -> BTreeSet<Tag> {
    list.iter().map(|t| Tag::parse(t).unwrap()).collect()
}

fn from_text(text: &str) -> tailform::validate::Validated {
    let sources = Sources::from_texts(vec![(PathBuf::from("m.yaml"), text.to_owned())]).unwrap();
    validate(&sources, &ValidateOptions::default()).unwrap_or_else(|d| panic!("{d:#?}"))
}

#[test]
fn defaults_are_applied() {
    let v = from_text("tailnets:\n  acme:\n    authKeys:\n      web:\n        tags: [tag:web]\n");
    let t = &v.desired.tailnets[&name("acme")];
    assert!(t.prevent_destroy);
    assert_eq!(t.policy, None);
    let TailnetKind::Created { display_name } = &t.kind else {
        panic!("created")
    };
    assert_eq!(display_name.as_str(), "acme");
    let k = &t.auth_keys[&name("web")];
    assert_eq!(
        (k.reusable, k.ephemeral, k.preauthorized),
        (false, false, false)
    );
    assert_eq!(k.expiry, Duration::from_days(90));
    assert_eq!(k.rotate_before, Duration::from_days(30));
    assert_eq!(k.recreate_if_invalid, RecreateIfInvalid::Auto);
    assert_eq!(k.description.as_str(), "");
    assert_eq!(k.created_by, None);
    assert_eq!(k.keep_previous, None);
    assert_eq!(k.env_name, None);
    assert!(k.deliver.is_empty());
    assert_eq!(k.tags, tags(&["tag:web"]));
    assert_eq!((k.origin.line, k.origin.column), (4, 7));
    assert_eq!(k.origin.file.as_path(), std::path::Path::new("m.yaml"));
    assert!(v.warnings.is_empty());
}

#[test]
fn rotate_before_defaults_to_a_third_rounded_down_and_zero_disables() {
    let v = from_text(
        "tailnets:\n  a:\n    authKeys:\n      k:\n        tags: [tag:k]\n        expiry: 100s\n      z:\n        tags: [tag:k]\n        rotateBefore: 0\n",
    );
    let t = &v.desired.tailnets[&name("a")];
    assert_eq!(
        t.auth_keys[&name("k")].rotate_before,
        Duration::from_secs(33)
    );
    assert_eq!(t.auth_keys[&name("z")].rotate_before, Duration::ZERO);
}

#[test]
fn legacy_scopes_warn_and_expand() {
    let v = from_text(
        "tailnets:\n  a:\n    oauthClients:\n      c:\n        scopes: [devices, dns:read]\n        tags: [tag:c]\n",
    );
    let c = &v.desired.tailnets[&name("a")].oauth_clients[&name("c")];
    assert_eq!(
        c.scopes.to_strings(),
        [
            "dns:read",
            "devices:core",
            "devices:posture_attributes",
            "auth_keys"
        ]
    );
    assert!(c.scopes.grants(&Scope::write(ScopeResource::AuthKeys)));
    assert_eq!(v.warnings.len(), 1);
    assert_eq!(v.warnings[0].code, Code::LegacyScope);
}

#[test]
fn every_field_reaches_the_model() {
    let v = load_and_validate(
        &["tests/fixtures/manifests/valid/anchors-and-every-field.yaml".into()],
        &ValidateOptions::default(),
    )
    .unwrap();
    let t = &v.desired.tailnets[&name("acme-prod")];
    assert!(!t.prevent_destroy);
    let TailnetKind::Created { display_name } = &t.kind else {
        panic!("created")
    };
    assert_eq!(display_name.as_str(), "Acme Prod's");
    let ci = &t.oauth_clients[&name("ci")];
    assert_eq!(ci.description.as_str(), "CI provisioning");
    assert_eq!(ci.tags, tags(&["tag:ci", "tag:web"]));
    assert_eq!(ci.env_name.as_ref().unwrap().as_str(), "CI_OAUTH");
    assert_eq!(
        ci.deliver,
        [Delivery::Command {
            argv: ["vault", "kv", "put", "secret/ci", "value=-"]
                .map(String::from)
                .to_vec()
        }]
    );
    let web = &t.auth_keys[&name("web")];
    assert_eq!(
        (web.reusable, web.ephemeral, web.preauthorized),
        (true, false, true)
    );
    assert_eq!(web.expiry, Duration::from_days(30));
    assert_eq!(web.rotate_before, Duration::ZERO);
    assert_eq!(web.recreate_if_invalid, RecreateIfInvalid::Always);
    assert_eq!(web.created_by, Some(name("ci")));
    assert_eq!(web.keep_previous, Some(Duration::from_secs(3600)));
    assert_eq!(
        web.deliver,
        [Delivery::File {
            path: "secrets/web.key".into()
        }]
    );
    let api = &t.auth_keys[&name("api")];
    assert_eq!(api.expiry, Duration::from_secs(129_600));
    assert_eq!(api.rotate_before, Duration::from_secs(43_200));
}

#[test]
fn existing_tailnets_and_tag_owners() {
    let v = load_and_validate(
        &["examples/existing-tailnet.yaml".into()],
        &ValidateOptions::default(),
    )
    .unwrap();
    let t = &v.desired.tailnets[&name("home")];
    assert_eq!(t.kind, TailnetKind::Existing(TailnetRef::Own));
    let Some(Policy::TagOwners(owners)) = &t.policy else {
        panic!("tagOwners policy")
    };
    let server = &owners[&Tag::parse("tag:server").unwrap()];
    assert_eq!(
        server.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
        ["tag:deployer"]
    );
    assert_eq!(owners.len(), 3);
}

#[test]
fn policy_files_are_kept_verbatim_and_parsed() {
    let v = load_and_validate(
        &["examples/policy-file".into()],
        &ValidateOptions::default(),
    )
    .unwrap();
    let t = &v.desired.tailnets[&name("staging")];
    let Some(Policy::File(file)) = &t.policy else {
        panic!("file policy")
    };
    assert_eq!(
        file.path,
        PathBuf::from("examples/policy-file/policy.hujson")
    );
    assert_eq!(
        file.text,
        std::fs::read_to_string("examples/policy-file/policy.hujson").unwrap()
    );
    assert_eq!(
        file.value["tagOwners"]["tag:build"],
        serde_json::json!(["tag:ci"])
    );
    assert_eq!(
        t.policy.as_ref().unwrap().defined_tags(),
        tags(&["tag:build", "tag:ci", "tag:db"])
    );
}

#[test]
fn every_example_validates_without_warnings() {
    let examples = [
        ("examples/quickstart.yaml", (1, 1, 2)),
        ("examples/existing-tailnet.yaml", (1, 1, 2)),
        ("examples/policy-file", (1, 1, 2)),
        ("examples/multi-tenant", (3, 3, 3)),
    ];
    for (path, (tailnets, clients, keys)) in examples {
        let v = load_and_validate(&[path.into()], &ValidateOptions::default())
            .unwrap_or_else(|d| panic!("{path}: {d:#?}"));
        assert!(v.warnings.is_empty(), "{path}: {:#?}", v.warnings);
        let d = &v.desired;
        let c: usize = d.tailnets.values().map(|t| t.oauth_clients.len()).sum();
        let k: usize = d.tailnets.values().map(|t| t.auth_keys.len()).sum();
        assert_eq!(
            (d.tailnets.len(), c, k),
            (tailnets, clients, keys),
            "{path}"
        );
    }
}

#[test]
fn the_cap_follows_max_tailnets() {
    let path = PathBuf::from("tests/fixtures/manifests/invalid/tailnet-cap.yaml");
    assert!(
        load_and_validate(
            std::slice::from_ref(&path),
            &ValidateOptions { max_tailnets: 12 }
        )
        .is_ok()
    );
    let err = load_and_validate(&[path], &ValidateOptions { max_tailnets: 11 }).unwrap_err();
    assert_eq!(err.len(), 1);
    assert_eq!(err[0].code, Code::TailnetCap);
    assert_eq!(err[0].path, "tailnets.t11");
}

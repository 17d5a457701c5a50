//! Policy rules (DESIGN §2 "Tags and the policy file", §5): the tags a tailnet's clients and
//! keys use are defined before they are used — automatically on tailnets tailform creates,
//! merged from `policy.tagOwners`, or the whole `policy.file`. Compared semantically (never a
//! formatting-only diff); shown as a unified diff; written with `If-Match`; drift when the
//! managed part changed outside tailform. On an existing tailnet whose policy tailform does not
//! manage, every used tag the live policy does not define is a plan error.

use std::collections::{BTreeMap, BTreeSet};

use crate::address::Address;
use crate::model::{Name, Policy, Scope, ScopeResource, Tailnet};
use crate::policy_doc;
use crate::state::{ManagedPolicy, PolicyRecord};

use super::view::policy_view;
use super::{Action, Change, Fate, PlanError, Planner, PolicyWrite, Reason, Step, Target};

/// `If-Match` value that matches only a tailnet's untouched default policy.
pub const TS_DEFAULT: &str = "ts-default";

/// The managed part a manifest asks for.
enum Wanted<'a> {
    TagOwners(BTreeMap<String, Vec<String>>),
    File(&'a crate::model::PolicyFile),
}

impl Planner<'_> {
    /// Plans `tailnet.<name>.policy`.
    pub(crate) fn plan_policy(&mut self, name: &Name, fate: Fate) {
        let address = Address::policy(name.clone());
        let record = self.state.policy(&address);
        let Some(tailnet) = self.desired.tailnets.get(name) else {
            if record.is_some() && matches!(fate, Fate::Deleted | Fate::Gone) {
                self.forget(&address, Reason::NoConfig);
            }
            return;
        };
        let wanted = match &tailnet.policy {
            Some(Policy::TagOwners(owners)) => Some(Wanted::TagOwners(
                owners
                    .iter()
                    .map(|(t, o)| (t.to_string(), o.iter().map(ToString::to_string).collect()))
                    .collect(),
            )),
            Some(Policy::File(file)) => Some(Wanted::File(file)),
            None if tailnet.is_created() => Some(Wanted::TagOwners(automatic_tag_owners(tailnet))),
            None => None,
        };
        match fate {
            Fate::Fresh | Fate::Replaced => {
                if let Some(wanted) = wanted {
                    self.policy_for_new_tailnet(&address, wanted);
                }
            }
            Fate::Keep | Fate::Existing => match wanted {
                Some(wanted) => self.policy_for_live_tailnet(&address, record, wanted),
                None => {
                    self.check_unmanaged_policy(name, tailnet);
                    if record.is_some() {
                        self.forget(&address, Reason::NoLongerManaged);
                    }
                }
            },
            Fate::Deleted | Fate::Gone | Fate::Blocked => {}
        }
    }

    fn forget(&mut self, address: &Address, reason: Reason) {
        self.push(
            Change::new(address.clone(), Action::Forget).reason(reason),
            [Step::Forget {
                address: address.clone(),
                target: Target::Record,
            }],
        );
    }

    /// A tailnet created by this apply: its policy is the untouched default when the step runs.
    fn policy_for_new_tailnet(&mut self, address: &Address, wanted: Wanted<'_>) {
        let (write, managed) = match wanted {
            Wanted::TagOwners(owners) => (
                PolicyWrite::MergeIntoDefault {
                    tag_owners: owners.clone(),
                },
                ManagedPolicy::TagOwners(owners),
            ),
            Wanted::File(file) => (
                PolicyWrite::Text {
                    text: file.text.clone(),
                    if_match: Some(TS_DEFAULT.to_owned()),
                },
                ManagedPolicy::File {
                    digest: policy_doc::digest(&file.value),
                },
            ),
        };
        let change =
            Change::new(address.clone(), Action::Create).values(None, Some(policy_view(&managed)));
        self.push(
            change,
            [Step::WritePolicy {
                address: address.clone(),
                write,
                managed,
            }],
        );
    }

    fn policy_for_live_tailnet(
        &mut self,
        address: &Address,
        record: Option<&PolicyRecord>,
        wanted: Wanted<'_>,
    ) {
        let Some(live) = self
            .live
            .contents(&address.tailnet)
            .map(|c| c.policy.clone())
        else {
            return;
        };
        let live_norm = policy_doc::normalize(&live.value);
        if let Some(r) = record {
            self.accept_live_policy(address, r, &live);
        }
        let (new_text, new_value, managed, drifted) = match wanted {
            Wanted::TagOwners(owners) => {
                let live_owners = policy_doc::tag_owners(&live.value);
                let previously: BTreeSet<String> = match record.map(|r| &r.managed) {
                    Some(ManagedPolicy::TagOwners(m)) => m.keys().cloned().collect(),
                    _ => BTreeSet::new(),
                };
                let remove: BTreeSet<String> = previously
                    .iter()
                    .filter(|t| !owners.contains_key(*t) && live_owners.contains_key(*t))
                    .cloned()
                    .collect();
                let drifted = match record.map(|r| &r.managed) {
                    Some(ManagedPolicy::TagOwners(m)) => m
                        .iter()
                        .any(|(t, o)| live_owners.get(t).map(|l| sorted(l)) != Some(sorted(o))),
                    _ => false,
                };
                let text = match policy_doc::edit_tag_owners(&live.text, &owners, &remove) {
                    Ok(text) => text,
                    Err(e) => {
                        self.errors.push(PlanError::new(
                            address.clone(),
                            format!("the live policy cannot be edited: {e}"),
                        ));
                        return;
                    }
                };
                let value = policy_doc::parse(&text).unwrap_or_else(|_| live.value.clone());
                (text, value, ManagedPolicy::TagOwners(owners), drifted)
            }
            Wanted::File(file) => {
                let drifted = match record.map(|r| &r.managed) {
                    Some(ManagedPolicy::File { digest }) => {
                        *digest != policy_doc::digest(&live.value)
                    }
                    _ => false,
                };
                let managed = ManagedPolicy::File {
                    digest: policy_doc::digest(&file.value),
                };
                (file.text.clone(), file.value.clone(), managed, drifted)
            }
        };
        let before = record.map_or_else(|| policy_view(&managed), |r| policy_view(&r.managed));
        if policy_doc::normalize(&new_value) == live_norm {
            let mut change = Change::new(address.clone(), Action::NoOp)
                .values(Some(before.clone()), Some(policy_view(&managed)));
            if record.is_none_or(|r| r.managed != managed) {
                // Nothing to post, but record what is now managed.
                change.action = Action::Update;
                change =
                    change.note("the live policy already matches; only tailform's record changes");
                self.push(
                    change,
                    [Step::WritePolicy {
                        address: address.clone(),
                        write: PolicyWrite::RecordOnly {
                            etag: live.etag.clone(),
                        },
                        managed,
                    }],
                );
                return;
            }
            self.changes.push(change);
            return;
        }
        let diff = unified_diff(&live.value, &new_value);
        let mut change = Change::new(address.clone(), Action::Update)
            .values(Some(before), Some(policy_view(&managed)));
        change.diff = Some(diff);
        if drifted {
            change = change.reason(Reason::Drift);
        }
        self.push(
            change,
            [Step::WritePolicy {
                address: address.clone(),
                write: PolicyWrite::Text {
                    text: new_text,
                    if_match: live.etag.clone(),
                },
                managed,
            }],
        );
    }

    /// `accept` of the live policy as tailform's record (`--refresh-only`): its ETag, and the
    /// managed part as the API now has it — so an edit made outside tailform is no longer
    /// reported as drift. Only when the record differs from what is live.
    fn accept_live_policy(
        &mut self,
        address: &Address,
        record: &PolicyRecord,
        live: &crate::live::LivePolicy,
    ) {
        let managed = match &record.managed {
            ManagedPolicy::TagOwners(m) => {
                let live_owners = policy_doc::tag_owners(&live.value);
                ManagedPolicy::TagOwners(
                    m.keys()
                        .filter_map(|t| {
                            let mut owners = live_owners.get(t)?.clone();
                            owners.sort_unstable();
                            Some((t.clone(), owners))
                        })
                        .collect(),
                )
            }
            ManagedPolicy::File { .. } => ManagedPolicy::File {
                digest: policy_doc::digest(&live.value),
            },
        };
        if managed != record.managed || live.etag != record.etag {
            self.accept(Step::WritePolicy {
                address: address.clone(),
                write: PolicyWrite::RecordOnly {
                    etag: live.etag.clone(),
                },
                managed,
            });
        }
    }

    /// An existing tailnet whose policy tailform does not manage: every tag its clients and keys
    /// use must already be defined, and `createdBy` keys must pass the ownership rule there.
    fn check_unmanaged_policy(&mut self, name: &Name, tailnet: &Tailnet) {
        let Some(contents) = self.live.contents(name) else {
            return;
        };
        let owners = policy_doc::tag_owners(&contents.policy.value);
        let defined = |t: &str| owners.keys().any(|k| k.eq_ignore_ascii_case(t));
        let mut errors = Vec::new();
        for client in tailnet.oauth_clients.values() {
            for tag in client.tags.iter().filter(|t| !defined(t.as_str())) {
                errors.push(
                    PlanError::new(
                        Address::oauth_client(name.clone(), client.name.clone()),
                        format!("tag `{tag}` is not defined in the tailnet's policy file"),
                    )
                    .at(&client.origin),
                );
            }
        }
        for identity in tailnet.federated_identities.values() {
            for tag in identity.tags.iter().filter(|t| !defined(t.as_str())) {
                errors.push(
                    PlanError::new(
                        Address::federated_identity(name.clone(), identity.name.clone()),
                        format!("tag `{tag}` is not defined in the tailnet's policy file"),
                    )
                    .at(&identity.origin),
                );
            }
        }
        for key in tailnet.auth_keys.values() {
            let address = Address::auth_key(name.clone(), key.name.clone());
            for tag in key.tags.iter().filter(|t| !defined(t.as_str())) {
                errors.push(
                    PlanError::new(
                        address.clone(),
                        format!("tag `{tag}` is not defined in the tailnet's policy file"),
                    )
                    .at(&key.origin),
                );
            }
            let Some(client) = tailnet.creator_of(key) else {
                continue;
            };
            if client.scopes.grants(&Scope::write(ScopeResource::All)) || key.tags == client.tags {
                continue;
            }
            for tag in &key.tags {
                let owned = owners
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(tag.as_str()))
                    .is_some_and(|(_, o)| {
                        o.iter()
                            .any(|owner| client.tags.iter().any(|c| c.as_str() == owner))
                    });
                if !owned {
                    errors.push(
                        PlanError::new(
                            address.clone(),
                            format!(
                                "the OAuth client `{}` cannot create keys tagged `{tag}`: its tags \
                                 differ from the key's and none of them owns `{tag}` in the \
                                 tailnet's policy file",
                                client.name
                            ),
                        )
                        .at(&key.origin),
                    );
                }
            }
        }
        for e in &mut errors {
            e.hint = Some(
                "tailform does not manage this tailnet's policy: define the tag (and its owners) \
                 in the policy, or add a `policy` block to the tailnet"
                    .into(),
            );
        }
        self.errors.extend(errors);
    }
}

/// The `tagOwners` tailform writes on a tailnet it creates when the manifest has no `policy`
/// block: every tag the tailnet's clients, keys and federated identities use, owned by nobody (`[]`), except that a
/// tag a `createdBy` key requests when its tag set is not exactly its client's is owned by
/// itself — what the API's ownership rule needs for a client to mint a key with part of its tags.
pub fn automatic_tag_owners(tailnet: &Tailnet) -> BTreeMap<String, Vec<String>> {
    let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let used = tailnet
        .oauth_clients
        .values()
        .flat_map(|c| c.tags.iter())
        .chain(tailnet.auth_keys.values().flat_map(|k| k.tags.iter()))
        .chain(
            tailnet
                .federated_identities
                .values()
                .flat_map(|f| f.tags.iter()),
        );
    for tag in used {
        owners.entry(tag.to_string()).or_default();
    }
    for key in tailnet.auth_keys.values() {
        let Some(client) = tailnet.creator_of(key) else {
            continue;
        };
        if key.tags != client.tags {
            for tag in &key.tags {
                owners.insert(tag.to_string(), vec![tag.to_string()]);
            }
        }
    }
    owners
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut out: Vec<&str> = v.iter().map(String::as_str).collect();
    out.sort_unstable();
    out
}

/// A unified diff of two policies' normal forms.
fn unified_diff(before: &serde_json::Value, after: &serde_json::Value) -> String {
    let old = policy_doc::pretty(before);
    let new = policy_doc::pretty(after);
    similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header("live", "planned")
        .to_string()
}

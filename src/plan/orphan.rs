//! Recovery of interrupted creates (DESIGN §7 `pending`, §12). Each pending intent is matched
//! against live objects the state does not track: same tailnet, same kind, same attributes, and
//! created inside the intent's window (from shortly before the intent was recorded until now).
//! A match is an orphan — created, but its one-time secret never reached the state — so it is
//! revoked (never adopted: without its secret it is useless) and the address is created again
//! cleanly. An intent with no match never reached the API and is simply cleared. A federated
//! identity has no secret, but an unrecorded one is a duplicate that nothing tracks: it is
//! deleted the same way. A webhook's orphan is an untracked webhook on the intent's URL; an
//! interrupted webhook *rotation* leaves no orphan but may have stopped the secret the state
//! holds, so the webhook is rotated again.
//!
//! Several intents can match the same objects (keys with identical attributes, or two intents
//! for one address left by successive interrupted applies), so the matches are an assignment,
//! not a per-intent search: every candidate is revoked exactly once, under one intent. Each
//! create makes at most one object, so intents first get one candidate each (a maximum
//! matching, earliest intents to earliest objects); a candidate left over (more matching
//! objects than intents) is still revoked, under the first intent it matches — no orphan stays
//! live.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use serde_json::Value;

use crate::address::Member;
use crate::live::{LiveKey, LiveKeyKind};
use crate::state::{Intent, Record};

use super::{Action, Change, Planner, Reason, Step, Target};

/// How long before an intent's recorded time a matching object may have been created (clock
/// skew between tailform's reading of the server clock and the object's timestamp).
const SKEW: SignedDuration = SignedDuration::from_secs(120);

/// A live object an intent's create may have made: when it was created, and its id.
type Candidate = (Option<Timestamp>, String);

impl Planner<'_> {
    /// Plans the recovery of every pending intent; remembers orphan ids so the rest of the plan
    /// neither reports them as unmanaged nor as a conflicting tailnet.
    pub(crate) fn plan_intents(&mut self) {
        let candidates: Vec<Vec<Candidate>> = self
            .state
            .pending
            .iter()
            .map(|intent| self.orphans_of(intent))
            .collect();
        let started: Vec<Timestamp> = self.state.pending.iter().map(|i| i.started).collect();
        let assigned = assign(&started, &candidates);
        for (intent, orphans) in self.state.pending.iter().zip(assigned) {
            let address = intent.address.clone();
            if is_rotation(intent) {
                // Nothing to revoke: the webhook's secret is rotated again by its own plan.
                self.interrupted_rotations.insert(address.clone());
                self.steps.push(Step::ClearIntent {
                    address,
                    intent: intent.id,
                });
                continue;
            }
            if orphans.is_empty() {
                let change = Change::new(address.clone(), Action::Forget)
                    .reason(Reason::Interrupted)
                    .note(format!(
                        "an interrupted apply recorded this create at {}",
                        intent.started
                    ));
                self.push(
                    change,
                    [Step::ClearIntent {
                        address,
                        intent: intent.id,
                    }],
                );
                continue;
            }
            for id in &orphans {
                let mut change =
                    Change::new(address.clone(), Action::Delete).reason(Reason::Orphan);
                if !matches!(address.member, Member::FederatedIdentity(_)) {
                    // Its one-time secret never reached the state (an identity has none).
                    change = change.sensitive();
                }
                change.deposed = Some(id.clone());
                let target = Target::Orphan(id.clone());
                let step = match address.member {
                    Member::Tailnet => {
                        self.deletes_tailnets += 1;
                        Step::DeleteTailnet {
                            address: address.clone(),
                            target,
                        }
                    }
                    Member::OAuthClient(_) => Step::DeleteClient {
                        address: address.clone(),
                        target,
                    },
                    Member::FederatedIdentity(_) => Step::DeleteIdentity {
                        address: address.clone(),
                        target,
                    },
                    Member::Webhook(_) => Step::DeleteWebhook {
                        address: address.clone(),
                        target,
                    },
                    _ => Step::DeleteKey {
                        address: address.clone(),
                        target,
                    },
                };
                self.push(change, [step]);
            }
            self.orphan_ids.extend(orphans);
            self.steps.push(Step::ClearIntent {
                address,
                intent: intent.id,
            });
        }
    }

    /// The live objects `intent`'s create may have made, earliest first.
    fn orphans_of(&self, intent: &Intent) -> Vec<Candidate> {
        let from = intent.started.checked_sub(SKEW).unwrap_or(Timestamp::MIN);
        let in_window = |t: Option<Timestamp>| {
            t.is_some_and(|t| {
                t >= from && t <= self.now.checked_add(SKEW).unwrap_or(Timestamp::MAX)
            })
        };
        if intent.address.member == Member::Tailnet {
            let tracked = self.tracked_tailnet_ids();
            let name = intent.fingerprint["displayName"]
                .as_str()
                .unwrap_or_default();
            let mut found: Vec<Candidate> = self
                .live
                .org_tailnets
                .iter()
                .flatten()
                .filter(|t| t.display_name.eq_ignore_ascii_case(name))
                .filter(|t| in_window(t.created_at) && !tracked.contains(&t.id))
                .map(|t| (t.created_at, t.id.clone()))
                .collect();
            found.sort();
            return found;
        }
        let current_tailnet = match self.state.get(&intent.address.tailnet_address()) {
            Some(Record::Tailnet(t)) => Some(t.id.as_str()),
            _ => None,
        };
        // The intent was for a tailnet that has since been replaced or lost: nothing to match.
        if intent.tailnet_id.as_deref() != current_tailnet && current_tailnet.is_some() {
            return Vec::new();
        }
        let Some(contents) = self.live.contents(&intent.address.tailnet) else {
            return Vec::new();
        };
        if let Member::Webhook(_) = intent.address.member {
            if is_rotation(intent) {
                return Vec::new();
            }
            let url = intent.fingerprint["endpointUrl"]
                .as_str()
                .unwrap_or_default();
            let tracked = self.tracked_webhook_ids(&intent.address.tailnet);
            let mut found: Vec<Candidate> = contents
                .webhooks
                .iter()
                .flatten()
                .map(|(_, w)| w)
                .filter(|w| w.endpoint_url == url && !tracked.contains(w.id.as_str()))
                .filter(|w| in_window(w.created))
                .map(|w| (w.created, w.id.clone()))
                .collect();
            found.sort();
            return found;
        }
        let tracked = self.tracked_key_ids(&intent.address.tailnet);
        let mut found: Vec<Candidate> = contents
            .keys
            .values()
            .filter(|k| !k.invalid && !tracked.contains(k.id.as_str()))
            .filter(|k| in_window(k.created) && matches_fingerprint(k, &intent.fingerprint))
            .map(|k| (k.created, k.id.clone()))
            .collect();
        found.sort();
        found
    }

    fn tracked_tailnet_ids(&self) -> BTreeSet<String> {
        self.state
            .resources
            .values()
            .filter_map(|r| match r {
                Record::Tailnet(t) => Some(
                    std::iter::once(t.id.clone())
                        .chain(t.deposed.iter().map(|d| d.id.clone()))
                        .collect::<Vec<_>>(),
                ),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// Ids the state tracks in a tailnet: clients and keys (current and deposed) and the
    /// tailnet's own bootstrap client.
    pub(crate) fn tracked_key_ids(&self, tailnet: &crate::model::Name) -> BTreeSet<&str> {
        let mut tracked = BTreeSet::new();
        for (address, record) in &self.state.resources {
            if &address.tailnet != tailnet {
                continue;
            }
            match record {
                Record::Tailnet(t) => {
                    tracked.extend(t.oauth_client.as_ref().map(|c| c.id.as_str()))
                }
                Record::OAuthClient(c) => {
                    tracked.insert(c.id.as_str());
                    tracked.extend(c.deposed.iter().map(|d| d.id.as_str()));
                }
                Record::AuthKey(k) => {
                    tracked.insert(k.id.as_str());
                    tracked.extend(k.deposed.iter().map(|d| d.id.as_str()));
                }
                Record::FederatedIdentity(f) => {
                    tracked.insert(f.id.as_str());
                    tracked.extend(f.deposed.iter().map(|d| d.id.as_str()));
                }
                Record::Policy(_) | Record::Webhook(_) | Record::Settings(_) => {}
            }
        }
        tracked
    }
}

/// True for the intent of a webhook rotation (not a create: nothing can be orphaned).
fn is_rotation(intent: &Intent) -> bool {
    intent.fingerprint["rotation"].as_bool() == Some(true)
}

/// Assigns every candidate to exactly one intent; returns each intent's orphan ids (the order of
/// `candidates`, one list per intent, each list earliest first).
///
/// First a maximum matching (Kuhn's augmenting paths), intents taken in the order they started
/// and each trying its candidates earliest first, so indistinguishable intents pair with objects
/// in creation order and the result does not depend on map order. Then every candidate still
/// unassigned goes to the first intent (in that order) that matched it.
fn assign(started: &[Timestamp], candidates: &[Vec<Candidate>]) -> Vec<Vec<String>> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| (started[i], i));
    // Which intent holds each candidate id.
    let mut holder: BTreeMap<&str, usize> = BTreeMap::new();
    for &intent in &order {
        let mut seen = BTreeSet::new();
        augment(intent, candidates, &mut holder, &mut seen);
    }
    for &intent in &order {
        for (_, id) in &candidates[intent] {
            holder.entry(id.as_str()).or_insert(intent);
        }
    }
    let mut out: Vec<Vec<String>> = vec![Vec::new(); candidates.len()];
    for (intent, list) in candidates.iter().enumerate() {
        out[intent] = list
            .iter()
            .filter(|(_, id)| holder.get(id.as_str()) == Some(&intent))
            .map(|(_, id)| id.clone())
            .collect();
    }
    out
}

/// One augmenting-path search from `intent`: true when it now holds a candidate.
fn augment<'a>(
    intent: usize,
    candidates: &'a [Vec<Candidate>],
    holder: &mut BTreeMap<&'a str, usize>,
    seen: &mut BTreeSet<&'a str>,
) -> bool {
    for (_, id) in &candidates[intent] {
        if !seen.insert(id.as_str()) {
            continue;
        }
        let free = match holder.get(id.as_str()) {
            None => true,
            Some(&other) => augment(other, candidates, holder, seen),
        };
        if free {
            holder.insert(id.as_str(), intent);
            return true;
        }
    }
    false
}

/// True when a live key has the attributes an intent's create sent.
fn matches_fingerprint(key: &LiveKey, fp: &Value) -> bool {
    let strings = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    };
    if fp["description"].as_str().unwrap_or_default() != key.description {
        return false;
    }
    match (&key.kind, fp["keyType"].as_str()) {
        (
            LiveKeyKind::Auth {
                reusable,
                ephemeral,
                preauthorized,
                tags,
                ..
            },
            Some("auth"),
        ) => {
            fp["reusable"].as_bool() == Some(*reusable)
                && fp["ephemeral"].as_bool() == Some(*ephemeral)
                && fp["preauthorized"].as_bool() == Some(*preauthorized)
                && strings(&fp["tags"]) == *tags
        }
        (LiveKeyKind::Client { scopes, tags, .. }, Some("client")) => {
            strings(&fp["scopes"]) == *scopes && strings(&fp["tags"]) == *tags
        }
        (
            LiveKeyKind::Federated {
                scopes,
                tags,
                issuer,
                subject,
                ..
            },
            Some("federated"),
        ) => {
            strings(&fp["scopes"]) == *scopes
                && strings(&fp["tags"]) == *tags
                && fp["issuer"].as_str() == Some(issuer.as_str())
                && fp["subject"].as_str() == Some(subject.as_str())
        }
        _ => false,
    }
}

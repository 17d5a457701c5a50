//! Auth key rules (DESIGN §5): every attribute is immutable, so any change is a replace
//! (create the new key, then revoke the old) with `replace_paths`; an invalid or vanished key is
//! recreated when `recreateIfInvalid` says so (under `auto` only reusable keys: a used one-off key
//! is expected to be invalid); rotation replaces a key whose remaining lifetime is below
//! `rotateBefore` (reason `replace_because_expiring`, never config drift); `keepPrevious` keeps
//! the replaced key valid for an overlap window.

use jiff::Timestamp;

use crate::address::{Address, ResourceKind};
use crate::live::LiveKeyKind;
use crate::model::{AuthKey, Name, RecreateIfInvalid};
use crate::state::KeyRecord;

use super::oauth_client::{Kind, Tracked};
use super::view::{key_attributes, key_replace_paths, key_view};
use super::{Action, Change, Fate, Planner, Reason, Step, Target};

/// How a key's replacement is made.
struct Replacement {
    reason: Reason,
    replace_paths: Vec<String>,
    /// The current key is still valid: keep it deposed (revoked after the new one exists, or
    /// after `keepPrevious`).
    depose_current: bool,
}

impl Planner<'_> {
    /// Plans every auth key of a tailnet.
    pub(crate) fn plan_keys(&mut self, tailnet: &Name, fate: Fate) {
        let desired = self.desired.tailnets.get(tailnet);
        for name in self.names_in(tailnet, ResourceKind::AuthKey) {
            let address = Address::auth_key(tailnet.clone(), name.clone());
            let wanted = desired.and_then(|t| t.auth_keys.get(&name));
            let record = self.state.auth_key(&address);
            if let Some(creator) = wanted.and_then(|k| k.created_by.clone()).or_else(|| {
                record
                    .and_then(|r| r.attributes.created_by.clone())
                    .and_then(|c| Name::parse(&c).ok())
            }) {
                self.created_by.insert(
                    address.clone(),
                    Address::oauth_client(tailnet.clone(), creator),
                );
            }
            self.plan_key(&address, wanted, record, fate);
            if let Some(k) = wanted {
                self.plan_deliveries(
                    &address,
                    &k.deliver,
                    &k.origin,
                    record.map(|r| r as &dyn Tracked),
                    fate,
                );
            }
        }
    }

    fn plan_key(
        &mut self,
        address: &Address,
        wanted: Option<&AuthKey>,
        record: Option<&KeyRecord>,
        fate: Fate,
    ) {
        if let Some(r) = record {
            self.plan_deposed(address, &r.deposed, fate, Kind::Key);
        }
        match fate {
            Fate::Blocked => return,
            Fate::Deleted => return self.delete_or_forget(address, record, Kind::Key),
            Fate::Gone => return self.forget_record(address, record, Reason::Missing),
            Fate::Fresh | Fate::Replaced => {
                return match wanted {
                    Some(k) => {
                        let reason = record.map(|_| Replacement {
                            reason: Reason::TailnetRecreated,
                            replace_paths: Vec::new(),
                            depose_current: false,
                        });
                        self.create_key(address, k, record, reason)
                    }
                    None => self.forget_record(address, record, Reason::TailnetRecreated),
                };
            }
            Fate::Keep | Fate::Existing => {}
        }
        match (wanted, record) {
            (Some(k), None) => self.create_key(address, k, None, None),
            (None, r) => self.delete_or_forget(address, r, Kind::Key),
            (Some(k), Some(r)) => self.plan_tracked_key(address, k, r),
        }
    }

    fn plan_tracked_key(&mut self, address: &Address, key: &AuthKey, record: &KeyRecord) {
        let live = self.live_key(address, &record.id).cloned();
        let valid = live.as_ref().is_some_and(|k| !k.invalid);
        let live_expires = live.as_ref().and_then(|k| match &k.kind {
            LiveKeyKind::Auth { expires, .. } => *expires,
            _ => None,
        });
        let expires = live_expires.or(record.expires);
        if live.is_none() {
            self.accept_gone(address);
        }
        let expiry_drift = live_expires.filter(|e| record.expires != Some(*e));
        if let Some(e) = expiry_drift {
            self.accept(Step::RecordExpiry {
                address: address.clone(),
                expires: e,
            });
        }
        let wanted = key_attributes(key);
        let replace_paths = key_replace_paths(&record.attributes, &wanted);
        let replacement = if !replace_paths.is_empty() {
            Some(Replacement {
                reason: Reason::CannotUpdate,
                replace_paths,
                depose_current: valid,
            })
        } else if self.replace_requested(address) {
            Some(Replacement {
                reason: Reason::ByRequest,
                replace_paths: Vec::new(),
                depose_current: valid,
            })
        } else if !valid {
            if key.recreate_if_invalid.should_recreate(key.reusable) {
                Some(Replacement {
                    reason: if live.is_some() {
                        Reason::Invalid
                    } else {
                        Reason::Missing
                    },
                    replace_paths: Vec::new(),
                    depose_current: false,
                })
            } else {
                return self.keep_invalid_key(address, key, record, live.is_some());
            }
        } else {
            expires
                .filter(|e| rotation_due(*e, key, self.now))
                .map(|expires| Replacement {
                    reason: Reason::Expiring { expires },
                    replace_paths: Vec::new(),
                    depose_current: true,
                })
        };
        match replacement {
            Some(r) => self.create_key(address, key, Some(record), Some(r)),
            None => {
                let view = key_view(
                    &record.attributes,
                    Some(&record.id),
                    expires,
                    Some(key.rotate_before),
                );
                let mut change = Change::new(address.clone(), Action::NoOp)
                    .unchanged(view)
                    .sensitive();
                if let Some(note) = super::secret_note(record.secret.as_ref()) {
                    change = change.note(note);
                }
                if let (Some(live), true) = (expiry_drift, self.options.refresh_only) {
                    let recorded = record
                        .expires
                        .map_or_else(|| "no expiry".to_owned(), |e| e.to_string());
                    change = change.reason(Reason::Drift).note(format!(
                        "the API says it expires {live}; the state says {recorded}"
                    ));
                }
                self.changes.push(change);
            }
        }
    }

    /// An invalid key that is not recreated: a used one-off key under `auto` is the expected
    /// outcome; under `never` the user asked to be told.
    fn keep_invalid_key(
        &mut self,
        address: &Address,
        key: &AuthKey,
        record: &KeyRecord,
        listed: bool,
    ) {
        let view = key_view(
            &record.attributes,
            Some(&record.id),
            record.expires,
            Some(key.rotate_before),
        );
        let state = if listed {
            "invalid"
        } else {
            "no longer listed by the API"
        };
        let note = match key.recreate_if_invalid {
            RecreateIfInvalid::Auto => format!(
                "the one-off key is {state} (used, expired or revoked); one-off keys are not recreated under recreateIfInvalid: auto"
            ),
            _ => {
                let w = format!(
                    "{address}: the key is {state} and recreateIfInvalid is never; nothing is done"
                );
                self.warnings.push(w.clone());
                w
            }
        };
        self.changes.push(
            Change::new(address.clone(), Action::NoOp)
                .unchanged(view)
                .sensitive()
                .note(note),
        );
    }

    fn create_key(
        &mut self,
        address: &Address,
        key: &AuthKey,
        record: Option<&KeyRecord>,
        replacement: Option<Replacement>,
    ) {
        let wanted = key_attributes(key);
        let action = if record.is_some() {
            Action::Replace
        } else {
            Action::Create
        };
        let mut change = Change::new(address.clone(), action)
            .values(
                record.map(|r| {
                    key_view(
                        &r.attributes,
                        Some(&r.id),
                        r.expires,
                        Some(key.rotate_before),
                    )
                }),
                Some(key_view(&wanted, None, None, Some(key.rotate_before))),
            )
            .sensitive();
        let mut depose = false;
        if let Some(r) = replacement {
            change.replace_paths = r.replace_paths;
            change = change.reason(r.reason);
            depose = r.depose_current;
        }
        let keep_previous = key.keep_previous.filter(|_| depose);
        let mut steps = vec![Step::CreateKey {
            address: address.clone(),
            attributes: wanted,
            depose_current: depose,
            keep_previous,
        }];
        if let (true, Some(r)) = (depose, record) {
            match keep_previous {
                Some(window) => {
                    change = change.note(format!(
                        "the previous key {} stays valid for {window} (keepPrevious); a later apply revokes it",
                        r.id
                    ));
                }
                None => steps.push(Step::DeleteKey {
                    address: address.clone(),
                    target: Target::Deposed(r.id.clone()),
                }),
            }
        }
        self.push(change, steps);
    }
}

/// True when less than `rotateBefore` of the key's lifetime is left (`rotateBefore: 0` disables
/// rotation).
fn rotation_due(expires: Timestamp, key: &AuthKey, now: Timestamp) -> bool {
    let window = key.rotate_before.as_secs();
    if window == 0 {
        return false;
    }
    let left = expires.as_second() - now.as_second();
    left < window as i64
}

//! Tailnet settings rules: only the fields the manifest sets are managed. Each is compared with
//! the value the API reads back; the differing ones are PATCHed (nothing else is sent), shown as
//! an in-place update (reason: drift when the live value left what tailform last applied). A
//! field the credentials cannot read (its scope missing: the API leaves it out) is unknown — a
//! note and a warning, never a change, never written blind. On a tailnet created by this apply
//! every field set is written once it exists. A removed `settings` block stops the managing
//! (the record is forgotten; the settings stay as they are).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::address::Address;
use crate::model::{Name, Setting, SettingValue};

use super::{Action, Change, Fate, Planner, Reason, Step, Target};

impl Planner<'_> {
    /// Plans the settings of a tailnet.
    pub(crate) fn plan_settings(&mut self, tailnet: &Name, fate: Fate) {
        let address = Address::settings(tailnet.clone());
        let wanted = self
            .desired
            .tailnets
            .get(tailnet)
            .and_then(|t| t.settings.as_ref())
            .map(|s| s.values.clone());
        let record = self.state.settings(&address);
        let Some(wanted) = wanted else {
            if record.is_some() && !matches!(fate, Fate::Blocked) {
                self.push(
                    Change::new(address.clone(), Action::Forget)
                        .reason(Reason::NoLongerManaged)
                        .note("the tailnet's settings stay as they are"),
                    [Step::Forget {
                        address,
                        target: Target::Record,
                    }],
                );
            }
            return;
        };
        match fate {
            Fate::Blocked | Fate::Deleted | Fate::Gone => return,
            Fate::Fresh | Fate::Replaced => {
                let change = Change::new(address.clone(), Action::Update)
                    .values(None, Some(view(&wanted)))
                    .note("written once the tailnet exists");
                return self.push(
                    change,
                    [Step::WriteSettings {
                        address,
                        patch: wanted.clone(),
                        record: wanted,
                    }],
                );
            }
            Fate::Keep | Fate::Existing => {}
        }
        let live = self
            .live
            .contents(tailnet)
            .and_then(|c| c.settings.as_ref());
        let mut known = BTreeMap::new();
        let mut unknown = Vec::new();
        let mut patch = BTreeMap::new();
        for (setting, value) in &wanted {
            match live.and_then(|l| l.get(setting.as_str())) {
                None => unknown.push(*setting),
                Some(v) => {
                    known.insert(*setting, v.clone());
                    if !value.matches(v) {
                        patch.insert(*setting, value.clone());
                    }
                }
            }
        }
        let mut record_values = wanted.clone();
        record_values.retain(|s, _| !unknown.contains(s));
        let mut notes = Vec::new();
        if !unknown.is_empty() {
            let fields: Vec<String> = unknown
                .iter()
                .map(|s| format!("`{s}` (needs `{}`)", s.read_scope()))
                .collect();
            let why = format!(
                "{} cannot be read with these credentials: unknown, so neither compared nor written",
                fields.join(", ")
            );
            self.warnings.push(format!("{address}: {why}"));
            notes.push(why);
        }
        let before = Value::Object(
            known
                .iter()
                .map(|(s, v)| (s.as_str().to_owned(), v.clone()))
                .collect(),
        );
        if patch.is_empty() {
            let mut change = Change::new(address.clone(), Action::NoOp).unchanged(before);
            change.notes = notes;
            self.changes.push(change);
            if record.is_none_or(|r| r.values != record_values) {
                // State only: what is live already is what the manifest wants.
                self.steps.push(Step::WriteSettings {
                    address,
                    patch: BTreeMap::new(),
                    record: record_values,
                });
            }
            return;
        }
        let after = {
            let mut after = known.clone();
            for (s, v) in &patch {
                after.insert(*s, v.to_json());
            }
            Value::Object(
                after
                    .into_iter()
                    .map(|(s, v)| (s.as_str().to_owned(), v))
                    .collect(),
            )
        };
        let drift = record.is_some_and(|r| {
            patch
                .keys()
                .any(|s| r.values.get(s).is_some_and(|applied| applied == &wanted[s]))
        });
        let mut change =
            Change::new(address.clone(), Action::Update).values(Some(before), Some(after));
        change.notes = notes;
        if drift {
            change = change.reason(Reason::Drift);
        }
        self.push(
            change,
            [Step::WriteSettings {
                address,
                patch,
                record: record_values,
            }],
        );
    }
}

/// The settings as a plan shows them.
fn view(values: &BTreeMap<Setting, SettingValue>) -> Value {
    Value::Object(
        values
            .iter()
            .map(|(s, v)| (s.as_str().to_owned(), v.to_json()))
            .collect::<Map<String, Value>>(),
    )
}

//! A `settings` block: each field's value of its type (a flag, a number in range, one of a
//! list of choices). Unknown fields are the extractor's (E004); everything else is E051.

use std::collections::BTreeMap;

use super::text;
use crate::diagnostic::Code;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Field, RawScalar, RawSetting};
use crate::model::{Setting, SettingType, SettingValue, Settings};
use crate::suggest::did_you_mean;

/// The block's model: `Some(None)` when absent, `None` when anything in it is invalid.
pub(super) fn check(raw: &Field<Vec<RawSetting>>, sink: &mut Sink<'_>) -> Option<Option<Settings>> {
    let block = match raw {
        Field::Absent => return Some(None),
        Field::Broken => return None,
        Field::Set(block) => block,
    };
    let mut values = BTreeMap::new();
    let mut ok = true;
    for entry in &block.value {
        let Some(setting) = Setting::parse(&entry.name.value) else {
            // Reported by the extractor.
            ok = false;
            continue;
        };
        let Some(at) = entry.value.get() else {
            ok = false;
            continue;
        };
        match value(setting, at, sink) {
            Some(v) => {
                values.insert(setting, v);
            }
            None => ok = false,
        }
    }
    ok.then(|| {
        Some(Settings {
            origin: text::origin(&block.loc, sink),
            values,
        })
    })
}

fn value(setting: Setting, at: &At<RawScalar>, sink: &mut Sink<'_>) -> Option<SettingValue> {
    let problem = match (setting.kind(), &at.value) {
        (SettingType::Bool, RawScalar::Bool(b)) => return Some(SettingValue::Bool(*b)),
        (SettingType::Bool, _) => format!("`{setting}` is `true` or `false`"),
        (SettingType::Number(lo, hi), RawScalar::Int(n))
            if u64::try_from(*n).is_ok_and(|n| (lo..=hi).contains(&n)) =>
        {
            return u64::try_from(*n).ok().map(SettingValue::Number);
        }
        (SettingType::Number(lo, hi), _) => {
            format!("`{setting}` is a whole number from {lo} to {hi}")
        }
        (SettingType::Choice(known), RawScalar::Str(s)) if known.contains(&s.as_str()) => {
            return Some(SettingValue::Choice(s.clone()));
        }
        (SettingType::Choice(known), written) => {
            let diag = sink.report(
                Code::InvalidSetting,
                &at.loc,
                format!("`{setting}` is one of {}", known.join(", ")),
            );
            if let RawScalar::Str(s) = written
                && let Some(close) = did_you_mean(s, known.iter().copied())
            {
                diag.hint(format!("did you mean `{close}`?"));
            }
            return None;
        }
    };
    sink.report(Code::InvalidSetting, &at.loc, problem);
    None
}

//! The operations a sequence is made of, their text form (printed in every report and read back
//! from `TAILFORM_SEQUENCE_REPLAY`) and the seeded generator.
//!
//! An operation's arguments are choices, not ids: `replace(3)` replaces the address at index
//! 3 modulo the candidates at the time it runs. So a printed sequence replays on a fresh world,
//! and shrinking (dropping operations) keeps every remaining operation meaningful.

use std::collections::BTreeSet;
use std::fmt;

use super::manifest::Edit;
use super::rng::Rng;

/// How a new encryption key is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// `TAILFORM_PASSPHRASE`.
    Passphrase,
    /// An age X25519 identity (`--age-identity`, `--age-recipients`).
    Age,
}

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `apply --auto-approve` with the key.
    Apply,
    /// `apply --auto-approve` without the key.
    ApplyNoKey,
    /// `plan --out FILE`.
    PlanOut,
    /// `apply FILE` of the last saved plan (one is saved first when there is none).
    ApplySaved,
    /// `state encrypt` (with a new key when the state is in plaintext).
    Encrypt(KeyKind),
    /// `state encrypt` with the current key as the fallback and a new one to write.
    Rollover(KeyKind),
    /// `state decrypt`.
    Decrypt,
    /// `output --format json` with the key.
    Output,
    /// `output` without the key.
    OutputNoKey,
    /// `apply --replace ADDR`.
    Replace(u32),
    /// `state rm ADDR`, then `import ADDR ID` of the same object.
    RmImport(u32),
    /// A manifest edit.
    Edit(Edit, u32),
    /// The emulator's clock moves forward this many seconds.
    Clock(u64),
    /// An out-of-band revoke (DELETE with an organization token).
    Revoke(u32),
    /// An out-of-band use of an auth key (a one-off key becomes invalid).
    Use(u32),
    /// `kill -9` of an apply: below 40, this many milliseconds after it started; from 40,
    /// (N - 40) % 30 ms after its first create reached the emulator.
    Kill(u32),
    /// An apply waits at its prompt; the lock is removed by hand; a second apply runs; the
    /// first is confirmed.
    LockRm(u32),
    /// The state cannot be written (a full disk; for PostgreSQL, the connection is
    /// terminated) during an apply, at a moment chosen as for [`Op::Kill`].
    DiskFull(u32),
    /// An apply under injected 429s, 5xx and lost responses (seeded).
    Faults(u32),
    /// A tracked client or key is renamed in the manifest and its record follows: an even
    /// choice writes a `moved:` entry and applies, an odd one runs `state mv OLD NEW`.
    Move(u32),
    /// `apply --refresh-only --auto-approve`.
    RefreshOnly,
    /// `destroy --target ADDR --auto-approve` of a tracked client or key.
    Destroy(u32),
    /// `doctor --format json` (with the key): read-only, exit 0 or 1 with its report.
    Doctor,
}

/// The names `TAILFORM_SEQUENCE_OPS` uses, with their weights in a generated sequence.
pub const KINDS: [(&str, u64); 23] = [
    ("apply", 14),
    ("apply_nokey", 6),
    ("plan_out", 5),
    ("apply_saved", 3),
    ("encrypt", 4),
    ("rollover", 3),
    ("decrypt", 3),
    ("output", 3),
    ("output_nokey", 3),
    ("replace", 5),
    ("rm_import", 4),
    ("edit", 14),
    ("clock", 6),
    ("revoke", 5),
    ("use", 3),
    ("kill", 6),
    ("lock_rm", 3),
    ("disk_full", 3),
    ("faults", 4),
    ("move", 4),
    ("refresh_only", 3),
    ("destroy", 2),
    ("doctor", 2),
];

/// Clock moves: an hour, a day, past a week (purge of invalid keys), into the rotation window
/// of 30-day and 90-day keys, past the expiry of 30-day keys.
const CLOCK_MOVES: [u64; 7] = [
    3600,
    86_400,
    3 * 86_400,
    8 * 86_400,
    21 * 86_400,
    31 * 86_400,
    61 * 86_400,
];

impl Op {
    /// The kind's name (as in `TAILFORM_SEQUENCE_OPS`).
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Apply => "apply",
            Op::ApplyNoKey => "apply_nokey",
            Op::PlanOut => "plan_out",
            Op::ApplySaved => "apply_saved",
            Op::Encrypt(_) => "encrypt",
            Op::Rollover(_) => "rollover",
            Op::Decrypt => "decrypt",
            Op::Output => "output",
            Op::OutputNoKey => "output_nokey",
            Op::Replace(_) => "replace",
            Op::RmImport(_) => "rm_import",
            Op::Edit(..) => "edit",
            Op::Clock(_) => "clock",
            Op::Revoke(_) => "revoke",
            Op::Use(_) => "use",
            Op::Kill(_) => "kill",
            Op::LockRm(_) => "lock_rm",
            Op::DiskFull(_) => "disk_full",
            Op::Faults(_) => "faults",
            Op::Move(_) => "move",
            Op::RefreshOnly => "refresh_only",
            Op::Destroy(_) => "destroy",
            Op::Doctor => "doctor",
        }
    }

    fn random(kind: &str, rng: &mut Rng) -> Op {
        let choice = |rng: &mut Rng| rng.below(1000) as u32;
        let key = |rng: &mut Rng| {
            if rng.chance(35) {
                KeyKind::Passphrase
            } else {
                KeyKind::Age
            }
        };
        match kind {
            "apply" => Op::Apply,
            "apply_nokey" => Op::ApplyNoKey,
            "plan_out" => Op::PlanOut,
            "apply_saved" => Op::ApplySaved,
            "encrypt" => Op::Encrypt(key(rng)),
            "rollover" => Op::Rollover(key(rng)),
            "decrypt" => Op::Decrypt,
            "output" => Op::Output,
            "output_nokey" => Op::OutputNoKey,
            "replace" => Op::Replace(choice(rng)),
            "rm_import" => Op::RmImport(choice(rng)),
            "edit" => Op::Edit(*rng.pick(&Edit::ALL), choice(rng)),
            "clock" => Op::Clock(*rng.pick(&CLOCK_MOVES)),
            "revoke" => Op::Revoke(choice(rng)),
            "use" => Op::Use(choice(rng)),
            "kill" => Op::Kill(rng.below(160) as u32),
            "lock_rm" => Op::LockRm(choice(rng)),
            "disk_full" => Op::DiskFull(rng.below(120) as u32),
            "faults" => Op::Faults(choice(rng)),
            "move" => Op::Move(choice(rng)),
            "refresh_only" => Op::RefreshOnly,
            "destroy" => Op::Destroy(choice(rng)),
            "doctor" => Op::Doctor,
            other => unreachable!("unknown kind {other}"),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = |k: &KeyKind| match k {
            KeyKind::Passphrase => "pass",
            KeyKind::Age => "age",
        };
        match self {
            Op::Encrypt(k) | Op::Rollover(k) => write!(f, "{}({})", self.kind(), key(k)),
            Op::Replace(n)
            | Op::RmImport(n)
            | Op::Revoke(n)
            | Op::Use(n)
            | Op::Kill(n)
            | Op::LockRm(n)
            | Op::DiskFull(n)
            | Op::Faults(n)
            | Op::Move(n)
            | Op::Destroy(n) => write!(f, "{}({n})", self.kind()),
            Op::Edit(e, n) => write!(f, "edit({},{n})", e.name()),
            Op::Clock(s) => write!(f, "clock({s})"),
            _ => f.write_str(self.kind()),
        }
    }
}

impl std::str::FromStr for Op {
    type Err = String;

    fn from_str(s: &str) -> Result<Op, String> {
        let s = s.trim();
        let (name, args) = match s.split_once('(') {
            Some((n, rest)) => (
                n,
                rest.strip_suffix(')')
                    .ok_or_else(|| format!("`{s}`: missing `)`"))?,
            ),
            None => (s, ""),
        };
        let num = |a: &str| {
            a.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{s}`: `{a}` is not a number"))
        };
        let small = |a: &str| num(a).map(|n| n as u32);
        let key = |a: &str| match a {
            "pass" => Ok(KeyKind::Passphrase),
            "age" => Ok(KeyKind::Age),
            _ => Err(format!("`{s}`: the key kind is `pass` or `age`")),
        };
        Ok(match name {
            "apply" => Op::Apply,
            "apply_nokey" => Op::ApplyNoKey,
            "plan_out" => Op::PlanOut,
            "apply_saved" => Op::ApplySaved,
            "encrypt" => Op::Encrypt(key(args)?),
            "rollover" => Op::Rollover(key(args)?),
            "decrypt" => Op::Decrypt,
            "output" => Op::Output,
            "output_nokey" => Op::OutputNoKey,
            "replace" => Op::Replace(small(args)?),
            "rm_import" => Op::RmImport(small(args)?),
            "edit" => {
                let (e, n) = args
                    .split_once(',')
                    .ok_or_else(|| format!("`{s}`: edit(KIND,N)"))?;
                let e = Edit::parse(e.trim()).ok_or_else(|| format!("`{s}`: unknown edit"))?;
                Op::Edit(e, small(n)?)
            }
            "clock" => Op::Clock(num(args)?),
            "revoke" => Op::Revoke(small(args)?),
            "use" => Op::Use(small(args)?),
            "kill" => Op::Kill(small(args)?),
            "lock_rm" => Op::LockRm(small(args)?),
            "disk_full" => Op::DiskFull(small(args)?),
            "faults" => Op::Faults(small(args)?),
            "move" => Op::Move(small(args)?),
            "refresh_only" => Op::RefreshOnly,
            "destroy" => Op::Destroy(small(args)?),
            "doctor" => Op::Doctor,
            _ => return Err(format!("`{s}` is not an operation")),
        })
    }
}

/// A sequence in its text form: `apply; edit(add_key,17); kill(40)`.
pub fn render(ops: &[Op]) -> String {
    ops.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parses the text form.
pub fn parse(text: &str) -> Result<Vec<Op>, String> {
    text.split(';')
        .filter(|s| !s.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// Which kinds may be drawn: `TAILFORM_SEQUENCE_OPS` is a comma-separated list; names with a
/// leading `-` are removed from all kinds, otherwise only the named kinds are drawn.
pub fn enabled(spec: Option<&str>) -> Result<BTreeSet<&'static str>, String> {
    let all: BTreeSet<&'static str> = KINDS.iter().map(|(k, _)| *k).collect();
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(all);
    };
    let names: Vec<&str> = spec
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let find = |n: &str| {
        all.iter().copied().find(|k| *k == n).ok_or_else(|| {
            format!(
                "TAILFORM_SEQUENCE_OPS: `{n}` is not an operation (known: {})",
                all.iter().copied().collect::<Vec<_>>().join(", ")
            )
        })
    };
    if names.iter().all(|n| n.starts_with('-')) {
        let mut set = all.clone();
        for n in names {
            set.remove(find(&n[1..])?);
        }
        Ok(set)
    } else {
        names
            .iter()
            .map(|n| find(n.trim_start_matches('+')))
            .collect()
    }
}

/// A sequence of `length` operations drawn from `enabled` by `seed`. A saved plan is applied
/// zero to two operations after it was made (so some are stale by then).
pub fn generate(seed: u64, length: usize, enabled: &BTreeSet<&'static str>) -> Vec<Op> {
    let mut rng = Rng::new(seed);
    let kinds: Vec<(&str, u64)> = KINDS
        .iter()
        .copied()
        .filter(|(k, _)| enabled.contains(k))
        .collect();
    let total: u64 = kinds.iter().map(|(_, w)| w).sum();
    let mut ops = Vec::with_capacity(length);
    let mut saved_due: Option<usize> = None;
    while ops.len() < length && total > 0 {
        if saved_due == Some(ops.len()) {
            ops.push(Op::ApplySaved);
            saved_due = None;
            continue;
        }
        let mut pick = rng.below(total);
        let kind = kinds
            .iter()
            .find(|(_, w)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .map(|(k, _)| *k)
            .expect("a kind");
        let op = Op::random(kind, &mut rng);
        if op == Op::PlanOut && enabled.contains("apply_saved") && saved_due.is_none() {
            saved_due = Some(ops.len() + 1 + rng.below(3) as usize);
        }
        ops.push(op);
    }
    ops
}

//! The invariants, checked after every operation (and, for invariant (e), after every command):
//!
//! - **(a)** every live object tailform created is recorded with its secret — plaintext, or
//!   sealed and opened by the current key — or the record says exactly why not: it was imported
//!   (the API never shows a secret again), or it is a deposed object of a replace. A secret the
//!   state once held never disappears while its object is live, unless an explicit `state rm`
//!   released it. A live object the state never held is an orphan of an interrupted or failed
//!   apply (its intent is in `pending`): allowed until the next successful apply, see (c).
//! - **(b)** with encryption on, no file under the state's folder (the state, `.backup`,
//!   `.journal`, `.lock`, temporary files) or the PostgreSQL row holds a plaintext secret (byte
//!   search for every `tskey-…` token that hashes to an object, and for the random part of
//!   every secret seen so far); no saved plan ever does; no command's output shows one (except
//!   `output`, whose job it is).
//! - **(c)** no object is tracked at two addresses; after a successful apply no live object
//!   tailform created is untracked (unless released) and no intent is left — so every managed
//!   address has at most one live object then, besides the deposed ones of a replace. Between
//!   an interrupted apply and the next successful one, an orphan may stand beside its address's
//!   object: that is the design (the next plan revokes it), not a second tracked object.
//! - **(d)** after a successful apply the plan is empty (`plan --detailed-exitcode` exits 0); a
//!   saved plan made at another serial is refused.
//! - **(e)** no command panics or dies of a signal it was not sent; every failure exits non-zero
//!   with a sentence on stderr — an `error: …` line, or for apply a failed step's
//!   `<step>: FAILED: …` line (its summary goes to stdout with the plan) — starting with a letter
//!   and at least three words long, and no Rust `Debug` dump (`Os {`, `Some(`, `kind: `, …);
//!   `output` that cannot show a secret it holds (no key) fails instead of exiting 0.
//! - **(f)** (added for orphan recovery) one command deletes each object at most once; an
//!   `apply --refresh-only` sends no write to the API.
//!
//! Operation-specific checks, under the invariant they serve: a `state rm` without `--force`
//! and with standard input closed never drops a secret (a); a `moved:` entry is followed and
//! `state mv` keeps id and secret (a); `doctor` leaves the stored state as it was (a) and exits
//! 1 only with its report (e); `destroy --target` leaves its object neither live nor tracked
//! (c).
//!
//! Reports never show a secret: objects are named by id, secrets by a short SHA-256.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use jiff::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::world::{Loaded, Run};
use tailform::state::{Record, StoredSecret};

/// One broken invariant.
#[derive(Debug, Clone)]
pub struct Violation {
    /// `a` … `f`.
    pub invariant: char,
    /// A stable name for the way it broke (the class shrinking preserves).
    pub slug: &'static str,
    /// Evidence: addresses, ids, secret hashes, command lines, exit codes.
    pub detail: String,
}

impl Violation {
    pub fn new(invariant: char, slug: &'static str, detail: impl Into<String>) -> Violation {
        Violation {
            invariant,
            slug,
            detail: detail.into(),
        }
    }

    /// `a/secret-disappeared`.
    pub fn class(&self) -> String {
        format!("{}/{}", self.invariant, self.slug)
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}) {}: {}", self.invariant, self.slug, self.detail)
    }
}

/// A short, stable name for a secret (never the secret).
pub fn hash(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    format!("#{}", &hex::encode(d)[..8])
}

/// The hex SHA-256 of a secret (as the emulator's data file keeps it).
pub fn sha256(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A live or dead object the emulator holds (auth key or OAuth client).
#[derive(Debug, Clone)]
pub struct Object {
    pub id: String,
    pub tailnet: String,
    /// The hex SHA-256 of its secret: the emulator keeps only that (`secretSha256`).
    pub secret_hash: String,
    /// The plaintext, once the harness has seen it (in the state, in `output`, in any byte it
    /// searched) and it matched the hash.
    pub secret: Option<String>,
    pub client: bool,
    pub valid: bool,
}

impl Object {
    /// True when `secret` is this object's secret.
    pub fn is_secret(&self, secret: &str) -> bool {
        sha256(secret) == self.secret_hash
    }

    /// The short name of its secret (`#` and 8 hex digits of the SHA-256, as [`hash`]).
    pub fn secret_name(&self) -> String {
        format!("#{}", &self.secret_hash[..8.min(self.secret_hash.len())])
    }
}

/// The plaintexts the harness has seen, by their hex SHA-256 (what it learns as it goes: the
/// emulator no longer keeps them).
pub type Learned = BTreeMap<String, String>;

/// Every `tskey-…` token in `bytes` (the form every secret the emulator issues has:
/// `tskey-<kind>-<id>-<random>`).
pub fn tokens(bytes: &[u8]) -> Vec<String> {
    const PREFIX: &[u8] = b"tskey-";
    let mut out = Vec::new();
    let mut i = 0;
    while i + PREFIX.len() <= bytes.len() {
        if &bytes[i..i + PREFIX.len()] == PREFIX {
            let end = bytes[i..]
                .iter()
                .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-'))
                .map_or(bytes.len(), |n| i + n);
            out.push(String::from_utf8_lossy(&bytes[i..end]).into_owned());
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

/// The emulator's world: every object tailform created (everything but the organization's
/// client and original tailnet), with its secret's hash and whether it is valid now.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub objects: BTreeMap<String, Object>,
    /// Tailnets tailform created that exist now.
    pub tailnets: BTreeSet<String>,
    pub org_secret: String,
}

impl Truth {
    /// From the emulator's data file and clock, with the plaintexts learned so far.
    pub fn from_data(data: &Value, now: &str, learned: &Learned) -> Truth {
        let now: Timestamp = now.parse().expect("the emulator's clock is RFC 3339");
        let org_client = data["org"]["clientId"].as_str().unwrap_or_default();
        let original = data["org"]["originalTailnet"].as_str().unwrap_or_default();
        let ts = |v: &Value| v.as_str().and_then(|s| s.parse::<Timestamp>().ok());
        let mut truth = Truth::default();
        for (id, t) in data["tailnets"].as_object().into_iter().flatten() {
            if id != original && t.is_object() {
                truth.tailnets.insert(id.clone());
            }
        }
        truth.org_secret = data["org"]["clientSecret"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        for (id, k) in data["keys"].as_object().into_iter().flatten() {
            if id == org_client {
                continue;
            }
            let secret_hash = k["secretSha256"]
                .as_str()
                .expect("the emulator keeps each secret's secretSha256")
                .to_ascii_lowercase();
            let kind = &k["kind"];
            let invalid = [ts(&k["revoked"]), ts(&kind["used"]), ts(&kind["expires"])]
                .into_iter()
                .flatten()
                .any(|t| t <= now);
            let tailnet = k["tailnet"].as_str().unwrap_or_default().to_owned();
            truth.objects.insert(
                id.clone(),
                Object {
                    id: id.clone(),
                    valid: !invalid && (truth.tailnets.contains(&tailnet) || tailnet == original),
                    tailnet,
                    secret: learned.get(&secret_hash).cloned(),
                    secret_hash,
                    client: kind["keyType"] == "client",
                },
            );
        }
        truth
    }

    /// Every secret the emulator minted for tailform whose plaintext the harness has seen, and
    /// the organization's.
    pub fn secrets(&self) -> Vec<&str> {
        self.objects
            .values()
            .filter_map(|o| o.secret.as_deref())
            .chain(std::iter::once(self.org_secret.as_str()))
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Who `secret` belongs to: an object's id, the organization's client, or nobody known.
    pub fn owner(&self, secret: &str) -> Option<String> {
        if !self.org_secret.is_empty() && secret == self.org_secret {
            return Some("the organization's client".to_owned());
        }
        let h = sha256(secret);
        self.objects
            .values()
            .find(|o| o.secret_hash == h)
            .map(|o| o.id.clone())
    }

    /// The secrets of the emulator's objects found in `bytes`: each `tskey-…` token that is one
    /// (whether or not the harness had seen it before), and each seen plaintext's random part
    /// standing alone. Named by owner and hash, never by value.
    pub fn found_in(&self, bytes: &[u8]) -> Vec<String> {
        let mut found: BTreeSet<String> = BTreeSet::new();
        for t in tokens(bytes) {
            if let Some(owner) = self.owner(&t) {
                found.insert(format!("{} of {owner}", hash(&t)));
            }
        }
        for s in self.secrets() {
            if random_part(s).is_some_and(|p| contains(bytes, p.as_bytes())) {
                let owner = self.owner(s).unwrap_or_default();
                found.insert(format!("{} of {owner}", hash(s)));
            }
        }
        found.into_iter().collect()
    }

    /// Replaces every `tskey-…` token and every seen secret's random part in `text` by a hash.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for t in tokens(text.as_bytes()) {
            out = out.replace(&t, &format!("<secret {}>", hash(&t)));
        }
        for s in self.secrets() {
            if out.contains(s) {
                out = out.replace(s, &format!("<secret {}>", hash(s)));
            }
            if let Some(tail) = random_part(s)
                && out.contains(tail)
            {
                out = out.replace(tail, &format!("<secret part {}>", hash(s)));
            }
        }
        out
    }
}

/// The random part of a `tskey-…-<id>-<random>` secret, when long enough to search for alone.
fn random_part(secret: &str) -> Option<&str> {
    secret.rsplit('-').next().filter(|p| p.len() >= 16)
}

/// How a holder's address marks a tailnet's own OAuth client.
pub const OWN_CLIENT: &str = " (its own OAuth client)";

/// What the state holds for an object's secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    Plain(String),
    /// No secret (the record says so, or it was dropped).
    Absent,
    /// Sealed, and the key the harness holds does not open it.
    Sealed,
}

/// One address holding an object as its current one.
#[derive(Debug, Clone)]
pub struct Holder {
    pub address: String,
    pub secret: Held,
}

/// The state, as the checker needs it.
#[derive(Debug, Default, Clone)]
pub struct StateView {
    pub serial: u64,
    pub lineage: String,
    pub pending: usize,
    /// Object id (key, client, a tailnet's own client) → the addresses holding it.
    pub holders: BTreeMap<String, Vec<Holder>>,
    /// Tailnet id → addresses.
    pub tailnets: BTreeMap<String, Vec<String>>,
    /// Deposed (replaced, to be revoked) object id → address.
    pub deposed: BTreeMap<String, String>,
    /// Client and key addresses → their current id.
    pub members: BTreeMap<String, String>,
}

impl StateView {
    pub fn from(loaded: &Loaded) -> StateView {
        let state = &loaded.state;
        let mut v = StateView {
            serial: state.serial,
            lineage: state.lineage.to_string(),
            pending: state.pending.len(),
            ..StateView::default()
        };
        let held = |s: Option<&StoredSecret>| match s {
            Some(StoredSecret::Open(s)) => Held::Plain(s.expose().to_owned()),
            Some(StoredSecret::Sealed(_)) => Held::Sealed,
            None => Held::Absent,
        };
        for (address, record) in &state.resources {
            let address = address.to_string();
            match record {
                Record::Tailnet(t) => {
                    v.tailnets
                        .entry(t.id.clone())
                        .or_default()
                        .push(address.clone());
                    if let Some(c) = &t.oauth_client {
                        v.holders.entry(c.id.clone()).or_default().push(Holder {
                            address: format!("{address}{OWN_CLIENT}"),
                            secret: held(c.secret.as_ref()),
                        });
                    }
                    for d in &t.deposed {
                        v.deposed.insert(d.id.clone(), address.clone());
                        if let Some(c) = &d.oauth_client {
                            v.deposed.insert(c.id.clone(), address.clone());
                        }
                    }
                }
                Record::OAuthClient(c) => {
                    v.holders.entry(c.id.clone()).or_default().push(Holder {
                        address: address.clone(),
                        secret: held(c.secret.as_ref()),
                    });
                    v.members.insert(address.clone(), c.id.clone());
                    for d in &c.deposed {
                        v.deposed.insert(d.id.clone(), address.clone());
                    }
                }
                Record::AuthKey(k) => {
                    v.holders.entry(k.id.clone()).or_default().push(Holder {
                        address: address.clone(),
                        secret: held(k.secret.as_ref()),
                    });
                    v.members.insert(address.clone(), k.id.clone());
                    for d in &k.deposed {
                        v.deposed.insert(d.id.clone(), address.clone());
                    }
                }
                Record::FederatedIdentity(f) => {
                    // No secret to hold: tracked as a member only.
                    v.members.insert(address.clone(), f.id.clone());
                    for d in &f.deposed {
                        v.deposed.insert(d.id.clone(), address.clone());
                    }
                }
                Record::Webhook(w) => {
                    v.holders.entry(w.id.clone()).or_default().push(Holder {
                        address: address.clone(),
                        secret: held(w.secret.as_ref()),
                    });
                    v.members.insert(address.clone(), w.id.clone());
                    for d in &w.deposed {
                        v.deposed.insert(d.id.clone(), address.clone());
                    }
                }
                Record::Policy(_) | Record::Settings(_) => {}
            }
        }
        v
    }

    fn tracks(&self, id: &str) -> bool {
        self.holders.contains_key(id) || self.deposed.contains_key(id)
    }
}

/// What the harness remembers across operations to judge (a) and (c).
#[derive(Debug, Default)]
pub struct Memory {
    /// Objects imported by the harness (the state may hold them without a secret).
    pub imported: BTreeSet<String>,
    /// Objects released by `state rm` (untracked by request).
    pub released: BTreeSet<String>,
    /// Objects whose secret the state (or `output`) has shown, with the address it was at.
    pub held: BTreeMap<String, String>,
    /// Tailnets the state has tracked, with the address.
    pub tailnets: BTreeMap<String, String>,
}

/// (a): no live object's secret is lost; remembers every secret seen.
pub fn secrets(truth: &Truth, view: &StateView, memory: &mut Memory) -> Vec<Violation> {
    let mut out = Vec::new();
    for o in truth.objects.values() {
        if let Some(holders) = view.holders.get(&o.id) {
            for h in holders {
                match &h.secret {
                    Held::Plain(s) if o.is_secret(s) => {
                        memory.held.insert(o.id.clone(), h.address.clone());
                    }
                    Held::Plain(s) => out.push(Violation::new(
                        'a',
                        "wrong-secret",
                        format!(
                            "{} records {} with secret {}, but the object's secret is {}",
                            h.address,
                            o.id,
                            hash(s),
                            o.secret_name()
                        ),
                    )),
                    Held::Absent if !o.valid || memory.imported.contains(&o.id) => {}
                    Held::Absent => out.push(Violation::new(
                        'a',
                        if memory.held.contains_key(&o.id) {
                            "secret-dropped"
                        } else {
                            "recorded-without-secret"
                        },
                        format!(
                            "{} records live {} {} without its secret {} (not imported){}",
                            h.address,
                            kind(o),
                            o.id,
                            o.secret_name(),
                            if memory.held.contains_key(&o.id) {
                                "; the state held it before"
                            } else {
                                ""
                            }
                        ),
                    )),
                    Held::Sealed if !o.valid => {}
                    Held::Sealed => out.push(Violation::new(
                        'a',
                        "sealed-unopenable",
                        format!(
                            "{} holds the secret of live {} sealed, and the current key does not open it",
                            h.address, o.id
                        ),
                    )),
                }
            }
            continue;
        }
        if !o.valid || view.deposed.contains_key(&o.id) || memory.released.contains(&o.id) {
            continue;
        }
        if let Some(address) = memory.held.get(&o.id) {
            out.push(Violation::new(
                'a',
                "secret-disappeared",
                format!(
                    "live {} {} (secret {}) was recorded at {address}; the state no longer tracks it and nothing released it",
                    kind(o),
                    o.id,
                    o.secret_name()
                ),
            ));
        }
    }
    for t in &truth.tailnets {
        match view.tailnets.get(t) {
            Some(addresses) => {
                memory.tailnets.insert(t.clone(), addresses[0].clone());
            }
            None if memory.released.contains(t) => {}
            None => {
                if let Some(address) = memory.tailnets.get(t) {
                    out.push(Violation::new(
                        'a',
                        "secret-disappeared",
                        format!("live tailnet {t} was recorded at {address}; the state no longer tracks it"),
                    ));
                }
            }
        }
    }
    out
}

fn kind(o: &Object) -> &'static str {
    if o.client { "OAuth client" } else { "auth key" }
}

/// (c): no object tracked twice; when `strict` (after a successful apply) no live untracked
/// object and no intent left.
pub fn tracking(truth: &Truth, view: &StateView, memory: &Memory, strict: bool) -> Vec<Violation> {
    let mut out = Vec::new();
    for (id, holders) in &view.holders {
        let mut at: Vec<&str> = holders.iter().map(|h| h.address.as_str()).collect();
        if let Some(d) = view.deposed.get(id) {
            at.push(d);
        }
        if at.len() > 1 {
            out.push(Violation::new(
                'c',
                "tracked-twice",
                format!("{id} is tracked at {}", at.join(" and ")),
            ));
        }
    }
    for (id, addresses) in &view.tailnets {
        if addresses.len() > 1 {
            out.push(Violation::new(
                'c',
                "tracked-twice",
                format!("tailnet {id} is tracked at {}", addresses.join(" and ")),
            ));
        }
    }
    if !strict {
        return out;
    }
    let untracked: Vec<String> = truth
        .objects
        .values()
        .filter(|o| o.valid && !view.tracks(&o.id) && !memory.released.contains(&o.id))
        .map(|o| format!("{} {} in {}", kind(o), o.id, o.tailnet))
        .chain(
            truth
                .tailnets
                .iter()
                .filter(|t| !view.tailnets.contains_key(*t) && !memory.released.contains(*t))
                .map(|t| format!("tailnet {t}")),
        )
        .collect();
    if !untracked.is_empty() {
        out.push(Violation::new(
            'c',
            "untracked-after-apply",
            format!(
                "after a successful apply, live and untracked: {}",
                untracked.join(", ")
            ),
        ));
    }
    if view.pending > 0 {
        out.push(Violation::new(
            'c',
            "intents-left",
            format!(
                "after a successful apply the state still has {} pending intent(s)",
                view.pending
            ),
        ));
    }
    out
}

/// (b): no plaintext secret at rest where it must not be.
pub fn at_rest(
    truth: &Truth,
    stored: &[(String, Vec<u8>)],
    plans: &[(String, Vec<u8>)],
    encrypted: bool,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut search = |files: &[(String, Vec<u8>)], slug: &'static str, why: &str| {
        for (name, bytes) in files {
            let found = truth.found_in(bytes);
            if !found.is_empty() {
                out.push(Violation::new(
                    'b',
                    slug,
                    format!(
                        "{name} holds {} plaintext secret(s) ({why}): {}",
                        found.len(),
                        found.join(", ")
                    ),
                ));
            }
        }
    };
    if encrypted {
        search(stored, "plaintext-at-rest", "encryption is on");
    }
    search(
        plans,
        "secret-in-saved-plan",
        "a saved plan never holds one",
    );
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Rust `Debug` output that must never reach a user.
const DEBUG_NOISE: [&str; 9] = [
    "panicked at",
    "Os {",
    "Custom {",
    "kind: ",
    "Error {",
    "Some(",
    "Err(",
    "{ code:",
    "RUST_BACKTRACE",
];

/// (e) for one command (and the output part of (b)). `ok` are the exit codes that are not
/// failures (0, and 2 under `--detailed-exitcode`); `shows_secrets`: `output` prints them.
pub fn command(run: &Run, truth: &Truth, ok: &[i32], shows_secrets: bool) -> Vec<Violation> {
    let mut out = Vec::new();
    if run.killed {
        return out;
    }
    let tail = |text: &str| {
        let lines: Vec<&str> = text.lines().rev().take(4).collect();
        truth.redact(&lines.into_iter().rev().collect::<Vec<_>>().join(" | "))
    };
    let Some(code) = run.code else {
        out.push(Violation::new(
            'e',
            "signal",
            format!(
                "`{}` was ended by a signal; stderr: {}",
                run.label,
                tail(&run.stderr)
            ),
        ));
        return out;
    };
    if code == 101 || run.stderr.contains("panicked at") {
        out.push(Violation::new(
            'e',
            "panic",
            format!(
                "`{}` panicked (exit {code}): {}",
                run.label,
                tail(&run.stderr)
            ),
        ));
        return out;
    }
    if !shows_secrets {
        for stream in [&run.stdout, &run.stderr] {
            for found in truth.found_in(stream.as_bytes()) {
                out.push(Violation::new(
                    'b',
                    "secret-in-output",
                    format!("`{}` printed the secret {found}", run.label),
                ));
            }
        }
    }
    if code == 0 || ok.contains(&code) {
        return out;
    }
    if run.stderr.trim().is_empty() {
        out.push(Violation::new(
            'e',
            "silent-failure",
            format!("`{}` exited {code} with nothing on stderr", run.label),
        ));
        return out;
    }
    // The sentence: an `error: …` line, or (apply) a failed step's `…: FAILED: …` line; the
    // summary `Apply failed: …` goes to stdout with the plan.
    let sentence = run.stderr.lines().find_map(|l| {
        l.strip_prefix("error: ")
            .or_else(|| l.split_once(": FAILED: ").map(|(_, s)| s))
    });
    match sentence {
        None => out.push(Violation::new(
            'e',
            "no-error-sentence",
            format!(
                "`{}` exited {code} without an `error: …` (or failed step) line on stderr; it ends: {}",
                run.label,
                tail(&run.stderr)
            ),
        )),
        Some(sentence) => {
            let starts_well = sentence
                .chars()
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '`');
            if !starts_well || sentence.split_whitespace().count() < 3 {
                out.push(Violation::new(
                    'e',
                    "no-error-sentence",
                    format!(
                        "`{}` exited {code}; its error line does not read as a sentence: {}",
                        run.label,
                        truth.redact(sentence)
                    ),
                ));
            }
        }
    }
    if let Some(noise) = DEBUG_NOISE.iter().find(|n| run.stderr.contains(*n)) {
        let line = run
            .stderr
            .lines()
            .find(|l| l.contains(noise))
            .unwrap_or_default();
        out.push(Violation::new(
            'e',
            "debug-dump",
            format!(
                "`{}` printed Rust Debug output (`{noise}`): {}",
                run.label,
                truth.redact(line)
            ),
        ));
    }
    out
}

/// (f): one command's request log deletes each object at most once (answered 2xx, response
/// not lost).
pub fn deletes(log: &[Value], label: &str) -> Vec<Violation> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in log {
        let ok = e["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s));
        if e["method"] == "DELETE" && ok && e["dropped"] != true {
            *counts
                .entry(e["path"].as_str().unwrap_or_default())
                .or_default() += 1;
        }
    }
    let twice: Vec<String> = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(p, n)| format!("{p} ×{n}"))
        .collect();
    if twice.is_empty() {
        return Vec::new();
    }
    vec![Violation::new(
        'f',
        "deleted-twice",
        format!(
            "`{label}` deleted the same object more than once: {}",
            twice.join(", ")
        ),
    )]
}

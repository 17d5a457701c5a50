//! The manifest a sequence drives: one or two API-only tailnets with a few OAuth clients and
//! auth keys, generated from the sequence's seed and changed by `edit` operations (add, remove,
//! change, rename a client or a key; change scopes, tags, expiry). Every edit keeps the manifest
//! valid (a `createdBy` key keeps tags its client may give it), so an edit never turns into a
//! validation error; the harness checks that with `tailform validate` after each one.
//!
//! Some keys are generated in identical pairs (same description, tags, flags and expiry) so
//! that an apply has identical creates in flight, which orphan recovery must tell apart
//! (`TAILFORM_SEQUENCE_TWINS=0` turns that off).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::rng::Rng;

const TAGS: [&str; 4] = ["tag:a", "tag:b", "tag:c", "tag:d"];
const SCOPES: [&str; 5] = [
    "auth_keys",
    "devices:core",
    "dns:read",
    "policy_file:read",
    "users:read",
];
const EXPIRIES: [&str; 4] = ["1d", "7d", "30d", "90d"];
const DESCRIPTIONS: [&str; 4] = ["Pool key", "Edge nodes", "Build agents", "Shared runners"];
const CLIENT_DESCRIPTIONS: [&str; 3] = ["Provisioner", "Key minter", "Ops automation"];
const DISPLAY_NAMES: [&str; 2] = ["Seq Zero", "Seq One"];
const MAX_KEYS: usize = 6;
const MAX_CLIENTS: usize = 3;

/// An OAuth client.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub description: Option<&'static str>,
    pub scopes: Vec<&'static str>,
    pub tags: Vec<&'static str>,
}

/// An auth key.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub description: Option<&'static str>,
    pub reusable: bool,
    pub ephemeral: bool,
    pub preauthorized: bool,
    pub tags: Vec<&'static str>,
    pub expiry: &'static str,
    /// `rotateBefore: 0` (rotation off) when false; the default (a third) when true.
    pub rotates: bool,
    pub recreate: Option<&'static str>,
    pub created_by: Option<String>,
}

/// One tailnet.
#[derive(Debug, Clone, PartialEq)]
pub struct Tailnet {
    pub name: String,
    pub display_name: &'static str,
    pub clients: BTreeMap<String, Client>,
    pub keys: BTreeMap<String, Key>,
}

/// The whole manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub tailnets: Vec<Tailnet>,
    /// Names handed out so far (new names never reuse an old one).
    next_name: u32,
    /// Whether keys are made in identical pairs now and then.
    twins: bool,
    /// `moved:` entries (from, to), written while `to` is declared.
    pub moves: Vec<(String, String)>,
}

/// What an `edit` operation changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    AddKey,
    AddClient,
    RemoveKey,
    RemoveClient,
    ChangeKey,
    ChangeClient,
    RenameKey,
    RenameClient,
    Scopes,
    Tags,
    Expiry,
}

impl Edit {
    pub const ALL: [Edit; 11] = [
        Edit::AddKey,
        Edit::AddClient,
        Edit::RemoveKey,
        Edit::RemoveClient,
        Edit::ChangeKey,
        Edit::ChangeClient,
        Edit::RenameKey,
        Edit::RenameClient,
        Edit::Scopes,
        Edit::Tags,
        Edit::Expiry,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Edit::AddKey => "add_key",
            Edit::AddClient => "add_client",
            Edit::RemoveKey => "remove_key",
            Edit::RemoveClient => "remove_client",
            Edit::ChangeKey => "change_key",
            Edit::ChangeClient => "change_client",
            Edit::RenameKey => "rename_key",
            Edit::RenameClient => "rename_client",
            Edit::Scopes => "scopes",
            Edit::Tags => "tags",
            Edit::Expiry => "expiry",
        }
    }

    pub fn parse(s: &str) -> Option<Edit> {
        Edit::ALL.into_iter().find(|e| e.name() == s)
    }
}

fn tag_set(rng: &mut Rng, within: &[&'static str]) -> Vec<&'static str> {
    let mut tags: Vec<&'static str> = within.iter().copied().filter(|_| rng.chance(50)).collect();
    if tags.is_empty() {
        tags.push(*rng.pick(within));
    }
    tags.sort_unstable();
    tags
}

fn new_client(rng: &mut Rng) -> Client {
    let mut scopes: Vec<&'static str> = vec!["auth_keys"];
    for s in &SCOPES[1..] {
        if rng.chance(30) {
            scopes.push(s);
        }
    }
    if rng.chance(15) {
        // A client that cannot mint keys (and needs no tags).
        scopes.retain(|s| *s != "auth_keys" && *s != "devices:core");
        if scopes.is_empty() {
            scopes.push("dns:read");
        }
    }
    scopes.sort_unstable();
    let needs_tags = scopes
        .iter()
        .any(|s| *s == "auth_keys" || *s == "devices:core");
    Client {
        description: rng.chance(70).then(|| *rng.pick(&CLIENT_DESCRIPTIONS)),
        scopes,
        tags: if needs_tags {
            tag_set(rng, &TAGS[..3])
        } else {
            Vec::new()
        },
    }
}

fn new_key(rng: &mut Rng, clients: &BTreeMap<String, Client>) -> Key {
    let mut key = Key {
        description: rng.chance(80).then(|| *rng.pick(&DESCRIPTIONS)),
        reusable: rng.chance(60),
        ephemeral: rng.chance(25),
        preauthorized: rng.chance(40),
        tags: tag_set(rng, &TAGS),
        expiry: EXPIRIES[rng.below(EXPIRIES.len() as u64) as usize],
        rotates: rng.chance(85),
        recreate: match rng.below(10) {
            0 => Some("always"),
            1 => Some("never"),
            _ => None,
        },
        created_by: None,
    };
    let minters: Vec<(&String, &Client)> = clients
        .iter()
        .filter(|(_, c)| c.scopes.contains(&"auth_keys"))
        .collect();
    if !minters.is_empty() && rng.chance(40) {
        let (name, client) = *rng.pick(&minters);
        key.tags = tag_set(rng, &client.tags);
        key.created_by = Some(name.clone());
    }
    key
}

impl Manifest {
    /// The manifest a sequence starts with.
    pub fn generate(seed: u64, twins: bool) -> Manifest {
        let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(7));
        let mut m = Manifest {
            tailnets: Vec::new(),
            next_name: 0,
            twins,
            moves: Vec::new(),
        };
        let tailnets = if rng.chance(25) { 2 } else { 1 };
        for (i, display_name) in DISPLAY_NAMES.iter().enumerate().take(tailnets) {
            let mut t = Tailnet {
                name: format!("t{i}"),
                display_name,
                clients: BTreeMap::new(),
                keys: BTreeMap::new(),
            };
            for _ in 0..1 + rng.below(2) {
                let name = m.fresh("c");
                t.clients.insert(name, new_client(&mut rng));
            }
            for _ in 0..2 + rng.below(3) {
                let key = new_key(&mut rng, &t.clients);
                if rng.chance(30) && m.twins && t.keys.len() + 2 <= MAX_KEYS {
                    // An identical pair: two creates with the same fingerprint in flight.
                    let twin = m.fresh("k");
                    t.keys.insert(twin, key.clone());
                }
                let name = m.fresh("k");
                t.keys.insert(name, key);
            }
            m.tailnets.push(t);
        }
        m.fixup();
        m
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        format!("{prefix}{}", self.next_name)
    }

    /// Every client and key address the manifest declares.
    pub fn addresses(&self) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.tailnets {
            for c in t.clients.keys() {
                out.push(format!("tailnet.{}.oauth_client.{c}", t.name));
            }
            for k in t.keys.keys() {
                out.push(format!("tailnet.{}.auth_key.{k}", t.name));
            }
        }
        out
    }

    /// Renames the client or key at `address` (a fresh name; a client's keys follow it in
    /// `createdBy`); returns the new address, or `None` when the manifest does not declare it.
    pub fn rename(&mut self, address: &str) -> Option<String> {
        let parts: Vec<&str> = address.split('.').collect();
        let [_, tailnet, kind, name] = parts[..] else {
            return None;
        };
        let ti = self.tailnets.iter().position(|t| t.name == tailnet)?;
        let new = match kind {
            "auth_key" => {
                let key = self.tailnets[ti].keys.remove(name)?;
                let new = self.fresh("k");
                self.tailnets[ti].keys.insert(new.clone(), key);
                new
            }
            "oauth_client" => {
                let client = self.tailnets[ti].clients.remove(name)?;
                let new = self.fresh("c");
                let t = &mut self.tailnets[ti];
                for k in t.keys.values_mut() {
                    if k.created_by.as_deref() == Some(name) {
                        k.created_by = Some(new.clone());
                    }
                }
                t.clients.insert(new.clone(), client);
                new
            }
            _ => return None,
        };
        Some(format!("tailnet.{tailnet}.{kind}.{new}"))
    }

    /// Applies an edit chosen by `choice`; returns what changed, in words.
    pub fn edit(&mut self, edit: Edit, choice: u32) -> String {
        let mut rng = Rng::new(u64::from(choice) ^ 0xED17);
        let ti = rng.below(self.tailnets.len() as u64) as usize;
        let note = self.edit_in(ti, edit, &mut rng);
        self.fixup();
        note
    }

    fn edit_in(&mut self, ti: usize, edit: Edit, rng: &mut Rng) -> String {
        let tname = self.tailnets[ti].name.clone();
        let key_names: Vec<String> = self.tailnets[ti].keys.keys().cloned().collect();
        let client_names: Vec<String> = self.tailnets[ti].clients.keys().cloned().collect();
        let key_at = |rng: &mut Rng| rng.pick(&key_names).clone();
        let client_at = |rng: &mut Rng| rng.pick(&client_names).clone();
        let no_keys = key_names.is_empty();
        let no_clients = client_names.is_empty();
        let edit = match edit {
            Edit::AddKey if key_names.len() >= MAX_KEYS => Edit::ChangeKey,
            Edit::AddClient if client_names.len() >= MAX_CLIENTS => Edit::ChangeClient,
            Edit::RemoveKey | Edit::ChangeKey | Edit::RenameKey | Edit::Expiry if no_keys => {
                Edit::AddKey
            }
            Edit::RemoveClient | Edit::ChangeClient | Edit::RenameClient | Edit::Scopes
                if no_clients =>
            {
                Edit::AddClient
            }
            Edit::Tags if no_keys && no_clients => Edit::AddKey,
            e => e,
        };
        let t = &mut self.tailnets[ti];
        match edit {
            Edit::AddKey => {
                let key = new_key(rng, &t.clients);
                // Sometimes the twin of an existing key (identical creates in flight).
                let key = match t.keys.values().next() {
                    Some(existing) if rng.chance(30) && self.twins => existing.clone(),
                    _ => key,
                };
                self.next_name += 1;
                let name = format!("k{}", self.next_name);
                self.tailnets[ti].keys.insert(name.clone(), key);
                format!("added tailnet.{tname}.auth_key.{name}")
            }
            Edit::AddClient => {
                let client = new_client(rng);
                self.next_name += 1;
                let name = format!("c{}", self.next_name);
                self.tailnets[ti].clients.insert(name.clone(), client);
                format!("added tailnet.{tname}.oauth_client.{name}")
            }
            Edit::RemoveKey => {
                let name = key_at(rng);
                t.keys.remove(&name);
                format!("removed tailnet.{tname}.auth_key.{name}")
            }
            Edit::RemoveClient => {
                let name = client_at(rng);
                t.clients.remove(&name);
                format!("removed tailnet.{tname}.oauth_client.{name}")
            }
            Edit::ChangeKey => {
                let name = key_at(rng);
                let k = t.keys.get_mut(&name).expect("a key");
                let what = match rng.below(6) {
                    0 => {
                        k.reusable = !k.reusable;
                        "reusable"
                    }
                    1 => {
                        k.ephemeral = !k.ephemeral;
                        "ephemeral"
                    }
                    2 => {
                        k.preauthorized = !k.preauthorized;
                        "preauthorized"
                    }
                    3 => {
                        k.description = match k.description {
                            Some(_) if rng.chance(30) => None,
                            _ => Some(*rng.pick(&DESCRIPTIONS)),
                        };
                        "description"
                    }
                    4 => {
                        k.recreate = *rng.pick(&[None, Some("always"), Some("never")]);
                        "recreateIfInvalid"
                    }
                    _ => {
                        k.rotates = !k.rotates;
                        "rotateBefore"
                    }
                };
                format!("changed {what} of tailnet.{tname}.auth_key.{name}")
            }
            Edit::ChangeClient => {
                let name = client_at(rng);
                let c = t.clients.get_mut(&name).expect("a client");
                c.description = match c.description {
                    Some(_) if rng.chance(30) => None,
                    _ => Some(*rng.pick(&CLIENT_DESCRIPTIONS)),
                };
                format!("changed the description of tailnet.{tname}.oauth_client.{name}")
            }
            Edit::RenameKey => {
                let name = key_at(rng);
                let key = t.keys.remove(&name).expect("a key");
                self.next_name += 1;
                let new = format!("k{}", self.next_name);
                self.tailnets[ti].keys.insert(new.clone(), key);
                format!("renamed tailnet.{tname}.auth_key.{name} to {new}")
            }
            Edit::RenameClient => {
                let name = client_at(rng);
                let client = t.clients.remove(&name).expect("a client");
                self.next_name += 1;
                let new = format!("c{}", self.next_name);
                let t = &mut self.tailnets[ti];
                for k in t.keys.values_mut() {
                    if k.created_by.as_deref() == Some(name.as_str()) {
                        k.created_by = Some(new.clone());
                    }
                }
                t.clients.insert(new.clone(), client);
                format!("renamed tailnet.{tname}.oauth_client.{name} to {new}")
            }
            Edit::Scopes => {
                let name = client_at(rng);
                let c = t.clients.get_mut(&name).expect("a client");
                let scope = *rng.pick(&SCOPES);
                if c.scopes.contains(&scope) && c.scopes.len() > 1 {
                    c.scopes.retain(|s| *s != scope);
                } else if !c.scopes.contains(&scope) {
                    c.scopes.push(scope);
                    c.scopes.sort_unstable();
                }
                let needs_tags = c
                    .scopes
                    .iter()
                    .any(|s| *s == "auth_keys" || *s == "devices:core");
                if needs_tags && c.tags.is_empty() {
                    c.tags = tag_set(rng, &TAGS[..3]);
                }
                format!(
                    "scopes of tailnet.{tname}.oauth_client.{name} are now {:?}",
                    c.scopes
                )
            }
            Edit::Tags => {
                let on_client = !no_clients && (no_keys || rng.chance(40));
                if on_client {
                    let name = client_at(rng);
                    let c = t.clients.get_mut(&name).expect("a client");
                    c.tags = tag_set(rng, &TAGS);
                    format!(
                        "tags of tailnet.{tname}.oauth_client.{name} are now {:?}",
                        c.tags
                    )
                } else {
                    let name = key_at(rng);
                    let within: Vec<&'static str> = match &t.keys[&name].created_by {
                        Some(c) => t.clients[c].tags.clone(),
                        None => TAGS.to_vec(),
                    };
                    let k = t.keys.get_mut(&name).expect("a key");
                    k.tags = tag_set(rng, &within);
                    format!(
                        "tags of tailnet.{tname}.auth_key.{name} are now {:?}",
                        k.tags
                    )
                }
            }
            Edit::Expiry => {
                let name = key_at(rng);
                let k = t.keys.get_mut(&name).expect("a key");
                let others: Vec<&'static str> = EXPIRIES
                    .iter()
                    .copied()
                    .filter(|e| *e != k.expiry)
                    .collect();
                k.expiry = *rng.pick(&others);
                format!(
                    "expiry of tailnet.{tname}.auth_key.{name} is now {}",
                    k.expiry
                )
            }
        }
    }

    /// Keeps every `createdBy` valid: the client exists, may mint keys, and holds the key's tags.
    fn fixup(&mut self) {
        for t in &mut self.tailnets {
            let clients = t.clients.clone();
            for k in t.keys.values_mut() {
                let ok = k.created_by.as_ref().is_some_and(|c| {
                    clients.get(c).is_some_and(|c| {
                        c.scopes.contains(&"auth_keys") && k.tags.iter().all(|t| c.tags.contains(t))
                    })
                });
                if !ok {
                    k.created_by = None;
                }
            }
            for c in t.clients.values_mut() {
                let needs_tags = c
                    .scopes
                    .iter()
                    .any(|s| *s == "auth_keys" || *s == "devices:core");
                if !needs_tags && c.tags.is_empty() {
                    continue;
                }
                if c.tags.is_empty() {
                    c.tags.push("tag:a");
                }
            }
        }
    }

    /// The manifest as YAML.
    pub fn yaml(&self) -> String {
        let mut y = String::from(
            "# Generated by tests/sequences (the command-sequence harness).\ntailnets:\n",
        );
        let list = |v: &[&str]| format!("[{}]", v.join(", "));
        for t in &self.tailnets {
            let _ = writeln!(y, "  {}:\n    displayName: {}", t.name, t.display_name);
            if !t.clients.is_empty() {
                y.push_str("    oauthClients:\n");
            }
            for (name, c) in &t.clients {
                let _ = writeln!(y, "      {name}:");
                if let Some(d) = c.description {
                    let _ = writeln!(y, "        description: {d}");
                }
                let _ = writeln!(y, "        scopes: {}", list(&c.scopes));
                if !c.tags.is_empty() {
                    let _ = writeln!(y, "        tags: {}", list(&c.tags));
                }
            }
            if !t.keys.is_empty() {
                y.push_str("    authKeys:\n");
            }
            for (name, k) in &t.keys {
                let _ = writeln!(y, "      {name}:");
                if let Some(d) = k.description {
                    let _ = writeln!(y, "        description: {d}");
                }
                let _ = writeln!(
                    y,
                    "        reusable: {}\n        ephemeral: {}\n        preauthorized: {}",
                    k.reusable, k.ephemeral, k.preauthorized
                );
                let _ = writeln!(y, "        tags: {}", list(&k.tags));
                let _ = writeln!(y, "        expiry: {}", k.expiry);
                if !k.rotates {
                    y.push_str("        rotateBefore: 0\n");
                }
                if let Some(r) = k.recreate {
                    let _ = writeln!(y, "        recreateIfInvalid: {r}");
                }
                if let Some(c) = &k.created_by {
                    let _ = writeln!(y, "        createdBy: {c}");
                }
            }
        }
        // A `moved` entry must name a declared `to` (E042): one whose object was renamed again
        // or removed since is dropped (its `from` is long gone from the state by then, or the
        // object is deleted as undeclared, which is what removing it means).
        let declared = self.addresses();
        let moves: Vec<&(String, String)> = self
            .moves
            .iter()
            .filter(|(_, to)| declared.contains(to))
            .collect();
        if !moves.is_empty() {
            y.push_str("moved:\n");
            for (from, to) in moves {
                let _ = writeln!(y, "  - from: {from}\n    to: {to}");
            }
        }
        y
    }
}

//! Turns a file's spanned YAML tree into a [`RawManifest`], reporting every shape problem — an
//! unknown field (with a "did you mean"), a value of the wrong type, a key written twice — and
//! carrying on, so one run shows them all.

use std::collections::HashMap;

use super::Sink;
use super::node::{Node, Value};
use super::raw::{
    At, Entry, Field, MOVED_FIELDS, POLICY_FIELDS, RawManifest, RawMove, RawPolicy, RawTagOwners,
    RawTailnet, TAILNET_FIELDS, TOP_FIELDS,
};
use super::source::{FileId, Loc, child_path, index_path};
use crate::diagnostic::Code;
use crate::suggest::did_you_mean;

mod resources;

/// Reads one file's tree into its raw manifest; problems go to `sink`.
pub(crate) fn extract(file: FileId, root: &Node, sink: &mut Sink<'_>) -> RawManifest {
    let mut r = Reader { file, sink };
    let mut manifest = RawManifest {
        file,
        tailnets_key: None,
        tailnets: Vec::new(),
        moved: Vec::new(),
    };
    if matches!(root.value, Value::Null) {
        return manifest;
    }
    let Some(entries) = r.fields(root, "", "a mapping with a `tailnets` key") else {
        return manifest;
    };
    for (key, value) in entries {
        match key.value.as_str() {
            "tailnets" => {
                manifest.tailnets_key = Some(key.loc.clone());
                manifest.tailnets = r.resources(value, &key.loc.path, "tailnet", Reader::tailnet);
            }
            "moved" => manifest.moved = r.moved(value, &key.loc.path),
            // Extension keys (as in Docker Compose): a place for YAML anchors, ignored.
            k if k.starts_with("x-") => {}
            _ => r.unknown_field(&key, TOP_FIELDS, "the top level"),
        }
    }
    manifest
}

/// How a repeated key of a mapping is reported.
#[derive(Clone, Copy)]
enum Dup {
    /// A field written twice.
    Field,
    /// A resource declared twice (the word names its kind).
    Resource(&'static str),
}

struct Reader<'a, 's> {
    file: FileId,
    sink: &'a mut Sink<'s>,
}

type Entries<'n> = Vec<(At<String>, &'n Node)>;

impl Reader<'_, '_> {
    fn loc(&self, node: &Node, path: String) -> Loc {
        Loc::new(self.file, node, path)
    }

    fn wrong_type(&mut self, node: &Node, path: &str, expected: &str) {
        let loc = self.loc(node, path.to_owned());
        let message = format!("expected {expected}, found {}", node.value.kind());
        let diag = self.sink.report(Code::WrongType, &loc, message);
        match (&node.value, expected) {
            (Value::Str(s), "true or false")
                if matches!(
                    s.to_ascii_lowercase().as_str(),
                    "yes" | "no" | "on" | "off" | "y" | "n"
                ) =>
            {
                diag.hint("YAML 1.2 booleans are spelt `true` and `false`");
            }
            (Value::Int(_) | Value::Float(_) | Value::Bool(_), "a string") => {
                let text = node.value.scalar_text().unwrap_or_default();
                diag.hint(format!("quote it to make it a string: \"{text}\""));
            }
            (Value::Str(s), e) if e.starts_with("a list") => {
                diag.hint(format!("write a list: [{s}]"));
            }
            _ => {}
        }
    }

    fn unknown_field(&mut self, key: &At<String>, known: &[&str], within: &str) {
        let message = format!("unknown field `{}` in {within}", key.value);
        let hint = match did_you_mean(&key.value, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!(
                "known fields: {}",
                known
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.sink
            .report(Code::UnknownField, &key.loc, message)
            .hint(hint);
    }

    /// The entries of a mapping of fields; `None` (reported) when the node is not a mapping.
    fn fields<'n>(&mut self, node: &'n Node, path: &str, expected: &str) -> Option<Entries<'n>> {
        match &node.value {
            Value::Map(map) => Some(self.entries(map, path, Dup::Field)),
            _ => {
                self.wrong_type(node, path, expected);
                None
            }
        }
    }

    /// A mapping's entries with their keys as text. Non-scalar keys are reported and skipped; a
    /// repeated key is reported at the repeat (naming the first place) and skipped.
    fn entries<'n>(&mut self, map: &'n [(Node, Node)], path: &str, dup: Dup) -> Entries<'n> {
        let mut seen: HashMap<&str, &Node> = HashMap::with_capacity(map.len());
        let mut out = Vec::with_capacity(map.len());
        let mut texts = Vec::with_capacity(map.len());
        for (key, _) in map {
            texts.push(key.value.scalar_text());
        }
        for ((key, value), text) in map.iter().zip(&texts) {
            let Some(text) = text else {
                self.wrong_type(key, path, "a name as the key");
                continue;
            };
            let key_path = child_path(path, text);
            let loc = self.loc(key, key_path);
            if let Some(first) = seen.get(text.as_str()) {
                let first_loc = self.loc(first, loc.path.clone());
                let (code, message, first_msg) = match dup {
                    Dup::Field => (
                        Code::DuplicateKey,
                        format!("`{text}` is written twice in this mapping"),
                        "first written here",
                    ),
                    Dup::Resource(kind) => (
                        Code::DuplicateResource,
                        format!("{kind} `{text}` is declared twice"),
                        "first declared here",
                    ),
                };
                let related = self.sink.related_at(&first_loc, first_msg);
                self.sink.report(code, &loc, message).related(related);
                continue;
            }
            seen.insert(text, key);
            out.push((
                At {
                    value: text.clone(),
                    loc,
                },
                value,
            ));
        }
        out
    }

    /// A resource map (`tailnets`, `oauthClients`, `authKeys`); null is an empty map.
    fn resources<T>(
        &mut self,
        node: &Node,
        path: &str,
        kind: &'static str,
        body: fn(&mut Self, &Node, &str) -> T,
    ) -> Vec<Entry<T>> {
        let map = match &node.value {
            Value::Null => return Vec::new(),
            Value::Map(map) => map,
            _ => {
                self.wrong_type(node, path, &format!("a mapping of {kind} names"));
                return Vec::new();
            }
        };
        self.entries(map, path, Dup::Resource(kind))
            .into_iter()
            .map(|(name, value)| {
                let path = name.loc.path.clone();
                Entry {
                    body: body(self, value, &path),
                    name,
                }
            })
            .collect()
    }

    /// The fields of a resource body; null means "all defaults".
    fn body<'n>(&mut self, node: &'n Node, path: &str, kind: &str) -> Entries<'n> {
        match &node.value {
            Value::Null => Vec::new(),
            _ => self
                .fields(node, path, &format!("a mapping of {kind} fields"))
                .unwrap_or_default(),
        }
    }

    fn tailnet(&mut self, node: &Node, path: &str) -> RawTailnet {
        let mut t = RawTailnet::default();
        for (key, value) in self.body(node, path, "tailnet") {
            let p = key.loc.path.as_str();
            match key.value.as_str() {
                "displayName" => t.display_name = self.string(value, p),
                "id" => t.id = self.string(value, p),
                "preventDestroy" => t.prevent_destroy = self.bool(value, p),
                "policy" => t.policy = self.policy(value, p),
                "oauthClients" => {
                    t.oauth_clients = self.resources(value, p, "OAuth client", Self::oauth_client);
                }
                "authKeys" => t.auth_keys = self.resources(value, p, "auth key", Self::auth_key),
                "federatedIdentities" => {
                    t.federated_identities =
                        self.resources(value, p, "federated identity", Self::federated_identity);
                }
                "webhooks" => t.webhooks = self.resources(value, p, "webhook", Self::webhook),
                "settings" => t.settings = self.settings(value, p),
                _ => self.unknown_field(&key, TAILNET_FIELDS, "a tailnet"),
            }
        }
        t
    }

    fn policy(&mut self, node: &Node, path: &str) -> Field<RawPolicy> {
        let Some(entries) = self.fields(node, path, "a mapping with `tagOwners` or `file`") else {
            return Field::Broken;
        };
        let mut policy = RawPolicy::default();
        for (key, value) in entries {
            let p = key.loc.path.as_str();
            match key.value.as_str() {
                "tagOwners" => policy.tag_owners = self.tag_owners(value, p),
                "file" => policy.file = self.string(value, p),
                _ => self.unknown_field(&key, POLICY_FIELDS, "a policy block"),
            }
        }
        Field::Set(At {
            value: policy,
            loc: self.loc(node, path.to_owned()),
        })
    }

    fn tag_owners(&mut self, node: &Node, path: &str) -> Field<Vec<RawTagOwners>> {
        let Some(entries) = self.fields(node, path, "a mapping of tags to owner lists") else {
            return Field::Broken;
        };
        let owners = entries
            .into_iter()
            .map(|(tag, value)| {
                let owners = self.string_list(value, &tag.loc.path);
                RawTagOwners { tag, owners }
            })
            .collect();
        Field::Set(At {
            value: owners,
            loc: self.loc(node, path.to_owned()),
        })
    }

    /// `moved:` — a list of `{from, to}` mappings; null is an empty list.
    fn moved(&mut self, node: &Node, path: &str) -> Vec<At<RawMove>> {
        let items = match &node.value {
            Value::Null => return Vec::new(),
            Value::Seq(items) => items,
            _ => {
                self.wrong_type(node, path, "a list of `from:`/`to:` entries");
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_path = index_path(path, i);
            let Some(entries) = self.fields(item, &item_path, "a mapping with `from` and `to`")
            else {
                continue;
            };
            let mut m = RawMove::default();
            for (key, value) in entries {
                let p = key.loc.path.as_str();
                match key.value.as_str() {
                    "from" => m.from = self.string(value, p),
                    "to" => m.to = self.string(value, p),
                    _ => self.unknown_field(&key, MOVED_FIELDS, "a `moved` entry"),
                }
            }
            out.push(At {
                value: m,
                loc: self.loc(item, item_path),
            });
        }
        out
    }

    fn string(&mut self, node: &Node, path: &str) -> Field<String> {
        match &node.value {
            Value::Str(s) => Field::Set(At {
                value: s.clone(),
                loc: self.loc(node, path.to_owned()),
            }),
            _ => {
                self.wrong_type(node, path, "a string");
                Field::Broken
            }
        }
    }

    fn bool(&mut self, node: &Node, path: &str) -> Field<bool> {
        match node.value {
            Value::Bool(b) => Field::Set(At {
                value: b,
                loc: self.loc(node, path.to_owned()),
            }),
            _ => {
                self.wrong_type(node, path, "true or false");
                Field::Broken
            }
        }
    }

    /// A duration is a string (`30d`) or the number `0`; numbers are kept as written and
    /// judged by validation.
    fn duration(&mut self, node: &Node, path: &str) -> Field<String> {
        match &node.value {
            Value::Str(s) => Field::Set(At {
                value: s.clone(),
                loc: self.loc(node, path.to_owned()),
            }),
            Value::Int(n) => Field::Set(At {
                value: n.to_string(),
                loc: self.loc(node, path.to_owned()),
            }),
            _ => {
                self.wrong_type(node, path, "a duration such as `30d`");
                Field::Broken
            }
        }
    }

    /// A list of strings; any item of another type breaks the whole list (each is reported).
    fn string_list(&mut self, node: &Node, path: &str) -> Field<Vec<At<String>>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, path, "a list of strings");
            return Field::Broken;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut broken = false;
        for (i, item) in items.iter().enumerate() {
            let item_path = index_path(path, i);
            match &item.value {
                Value::Str(s) => out.push(At {
                    value: s.clone(),
                    loc: self.loc(item, item_path),
                }),
                _ => {
                    self.wrong_type(item, &item_path, "a string");
                    broken = true;
                }
            }
        }
        if broken {
            return Field::Broken;
        }
        Field::Set(At {
            value: out,
            loc: self.loc(node, path.to_owned()),
        })
    }
}

//! `moved:` entries: both addresses written and valid, the rules of [`Move::check`] (same kind;
//! an OAuth client or auth key within its tailnet; no policy on its own), `to` declared in the
//! manifests and `from` no longer declared (the move renames it), and no address moved from or
//! to twice.

use std::collections::{BTreeSet, HashMap};

use super::tailnet::CheckedTailnet;
use super::text;
use crate::address::Address;
use crate::diagnostic::Code;
use crate::manifest::Loc;
use crate::manifest::Sink;
use crate::manifest::raw::{At, RawManifest, RawMove};
use crate::model::Move;

/// Every valid `moved` entry of every file, in declaration order; problems go to `sink`.
pub(super) fn check(
    raws: &[RawManifest],
    tailnets: &[CheckedTailnet],
    sink: &mut Sink<'_>,
) -> Vec<Move> {
    let declared = declared(tailnets);
    let mut froms: HashMap<Address, Loc> = HashMap::new();
    let mut tos: HashMap<Address, Loc> = HashMap::new();
    let mut moves = Vec::new();
    for entry in raws.iter().flat_map(|r| &r.moved) {
        let Some((from, to)) = addresses(entry, sink) else {
            continue;
        };
        if let Err(e) = Move::check(&from.value, &to.value) {
            sink.report(Code::InvalidMove, &entry.loc, e.to_string());
            continue;
        }
        if !declared.contains(&to.value) {
            sink.report(
                Code::InvalidMove,
                &to.loc,
                format!("`{}` is not declared in the manifests", to.value),
            )
            .hint("a move renames a record to an address the manifests declare");
            continue;
        }
        if declared.contains(&from.value) {
            sink.report(
                Code::InvalidMove,
                &from.loc,
                format!("`{}` is still declared in the manifests", from.value),
            )
            .hint("remove it: the move gives its object to the new address");
            continue;
        }
        let mut twice = false;
        for (at, seen, which) in [(&from, &mut froms, "from"), (&to, &mut tos, "to")] {
            if let Some(first) = seen.get(&at.value) {
                let related = sink.related_at(first, "first here");
                sink.report(
                    Code::InvalidMove,
                    &at.loc,
                    format!("`{}` is moved {which} twice", at.value),
                )
                .related(related);
                twice = true;
            } else {
                seen.insert(at.value.clone(), at.loc.clone());
            }
        }
        if !twice {
            moves.push(Move {
                from: from.value,
                to: to.value,
                origin: Some(text::origin(&entry.loc, sink)),
            });
        }
    }
    moves
}

/// Both addresses of an entry, parsed; `None` (reported) when one is missing or invalid.
fn addresses(entry: &At<RawMove>, sink: &mut Sink<'_>) -> Option<(At<Address>, At<Address>)> {
    let (Some(from), Some(to)) = (entry.value.from.get(), entry.value.to.get()) else {
        if !entry.value.from.is_broken() && !entry.value.to.is_broken() {
            sink.report(
                Code::InvalidMove,
                &entry.loc,
                "a `moved` entry needs both `from` and `to`",
            );
        }
        return None;
    };
    let mut parse = |at: &At<String>| match at.value.parse::<Address>() {
        Ok(a) => Some(At {
            value: a,
            loc: at.loc.clone(),
        }),
        Err(_) => {
            sink.report(
                Code::InvalidMove,
                &at.loc,
                format!("`{}` is not an address", at.value),
            )
            .hint(
                "addresses are `tailnet.NAME`, `tailnet.NAME.oauth_client.NAME` or \
                 `tailnet.NAME.auth_key.NAME`",
            );
            None
        }
    };
    let (from, to) = (parse(from), parse(to));
    Some((from?, to?))
}

/// Every address the manifests declare (tailnets, clients, keys), valid names only.
fn declared(tailnets: &[CheckedTailnet]) -> BTreeSet<Address> {
    let mut out = BTreeSet::new();
    for t in tailnets {
        let Some(name) = &t.name else { continue };
        out.insert(Address::tailnet(name.clone()));
        for c in t.clients.iter().filter_map(|c| c.name.clone()) {
            out.insert(Address::oauth_client(name.clone(), c));
        }
        for k in t.keys.iter().filter_map(|k| k.name.clone()) {
            out.insert(Address::auth_key(name.clone(), k));
        }
    }
    out
}

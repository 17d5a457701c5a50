//! Environment variable names for `tailform output --format env`: every OAuth client, auth
//! key and webhook has one — its `envName`, or the name derived from its address
//! ([`EnvName::derive`]) — and they must be unique across the whole manifest set.

use std::collections::HashMap;

use super::tailnet::CheckedTailnet;
use crate::address::Address;
use crate::diagnostic::Code;
use crate::manifest::Loc;
use crate::manifest::Sink;
use crate::model::EnvName;

struct Use<'a> {
    name: EnvName,
    address: Address,
    loc: &'a Loc,
    explicit: bool,
}

/// Reports every name used a second time, at the second use, naming the first.
pub(super) fn check(tailnets: &[CheckedTailnet], sink: &mut Sink<'_>) {
    let mut first: HashMap<EnvName, Use<'_>> = HashMap::new();
    for u in uses(tailnets) {
        let Some(earlier) = first.get(&u.name) else {
            first.insert(u.name.clone(), u);
            continue;
        };
        let how = |x: &Use<'_>| {
            if x.explicit {
                "its envName"
            } else {
                "derived from its address"
            }
        };
        let related = sink.related_at(
            earlier.loc,
            format!("`{}` uses it ({})", earlier.address, how(earlier)),
        );
        sink.report(
            Code::DuplicateEnvName,
            u.loc,
            format!(
                "environment variable name `{}` of `{}` ({}) is also used by `{}`",
                u.name,
                u.address,
                how(&u),
                earlier.address
            ),
        )
        .related(related)
        .hint("set a distinct `envName` on one of them");
    }
}

/// Every client's, key's and webhook's name (with a valid address), in declaration order.
fn uses(tailnets: &[CheckedTailnet]) -> Vec<Use<'_>> {
    let mut out = Vec::new();
    for t in tailnets {
        let Some(tailnet) = &t.name else {
            continue;
        };
        for c in &t.clients {
            if let Some(name) = &c.name {
                let address = Address::oauth_client(tailnet.clone(), name.clone());
                out.push(resolve(address, c.env_name.as_ref(), &c.raw_name.loc));
            }
        }
        for k in &t.keys {
            if let Some(name) = &k.name {
                let address = Address::auth_key(tailnet.clone(), name.clone());
                out.push(resolve(address, k.env_name.as_ref(), &k.raw_name.loc));
            }
        }
        for w in &t.webhooks {
            if let Some(name) = &w.name {
                let address = Address::webhook(tailnet.clone(), name.clone());
                out.push(resolve(address, w.env_name.as_ref(), &w.raw_name.loc));
            }
        }
    }
    out
}

fn resolve<'a>(
    address: Address,
    explicit: Option<&'a crate::manifest::raw::At<EnvName>>,
    key: &'a Loc,
) -> Use<'a> {
    match explicit {
        Some(at) => Use {
            name: at.value.clone(),
            address,
            loc: &at.loc,
            explicit: true,
        },
        None => Use {
            name: EnvName::derive(&address),
            address,
            loc: key,
            explicit: false,
        },
    }
}

//! One finding per tailnet of the manifests and the state: how plan and apply would reach it
//! (`crate::reach` decides, as for the refresh), and whether the reads the plan makes there —
//! its keys (`?all=true`) and its policy file — succeed with that credential. A tailnet not
//! created yet is checked for what creating it needs: the `tailnets` scope (an OAuth client) and
//! a display name no other tailnet of the organization has. The keys it counts leave out
//! `keyType: "api"` entries (access tokens, each token minted being one; the API does not tell an
//! OAuth-minted token from a user's API key), as the plan's unmanaged-keys line does.

use super::finding::{Check, Finding};
use super::organization::{ORG_CLIENT_FIX, Org};
use super::refusal::{Refusal, answer};
use crate::address::Address;
use crate::api::{ApiError, Credential, KeyType, TailnetInfo};
use crate::model::{Name, Tailnet, TailnetKind};
use crate::reach::{self, Reach, Via};

/// The finding for tailnet `name`; `None` for a name that only records in the state mention
/// with nothing that says how to reach it (plan treats it as not created).
pub(super) async fn check(
    o: &Org<'_>,
    name: &Name,
    listed: Option<&[TailnetInfo]>,
) -> Option<Finding> {
    let address = Address::tailnet(name.clone());
    let check = Check::Tailnet(name.clone());
    if let Some(existing) = o.plan.scope.existing.get(name) {
        let what = format!("the existing tailnet `{existing}`");
        return Some(match reach::existing(o.org, existing) {
            Ok(reach) => read(o, check, &address, &what, &reach).await,
            Err(e) => Finding::problem(check, format!("{what}: {e}"), ORG_CLIENT_FIX),
        });
    }
    if let Some(record) = o.plan.state.tailnet(&address).filter(|t| !t.existing) {
        let what = format!("`{}`", record.id);
        if listed.is_some_and(|l| !l.iter().any(|t| t.id == record.id)) {
            return Some(Finding::warning(
                check,
                format!(
                    "{what} is not among the organization's tailnets: it was deleted, and the \
                     plan creates it again with everything in it"
                ),
                format!(
                    "review `tailform plan`; if it should stay deleted, remove it from the \
                     manifests and its records with `tailform state rm {address}`"
                ),
            ));
        }
        return Some(match reach::created(o.org, record) {
            Ok(reach) => read(o, check, &address, &what, &reach).await,
            Err(e) => Finding::problem(check, format!("{what}: {e}"), ORG_CLIENT_FIX),
        });
    }
    let tailnet = o.plan.desired.tailnets.get(name)?;
    Some(to_create(o, check, &address, tailnet, listed))
}

/// The reads the plan makes, with the credential it would use.
async fn read(o: &Org<'_>, check: Check, address: &Address, what: &str, reach: &Reach) -> Finding {
    let (keys, policy) = tokio::join!(
        o.client.list_keys(&reach.credential, &reach.path, true),
        o.client.get_policy(&reach.credential, &reach.path),
    );
    match (keys, policy) {
        (Ok(keys), Ok(_)) => Finding::ok(
            check,
            format!(
                "{what}, reached with {}: its {} key(s) and its policy file are readable",
                reach.via,
                keys.iter().filter(|k| k.key_type != KeyType::Api).count()
            ),
        ),
        (Err(e), _) | (_, Err(e)) => refused(o, check, address, what, reach, &e),
    }
}

/// Why the reads were refused, and what to do.
fn refused(
    o: &Org<'_>,
    check: Check,
    address: &Address,
    what: &str,
    reach: &Reach,
    e: &ApiError,
) -> Finding {
    let said = answer(e);
    match (Refusal::of(e), &reach.via) {
        (Refusal::BadCredentials, Via::OwnClient { client_id }) => Finding::problem(
            check,
            format!(
                "{what}: its own OAuth client `{client_id}` (from the state) is refused ({said}): \
                 it was deleted, or its secret changed"
            ),
            format!(
                "if the tailnet is still there, `tailform state rm --force {address}` (the \
                 secret it drops is the refused one) then `tailform import {address} {}` make \
                 tailform reach it with the organization's client and `tailnet=` (which needs \
                 `all`)",
                reach.path
            ),
        ),
        (Refusal::CannotMint, Via::OrganizationFor { tailnet }) => Finding::problem(
            check,
            format!(
                "{what}: the organization's OAuth client may not mint a token with \
                 `tailnet={tailnet}` ({said}): it lacks the scope `all`"
            ),
            ORG_CLIENT_FIX,
        ),
        (Refusal::MintRejected | Refusal::NotFound, _) => Finding::problem(
            check,
            format!(
                "{what}, reached with {}: the API does not know it ({said})",
                reach.via
            ),
            "check the tailnet's `id:` in the manifest: it must be a tailnet of this \
             organization, `T…` (or `-` for the credential's own tailnet)",
        ),
        (Refusal::Forbidden, _) if matches!(o.org, Credential::ApiKey(_)) && reach.path != "-" => {
            Finding::problem(
                check,
                format!("{what}, reached with an API key: refused ({said})"),
                format!(
                    "an API key reaches only its own tailnet: write `id: \"-\"` if this is it, \
                     or {ORG_CLIENT_FIX}"
                ),
            )
        }
        (Refusal::Forbidden, _) => Finding::problem(
            check,
            format!(
                "{what}, reached with {}: reading its keys or its policy file is refused \
                 ({said}); plan needs both, and apply writes there",
                reach.via
            ),
            ORG_CLIENT_FIX,
        ),
        _ => Finding::problem(
            check,
            format!("{what}, reached with {}: {e}", reach.via),
            "run again; `-vv` logs every request",
        ),
    }
}

/// A tailnet the manifests create that the state does not hold yet.
fn to_create(
    o: &Org<'_>,
    check: Check,
    address: &Address,
    tailnet: &Tailnet,
    listed: Option<&[TailnetInfo]>,
) -> Finding {
    let TailnetKind::Created { display_name } = &tailnet.kind else {
        // Existing tailnets are in the scope's `existing` map, handled first.
        return Finding::ok(check, "an existing tailnet");
    };
    if o.plan.state.pending.iter().any(|i| &i.address == address) {
        return Finding::ok(
            check,
            "an interrupted apply was creating it: the next plan finds what it left",
        );
    }
    if let Credential::ApiKey(_) = o.org {
        return Finding::problem(
            check,
            "not created yet, and an API key cannot create tailnets",
            ORG_CLIENT_FIX,
        );
    }
    let Some(listed) = listed else {
        return Finding::problem(
            check,
            "not created yet, and the credential cannot list or create tailnets (see \
             scope:tailnets)",
            ORG_CLIENT_FIX,
        );
    };
    let name = display_name.as_str();
    if let Some(taken) = listed
        .iter()
        .find(|t| t.display_name.to_lowercase() == name.to_lowercase())
    {
        return Finding::problem(
            check,
            format!(
                "not created yet, but the organization already has a tailnet named \"{}\" \
                 (`{}`) that the state does not hold",
                taken.display_name, taken.id
            ),
            format!(
                "`tailform import {address} {}` if it is this one; otherwise give this tailnet \
                 another displayName",
                taken.id
            ),
        );
    }
    Finding::ok(
        check,
        format!(
            "\"{name}\" is not created yet: the organization's client creates it (scope \
             `tailnets`), then tailform reaches it with its own OAuth client"
        ),
    )
}

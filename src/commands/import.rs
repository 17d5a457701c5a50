//! `tailform import ADDR ID`: adopt an existing live object into the state at an address the
//! manifests declare. The API never shows a secret again, so an imported client or key is
//! recorded with an unknown secret (said plainly; `--replace` creates a new one); an imported
//! tailnet is reached with the organization's client (`tailnet=<id>`).

use super::console::errln;
use crate::address::{Address, Member};
use crate::api::{KeyInfo, KeyLookup, KeyType};
use crate::cli::{GlobalArgs, ImportArgs};
use crate::error::Error;
use crate::exit::Exit;
use crate::model::{Desired, TailnetKind};

use crate::reach::{self, Reach};
use crate::state::{
    ClientAttributes, ClientRecord, IdentityAttributes, IdentityRecord, KeyAttributes, KeyRecord,
    Record, State, TailnetRecord, WebhookAttributes, WebhookRecord,
};

use super::session::{self, Session};

/// Runs `tailform import`.
pub fn run(global: &GlobalArgs, args: ImportArgs) -> Result<Exit, Error> {
    let desired = session::manifests(global, &args.manifests.files)?;
    let address = args.address.clone();
    let declared = desired
        .tailnets
        .get(&address.tailnet)
        .is_some_and(|t| t.declares(&address.member));
    if address.member == Member::Policy {
        return Err(Error::Usage(
            "a policy is not imported: add a `policy` block to the tailnet and the next apply manages it".into(),
        ));
    }
    if !declared {
        return Err(Error::Usage(format!(
            "`{address}` is not declared in the manifests; declare it first, then import"
        )));
    }
    let session = Session::open(global)?;
    let mut backend = session::backend(global)?;
    let _lock = session::lock(global, backend.as_mut(), "import")?;
    let mut state = backend.load()?;
    if state.get(&address).is_some() {
        return Err(Error::Usage(format!(
            "`{address}` is already in the state; `tailform state rm {address}` first to import another object there"
        )));
    }
    let record = session
        .runtime
        .block_on(adopt(&session, &desired, &state, &address, &args.id))?;
    let secret_note = !matches!(record, Record::Tailnet(_));
    state.resources.insert(address.clone(), record);
    backend.save(&mut state)?;
    errln!("Imported `{address}` ({}).", args.id);
    if secret_note {
        errln!(
            "Its secret is not known to tailform (the API shows it only once); `tailform apply --replace {address}` creates a new one."
        );
    }
    Ok(Exit::Success)
}

async fn adopt(
    session: &Session,
    desired: &Desired,
    state: &State,
    address: &Address,
    id: &str,
) -> Result<Record, Error> {
    let tailnet = &desired.tailnets[&address.tailnet];
    if address.member == Member::Settings {
        return Err(Error::Usage(format!(
            "`{address}` needs no import: tailnet settings always exist, and the next plan \
             compares the fields the manifest sets with the live ones"
        )));
    }
    if address.member == Member::Tailnet {
        let TailnetKind::Created { .. } = &tailnet.kind else {
            return Err(Error::Usage(format!(
                "`{address}` references an existing tailnet with `id`; there is nothing to import"
            )));
        };
        let list = session.client.list_tailnets(&session.org).await?;
        let live = list.into_iter().find(|t| t.id == id).ok_or_else(|| {
            Error::Usage(format!("the organization has no tailnet with id `{id}`"))
        })?;
        return Ok(Record::Tailnet(TailnetRecord {
            id: live.id,
            existing: false,
            display_name: Some(live.display_name),
            org_id: live.org_id,
            dns_name: live.dns_name,
            created_at: live.created_at,
            prevent_destroy: tailnet.prevent_destroy,
            oauth_client: None,
            deposed: Vec::new(),
        }));
    }
    let reach = tailnet_reach(session, desired, state, address)?;
    if let Member::Webhook(_) = address.member {
        let live = session
            .client
            .get_webhook(&reach.credential, id)
            .await?
            .ok_or_else(|| Error::Usage(format!("no webhook `{id}` in that tailnet")))?;
        return Ok(webhook_record(live));
    }
    let info = match session
        .client
        .get_key(&reach.credential, &reach.path, id)
        .await?
    {
        KeyLookup::Found(info) if !info.invalid => info,
        KeyLookup::Found(_) => {
            return Err(Error::Usage(format!(
                "`{id}` is invalid (revoked or expired); there is nothing to import"
            )));
        }
        KeyLookup::NotFound => {
            return Err(Error::Usage(format!(
                "no key, OAuth client or federated identity `{id}` in that tailnet"
            )));
        }
    };
    match &address.member {
        Member::OAuthClient(_) => client_record(info, id),
        Member::AuthKey(name) => {
            let created_by = tailnet.auth_keys[name]
                .created_by
                .as_ref()
                .map(ToString::to_string);
            key_record(info, id, created_by)
        }
        Member::FederatedIdentity(name) => {
            let audience_set = tailnet.federated_identities[name].audience.is_some();
            identity_record(info, id, audience_set)
        }
        Member::Tailnet | Member::Policy | Member::Webhook(_) | Member::Settings => {
            unreachable!("handled above")
        }
    }
}

fn tailnet_reach(
    session: &Session,
    desired: &Desired,
    state: &State,
    address: &Address,
) -> Result<Reach, Error> {
    let tailnet = &desired.tailnets[&address.tailnet];
    let reached = match (&tailnet.kind, state.get(&address.tailnet_address())) {
        (TailnetKind::Existing(r), _) => reach::existing(&session.org, r),
        (TailnetKind::Created { .. }, Some(Record::Tailnet(t))) => reach::created(&session.org, t),
        (TailnetKind::Created { .. }, _) => {
            return Err(Error::Usage(format!(
                "`{}` is not in the state: import the tailnet first",
                address.tailnet_address()
            )));
        }
    };
    reached.map_err(|e| Error::Usage(e.to_string()))
}

/// A webhook's record, its attributes as live. Its secret is not known (the API shows it only
/// on create and rotation): `apply --replace` rotates it to get one.
fn webhook_record(live: crate::api::WebhookInfo) -> Record {
    Record::Webhook(WebhookRecord {
        id: live.id,
        secret: None,
        created: live.created,
        rotated: None,
        attributes: WebhookAttributes {
            endpoint_url: live.endpoint_url,
            provider_type: crate::model::ProviderType::parse(&live.provider_type)
                .unwrap_or_default(),
            subscriptions: live.subscriptions,
        },
        delivered: Vec::new(),
        deposed: Vec::new(),
    })
}

fn client_record(info: KeyInfo, id: &str) -> Result<Record, Error> {
    if info.key_type != KeyType::Client {
        return Err(Error::Usage(format!(
            "`{id}` is a {} key, not an OAuth client",
            info.key_type.as_str()
        )));
    }
    let mut attributes = ClientAttributes {
        description: info.description,
        scopes: info.scopes,
        tags: info.tags,
    };
    attributes.scopes.sort();
    attributes.tags.sort();
    Ok(Record::OAuthClient(ClientRecord {
        id: info.id,
        secret: None,
        created: info.created,
        attributes,
        delivered: Vec::new(),
        deposed: Vec::new(),
    }))
}

/// A federated identity's record, its attributes as live; the audience counts as the
/// manifest's own only when the manifest sets one (otherwise it is the API's to generate).
fn identity_record(info: KeyInfo, id: &str, audience_set: bool) -> Result<Record, Error> {
    let Some(federation) = info
        .federation
        .filter(|_| info.key_type == KeyType::Federated)
    else {
        return Err(Error::Usage(format!(
            "`{id}` is a {} key, not a federated identity",
            info.key_type.as_str()
        )));
    };
    let mut attributes = IdentityAttributes {
        description: info.description,
        scopes: info.scopes,
        tags: info.tags,
        issuer: federation.issuer,
        subject: federation.subject,
        audience: audience_set.then(|| federation.audience.clone()),
        custom_claim_rules: federation.custom_claim_rules,
    };
    attributes.scopes.sort();
    attributes.tags.sort();
    Ok(Record::FederatedIdentity(IdentityRecord {
        id: info.id,
        created: info.created,
        audience: Some(federation.audience).filter(|a| !a.is_empty()),
        attributes,
        deposed: Vec::new(),
    }))
}

fn key_record(info: KeyInfo, id: &str, created_by: Option<String>) -> Result<Record, Error> {
    if info.key_type != KeyType::Auth {
        return Err(Error::Usage(format!(
            "`{id}` is a {} key, not an auth key",
            info.key_type.as_str()
        )));
    }
    let caps = info.capabilities.unwrap_or_default();
    let mut tags = caps.tags;
    tags.sort();
    let expiry_seconds =
        info.expiry_seconds
            .unwrap_or_else(|| match (info.created, info.expires) {
                (Some(c), Some(e)) => u64::try_from(e.as_second() - c.as_second()).unwrap_or(0),
                _ => crate::model::MAX_EXPIRY.as_secs(),
            });
    Ok(Record::AuthKey(KeyRecord {
        id: info.id,
        secret: None,
        created: info.created,
        expires: info.expires,
        attributes: KeyAttributes {
            description: info.description,
            reusable: caps.reusable,
            ephemeral: caps.ephemeral,
            preauthorized: caps.preauthorized,
            tags,
            expiry_seconds,
            created_by,
        },
        delivered: Vec::new(),
        deposed: Vec::new(),
    }))
}

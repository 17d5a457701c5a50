//! OAuth client rules (DESIGN §5): scopes, tags and description changes are an in-place
//! `update` (PUT keeps the secret); revoked, invalid or vanished clients are replaced;
//! removed from the manifests → deleted.

use crate::address::Address;
use crate::live::LiveKeyKind;
use crate::model::Name;
use crate::state::{ClientAttributes, ClientRecord, SecretKnowledge};

use super::view::{client_attributes, client_differs, client_view};
use super::{Action, Change, Fate, Planner, Reason, Step, Target};

impl Planner<'_> {
    /// Plans every OAuth client of a tailnet.
    pub(crate) fn plan_clients(&mut self, tailnet: &Name, fate: Fate) {
        let desired = self.desired.tailnets.get(tailnet);
        for name in self.names_in(tailnet, crate::address::ResourceKind::OAuthClient) {
            let address = Address::oauth_client(tailnet.clone(), name.clone());
            let client = desired.and_then(|t| t.oauth_clients.get(&name));
            let wanted = client.map(client_attributes);
            let record = self.state.oauth_client(&address);
            self.plan_client(&address, wanted, record, fate);
            if let Some(c) = client {
                self.plan_deliveries(
                    &address,
                    &c.deliver,
                    &c.origin,
                    record.map(|r| r as &dyn Tracked),
                    fate,
                );
            }
        }
    }

    fn plan_client(
        &mut self,
        address: &Address,
        wanted: Option<ClientAttributes>,
        record: Option<&ClientRecord>,
        fate: Fate,
    ) {
        if let Some(r) = record {
            self.plan_deposed(address, &r.deposed, fate, Kind::Client);
        }
        match fate {
            Fate::Blocked => return,
            Fate::Deleted => return self.delete_or_forget(address, record, Kind::Client),
            Fate::Gone => return self.forget_record(address, record, Reason::Missing),
            Fate::Fresh | Fate::Replaced => {
                return match wanted {
                    Some(w) => {
                        let reason = record.map(|_| Reason::TailnetRecreated);
                        self.create_client(address, w, record, reason, false)
                    }
                    None => self.forget_record(address, record, Reason::TailnetRecreated),
                };
            }
            Fate::Keep | Fate::Existing => {}
        }
        let (wanted, record) = match (wanted, record) {
            (Some(w), None) => return self.create_client(address, w, None, None, false),
            (None, r) => return self.delete_or_forget(address, r, Kind::Client),
            (Some(w), Some(r)) => (w, r),
        };
        let live = self.live_key(address, &r_id(record));
        let live_attrs = live.and_then(|k| match &k.kind {
            LiveKeyKind::Client { scopes, tags, .. } if !k.invalid => Some(ClientAttributes {
                description: k.description.clone(),
                scopes: scopes.clone(),
                tags: tags.clone(),
            }),
            _ => None,
        });
        let Some(live_attrs) = live_attrs else {
            let reason = if live.is_some() {
                Reason::Invalid
            } else {
                self.accept_gone(address);
                Reason::Missing
            };
            return self.create_client(address, wanted, Some(record), Some(reason), false);
        };
        if self.replace_requested(address) {
            return self.create_client(
                address,
                wanted,
                Some(record),
                Some(Reason::ByRequest),
                true,
            );
        }
        let before = client_view(&live_attrs, Some(&record.id));
        if client_differs(&live_attrs, &wanted) {
            let mut change = Change::new(address.clone(), Action::Update)
                .values(Some(before), Some(client_view(&wanted, Some(&record.id))))
                .sensitive()
                .note("the client secret is kept");
            if client_differs(&live_attrs, &record.attributes) {
                change = change.reason(Reason::Drift);
            }
            return self.push(
                change,
                [Step::UpdateClient {
                    address: address.clone(),
                    attributes: wanted,
                }],
            );
        }
        let mut change = Change::new(address.clone(), Action::NoOp)
            .unchanged(before)
            .sensitive();
        if let Some(note) = super::secret_note(record.secret.as_ref()) {
            change = change.note(note);
        }
        self.changes.push(change);
    }

    fn create_client(
        &mut self,
        address: &Address,
        wanted: ClientAttributes,
        record: Option<&ClientRecord>,
        reason: Option<Reason>,
        depose_current: bool,
    ) {
        let action = if record.is_some() {
            Action::Replace
        } else {
            Action::Create
        };
        let mut change = Change::new(address.clone(), action)
            .values(
                record.map(|r| client_view(&r.attributes, Some(&r.id))),
                Some(client_view(&wanted, None)),
            )
            .sensitive();
        if let Some(reason) = reason {
            change = change.reason(reason);
        }
        let mut steps = vec![Step::CreateClient {
            address: address.clone(),
            attributes: wanted,
            depose_current,
        }];
        if let (true, Some(r)) = (depose_current, record) {
            steps.push(Step::DeleteClient {
                address: address.clone(),
                target: Target::Deposed(r.id.clone()),
            });
        }
        self.push(change, steps);
    }

    /// Drops a record whose object no longer exists.
    pub(crate) fn forget_record<T>(
        &mut self,
        address: &Address,
        record: Option<T>,
        reason: Reason,
    ) {
        if record.is_some() {
            self.accept_gone(address);
            self.push(
                Change::new(address.clone(), Action::Forget).reason(reason),
                [Step::Forget {
                    address: address.clone(),
                    target: Target::Record,
                }],
            );
        }
    }

    /// Deletes a tracked object that should no longer exist (forgets it when already gone).
    pub(crate) fn delete_or_forget<R: Tracked>(
        &mut self,
        address: &Address,
        record: Option<&R>,
        kind: Kind,
    ) {
        let Some(record) = record else { return };
        let id = record.id().to_owned();
        let valid = self.is_live(address, &id);
        if !valid {
            return self.forget_record(address, Some(record), Reason::Missing);
        }
        let mut change = Change::new(address.clone(), Action::Delete)
            .reason(Reason::NoConfig)
            .values(Some(record.view()), None);
        if kind.has_secret() {
            change = change.sensitive();
        }
        let step = kind.delete(address.clone(), Target::Current(id));
        self.push(change, [step]);
    }

    /// Revokes deposed objects whose overlap window has passed; forgets those already gone.
    pub(crate) fn plan_deposed(
        &mut self,
        address: &Address,
        deposed: &[crate::state::Deposed],
        fate: Fate,
        kind: Kind,
    ) {
        if matches!(fate, Fate::Blocked) {
            return;
        }
        for d in deposed {
            let valid = self.is_live(address, &d.id);
            let mut change;
            let step;
            if !valid || matches!(fate, Fate::Gone | Fate::Fresh) {
                change = Change::new(address.clone(), Action::Forget).reason(Reason::Deposed);
                step = Some(Step::Forget {
                    address: address.clone(),
                    target: Target::Deposed(d.id.clone()),
                });
            } else if d.revoke_after.is_none_or(|t| t <= self.now) {
                change = Change::new(address.clone(), Action::Delete).reason(Reason::Deposed);
                step = Some(kind.delete(address.clone(), Target::Deposed(d.id.clone())));
            } else {
                let until = d.revoke_after.map(|t| t.to_string()).unwrap_or_default();
                change = Change::new(address.clone(), Action::NoOp).note(format!(
                    "previous {} {} stays valid until {until} (keepPrevious), then a later apply revokes it",
                    kind.noun(),
                    d.id
                ));
                step = None;
            }
            change.deposed = Some(d.id.clone());
            self.push(change, step);
        }
    }

    /// True when the object `id` of the address's kind is live and valid: a key-like object in
    /// the key list (not invalid), a webhook in the webhook list.
    pub(crate) fn is_live(&self, address: &Address, id: &str) -> bool {
        match address.kind() {
            crate::address::ResourceKind::Webhook => self.live_webhook(address, id).is_some(),
            _ => self.live_key(address, id).is_some_and(|k| !k.invalid),
        }
    }

    /// The live key with this id in the address's tailnet.
    pub(crate) fn live_key(&self, address: &Address, id: &str) -> Option<&crate::live::LiveKey> {
        self.live.contents(&address.tailnet)?.keys.get(id)
    }
}

fn r_id(record: &ClientRecord) -> String {
    record.id.clone()
}

/// Which kind of key-like object a shared rule handles.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// An OAuth client.
    Client,
    /// An auth key.
    Key,
    /// A federated identity (no secret).
    Identity,
    /// A webhook.
    Webhook,
}

impl Kind {
    pub(crate) fn delete(self, address: Address, target: Target) -> Step {
        match self {
            Kind::Client => Step::DeleteClient { address, target },
            Kind::Key => Step::DeleteKey { address, target },
            Kind::Identity => Step::DeleteIdentity { address, target },
            Kind::Webhook => Step::DeleteWebhook { address, target },
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Kind::Client => "OAuth client",
            Kind::Key => "auth key",
            Kind::Identity => "federated identity",
            Kind::Webhook => "webhook",
        }
    }

    fn has_secret(self) -> bool {
        !matches!(self, Kind::Identity)
    }
}

/// A state record of a key or OAuth client: its live id, its view, and what delivery needs.
pub(crate) trait Tracked {
    /// The live id.
    fn id(&self) -> &str;
    /// Its attributes as shown in plans.
    fn view(&self) -> serde_json::Value;
    /// The `deliver:` sinks that have its current secret.
    fn delivered(&self) -> &[String];
    /// What the state knows of its secret (open, sealed, or absent after an import).
    fn secret(&self) -> SecretKnowledge<'_>;
}

impl Tracked for ClientRecord {
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self) -> serde_json::Value {
        client_view(&self.attributes, Some(&self.id))
    }
    fn delivered(&self) -> &[String] {
        &self.delivered
    }
    fn secret(&self) -> SecretKnowledge<'_> {
        SecretKnowledge::of(self.secret.as_ref())
    }
}

impl Tracked for crate::state::KeyRecord {
    fn id(&self) -> &str {
        &self.id
    }
    fn view(&self) -> serde_json::Value {
        super::view::key_view(&self.attributes, Some(&self.id), self.expires, None)
    }
    fn delivered(&self) -> &[String] {
        &self.delivered
    }
    fn secret(&self) -> SecretKnowledge<'_> {
        SecretKnowledge::of(self.secret.as_ref())
    }
}

//! `StateUpdate`: what a finished step changes in the state, as a value. Executors return one;
//! the walker applies it to the in-memory state and saves. Pure, so every state transition is
//! unit-tested without HTTP.

use jiff::Timestamp;

use crate::address::{Address, Member};
use crate::plan::Target;
use crate::secret::Secret;
use crate::state::{
    ClientAttributes, ClientRecord, Deposed, DeposedTailnet, IdentityAttributes, IdentityRecord,
    KeyRecord, PolicyRecord, Record, State, TailnetRecord, WebhookRecord,
};

/// A state change produced by one step.
#[derive(Debug, Clone, PartialEq)]
pub enum StateUpdate {
    /// A tailnet was created (a replaced one moves to `deposed`).
    TailnetCreated {
        /// `tailnet.<name>`.
        address: Address,
        /// The new record.
        record: TailnetRecord,
        /// Keep the current record as deposed.
        replacing: bool,
    },
    /// A tailnet was deleted (the current one with everything recorded in it, or a deposed one).
    TailnetDeleted {
        /// `tailnet.<name>`.
        address: Address,
        /// Which.
        target: Target,
    },
    /// Tailform-only settings changed.
    TailnetSettings {
        /// `tailnet.<name>`.
        address: Address,
        /// New `preventDestroy`.
        prevent_destroy: bool,
    },
    /// The managed settings were written (or found so).
    SettingsRecorded {
        /// `tailnet.<name>.settings`.
        address: Address,
        /// The managed fields.
        values: std::collections::BTreeMap<crate::model::Setting, crate::model::SettingValue>,
    },
    /// An existing tailnet's id was recorded.
    ExistingRecorded {
        /// `tailnet.<name>`.
        address: Address,
        /// Its id.
        id: String,
    },
    /// The policy was written (or found matching).
    PolicyRecorded {
        /// `tailnet.<name>.policy`.
        address: Address,
        /// The record.
        record: PolicyRecord,
    },
    /// An OAuth client was created.
    ClientCreated {
        /// Its address.
        address: Address,
        /// The new record (with its secret).
        record: ClientRecord,
        /// Keep the current record's id as deposed.
        depose_current: bool,
    },
    /// An OAuth client was updated in place.
    ClientUpdated {
        /// Its address.
        address: Address,
        /// The attributes now live.
        attributes: ClientAttributes,
    },
    /// A federated identity was created.
    IdentityCreated {
        /// Its address.
        address: Address,
        /// The new record.
        record: IdentityRecord,
        /// Keep the current record's id as deposed.
        depose_current: bool,
    },
    /// A federated identity was replaced in place (PUT).
    IdentityUpdated {
        /// Its address.
        address: Address,
        /// The attributes now live.
        attributes: IdentityAttributes,
        /// The audience the API now holds.
        audience: Option<String>,
    },
    /// A webhook was created.
    WebhookCreated {
        /// Its address.
        address: Address,
        /// The new record (with its secret).
        record: WebhookRecord,
        /// Keep the current record's id as deposed.
        depose_current: bool,
    },
    /// A webhook's subscriptions were replaced.
    WebhookUpdated {
        /// Its address.
        address: Address,
        /// The subscriptions now live.
        subscriptions: Vec<String>,
    },
    /// A webhook's secret was rotated: the new one replaces the old, and every sink needs it.
    WebhookRotated {
        /// Its address.
        address: Address,
        /// The new secret.
        secret: Secret,
        /// When (the server's clock).
        rotated: Timestamp,
    },
    /// An auth key was created.
    KeyCreated {
        /// Its address.
        address: Address,
        /// The new record (with its secret).
        record: KeyRecord,
        /// Keep the current record's id as deposed.
        depose_current: bool,
        /// With `depose_current`: revoke the previous key no earlier than this.
        revoke_after: Option<Timestamp>,
    },
    /// A key or client was deleted (or was already gone).
    ObjectDeleted {
        /// Its address.
        address: Address,
        /// Which.
        target: Target,
    },
    /// A sink received the address's current secret.
    Delivered {
        /// The client's or key's address.
        address: Address,
        /// The sink's id.
        sink: String,
    },
    /// A pending intent was resolved (its orphans, if any, are revoked).
    IntentCleared {
        /// The address it was for.
        address: Address,
        /// The intent.
        intent: uuid::Uuid,
    },
    /// A record or deposed entry was dropped without an API call.
    Forgotten {
        /// The address.
        address: Address,
        /// Which.
        target: Target,
    },
    /// An auth key's live expiry was recorded (`--refresh-only`).
    ExpiryRecorded {
        /// The key's address.
        address: Address,
        /// The live expiry.
        expires: Timestamp,
    },
}

impl StateUpdate {
    /// The address the update concerns.
    pub fn address(&self) -> &Address {
        match self {
            StateUpdate::TailnetCreated { address, .. }
            | StateUpdate::TailnetDeleted { address, .. }
            | StateUpdate::TailnetSettings { address, .. }
            | StateUpdate::ExistingRecorded { address, .. }
            | StateUpdate::SettingsRecorded { address, .. }
            | StateUpdate::PolicyRecorded { address, .. }
            | StateUpdate::ClientCreated { address, .. }
            | StateUpdate::ClientUpdated { address, .. }
            | StateUpdate::IdentityCreated { address, .. }
            | StateUpdate::IdentityUpdated { address, .. }
            | StateUpdate::KeyCreated { address, .. }
            | StateUpdate::WebhookCreated { address, .. }
            | StateUpdate::WebhookUpdated { address, .. }
            | StateUpdate::WebhookRotated { address, .. }
            | StateUpdate::ObjectDeleted { address, .. }
            | StateUpdate::IntentCleared { address, .. }
            | StateUpdate::Delivered { address, .. }
            | StateUpdate::ExpiryRecorded { address, .. }
            | StateUpdate::Forgotten { address, .. } => address,
        }
    }

    /// Applies the update to `state`.
    pub fn apply_to(self, state: &mut State) {
        match self {
            StateUpdate::TailnetCreated {
                address,
                mut record,
                replacing,
            } => {
                if let Some(Record::Tailnet(old)) = state.resources.remove(&address) {
                    record.deposed = old.deposed;
                    if replacing {
                        record.deposed.push(DeposedTailnet {
                            id: old.id,
                            oauth_client: old.oauth_client,
                        });
                    }
                }
                state.resources.insert(address, Record::Tailnet(record));
            }
            StateUpdate::TailnetDeleted { address, target } => match target {
                // An orphan was never recorded: nothing to drop.
                Target::Orphan(_) => {}
                Target::Deposed(id) => {
                    if let Some(Record::Tailnet(r)) = state.resources.get_mut(&address) {
                        r.deposed.retain(|d| d.id != id);
                    }
                }
                Target::Current(_) | Target::Record => {
                    state.resources.retain(|a, _| a.tailnet != address.tailnet);
                }
            },
            StateUpdate::SettingsRecorded { address, values } => {
                state.resources.insert(
                    address,
                    Record::Settings(crate::state::SettingsRecord { values }),
                );
            }
            StateUpdate::ExistingRecorded { address, id } => {
                state.resources.insert(
                    address,
                    Record::Tailnet(TailnetRecord {
                        id,
                        existing: true,
                        display_name: None,
                        org_id: None,
                        dns_name: None,
                        created_at: None,
                        prevent_destroy: true,
                        oauth_client: None,
                        deposed: Vec::new(),
                    }),
                );
            }
            StateUpdate::TailnetSettings {
                address,
                prevent_destroy,
            } => {
                if let Some(Record::Tailnet(r)) = state.resources.get_mut(&address) {
                    r.prevent_destroy = prevent_destroy;
                }
            }
            StateUpdate::PolicyRecorded { address, record } => {
                state.resources.insert(address, Record::Policy(record));
            }
            StateUpdate::ClientCreated {
                address,
                mut record,
                depose_current,
            } => {
                if let Some(Record::OAuthClient(old)) = state.resources.remove(&address) {
                    record.deposed = old.deposed;
                    if depose_current {
                        record.deposed.push(Deposed {
                            id: old.id,
                            revoke_after: None,
                        });
                    }
                }
                state.resources.insert(address, Record::OAuthClient(record));
            }
            StateUpdate::ClientUpdated {
                address,
                attributes,
            } => {
                if let Some(Record::OAuthClient(r)) = state.resources.get_mut(&address) {
                    r.attributes = attributes;
                }
            }
            StateUpdate::IdentityCreated {
                address,
                mut record,
                depose_current,
            } => {
                if let Some(Record::FederatedIdentity(old)) = state.resources.remove(&address) {
                    record.deposed = old.deposed;
                    if depose_current {
                        record.deposed.push(Deposed {
                            id: old.id,
                            revoke_after: None,
                        });
                    }
                }
                state
                    .resources
                    .insert(address, Record::FederatedIdentity(record));
            }
            StateUpdate::IdentityUpdated {
                address,
                attributes,
                audience,
            } => {
                if let Some(Record::FederatedIdentity(r)) = state.resources.get_mut(&address) {
                    r.attributes = attributes;
                    if audience.is_some() {
                        r.audience = audience;
                    }
                }
            }
            StateUpdate::KeyCreated {
                address,
                mut record,
                depose_current,
                revoke_after,
            } => {
                if let Some(Record::AuthKey(old)) = state.resources.remove(&address) {
                    record.deposed = old.deposed;
                    if depose_current {
                        record.deposed.push(Deposed {
                            id: old.id,
                            revoke_after,
                        });
                    }
                }
                state.resources.insert(address, Record::AuthKey(record));
            }
            StateUpdate::WebhookCreated {
                address,
                mut record,
                depose_current,
            } => {
                if let Some(Record::Webhook(old)) = state.resources.remove(&address) {
                    record.deposed = old.deposed;
                    if depose_current {
                        record.deposed.push(Deposed {
                            id: old.id,
                            revoke_after: None,
                        });
                    }
                }
                state.resources.insert(address, Record::Webhook(record));
            }
            StateUpdate::WebhookUpdated {
                address,
                subscriptions,
            } => {
                if let Some(Record::Webhook(r)) = state.resources.get_mut(&address) {
                    r.attributes.subscriptions = subscriptions;
                }
            }
            StateUpdate::WebhookRotated {
                address,
                secret,
                rotated,
            } => {
                if let Some(Record::Webhook(r)) = state.resources.get_mut(&address) {
                    r.secret = Some(secret.into());
                    r.rotated = Some(rotated);
                    // The sinks hold the old secret, which no longer verifies.
                    r.delivered.clear();
                }
            }
            StateUpdate::IntentCleared { intent, .. } => state.pending.retain(|i| i.id != intent),
            StateUpdate::Delivered { address, sink } => {
                let delivered = match state.resources.get_mut(&address) {
                    Some(Record::AuthKey(k)) => Some(&mut k.delivered),
                    Some(Record::OAuthClient(c)) => Some(&mut c.delivered),
                    Some(Record::Webhook(w)) => Some(&mut w.delivered),
                    _ => None,
                };
                if let Some(d) = delivered.filter(|d| !d.contains(&sink)) {
                    d.push(sink);
                }
            }
            StateUpdate::ObjectDeleted { address, target }
            | StateUpdate::Forgotten { address, target } => remove(state, &address, &target),
            StateUpdate::ExpiryRecorded { address, expires } => {
                if let Some(Record::AuthKey(k)) = state.resources.get_mut(&address) {
                    k.expires = Some(expires);
                }
            }
        }
    }
}

fn remove(state: &mut State, address: &Address, target: &Target) {
    match target {
        Target::Orphan(_) => {}
        Target::Deposed(id) => match state.resources.get_mut(address) {
            Some(Record::AuthKey(r)) => r.deposed.retain(|d| &d.id != id),
            Some(Record::OAuthClient(r)) => r.deposed.retain(|d| &d.id != id),
            Some(Record::FederatedIdentity(r)) => r.deposed.retain(|d| &d.id != id),
            Some(Record::Webhook(r)) => r.deposed.retain(|d| &d.id != id),
            Some(Record::Tailnet(r)) => r.deposed.retain(|d| &d.id != id),
            _ => {}
        },
        Target::Current(_) | Target::Record => {
            if address.member == Member::Tailnet {
                state.resources.retain(|a, _| a.tailnet != address.tailnet);
            } else {
                state.resources.remove(address);
            }
        }
    }
}

#[cfg(test)]
mod tests;

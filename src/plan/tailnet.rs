//! Tailnet rules (DESIGN §5): create when missing from the state; a live tailnet with the same
//! display name that the state does not track is an error pointing at `tailform import`;
//! recreate when deleted outside tailform; a display-name change or removal needs a
//! replace/delete, which `preventDestroy` blocks unless `--allow-destroy` and
//! `preventDestroy: false`.

use crate::address::Address;
use crate::live::LiveTailnet;
use crate::model::{Name, Origin, TailnetKind};
use crate::state::{Record, TailnetRecord};

use super::view::tailnet_view;
use super::{Action, Change, Fate, PlanError, Planner, Reason, Step, Target};

impl Planner<'_> {
    /// Plans `tailnet.<name>` and decides what happens to its contents.
    pub(crate) fn plan_tailnet(&mut self, name: &Name) -> Fate {
        let address = Address::tailnet(name.clone());
        let desired = self.desired.tailnets.get(name);
        let record = match self.state.get(&address) {
            Some(Record::Tailnet(r)) => Some(r),
            _ => None,
        };
        self.plan_deposed_tailnets(&address, record);
        let gone = matches!(self.live.tailnets.get(name), Some(LiveTailnet::Gone));
        match (desired, record) {
            (Some(t), record) if matches!(t.kind, TailnetKind::Existing(_)) => {
                if let Some(r) = record.filter(|r| !r.existing) {
                    self.errors.push(
                        PlanError::new(
                            address,
                            format!(
                                "tailform created this tailnet ({}), but the manifest now \
                                 references an existing tailnet with `id`",
                                r.id
                            ),
                        )
                        .at(&t.origin)
                        .hint("restore the manifest, or drop the record with `tailform state rm`"),
                    );
                    return Fate::Blocked;
                }
                // Recorded (state only, no change shown), so that once the manifests drop the
                // tailnet, what tailform made in it can still be reached and deleted.
                if let TailnetKind::Existing(id) = &t.kind
                    && record.is_none_or(|r| r.id != id.as_path())
                {
                    self.steps.push(Step::RecordExisting {
                        address,
                        id: id.clone(),
                    });
                }
                Fate::Existing
            }
            (Some(t), None) => {
                let TailnetKind::Created { display_name } = &t.kind else {
                    unreachable!("existing tailnets are handled above")
                };
                self.plan_new_tailnet(
                    &address,
                    display_name.as_str(),
                    t.prevent_destroy,
                    &t.origin,
                )
            }
            (Some(t), Some(r)) => {
                let TailnetKind::Created { display_name } = &t.kind else {
                    unreachable!("existing tailnets are handled above")
                };
                self.plan_tracked_tailnet(
                    &address,
                    r,
                    display_name.as_str(),
                    t.prevent_destroy,
                    &t.origin,
                    gone,
                )
            }
            (None, Some(r)) if r.existing => {
                // The tailnet itself is never deleted, but what tailform made in it is: its
                // members are planned as in a kept existing tailnet with nothing declared
                // (deleted), and the record is dropped after them (the graph's rule).
                self.push(
                    Change::new(address.clone(), Action::Forget).reason(Reason::NoConfig),
                    [Step::Forget {
                        address,
                        target: Target::Record,
                    }],
                );
                if self.live.contents(name).is_some() {
                    Fate::Existing
                } else {
                    Fate::Gone
                }
            }
            (None, Some(r)) => self.plan_removed_tailnet(&address, r, gone),
            (None, None) => Fate::Gone,
        }
    }

    fn plan_new_tailnet(
        &mut self,
        address: &Address,
        display: &str,
        prevent_destroy: bool,
        origin: &Origin,
    ) -> Fate {
        if let Some(existing) = self.live_tailnet_named(display) {
            let tracked = self.state.resources.iter().find_map(|(a, r)| match r {
                Record::Tailnet(t) if t.id == existing.id => Some(a.clone()),
                _ => None,
            });
            let mut err = PlanError::new(
                address.clone(),
                format!(
                    "a tailnet named `{display}` already exists ({}) but the state does not \
                     track it at this address",
                    existing.id
                ),
            )
            .at(origin);
            err = match tracked {
                Some(other) => err.hint(format!(
                    "it is `{other}` in the state; keep that logical name, or remove one of them"
                )),
                None => err.hint(format!(
                    "adopt it with `tailform import {address} {}`, or choose another displayName",
                    existing.id
                )),
            };
            self.errors.push(err);
            return Fate::Blocked;
        }
        self.creates_tailnets += 1;
        self.push(
            Change::new(address.clone(), Action::Create)
                .values(
                    None,
                    Some(tailnet_view(Some(display), None, prevent_destroy)),
                )
                .sensitive(),
            [Step::CreateTailnet {
                address: address.clone(),
                display_name: display.to_owned(),
                prevent_destroy,
                replacing: false,
            }],
        );
        Fate::Fresh
    }

    fn plan_tracked_tailnet(
        &mut self,
        address: &Address,
        record: &TailnetRecord,
        display: &str,
        prevent_destroy: bool,
        origin: &Origin,
        gone: bool,
    ) -> Fate {
        let before = tailnet_view(
            record.display_name.as_deref(),
            Some(&record.id),
            record.prevent_destroy,
        );
        let after = tailnet_view(Some(display), None, prevent_destroy);
        if gone {
            self.accept_gone(address);
            self.creates_tailnets += 1;
            self.push(
                Change::new(address.clone(), Action::Create)
                    .reason(Reason::Missing)
                    .values(Some(before), Some(after))
                    .sensitive()
                    .note(format!(
                        "tailnet {} was deleted outside tailform; it and everything in it are created again",
                        record.id
                    )),
                [Step::CreateTailnet {
                    address: address.clone(),
                    display_name: display.to_owned(),
                    prevent_destroy,
                    replacing: false,
                }],
            );
            return Fate::Fresh;
        }
        let renamed = record.display_name.as_deref() != Some(display);
        let requested = self.replace_requested(address);
        if !(renamed || requested) {
            if record.prevent_destroy == prevent_destroy {
                self.changes
                    .push(Change::new(address.clone(), Action::NoOp).unchanged(before));
            } else {
                let after = tailnet_view(
                    record.display_name.as_deref(),
                    Some(&record.id),
                    prevent_destroy,
                );
                self.push(
                    Change::new(address.clone(), Action::Update)
                        .values(Some(before), Some(after))
                        .note("only tailform's record changes; nothing is sent to the API"),
                    [Step::RecordTailnet {
                        address: address.clone(),
                        prevent_destroy,
                    }],
                );
            }
            return Fate::Keep;
        }
        if !self.destroy_allowed(address, prevent_destroy, Some(origin), "replaced") {
            return Fate::Blocked;
        }
        // The old tailnet is deleted only after its successor is populated, so both count
        // against the organization's cap (issue 18): its delete frees no room for this apply.
        self.creates_tailnets += 1;
        let mut change = Change::new(address.clone(), Action::Replace)
            .reason(if renamed { Reason::CannotUpdate } else { Reason::ByRequest })
            .values(Some(before), Some(after))
            .sensitive()
            .note("a new tailnet is created and populated, then the old one is deleted with everything in it");
        if renamed {
            change.replace_paths.push("displayName".into());
        }
        self.push(
            change,
            [
                Step::CreateTailnet {
                    address: address.clone(),
                    display_name: display.to_owned(),
                    prevent_destroy,
                    replacing: true,
                },
                Step::DeleteTailnet {
                    address: address.clone(),
                    target: Target::Deposed(record.id.clone()),
                },
            ],
        );
        Fate::Replaced
    }

    fn plan_removed_tailnet(
        &mut self,
        address: &Address,
        record: &TailnetRecord,
        gone: bool,
    ) -> Fate {
        let before = tailnet_view(
            record.display_name.as_deref(),
            Some(&record.id),
            record.prevent_destroy,
        );
        if gone {
            self.accept_gone(address);
            self.push(
                Change::new(address.clone(), Action::Forget)
                    .reason(Reason::Missing)
                    .values(Some(before), None),
                [Step::Forget {
                    address: address.clone(),
                    target: Target::Record,
                }],
            );
            return Fate::Gone;
        }
        if !self.destroy_allowed(address, record.prevent_destroy, None, "deleted") {
            return Fate::Blocked;
        }
        self.deletes_tailnets += 1;
        self.push(
            Change::new(address.clone(), Action::Delete)
                .reason(Reason::NoConfig)
                .values(Some(before), None)
                .sensitive()
                .note("deleting a tailnet deletes every device, key and client in it"),
            [Step::DeleteTailnet {
                address: address.clone(),
                target: Target::Current(record.id.clone()),
            }],
        );
        Fate::Deleted
    }

    /// Deletes tailnets a replacement left behind (after an interrupted replace).
    fn plan_deposed_tailnets(&mut self, address: &Address, record: Option<&TailnetRecord>) {
        let Some(record) = record else { return };
        for deposed in &record.deposed {
            let live = self
                .live
                .org_tailnets
                .as_ref()
                .is_none_or(|org| org.iter().any(|t| t.id == deposed.id));
            let (action, step) = if live {
                (
                    Action::Delete,
                    Step::DeleteTailnet {
                        address: address.clone(),
                        target: Target::Deposed(deposed.id.clone()),
                    },
                )
            } else {
                (
                    Action::Forget,
                    Step::Forget {
                        address: address.clone(),
                        target: Target::Deposed(deposed.id.clone()),
                    },
                )
            };
            let mut change = Change::new(address.clone(), action).reason(Reason::Deposed);
            change.deposed = Some(deposed.id.clone());
            self.push(change, [step]);
        }
    }

    /// `preventDestroy` guard: allowed only with `--allow-destroy` and `preventDestroy: false`.
    fn destroy_allowed(
        &mut self,
        address: &Address,
        prevent_destroy: bool,
        origin: Option<&Origin>,
        verb: &str,
    ) -> bool {
        if self.options.allow_destroy && !prevent_destroy {
            return true;
        }
        let message = if prevent_destroy {
            format!("this tailnet would be {verb}, but `preventDestroy` protects it")
        } else {
            format!("this tailnet would be {verb}; that needs --allow-destroy")
        };
        let mut err = PlanError::new(address.clone(), message).hint(
            "set `preventDestroy: false` on the tailnet, apply that, and pass --allow-destroy \
             (deleting a tailnet deletes every device, key and client in it)",
        );
        if let Some(origin) = origin {
            err = err.at(origin);
        }
        self.errors.push(err);
        false
    }

    fn live_tailnet_named(&self, display: &str) -> Option<&crate::live::OrgTailnet> {
        self.live
            .org_tailnets
            .as_ref()?
            .iter()
            .filter(|t| !self.orphan_ids.contains(&t.id))
            .find(|t| t.display_name.eq_ignore_ascii_case(display))
    }
}

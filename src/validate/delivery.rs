//! `deliver:` lists: each entry is exactly one of `{file: PATH}` or `{command: [argv…]}`.

use std::path::PathBuf;

use crate::diagnostic::Code;
use crate::manifest::Sink;
use crate::manifest::raw::{At, Field, RawDelivery};
use crate::model::Delivery;

/// The delivery sinks of a resource (absent: none); `None` once an error was reported.
pub(super) fn deliveries(
    raw: &Field<Vec<At<RawDelivery>>>,
    sink: &mut Sink<'_>,
) -> Option<Vec<Delivery>> {
    let Some(list) = raw.get() else {
        return (!raw.is_broken()).then(Vec::new);
    };
    let mut out = Vec::with_capacity(list.value.len());
    let mut ok = true;
    for entry in &list.value {
        match delivery(entry, sink) {
            Some(d) => out.push(d),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn delivery(entry: &At<RawDelivery>, sink: &mut Sink<'_>) -> Option<Delivery> {
    let d = &entry.value;
    if d.file.is_broken() || d.command.is_broken() {
        return None;
    }
    match (d.file.get(), d.command.get()) {
        (Some(_), Some(_)) => {
            sink.report(
                Code::DeliveryShape,
                &entry.loc,
                "a `deliver` entry has either `file` or `command`, not both",
            )
            .hint("split it into two entries");
            None
        }
        (None, None) => {
            sink.report(
                Code::DeliveryShape,
                &entry.loc,
                "a `deliver` entry needs `file: PATH` or `command: [PROGRAM, ARGS…]`",
            );
            None
        }
        (Some(file), None) if file.value.trim().is_empty() => {
            sink.report(
                Code::DeliveryShape,
                &file.loc,
                "the delivery file path is empty",
            );
            None
        }
        (Some(file), None) => Some(Delivery::File {
            path: PathBuf::from(&file.value),
        }),
        (None, Some(command)) => match command.value.first() {
            None => {
                sink.report(
                    Code::DeliveryShape,
                    &command.loc,
                    "the delivery command is empty; it needs at least the program to run",
                );
                None
            }
            Some(program) if program.value.trim().is_empty() => {
                sink.report(
                    Code::DeliveryShape,
                    &program.loc,
                    "the program name is empty",
                );
                None
            }
            Some(_) => Some(Delivery::Command {
                argv: command.value.iter().map(|a| a.value.clone()).collect(),
            }),
        },
    }
}

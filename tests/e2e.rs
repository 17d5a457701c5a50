//! End-to-end tests: the real `tailform` binary against the emulator over loopback TCP, checking
//! exit code, output and the state file together (issue 4's acceptance list).

#[path = "invariants/mod.rs"]
mod invariants;

mod e2e {
    pub mod world;

    mod api_keys;
    mod at_rest;
    mod delivery;
    mod destroy;
    mod doctor;
    mod embedded;
    mod failures;
    mod faults;
    mod habits;
    mod hand_edited;
    mod help;
    mod hostile;
    mod keyless;
    mod lifecycle;
    mod live_api;
    mod locking;
    mod messages;
    mod orphans;
    mod policy;
    mod postgres;
    mod saved_plan;
    mod secrets;
}

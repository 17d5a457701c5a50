//! How long `load_and_validate` takes on a large manifest folder: 50 files, one API-only
//! tailnet each with 20 OAuth clients and 79 auth keys (5,000 resources), keys minted by their
//! clients with subsets of the clients' tags, delivery sinks and explicit env names on some.
//!
//! Run: `cargo bench --bench validate` (a plain release program; prints min and median).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tailform::validate::{ValidateOptions, load_and_validate};

/// The binary's allocator (see `src/main.rs`), so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const FILES: usize = 50;
const CLIENTS: usize = 20;
const KEYS: usize = 79;
const RUNS: usize = 15;

fn tailnet_file(t: usize) -> String {
    let mut s = String::with_capacity(64 * 1024);
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "tailnets:\n  tenant-{t:03}:\n    displayName: Tenant {t:03}"
    );
    s.push_str("    oauthClients:\n");
    for c in 0..CLIENTS {
        let _ = writeln!(
            s,
            "      client-{c:02}:\n        description: Client {c}\n        scopes: [auth_keys, devices:core:read]\n        tags: [tag:c{c}, tag:shared]"
        );
    }
    s.push_str("    authKeys:\n");
    for k in 0..KEYS {
        let c = k % CLIENTS;
        let _ = writeln!(
            s,
            "      key-{k:03}:\n        description: Key {k}\n        reusable: {}\n        tags: [tag:c{c}]\n        createdBy: client-{c:02}\n        expiry: 30d\n        rotateBefore: 10d\n        deliver:\n          - file: secrets/{t}-{k}.key",
            k % 2 == 0
        );
        if k % 5 == 0 {
            let _ = writeln!(s, "        envName: T{t}_KEY_{k}");
        }
    }
    s
}

// A bench program reports on stdout; that is its purpose.
#[allow(clippy::print_stdout)]
fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for t in 0..FILES {
        std::fs::write(
            dir.path().join(format!("tenant-{t:03}.yaml")),
            tailnet_file(t),
        )
        .expect("write a manifest");
    }
    let paths = [PathBuf::from(dir.path())];
    let opts = ValidateOptions { max_tailnets: 100 };
    let mut times: Vec<Duration> = Vec::with_capacity(RUNS);
    let mut resources = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let v = load_and_validate(&paths, &opts).unwrap_or_else(|d| {
            panic!(
                "the generated manifests are valid: {:#?}",
                &d[..d.len().min(3)]
            )
        });
        times.push(start.elapsed());
        resources = v
            .desired
            .tailnets
            .values()
            .map(|t| 1 + t.oauth_clients.len() + t.auth_keys.len())
            .sum::<usize>();
    }
    times.sort();
    println!(
        "validate: {FILES} files, {resources} resources, {RUNS} runs: min {:.1} ms, median {:.1} ms",
        times[0].as_secs_f64() * 1e3,
        times[RUNS / 2].as_secs_f64() * 1e3
    );
}

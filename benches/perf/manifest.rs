//! The benchmark's manifests: `tailnets` API-only tailnets, each with two OAuth clients (`ci-a`
//! tagged `tag:a`, `ci-b` tagged `tag:b`, scope `auth_keys`) and `keys` reusable auth keys,
//! alternately minted by one client or the other with exactly its tags. Every key therefore
//! sits at the end of the longest dependency chain apply has: tailnet → policy → client → key.

use std::fmt::Write as _;
use std::path::Path;

/// The shape of one benchmark world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// API-only tailnets.
    pub tailnets: usize,
    /// Auth keys per tailnet.
    pub keys: usize,
}

/// OAuth clients per tailnet.
pub const CLIENTS: usize = 2;

impl Size {
    /// Managed resources: each tailnet, its policy, its clients and its keys.
    pub fn resources(self) -> usize {
        self.tailnets * (2 + CLIENTS + self.keys)
    }
}

/// One tailnet's manifest file.
fn tailnet_file(t: usize, keys: usize) -> String {
    let mut s = String::with_capacity(160 * keys + 512);
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "tailnets:\n  tenant-{t:02}:\n    displayName: Tenant {t:02}\n    oauthClients:"
    );
    for c in ["a", "b"] {
        let _ = writeln!(
            s,
            "      ci-{c}:\n        description: CI {c}\n        scopes: [auth_keys]\n        tags: [tag:{c}]"
        );
    }
    s.push_str("    authKeys:\n");
    for k in 0..keys {
        let c = if k % 2 == 0 { "a" } else { "b" };
        let _ = writeln!(
            s,
            "      key-{k:03}:\n        description: Key {k}\n        reusable: true\n        tags: [tag:{c}]\n        createdBy: ci-{c}"
        );
    }
    s
}

/// Writes one manifest file per tailnet into `dir`.
pub fn write(dir: &Path, size: Size) -> std::io::Result<()> {
    for t in 0..size.tailnets {
        std::fs::write(
            dir.join(format!("tenant-{t:02}.yaml")),
            tailnet_file(t, size.keys),
        )?;
    }
    Ok(())
}

//! `--data FILE`: the whole store (clock offset, id generator position, organization client,
//! tokens included) as JSON, loaded at start when the file exists and rewritten atomically after
//! every committed mutation — temporary file in the same folder, fsync, rename, fsync of the
//! folder — with mode 0600, because it holds every secret the emulator minted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::EmulatorError;
use super::policy_check::{PolicyDoc, Syntax};
use super::store::{DATA_VERSION, Store};

/// The data file.
#[derive(Debug, Clone)]
pub(crate) struct DataFile {
    path: PathBuf,
}

impl DataFile {
    /// A data file at `path` (not touched yet).
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Where it lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored world, or `None` when the file does not exist yet.
    pub fn load(&self) -> Result<Option<Store>, EmulatorError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(EmulatorError::ReadData {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let corrupt = |source| EmulatorError::CorruptData {
            path: self.path.clone(),
            source,
        };
        let value: Value = serde_json::from_str(&text).map_err(corrupt)?;
        let version = value.get("version").and_then(Value::as_u64);
        if version != Some(u64::from(DATA_VERSION)) {
            return Err(EmulatorError::UnsupportedDataVersion {
                path: self.path.clone(),
                found: version.map_or_else(|| "none".to_owned(), |v| v.to_string()),
            });
        }
        let store: Store = serde_json::from_value(keep_org_secret(value)).map_err(corrupt)?;
        self.check(&store)?;
        Ok(Some(store))
    }

    /// Refuses a file whose parts do not fit together (hand-edited or truncated).
    fn check(&self, store: &Store) -> Result<(), EmulatorError> {
        let inconsistent = |what: String| EmulatorError::InconsistentData {
            path: self.path.clone(),
            what,
        };
        if !store.tailnets.contains_key(&store.org.original_tailnet) {
            return Err(inconsistent("the original tailnet is missing".to_owned()));
        }
        for tailnet in store.tailnets.values() {
            let syntax = Syntax::HuJson;
            if let Err(message) = PolicyDoc::parse(&tailnet.policy.text, syntax) {
                return Err(inconsistent(format!(
                    "the policy of tailnet `{}` is invalid: {message}",
                    tailnet.id
                )));
            }
        }
        if let Some(key) = store
            .keys
            .values()
            .find(|k| !store.tailnets.contains_key(&k.tailnet))
        {
            return Err(inconsistent(format!(
                "key `{}` belongs to unknown tailnet `{}`",
                key.id, key.tailnet
            )));
        }
        Ok(())
    }

    /// Writes `store` atomically with mode 0600.
    pub fn save(&self, store: &Store) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(store).map_err(std::io::Error::other)?;
        let folder = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.exists() {
            create_private_folder(&folder)?;
        }
        let mut temp = tempfile::NamedTempFile::new_in(&folder)?;
        temp.write_all(&bytes)?;
        temp.as_file().sync_all()?;
        set_private(temp.path())?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        fs::File::open(&folder)?.sync_all()
    }
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(unix)]
fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
}

#[cfg(not(unix))]
fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    fs::create_dir_all(folder)
}
/// Data files written before secrets were hashed keep the organization client's secret only
/// in its key record: copy it to `org.clientSecret` (where it now lives, in clear) before that
/// record's secret is read as the plaintext to hash.
fn keep_org_secret(mut value: Value) -> Value {
    if value["org"].get("clientSecret").is_none() {
        let client_id = value["org"]["clientId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let secret = value["keys"][client_id.as_str()]["secret"].clone();
        if secret.as_str().is_some_and(|s| s.starts_with("tskey-"))
            && let Some(org) = value["org"].as_object_mut()
        {
            org.insert("clientSecret".into(), secret);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::Genesis;

    /// A data file from before hashing (each secret in clear under `secret`, no
    /// `org.clientSecret`) still loads, with the organization's secret kept and working.
    #[test]
    fn a_data_file_written_before_secrets_were_hashed_still_loads() {
        let store = Store::new(
            &Genesis {
                seed: Some(1),
                client_id: None,
                client_secret: None,
            },
            jiff::Timestamp::UNIX_EPOCH,
        );
        let secret = store.org.client_secret.expose().to_owned();
        let mut old = serde_json::to_value(&store).unwrap();
        old["org"].as_object_mut().unwrap().remove("clientSecret");
        let client = old["keys"][store.org.client_id.as_str()]
            .as_object_mut()
            .unwrap();
        client.remove("secretSha256");
        client.insert("secret".into(), Value::String(secret.clone()));
        let dir = tempfile::tempdir().unwrap();
        let file = DataFile::new(dir.path().join("emulator.json"));
        fs::write(file.path(), serde_json::to_vec(&old).unwrap()).unwrap();
        let loaded = file.load().unwrap().unwrap();
        assert_eq!(loaded.org.client_secret.expose(), secret);
        assert!(loaded.keys[&loaded.org.client_id].secret.matches(&secret));
    }
}

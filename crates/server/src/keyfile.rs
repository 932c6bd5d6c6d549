//! The server key's home: `INKSTONE_SERVER_KEY` when several nodes share one database,
//! otherwise `<data_dir>/server.key`, created on first start. The key stays out of the
//! database so a copy of the database alone cannot open sealed secrets.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use inkstone_core::sealing::ServerKey;

/// The key file's name inside the data directory.
pub const KEY_FILE_NAME: &str = "server.key";

/// The server key: parsed from `from_env` (the value of `INKSTONE_SERVER_KEY`) when given,
/// else read from `<data_dir>/server.key`, else generated and written there (mode 0600 on
/// Unix) without ever exposing a half-written file. If another process creates the file at
/// the same moment, its key is the one returned.
///
/// Errors: a `from_env` or file that is not standard base64 of 32 bytes (the message never
/// repeats the value), an unreadable file, an unwritable data directory.
pub fn load_or_create_server_key(data_dir: &Path, from_env: Option<&str>) -> anyhow::Result<ServerKey> {
    if let Some(text) = from_env {
        return ServerKey::from_base64(text).with_context(|| {
            "INKSTONE_SERVER_KEY is not a valid server key: expected standard base64 of exactly 32 \
             bytes (44 characters), e.g. the output of `openssl rand -base64 32`"
                .to_string()
        });
    }
    let path = data_dir.join(KEY_FILE_NAME);
    match read_key_file(&path)? {
        Some(key) => Ok(key),
        None => create_key_file(data_dir, &path),
    }
}

/// `Ok(None)` if the file does not exist.
fn read_key_file(path: &Path) -> anyhow::Result<Option<ServerKey>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot read server key file {}", path.display()));
        }
    };
    warn_if_readable_by_others(path);
    match ServerKey::from_base64(&text) {
        Some(key) => Ok(Some(key)),
        None => bail!(
            "server key file {} is not valid: expected standard base64 of exactly 32 bytes. Restore it \
             from a backup; replacing it makes secrets sealed under the old key unreadable",
            path.display()
        ),
    }
}

fn create_key_file(data_dir: &Path, path: &Path) -> anyhow::Result<ServerKey> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let key = ServerKey::generate();
    let temp = temp_path(data_dir);
    let written = write_private(&temp, &format!("{}\n", key.to_base64()));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(err).with_context(|| format!("cannot write server key file {}", temp.display()));
    }
    // A hard link publishes the complete file and, unlike rename, refuses to replace a key
    // another process published first, so racing first starts agree on one key.
    let published = match std::fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        // Filesystems without hard links: rename, accepting a narrow race window there.
        Err(_) if !path.exists() => std::fs::rename(&temp, path),
        Err(_) => Ok(()),
    };
    let _ = std::fs::remove_file(&temp);
    published.with_context(|| format!("cannot create server key file {}", path.display()))?;
    sync_dir(data_dir);
    match read_key_file(path)? {
        Some(key) => Ok(key),
        None => bail!("server key file {} vanished right after it was created", path.display()),
    }
}

fn temp_path(data_dir: &Path) -> PathBuf {
    let nonce: u64 = rand::random();
    data_dir.join(format!(".{KEY_FILE_NAME}.{}.{nonce:016x}.tmp", std::process::id()))
}

/// Creates `path` (which must not exist) readable by the owner only, and syncs it.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Makes the new directory entry durable; best effort, since not every platform allows
/// opening a directory.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = std::fs::File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(
                path = %path.display(),
                "the server key file is readable by other users; run `chmod 600` on it"
            );
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_once_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("data");
        let first = load_or_create_server_key(&data_dir, None).unwrap();
        let second = load_or_create_server_key(&data_dir, None).unwrap();
        assert_eq!(first.to_base64(), second.to_base64());
        let on_disk = std::fs::read_to_string(data_dir.join(KEY_FILE_NAME)).unwrap();
        assert_eq!(on_disk.trim(), first.to_base64());
        let names: Vec<_> = std::fs::read_dir(&data_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(KEY_FILE_NAME)], "no temp file left behind");
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        load_or_create_server_key(dir.path(), None).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE_NAME)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn racing_first_starts_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| load_or_create_server_key(dir.path(), None).unwrap().to_base64()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let stored = load_or_create_server_key(dir.path(), None).unwrap();
        let shared = ServerKey::generate();
        let loaded = load_or_create_server_key(dir.path(), Some(&shared.to_base64())).unwrap();
        assert_eq!(loaded.to_base64(), shared.to_base64());
        assert_ne!(loaded.to_base64(), stored.to_base64());
        let other = tempfile::tempdir().unwrap();
        load_or_create_server_key(other.path(), Some(&shared.to_base64())).unwrap();
        assert!(
            !other.path().join(KEY_FILE_NAME).exists(),
            "no file when the key comes from the environment"
        );
    }

    #[test]
    fn malformed_keys_are_explained_without_echoing_them() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_or_create_server_key(dir.path(), Some("c2hvcnQ=")).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("INKSTONE_SERVER_KEY") && text.contains("32 bytes"), "{text}");
        assert!(!text.contains("c2hvcnQ="), "{text}");

        std::fs::write(dir.path().join(KEY_FILE_NAME), "not a key at all\n").unwrap();
        let err = load_or_create_server_key(dir.path(), None).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("server.key") && text.contains("32 bytes"), "{text}");
        assert!(!text.contains("not a key at all"), "{text}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join(KEY_FILE_NAME)).unwrap(),
            "not a key at all\n",
            "a bad file is never replaced"
        );
    }
}

//! Configuration: command-line flags, then environment variables, then the TOML config
//! file, then defaults. The first that sets a value wins.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

/// Default data directory, relative to the working directory.
pub const DEFAULT_DATA_DIR: &str = "./inkstone-data";
/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The config file's keys (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
    pub database_url: Option<String>,
    /// Whether cookies get the `Secure` flag (set when behind TLS).
    pub secure_cookies: Option<bool>,
    /// How long anonymous reads may be served from memory, in milliseconds (0: never).
    pub response_cache_ttl_ms: Option<u64>,
}

impl FileConfig {
    /// Reads a TOML config file.
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {} is not valid", path.display()))
    }
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// `sqlite:` URL; the default is `inkstone.db` in the data directory.
    pub database_url: Option<String>,
    pub secure_cookies: bool,
    /// Time to live of the anonymous-read micro-cache; zero turns it off.
    pub response_cache_ttl: std::time::Duration,
}

/// Default time to live of the anonymous-read micro-cache.
pub const DEFAULT_RESPONSE_CACHE_TTL_MS: u64 = 1000;

impl Config {
    /// Merges flag/env values (already merged by clap: flag wins over env) with the file.
    pub fn resolve(
        data_dir: Option<PathBuf>,
        listen: Option<String>,
        database_url: Option<String>,
        response_cache_ttl_ms: Option<u64>,
        config_file: Option<&Path>,
    ) -> anyhow::Result<Config> {
        let file = match config_file {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let data_dir = data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let listen_text = listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen = listen_text.parse().with_context(|| {
            format!("listen address `{listen_text}` is not HOST:PORT (e.g. 127.0.0.1:8080)")
        })?;
        let database_url = database_url.or(file.database_url).filter(|u| !u.trim().is_empty());
        if let Some(url) = &database_url
            && !url.starts_with("sqlite:")
        {
            bail!("INKSTONE_DATABASE_URL `{url}`: only sqlite: URLs are supported by this build");
        }
        let ttl_ms =
            response_cache_ttl_ms.or(file.response_cache_ttl_ms).unwrap_or(DEFAULT_RESPONSE_CACHE_TTL_MS);
        Ok(Config {
            data_dir,
            listen,
            database_url,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            response_cache_ttl: std::time::Duration::from_millis(ttl_ms),
        })
    }

    /// The SQLite file used when no database URL is configured.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("inkstone.db")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_env_win_over_the_file_which_wins_over_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inkstone.toml");
        std::fs::write(&path, "data_dir = \"/srv/blog\"\nlisten = \"127.0.0.1:9000\"\n").unwrap();
        let from_file = Config::resolve(None, None, None, None, Some(&path)).unwrap();
        assert_eq!(from_file.data_dir, PathBuf::from("/srv/blog"));
        assert_eq!(from_file.listen.port(), 9000);
        let overridden =
            Config::resolve(Some("/tmp/x".into()), Some("127.0.0.1:7000".into()), None, None, Some(&path))
                .unwrap();
        assert_eq!(overridden.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(overridden.listen.port(), 7000);
        let defaults = Config::resolve(None, None, None, None, None).unwrap();
        assert_eq!(defaults.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(defaults.listen.to_string(), DEFAULT_LISTEN);
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Config::resolve(None, Some("nonsense".into()), None, None, None).unwrap_err();
        assert!(err.to_string().contains("HOST:PORT"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "colour = \"blue\"\n").unwrap();
        assert!(Config::resolve(None, None, None, None, Some(&path)).is_err());
    }
}

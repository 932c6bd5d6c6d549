//! Configuration: command-line flags, then environment variables, then the TOML config
//! file, then defaults. The first that sets a value wins.
//!
//! Mail and captcha settings have no flags; their environment variables are read here
//! (through an injectable reader, so tests do not depend on the process environment).

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
    /// SMTP server URL (`smtps://user:pass@host:465`, `smtp://host:587?tls=required`); without
    /// it mail goes to the file outbox `<data_dir>/outbox/`.
    pub smtp_url: Option<String>,
    /// The `From` of outgoing mail, e.g. `Inkstone <blog@example.com>`.
    pub mail_from: Option<String>,
    /// `builtin` (the default), `recaptcha`, `hcaptcha` or `turnstile`.
    pub captcha_provider: Option<String>,
    pub captcha_site_key: Option<String>,
    pub captcha_secret: Option<String>,
    /// Replaces the provider's `siteverify` URL (a proxy, or a stand-in in tests).
    pub captcha_verify_url: Option<String>,
    /// Where uploads are stored: `fs` (the default, a local directory) or `s3`.
    pub media_storage: Option<String>,
    /// The local media directory; default `<data_dir>/media`.
    pub media_dir: Option<PathBuf>,
    /// Largest upload in MiB (default 64).
    pub media_max_upload_mb: Option<u64>,
    pub s3_bucket: Option<String>,
    pub s3_endpoint: Option<String>,
    pub s3_region: Option<String>,
    /// Key prefix inside the bucket.
    pub s3_root: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
}

impl FileConfig {
    /// Reads a TOML config file. Errors: unreadable file, invalid TOML, unknown keys, and a
    /// `server_key` key (the server key never belongs in a file that may be shared).
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("config file {} is not valid", path.display()))
    }

    fn parse(text: &str) -> anyhow::Result<FileConfig> {
        // Checked before serde so the message says where the key belongs instead of just
        // "unknown field".
        if let Ok(table) = toml::from_str::<toml::Table>(text)
            && table.contains_key("server_key")
        {
            bail!(
                "`server_key` is not allowed in the config file; set INKSTONE_SERVER_KEY or let the \
                 server keep it in <data_dir>/server.key"
            );
        }
        Ok(toml::from_str(text)?)
    }
}

/// A configured secret. `Debug` prints `***` so a logged [`Config`] leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
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
    /// SMTP server URL; `None` sends mail to the file outbox. A secret: it may hold a password.
    pub smtp_url: Option<Secret>,
    /// The `From` of outgoing mail; `None` means [`crate::mail::DEFAULT_MAIL_FROM`].
    pub mail_from: Option<String>,
    /// Lower-cased provider name; `None` means `builtin`. Checked by
    /// [`crate::captcha::captcha_from_config`].
    pub captcha_provider: Option<String>,
    pub captcha_site_key: Option<String>,
    pub captcha_secret: Option<Secret>,
    pub captcha_verify_url: Option<String>,
    /// `INKSTONE_SERVER_KEY` (environment only); `None` uses `<data_dir>/server.key`.
    pub server_key: Option<Secret>,
    /// Where uploads are stored (its `Debug` hides the S3 secret).
    pub media_storage: inkstone_media::StorageConfig,
    /// Largest upload, in bytes.
    pub media_max_upload_bytes: u64,
}

/// Default time to live of the anonymous-read micro-cache.
pub const DEFAULT_RESPONSE_CACHE_TTL_MS: u64 = 1000;

impl Config {
    /// Merges flag/env values (already merged by clap: flag wins over env) with the file,
    /// reading the mail and captcha variables from the process environment.
    pub fn resolve(
        data_dir: Option<PathBuf>,
        listen: Option<String>,
        database_url: Option<String>,
        response_cache_ttl_ms: Option<u64>,
        config_file: Option<&Path>,
    ) -> anyhow::Result<Config> {
        Self::resolve_with_env(data_dir, listen, database_url, response_cache_ttl_ms, config_file, &|name| {
            std::env::var(name).ok()
        })
    }

    /// [`Config::resolve`] with the environment read through `env` (the variables without
    /// flags: `INKSTONE_SMTP_URL`, `INKSTONE_MAIL_FROM`, `INKSTONE_CAPTCHA_PROVIDER`,
    /// `INKSTONE_CAPTCHA_SITE_KEY`, `INKSTONE_CAPTCHA_SECRET`, `INKSTONE_CAPTCHA_VERIFY_URL`,
    /// `INKSTONE_SERVER_KEY`, and the media ones: `INKSTONE_MEDIA_STORAGE`, `INKSTONE_MEDIA_DIR`,
    /// `INKSTONE_MEDIA_MAX_UPLOAD_MB`, `INKSTONE_S3_BUCKET`, `INKSTONE_S3_ENDPOINT`,
    /// `INKSTONE_S3_REGION`, `INKSTONE_S3_ROOT`, `INKSTONE_S3_ACCESS_KEY_ID`,
    /// `INKSTONE_S3_SECRET_ACCESS_KEY`). An empty variable counts as unset.
    pub fn resolve_with_env(
        data_dir: Option<PathBuf>,
        listen: Option<String>,
        database_url: Option<String>,
        response_cache_ttl_ms: Option<u64>,
        config_file: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Config> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
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
        let pick = |name: &str, from_file: Option<String>| {
            env(name).or(from_file).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
        };
        let media_storage = match pick("INKSTONE_MEDIA_STORAGE", file.media_storage.clone())
            .map(|v| v.to_ascii_lowercase())
            .as_deref()
        {
            None | Some("fs") => inkstone_media::StorageConfig::Fs {
                root: pick("INKSTONE_MEDIA_DIR", None)
                    .map(PathBuf::from)
                    .or(file.media_dir.clone())
                    .unwrap_or_else(|| data_dir.join("media")),
            },
            Some("s3") => inkstone_media::StorageConfig::S3 {
                bucket: pick("INKSTONE_S3_BUCKET", file.s3_bucket.clone())
                    .context("media_storage = s3 needs s3_bucket (INKSTONE_S3_BUCKET)")?,
                endpoint: pick("INKSTONE_S3_ENDPOINT", file.s3_endpoint.clone()),
                region: pick("INKSTONE_S3_REGION", file.s3_region.clone()),
                root: pick("INKSTONE_S3_ROOT", file.s3_root.clone()),
                access_key_id: pick("INKSTONE_S3_ACCESS_KEY_ID", file.s3_access_key_id.clone()),
                secret_access_key: pick("INKSTONE_S3_SECRET_ACCESS_KEY", file.s3_secret_access_key.clone()),
            },
            Some(other) => bail!("media_storage `{other}` is not `fs` or `s3`"),
        };
        let max_mb = match pick("INKSTONE_MEDIA_MAX_UPLOAD_MB", None) {
            Some(text) => Some(text.parse::<u64>().with_context(|| {
                format!("INKSTONE_MEDIA_MAX_UPLOAD_MB `{text}` is not a whole number of MiB")
            })?),
            None => file.media_max_upload_mb,
        };
        let media_max_upload_bytes = match max_mb {
            Some(mb) if (1..=1_048_576).contains(&mb) => mb * 1024 * 1024,
            Some(mb) => bail!("media_max_upload_mb {mb} is not between 1 and 1048576"),
            None => inkstone_media::DEFAULT_MAX_UPLOAD_BYTES,
        };
        Ok(Config {
            media_storage,
            media_max_upload_bytes,
            data_dir,
            listen,
            database_url,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            response_cache_ttl: std::time::Duration::from_millis(ttl_ms),
            smtp_url: pick("INKSTONE_SMTP_URL", file.smtp_url).map(Secret),
            mail_from: pick("INKSTONE_MAIL_FROM", file.mail_from),
            captcha_provider: pick("INKSTONE_CAPTCHA_PROVIDER", file.captcha_provider)
                .map(|p| p.to_ascii_lowercase()),
            captcha_site_key: pick("INKSTONE_CAPTCHA_SITE_KEY", file.captcha_site_key),
            captcha_secret: pick("INKSTONE_CAPTCHA_SECRET", file.captcha_secret).map(Secret),
            captcha_verify_url: pick("INKSTONE_CAPTCHA_VERIFY_URL", file.captcha_verify_url),
            server_key: pick("INKSTONE_SERVER_KEY", None).map(Secret),
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

    fn resolve_with(file: Option<&Path>, vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::resolve_with_env(None, None, None, None, file, &|name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn mail_and_captcha_settings_take_env_over_file_over_default() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inkstone.toml");
        std::fs::write(
            &path,
            "smtp_url = \"smtp://file-host:587?tls=required\"\nmail_from = \"Blog <blog@example.com>\"\n\
             captcha_provider = \"Turnstile\"\ncaptcha_site_key = \"site-from-file\"\n\
             captcha_secret = \"secret-from-file\"\n",
        )
        .unwrap();
        let defaults = resolve_with(None, &[]).unwrap();
        assert_eq!(defaults.smtp_url, None);
        assert_eq!(defaults.mail_from, None);
        assert_eq!(defaults.captcha_provider, None);
        assert_eq!(defaults.server_key, None);

        let from_file = resolve_with(Some(&path), &[]).unwrap();
        assert_eq!(
            from_file.smtp_url.as_ref().map(Secret::expose),
            Some("smtp://file-host:587?tls=required")
        );
        assert_eq!(from_file.mail_from.as_deref(), Some("Blog <blog@example.com>"));
        assert_eq!(from_file.captcha_provider.as_deref(), Some("turnstile"));
        assert_eq!(from_file.captcha_site_key.as_deref(), Some("site-from-file"));
        assert_eq!(from_file.captcha_secret.as_ref().map(Secret::expose), Some("secret-from-file"));
        assert_eq!(from_file.captcha_verify_url, None);

        let from_env = resolve_with(
            Some(&path),
            &[
                ("INKSTONE_SMTP_URL", "smtps://u:p@env-host:465"),
                ("INKSTONE_MAIL_FROM", ""),
                ("INKSTONE_CAPTCHA_PROVIDER", "hcaptcha"),
                ("INKSTONE_CAPTCHA_SITE_KEY", "site-from-env"),
                ("INKSTONE_CAPTCHA_SECRET", "secret-from-env"),
                ("INKSTONE_CAPTCHA_VERIFY_URL", "http://127.0.0.1:9/verify"),
                ("INKSTONE_SERVER_KEY", "a2V5"),
            ],
        )
        .unwrap();
        assert_eq!(from_env.smtp_url.as_ref().map(Secret::expose), Some("smtps://u:p@env-host:465"));
        assert_eq!(from_env.mail_from.as_deref(), Some("Blog <blog@example.com>"), "empty env is unset");
        assert_eq!(from_env.captcha_provider.as_deref(), Some("hcaptcha"));
        assert_eq!(from_env.captcha_site_key.as_deref(), Some("site-from-env"));
        assert_eq!(from_env.captcha_secret.as_ref().map(Secret::expose), Some("secret-from-env"));
        assert_eq!(from_env.captcha_verify_url.as_deref(), Some("http://127.0.0.1:9/verify"));
        assert_eq!(from_env.server_key.as_ref().map(Secret::expose), Some("a2V5"));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let config = resolve_with(
            None,
            &[
                ("INKSTONE_SMTP_URL", "smtps://user:hunter2@mail.example.com:465"),
                ("INKSTONE_CAPTCHA_SECRET", "captcha-secret-value"),
                ("INKSTONE_SERVER_KEY", "server-key-value"),
            ],
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("captcha-secret-value"), "{shown}");
        assert!(!shown.contains("server-key-value"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn media_storage_defaults_to_a_directory_in_the_data_dir() {
        let defaults = resolve_with(None, &[]).unwrap();
        assert_eq!(
            defaults.media_storage,
            inkstone_media::StorageConfig::Fs { root: PathBuf::from(DEFAULT_DATA_DIR).join("media") }
        );
        assert_eq!(defaults.media_max_upload_bytes, inkstone_media::DEFAULT_MAX_UPLOAD_BYTES);
        let s3 = resolve_with(
            None,
            &[
                ("INKSTONE_MEDIA_STORAGE", "S3"),
                ("INKSTONE_S3_BUCKET", "blog"),
                ("INKSTONE_S3_SECRET_ACCESS_KEY", "s3-secret-value"),
                ("INKSTONE_MEDIA_MAX_UPLOAD_MB", "200"),
            ],
        )
        .unwrap();
        assert!(
            matches!(&s3.media_storage, inkstone_media::StorageConfig::S3 { bucket, .. } if bucket == "blog")
        );
        assert_eq!(s3.media_max_upload_bytes, 200 * 1024 * 1024);
        assert!(!format!("{s3:?}").contains("s3-secret-value"));
        assert!(resolve_with(None, &[("INKSTONE_MEDIA_STORAGE", "s3")]).is_err(), "a bucket is required");
        assert!(resolve_with(None, &[("INKSTONE_MEDIA_STORAGE", "ftp")]).is_err());
        assert!(resolve_with(None, &[("INKSTONE_MEDIA_MAX_UPLOAD_MB", "0")]).is_err());
    }

    #[test]
    fn server_key_is_refused_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inkstone.toml");
        std::fs::write(&path, "server_key = \"AAAA\"\n").unwrap();
        let err = resolve_with(Some(&path), &[]).unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("INKSTONE_SERVER_KEY"), "{text}");
        assert!(!text.contains("AAAA"), "{text}");
    }
}

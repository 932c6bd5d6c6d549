//! The theme: minijinja templates, static assets served under content-hashed names, and
//! the interface strings of each language.
//!
//! The default theme is embedded in the binary (every file under `crates/site/theme/`). A
//! theme directory (`<data_dir>/theme` by default) overrides it file by file with the same
//! layout: `templates/<name>.html`, `static/<file>`, `i18n/<lang>.json` (and
//! `i18n/<lang>.<part>.json`, merged into the same language). A site owner edits
//! those files and the running server picks the change up within [`RELOAD_CHECK`]; a broken
//! template is logged and the previous theme stays in service.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use minijinja::value::Value;
use minijinja::{Environment, State};
use sha2::{Digest, Sha256};

include!(concat!(env!("OUT_DIR"), "/embedded_theme.rs"));

/// How often the theme directory is checked for changes.
pub const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// Largest theme file read from the theme directory (8 MiB); larger ones are skipped with a
/// warning.
pub const MAX_THEME_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// What a rendered page holds where a per-visitor form token belongs (the `form_token()`
/// template function). Pages are cached with it and it is replaced when each response is
/// sent, so one cached page serves every visitor with their own token.
pub const FORM_TOKEN_PLACEHOLDER: &str = "__inkstone_form_token__";

/// A static asset of the theme, served at `/assets/<hashed name>`.
#[derive(Debug)]
pub struct Asset {
    pub content_type: &'static str,
    pub bytes: Bytes,
    /// Strong validator: the content hash.
    pub etag: String,
}

/// One loaded theme: templates compiled, assets hashed, strings read.
pub struct Theme {
    env: Environment<'static>,
    assets: HashMap<String, Arc<Asset>>,
    strings: Arc<Strings>,
    /// Content hash of every file: part of page cache keys and page validators.
    pub fingerprint: String,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme").field("fingerprint", &self.fingerprint).finish_non_exhaustive()
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("").to_ascii_lowercase().as_str() {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "json" | "webmanifest" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `style.css` with hash `0123abcd…` → `style.0123abcd.css`.
fn hashed_name(name: &str, hash: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{}.{ext}", &hash[..10]),
        None => format!("{name}.{}", &hash[..10]),
    }
}

/// The language file key for a site language tag.
fn lang_key(tag: &str) -> &str {
    if tag.to_ascii_lowercase().starts_with("zh") { "zh-CN" } else { "en" }
}

type Strings = HashMap<String, HashMap<String, String>>;

/// String `key` in language `lang`, else in English, else the key itself (the template
/// function `t(key)` uses the page's `lang`).
fn lookup(strings: &Strings, lang: &str, key: &str) -> String {
    strings
        .get(lang_key(lang))
        .and_then(|table| table.get(key))
        .or_else(|| strings.get("en").and_then(|table| table.get(key)))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

impl Theme {
    /// Builds a theme from `files` (path under the theme root, bytes); later entries with
    /// the same path win.
    ///
    /// Errors: a template that does not compile, or a language file that is not a JSON
    /// object of strings (the message names the file).
    pub fn from_files(files: Vec<(String, Vec<u8>)>) -> Result<Theme, String> {
        let mut by_path: std::collections::BTreeMap<String, Vec<u8>> = std::collections::BTreeMap::new();
        for (path, bytes) in files {
            by_path.insert(path, bytes);
        }
        let mut fingerprint = Sha256::new();
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_formatter(html_formatter);
        let mut assets = HashMap::new();
        let mut urls: HashMap<String, String> = HashMap::new();
        let mut strings: Strings = HashMap::new();
        for (path, bytes) in &by_path {
            fingerprint.update(path.as_bytes());
            fingerprint.update([0]);
            fingerprint.update(bytes);
            if let Some(name) = path.strip_prefix("templates/") {
                let source = String::from_utf8(bytes.clone()).map_err(|_| format!("{path}: not UTF-8"))?;
                env.add_template_owned(name.to_string(), source).map_err(|e| format!("{path}: {e}"))?;
            } else if let Some(name) = path.strip_prefix("static/") {
                let hash = hex::encode(Sha256::digest(bytes));
                let hashed = hashed_name(name, &hash);
                urls.insert(name.to_string(), format!("/assets/{hashed}"));
                let asset = Asset {
                    content_type: content_type(name),
                    bytes: Bytes::from(bytes.clone()),
                    etag: format!("\"{}\"", &hash[..32]),
                };
                assets.insert(hashed, Arc::new(asset));
            } else if let Some(file) = path.strip_prefix("i18n/").and_then(|f| f.strip_suffix(".json")) {
                // `i18n/<lang>.json` and `i18n/<lang>.<part>.json` all add to one table.
                let table: HashMap<String, String> =
                    serde_json::from_slice(bytes).map_err(|e| format!("{path}: {e}"))?;
                strings.entry(lang_key(file).to_string()).or_default().extend(table);
            }
        }
        let urls = Arc::new(urls);
        env.add_function("asset", move |name: &str| -> Result<String, minijinja::Error> {
            urls.get(name).cloned().ok_or_else(|| {
                minijinja::Error::new(
                    minijinja::ErrorKind::InvalidOperation,
                    format!("no theme asset `{name}`"),
                )
            })
        });
        let strings = Arc::new(strings);
        let table = strings.clone();
        env.add_function("t", move |state: &State, key: &str| {
            let lang = state.lookup("lang").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            lookup(&table, &lang, key)
        });
        env.add_function("form_token", || Value::from_safe_string(FORM_TOKEN_PLACEHOLDER.to_string()));
        Ok(Theme { env, assets, strings, fingerprint: hex::encode(&fingerprint.finalize()[..8]) })
    }

    /// The default theme alone.
    pub fn embedded() -> Theme {
        Theme::from_files(embedded_files()).expect("the embedded theme compiles (a test checks it)")
    }

    /// The default theme overridden by the files under `dir` (absent directory: the default).
    ///
    /// Errors: as [`Theme::from_files`], or an unreadable directory.
    pub fn load(dir: &Path) -> Result<Theme, String> {
        let mut files = embedded_files();
        for path in theme_files(dir) {
            let relative = path.strip_prefix(dir).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            match std::fs::metadata(&path) {
                Ok(meta) if meta.len() > MAX_THEME_FILE_BYTES => {
                    tracing::warn!(file = %path.display(), "theme file larger than 8 MiB skipped");
                    continue;
                }
                Ok(_) => {}
                Err(err) => return Err(format!("{}: {err}", path.display())),
            }
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            files.push((relative, bytes));
        }
        Theme::from_files(files)
    }

    /// Renders template `name` with `context`.
    ///
    /// Errors: an unknown template or a failure inside it (minijinja's error, naming the
    /// template and line).
    pub fn render(&self, name: &str, context: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(context)
    }

    /// Whether the theme has template `name` (item templates chosen by authors).
    pub fn has_template(&self, name: &str) -> bool {
        self.env.get_template(name).is_ok()
    }

    /// Interface string `key` in language `lang` (`en`, `zh-CN`), as the template
    /// function `t` gives it.
    pub fn text(&self, key: &str, lang: &str) -> String {
        lookup(&self.strings, lang, key)
    }

    /// The asset served as `/assets/<hashed_name>`.
    pub fn asset(&self, hashed_name: &str) -> Option<Arc<Asset>> {
        self.assets.get(hashed_name).cloned()
    }
}

/// Escapes `& < > " '` in HTML output and leaves `/` alone (minijinja's default writes
/// `&#x2f;`, valid but noisy in every URL); anything else as minijinja does it.
fn html_formatter(out: &mut minijinja::Output, state: &State, value: &Value) -> Result<(), minijinja::Error> {
    if !matches!(state.auto_escape(), minijinja::AutoEscape::Html)
        || value.is_safe()
        || value.as_str().is_none()
    {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.as_str().unwrap_or_default();
    let mut last = 0;
    for (index, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..index]).map_err(minijinja::Error::from)?;
        out.write_str(entity).map_err(minijinja::Error::from)?;
        last = index + 1;
    }
    out.write_str(&text[last..]).map_err(minijinja::Error::from)
}

fn embedded_files() -> Vec<(String, Vec<u8>)> {
    EMBEDDED.iter().map(|(path, bytes)| (path.to_string(), bytes.to_vec())).collect()
}

/// Files under `dir`, skipping dot files and directories.
fn theme_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// A stamp of the theme directory: changes when a file is added, removed or modified.
fn directory_stamp(dir: &Path) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for path in theme_files(dir) {
        path.hash(&mut hasher);
        if let Ok(meta) = std::fs::metadata(&path) {
            meta.len().hash(&mut hasher);
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH).hash(&mut hasher);
        }
    }
    hasher.finish()
}

/// The theme in service, reloaded from its directory when files change.
pub struct ThemeHandle {
    dir: Option<PathBuf>,
    current: RwLock<Arc<Theme>>,
    /// When the directory was last checked, and its stamp then.
    checked: Mutex<(Instant, u64)>,
}

impl ThemeHandle {
    /// The embedded theme, never reloaded.
    pub fn embedded() -> ThemeHandle {
        ThemeHandle {
            dir: None,
            current: RwLock::new(Arc::new(Theme::embedded())),
            checked: Mutex::new((Instant::now(), 0)),
        }
    }

    /// The theme of directory `dir` (which need not exist yet), watched for changes.
    ///
    /// Errors: the directory's theme does not load (see [`Theme::load`]).
    pub fn watching(dir: PathBuf) -> Result<ThemeHandle, String> {
        let theme = Theme::load(&dir)?;
        let stamp = directory_stamp(&dir);
        Ok(ThemeHandle {
            dir: Some(dir),
            current: RwLock::new(Arc::new(theme)),
            checked: Mutex::new((Instant::now(), stamp)),
        })
    }

    /// The theme to render with now.
    pub fn get(&self) -> Arc<Theme> {
        if let Some(dir) = &self.dir {
            self.reload_if_changed(dir);
        }
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn reload_if_changed(&self, dir: &Path) {
        // One request checks; the others go on with the current theme meanwhile.
        let Ok(mut checked) = self.checked.try_lock() else { return };
        if checked.0.elapsed() < RELOAD_CHECK {
            return;
        }
        let stamp = directory_stamp(dir);
        let previous = std::mem::replace(&mut *checked, (Instant::now(), stamp)).1;
        if stamp == previous {
            return;
        }
        match Theme::load(dir) {
            Ok(theme) => {
                tracing::info!(dir = %dir.display(), "theme reloaded");
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(theme);
            }
            Err(err) => tracing::warn!(error = %err, "theme not reloaded; the previous one stays in service"),
        }
    }
}

impl std::fmt::Debug for ThemeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThemeHandle").field("dir", &self.dir).finish_non_exhaustive()
    }
}

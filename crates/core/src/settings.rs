//! Site settings: a fixed table of known keys, each with a type, a default and a validator.
//!
//! Values are stored as text. Unknown keys are refused, so a typo never silently does
//! nothing. Later features add their switches here (for example which API dialects are on).

use std::collections::BTreeMap;

use crate::error::{CoreError, CoreResult};
use crate::locale::Locale;

/// The type of a setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Free text up to 1000 characters.
    Text,
    /// An absolute `http` or `https` URL without a trailing slash.
    Url,
    /// `true` or `false` (also accepts 1/0, yes/no, on/off).
    Bool,
    /// An integer within the bounds.
    Integer { min: i64, max: i64 },
    /// `en` or `zh-CN`.
    Language,
    /// An IANA time zone name such as `Asia/Shanghai`, or `UTC`.
    TimeZone,
    /// One of a fixed list of words.
    Choice(&'static [&'static str]),
    /// Host names separated by commas or spaces (`example.com, blog.example.org`), stored
    /// lower-cased as `a, b`; empty allowed.
    HostList,
}

/// One known setting.
#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    pub key: &'static str,
    pub kind: SettingKind,
    pub default: &'static str,
    pub description: &'static str,
}

/// Every setting Inkstone knows.
pub const SETTINGS: &[SettingDef] = &[
    SettingDef {
        key: "site.title",
        kind: SettingKind::Text,
        default: "Inkstone",
        description: "The site's name, shown in pages and feeds.",
    },
    SettingDef {
        key: "site.description",
        kind: SettingKind::Text,
        default: "",
        description: "A one-line description of the site.",
    },
    SettingDef {
        key: "site.url",
        kind: SettingKind::Url,
        default: "http://127.0.0.1:8080",
        description: "The public base URL, used to build absolute links.",
    },
    SettingDef {
        key: "site.language",
        kind: SettingKind::Language,
        default: "en",
        description: "Default language of messages when a request does not ask (en, zh-CN).",
    },
    SettingDef {
        key: "site.time_zone",
        kind: SettingKind::TimeZone,
        default: "UTC",
        description: "IANA time zone for dates shown to readers (APIs use UTC).",
    },
    SettingDef {
        key: "site.permalink",
        kind: SettingKind::Choice(&["posts", "archives", "date"]),
        default: "posts",
        description: "Public URL of a post: `/posts/{slug}`, `/archives/{slug}` or `/{year}/{month}/{slug}` (the other forms and former slugs redirect to it).",
    },
    SettingDef {
        key: "content.page_size",
        kind: SettingKind::Integer { min: 1, max: 100 },
        default: "10",
        description: "Default number of items per page in lists.",
    },
    SettingDef {
        key: "content.excerpt_length",
        kind: SettingKind::Integer { min: 20, max: 2000 },
        default: "200",
        description: "Characters in an automatic excerpt.",
    },
    SettingDef {
        key: "auth.basic_enabled",
        kind: SettingKind::Bool,
        default: "false",
        description: "Accept HTTP Basic authentication (off by default, as in Halo).",
    },
    SettingDef {
        key: "auth.registration",
        kind: SettingKind::Choice(&["closed", "open", "invite"]),
        default: "closed",
        description: "Who may create an account: nobody (admins add people), anyone, or holders of an invitation code.",
    },
    SettingDef {
        key: "auth.default_role",
        kind: SettingKind::Choice(&["subscriber", "contributor", "author"]),
        default: "subscriber",
        description: "The role of people who register without an invitation.",
    },
    SettingDef {
        key: "auth.registration_captcha",
        kind: SettingKind::Bool,
        default: "false",
        description: "Require a captcha to register.",
    },
    SettingDef {
        key: "auth.signature_window_secs",
        kind: SettingKind::Integer { min: 10, max: 86_400 },
        default: "600",
        description: "How far a signed request's req_time may be from the server's clock, in seconds; each signature is accepted once.",
    },
    SettingDef {
        key: "webhooks.allow_private_targets",
        kind: SettingKind::Bool,
        default: "false",
        description: "Let webhooks go to loopback, private, link-local and other non-public addresses (off: refused when saved and at delivery).",
    },
    SettingDef {
        key: "links.applications_open",
        kind: SettingKind::Bool,
        default: "true",
        description: "Accept friend link applications from the public form.",
    },
    SettingDef {
        key: "links.application_captcha",
        kind: SettingKind::Bool,
        default: "false",
        description: "Require a captcha to apply for a friend link.",
    },
    SettingDef {
        key: "stats.allowed_domains",
        kind: SettingKind::HostList,
        default: "",
        description: "Hosts whose pages are counted in page-view statistics (a Referer on one of them or a subdomain); empty: count nothing.",
    },
    SettingDef {
        key: "comments.moderation",
        kind: SettingKind::Choice(&["off", "guests", "all"]),
        default: "guests",
        description: "Which new comments wait for a moderator: none, those of guests (not signed in), or all but the item's moderators'.",
    },
    SettingDef {
        key: "comments.captcha",
        kind: SettingKind::Bool,
        default: "false",
        description: "Guests must answer a captcha to comment.",
    },
    SettingDef {
        key: "comments.max_links",
        kind: SettingKind::Integer { min: 0, max: 100 },
        default: "2",
        description: "A comment with more links than this waits for a moderator.",
    },
    SettingDef {
        key: "media.allowed_types",
        kind: SettingKind::Text,
        default: "image/*, audio/*, video/*, application/pdf, text/plain",
        description: "MIME types accepted for upload, sniffed from the bytes: `type/subtype` or `type/*`, separated by commas. SVG, HTML and other active types are always served as sandboxed attachments.",
    },
    SettingDef {
        key: "emlog.api_enabled",
        kind: SettingKind::Bool,
        default: "false",
        description: "Whether the emlog dialect's `/?rest-api=` API is open (emlog `is_openapi`). Closed by default, as in emlog; `article_list` answers either way.",
    },
];

/// Looks up a known setting.
pub fn definition(key: &str) -> Option<&'static SettingDef> {
    SETTINGS.iter().find(|def| def.key == key)
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Splits a host list on commas and whitespace, lower-cases each host and drops a
/// trailing dot; `None` if an entry is not a host name (letters, digits, `-`, `.`, an IPv4
/// address or a bracketed IPv6 address; no scheme, port or path).
pub fn parse_host_list(value: &str) -> Option<Vec<String>> {
    let mut hosts: Vec<String> = Vec::new();
    for entry in value.split(|c: char| c == ',' || c.is_whitespace()).filter(|e| !e.is_empty()) {
        let host = entry.to_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host).to_string();
        let bracketed = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
        let plain = !host.is_empty()
            && host.len() <= 253
            && !host.starts_with(['.', '-'])
            && !host.contains("..")
            && host.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let ipv6 = bracketed && host[1..host.len() - 1].parse::<std::net::Ipv6Addr>().is_ok();
        if !(plain || ipv6) {
            return None;
        }
        if !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    Some(hosts)
}

/// Checks `value` for `key` and returns it in canonical form (booleans as `true`/`false`,
/// URLs without trailing slash, integers without padding).
///
/// Errors: `invalid_input` for an unknown key (listing the known ones) or a bad value.
pub fn validate(key: &str, value: &str) -> CoreResult<String> {
    let Some(def) = definition(key) else {
        let known: Vec<&str> = SETTINGS.iter().map(|d| d.key).collect();
        return Err(CoreError::invalid(
            "key",
            format!("unknown setting `{key}`; known settings: {}", known.join(", ")),
            format!("未知设置 `{key}`；可用设置：{}", known.join(", ")),
        ));
    };
    let bad = |en: String, zh: String| CoreError::invalid(key, en, zh);
    let value = value.trim();
    match def.kind {
        SettingKind::Text => {
            if value.chars().count() > 1000 {
                return Err(bad("at most 1000 characters".into(), "最多 1000 个字符".into()));
            }
            Ok(value.to_string())
        }
        SettingKind::Url => {
            let rest =
                value.strip_prefix("https://").or_else(|| value.strip_prefix("http://")).filter(|rest| {
                    !rest.is_empty()
                        && !rest.starts_with('/')
                        && !rest.chars().any(|c| c.is_whitespace() || c.is_control())
                });
            if rest.is_none() {
                return Err(bad(
                    format!("`{value}` is not an http(s) URL"),
                    format!("`{value}` 不是 http(s) 网址"),
                ));
            }
            Ok(value.trim_end_matches('/').to_string())
        }
        SettingKind::Bool => parse_bool(value).map(|b| b.to_string()).ok_or_else(|| {
            bad(format!("`{value}` is not true or false"), format!("`{value}` 不是 true 或 false"))
        }),
        SettingKind::Integer { min, max } => match value.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
            _ => Err(bad(
                format!("must be an integer from {min} to {max}"),
                format!("必须是 {min} 到 {max} 之间的整数"),
            )),
        },
        SettingKind::Language => Locale::from_tag(value)
            .map(|l| l.tag().to_string())
            .ok_or_else(|| bad("must be `en` or `zh-CN`".into(), "必须是 `en` 或 `zh-CN`".into())),
        SettingKind::Choice(words) => {
            let lower = value.to_ascii_lowercase();
            words.iter().find(|w| **w == lower).map(|w| w.to_string()).ok_or_else(|| {
                let allowed = words.join(", ");
                bad(
                    format!("`{value}` is not one of: {allowed}"),
                    format!("`{value}` 不是可选值之一：{allowed}"),
                )
            })
        }
        SettingKind::HostList => parse_host_list(value).map(|hosts| hosts.join(", ")).ok_or_else(|| {
            bad(
                format!("`{value}` is not a list of host names such as `example.com, blog.example.org`"),
                format!("`{value}` 不是域名列表，例如 `example.com, blog.example.org`"),
            )
        }),
        SettingKind::TimeZone => {
            value.parse::<chrono_tz::Tz>().map(|tz| tz.name().to_string()).map_err(|_| {
                bad(
                    format!("`{value}` is not an IANA time zone such as Asia/Shanghai"),
                    format!("`{value}` 不是 IANA 时区名，例如 Asia/Shanghai"),
                )
            })
        }
    }
}

/// A snapshot of every setting, typed. Values that fail validation in storage (written by
/// an older version, say) fall back to their defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    values: BTreeMap<&'static str, String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings::from_stored(Vec::new())
    }
}

impl Settings {
    /// Builds the snapshot from stored pairs; unknown keys are ignored.
    pub fn from_stored(stored: Vec<(String, String)>) -> Settings {
        let mut values: BTreeMap<&'static str, String> =
            SETTINGS.iter().map(|def| (def.key, def.default.to_string())).collect();
        for (key, value) in stored {
            if let Some(def) = definition(&key)
                && let Ok(valid) = validate(def.key, &value)
            {
                values.insert(def.key, valid);
            }
        }
        Settings { values }
    }

    /// The canonical text of a setting; `None` for an unknown key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every setting in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.values.iter().map(|(k, v)| (*k, v.as_str()))
    }

    fn integer(&self, key: &str) -> i64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub fn site_title(&self) -> &str {
        self.get("site.title").unwrap_or_default()
    }

    pub fn site_url(&self) -> &str {
        self.get("site.url").unwrap_or_default()
    }

    pub fn language(&self) -> Locale {
        self.get("site.language").and_then(Locale::from_tag).unwrap_or_default()
    }

    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.get("site.time_zone").and_then(|v| v.parse().ok()).unwrap_or(chrono_tz::UTC)
    }

    /// Default list page size, 1..=100.
    /// `site.permalink`: `posts`, `archives` or `date`.
    pub fn permalink(&self) -> &str {
        self.get("site.permalink").unwrap_or("posts")
    }

    pub fn page_size(&self) -> i64 {
        self.integer("content.page_size")
    }

    /// Characters in an automatic excerpt.
    pub fn excerpt_length(&self) -> usize {
        usize::try_from(self.integer("content.excerpt_length")).unwrap_or(200)
    }

    pub fn basic_auth_enabled(&self) -> bool {
        self.get("auth.basic_enabled") == Some("true")
    }

    /// Who may register.
    pub fn registration(&self) -> crate::model::RegistrationMode {
        self.get("auth.registration")
            .and_then(crate::model::RegistrationMode::parse)
            .unwrap_or(crate::model::RegistrationMode::Closed)
    }

    /// The role of people who register without an invitation.
    pub fn default_role(&self) -> crate::model::Role {
        self.get("auth.default_role")
            .and_then(crate::model::Role::parse)
            .unwrap_or(crate::model::Role::Subscriber)
    }

    pub fn registration_captcha(&self) -> bool {
        self.get("auth.registration_captcha") == Some("true")
    }

    /// Whether the public friend link application form is open.
    pub fn link_applications_open(&self) -> bool {
        self.get("links.applications_open") != Some("false")
    }

    /// Whether applying for a friend link needs a captcha.
    pub fn link_application_captcha(&self) -> bool {
        self.get("links.application_captcha") == Some("true")
    }

    /// Hosts counted by page-view statistics, lower-cased; empty: count nothing.
    pub fn stats_allowed_domains(&self) -> Vec<String> {
        self.get("stats.allowed_domains").and_then(parse_host_list).unwrap_or_default()
    }

    /// Which new comments are held for moderation: `off`, `guests` or `all`.
    pub fn comment_moderation(&self) -> &str {
        self.get("comments.moderation").unwrap_or("guests")
    }

    /// Whether guests must answer a captcha to comment.
    pub fn comment_captcha(&self) -> bool {
        self.get("comments.captcha") == Some("true")
    }

    /// Links a comment may hold before it is held for moderation.
    pub fn comment_max_links(&self) -> usize {
        usize::try_from(self.integer("comments.max_links")).unwrap_or(2)
    }

    /// The `media.allowed_types` allow-list, as written (see
    /// [`crate::media::type_allowed`]).
    pub fn media_allowed_types(&self) -> &str {
        self.get("media.allowed_types").unwrap_or_default()
    }

    /// emlog `is_openapi`: whether `/?rest-api=` actions other than `article_list` answer.
    pub fn emlog_api_enabled(&self) -> bool {
        self.get("emlog.api_enabled") == Some("true")
    }

    /// How far a signed request's time may be from now.
    pub fn signature_window(&self) -> chrono::Duration {
        chrono::Duration::seconds(self.integer("auth.signature_window_secs").max(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_canonicalizes() {
        assert_eq!(validate("site.url", "https://blog.example.com/").unwrap(), "https://blog.example.com");
        assert!(validate("site.url", "ftp://x").is_err());
        assert_eq!(validate("auth.basic_enabled", "ON").unwrap(), "true");
        assert_eq!(validate("auth.registration", "Invite").unwrap(), "invite");
        assert!(validate("auth.registration", "sometimes").is_err());
        assert!(validate("auth.default_role", "admin").is_err(), "nobody registers into admin");
        assert_eq!(validate("content.page_size", "25").unwrap(), "25");
        assert!(validate("content.page_size", "0").is_err());
        assert!(validate("content.page_size", "ten").is_err());
        assert_eq!(validate("site.language", "zh-cn").unwrap(), "zh-CN");
        assert_eq!(validate("site.time_zone", "Asia/Shanghai").unwrap(), "Asia/Shanghai");
        assert!(validate("site.time_zone", "Mars/Olympus").is_err());
        assert_eq!(
            validate("stats.allowed_domains", " Example.COM,blog.example.org  example.com.").unwrap(),
            "example.com, blog.example.org"
        );
        assert_eq!(validate("stats.allowed_domains", "").unwrap(), "");
        assert!(validate("stats.allowed_domains", "https://example.com").is_err());
        assert!(validate("stats.allowed_domains", "example.com:8080").is_err());
        assert!(validate("stats.allowed_domains", "example.com/blog").is_err());
        assert_eq!(validate("links.applications_open", "off").unwrap(), "false");
        let err = validate("site.titel", "x").unwrap_err();
        assert!(err.detail.unwrap().en.contains("site.title"));
    }

    #[test]
    fn snapshot_falls_back_to_defaults() {
        let settings = Settings::from_stored(vec![
            ("content.page_size".into(), "500".into()),
            ("site.title".into(), "我的博客".into()),
            ("nonsense".into(), "x".into()),
        ]);
        assert_eq!(settings.page_size(), 10);
        assert_eq!(settings.site_title(), "我的博客");
        assert_eq!(settings.get("nonsense"), None);
    }
}

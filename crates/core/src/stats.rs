//! Page-view statistics: site PV, site UV and page PV/UV per day, visitors as salted daily
//! hashes.
//!
//! A hit (`POST /api/v1/stats/hits`, sent by a page of the site) is counted only when its
//! `Referer` names a host on the `stats.allowed_domains` list: the host itself or any
//! subdomain of it (`example.com` allows `example.com` and `blog.example.com`, not
//! `badexample.com`). An empty list counts nothing. Days are calendar days in the site's
//! time zone (`site.time_zone`).
//!
//! A visitor is `SHA-256(salt, client address subject, user agent)` where the salt is 32
//! random bytes drawn for the day and kept in the database only while that day lasts: the
//! first hit of a new day draws the new salt and deletes earlier days' salts and visitor
//! hashes, so yesterday's hashes can no longer be recomputed from an address. Addresses
//! are never stored. UV of a range is the sum of daily UVs (visitor-days): the same person
//! on two days counts twice, by design.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{Duration, NaiveDate};
use rand::RngCore;

use crate::Core;
use crate::abuse::{Limit, ip_subject};
use crate::error::{CoreError, CoreResult};
use crate::permission::{Action, Actor, Resource};
use crate::secrets::digest_parts;

/// Counted hits from one address per minute.
pub const HITS_PER_IP: Limit = Limit { name: "stats_hit", max: 60, window: Duration::minutes(1) };
/// Longest range of days a report covers.
pub const MAX_RANGE_DAYS: i64 = 366;
/// Longest page path kept, in characters (longer ones are cut).
pub const MAX_PATH_CHARS: usize = 512;
/// Most pages in a top-pages report.
pub const MAX_TOP_PAGES: i64 = 100;
/// Days in a report when no range is given.
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// One hit to count, all derived values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HitRecord {
    pub day: NaiveDate,
    /// The page path, without query or fragment.
    pub path: String,
    /// The salted daily visitor hash (hex).
    pub visitor: String,
}

/// The counters after a hit: the day's, and all-time sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HitCounts {
    pub site_pv: i64,
    pub site_uv: i64,
    pub page_pv: i64,
    pub page_uv: i64,
    /// Every counted hit on any day.
    pub total_site_pv: i64,
    /// The sum of daily UVs (visitor-days).
    pub total_site_uv: i64,
    /// Every counted hit on this page on any day.
    pub total_page_pv: i64,
}

/// One day's site counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayStats {
    pub day: NaiveDate,
    pub pv: i64,
    pub uv: i64,
}

/// One page's counters over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageStats {
    pub path: String,
    pub pv: i64,
    /// Sum of daily page UVs (visitor-days).
    pub uv: i64,
}

/// Daily page-view counters.
#[async_trait]
pub trait StatsRepository: Send + Sync {
    /// The salt of `day`. When the day has none yet, stores `fresh` as its salt and, in the
    /// same transaction, deletes the salts and visitor hashes of every earlier day.
    async fn daily_salt(&self, day: NaiveDate, fresh: &str) -> CoreResult<String>;
    /// Deletes salts and visitor hashes of days before `day`; returns how many rows went.
    async fn purge_visitors_before(&self, day: NaiveDate) -> CoreResult<u64>;
    /// Counts one hit in one transaction: remembers the visitor for the day (and page),
    /// adds to the day's site and page counters (UV only for a visitor new to that day or
    /// page) and returns the counters.
    async fn record_hit(&self, hit: &HitRecord) -> CoreResult<HitCounts>;
    /// The days in `from..=to` that have counters, in order.
    async fn daily_stats(&self, from: NaiveDate, to: NaiveDate) -> CoreResult<Vec<DayStats>>;
    /// Pages by PV (then path) over `from..=to`, at most `limit`.
    async fn top_pages(&self, from: NaiveDate, to: NaiveDate, limit: i64) -> CoreResult<Vec<PageStats>>;
    /// The days that still have a salt or visitor hashes stored, in order (for checks).
    async fn visitor_record_days(&self) -> CoreResult<Vec<NaiveDate>>;
}

/// A hit as the beacon sends it.
#[derive(Debug, Clone, Default)]
pub struct Hit {
    /// The `Referer` header.
    pub referer: Option<String>,
    /// The page path when the page says it (a `Referer` often carries only the origin);
    /// otherwise the `Referer`'s path is counted.
    pub path: Option<String>,
    pub user_agent: Option<String>,
    pub client: Option<IpAddr>,
}

/// Why a hit was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCounted {
    /// `stats.allowed_domains` is empty.
    NoAllowedDomains,
    /// No `Referer`, or one that is not an http(s) URL.
    NoReferer,
    /// The `Referer`'s host is not on the allow list.
    RefererNotAllowed,
}

impl NotCounted {
    /// The wire spelling, e.g. `referer_not_allowed`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotCounted::NoAllowedDomains => "no_allowed_domains",
            NotCounted::NoReferer => "no_referer",
            NotCounted::RefererNotAllowed => "referer_not_allowed",
        }
    }
}

/// What became of a hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HitOutcome {
    Counted { day: NaiveDate, path: String, counts: HitCounts },
    NotCounted(NotCounted),
}

/// Per-day site counters over a range, every day present (zeros where nothing was
/// counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: Vec<DayStats>,
    pub total_pv: i64,
    /// Sum of daily UVs (visitor-days).
    pub total_uv: i64,
}

/// The host (lower-case, no port, no trailing dot) and path (no query or fragment; `/`
/// when empty) of an `http(s)` URL.
pub fn url_host_and_path(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let (scheme, rest) = url.split_once("://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let host = if authority.starts_with('[') {
        &authority[..=authority.find(']')?]
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let host = host.to_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    if host.is_empty() {
        return None;
    }
    let path = tail.split(['?', '#']).next().unwrap_or("");
    let path = if path.is_empty() { "/".to_string() } else { path.to_string() };
    Some((host, path))
}

/// Whether `host` is one of `allowed` or a subdomain of one.
pub fn host_allowed(host: &str, allowed: &[String]) -> bool {
    allowed.iter().any(|domain| {
        host == domain
            || (host.len() > domain.len()
                && host.ends_with(domain.as_str())
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
    })
}

fn cut_path(path: &str) -> String {
    path.chars().take(MAX_PATH_CHARS).collect()
}

/// A path given by the page: starts with `/` (not `//`), no whitespace or control
/// characters; query and fragment dropped. Errors: `invalid_input` (field `path`).
fn check_path(path: &str) -> CoreResult<String> {
    let path = path.trim();
    let path = path.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/')
        || path.starts_with("//")
        || path.chars().count() > MAX_PATH_CHARS
        || path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(CoreError::invalid(
            "path",
            format!("must be a path starting with / of at most {MAX_PATH_CHARS} characters"),
            format!("必须是以 / 开头、最多 {MAX_PATH_CHARS} 个字符的路径"),
        ));
    }
    Ok(path.to_string())
}

fn parse_day(field: &str, text: &str) -> CoreResult<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| CoreError::invalid(field, "must be a date YYYY-MM-DD", "必须是 YYYY-MM-DD 格式的日期"))
}

impl Core {
    /// Today in the site's time zone.
    pub fn site_today(&self) -> NaiveDate {
        self.now().with_timezone(&self.settings().time_zone()).date_naive()
    }

    /// Counts a page view if its `Referer` is on the allow list (see the module docs);
    /// anonymous. A hit that is not counted changes nothing and is not an error.
    ///
    /// Errors: `invalid_input` (field `path`); `rate_limited` (60 counted hits a minute per
    /// address).
    pub async fn record_hit(&self, hit: Hit) -> CoreResult<HitOutcome> {
        let given_path = hit.path.as_deref().filter(|p| !p.trim().is_empty()).map(check_path).transpose()?;
        let allowed = self.settings().stats_allowed_domains();
        if allowed.is_empty() {
            return Ok(HitOutcome::NotCounted(NotCounted::NoAllowedDomains));
        }
        let Some((host, referer_path)) = hit.referer.as_deref().and_then(url_host_and_path) else {
            return Ok(HitOutcome::NotCounted(NotCounted::NoReferer));
        };
        if !host_allowed(&host, &allowed) {
            return Ok(HitOutcome::NotCounted(NotCounted::RefererNotAllowed));
        }
        let day = self.site_today();
        let mut fresh = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut fresh);
        let salt = self.repo.daily_salt(day, &hex::encode(fresh)).await?;
        let subject = hit.client.map_or_else(|| "unknown".to_string(), ip_subject);
        // The limit's key must not hold the address either: it is salted like the visitor.
        self.rate_limit(&HITS_PER_IP, &digest_parts(&["rate", &salt, &subject])[..32]).await?;
        let visitor = digest_parts(&["visitor", &salt, &subject, hit.user_agent.as_deref().unwrap_or("")]);
        let path = given_path.unwrap_or_else(|| cut_path(&referer_path));
        let record = HitRecord { day, path, visitor };
        let counts = self.repo.record_hit(&record).await?;
        Ok(HitOutcome::Counted { day, path: record.path, counts })
    }

    /// Deletes salts and visitor hashes of days before today (the first hit of a day does
    /// it too); returns how many rows went. For the server's periodic sweep.
    pub async fn sweep_stats(&self) -> CoreResult<u64> {
        self.repo.purge_visitors_before(self.site_today()).await
    }

    /// Resolves a report range: `to` defaults to today, `from` to 29 days before `to`.
    ///
    /// Errors: `invalid_input` for a date that is not `YYYY-MM-DD`, `from` after `to`, or
    /// more than 366 days.
    pub fn stats_range(&self, from: Option<&str>, to: Option<&str>) -> CoreResult<(NaiveDate, NaiveDate)> {
        let to = match to.filter(|t| !t.trim().is_empty()) {
            Some(text) => parse_day("to", text)?,
            None => self.site_today(),
        };
        let from = match from.filter(|f| !f.trim().is_empty()) {
            Some(text) => parse_day("from", text)?,
            None => to - Duration::days(DEFAULT_RANGE_DAYS - 1),
        };
        if from > to {
            return Err(CoreError::invalid("from", "must not be after `to`", "不能晚于 `to`"));
        }
        if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
            return Err(CoreError::invalid(
                "to",
                format!("a range covers at most {MAX_RANGE_DAYS} days"),
                format!("日期范围最多 {MAX_RANGE_DAYS} 天"),
            ));
        }
        Ok((from, to))
    }

    /// Site PV and UV for every day of the range (see [`Core::stats_range`]), and totals.
    ///
    /// Errors: `invalid_input` (range), permission (`ViewStats`: editors and admins).
    pub async fn stats_report(
        &self,
        actor: &Actor,
        from: Option<&str>,
        to: Option<&str>,
    ) -> CoreResult<StatsReport> {
        self.require(actor, Action::ViewStats, Resource::Site).await?;
        let (from, to) = self.stats_range(from, to)?;
        let stored = self.repo.daily_stats(from, to).await?;
        let mut days = Vec::with_capacity(((to - from).num_days() + 1) as usize);
        let mut stored = stored.into_iter().peekable();
        let mut day = from;
        while day <= to {
            match stored.next_if(|s| s.day == day) {
                Some(found) => days.push(found),
                None => days.push(DayStats { day, pv: 0, uv: 0 }),
            }
            day += Duration::days(1);
        }
        let total_pv = days.iter().map(|d| d.pv).sum();
        let total_uv = days.iter().map(|d| d.uv).sum();
        Ok(StatsReport { from, to, days, total_pv, total_uv })
    }

    /// The most viewed pages of the range, at most `limit` (1..=100, default 10).
    ///
    /// Errors: `invalid_input` (range, limit), permission (`ViewStats`).
    pub async fn top_pages(
        &self,
        actor: &Actor,
        from: Option<&str>,
        to: Option<&str>,
        limit: Option<i64>,
    ) -> CoreResult<(NaiveDate, NaiveDate, Vec<PageStats>)> {
        self.require(actor, Action::ViewStats, Resource::Site).await?;
        let (from, to) = self.stats_range(from, to)?;
        let limit = limit.unwrap_or(10);
        if !(1..=MAX_TOP_PAGES).contains(&limit) {
            return Err(CoreError::invalid(
                "limit",
                format!("must be from 1 to {MAX_TOP_PAGES}"),
                format!("必须在 1 到 {MAX_TOP_PAGES} 之间"),
            ));
        }
        Ok((from, to, self.repo.top_pages(from, to, limit).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referer_hosts_and_paths() {
        assert_eq!(
            url_host_and_path("https://Blog.Example.com:8443/posts/a?x=1#c"),
            Some(("blog.example.com".into(), "/posts/a".into()))
        );
        assert_eq!(url_host_and_path("http://example.com"), Some(("example.com".into(), "/".into())));
        assert_eq!(
            url_host_and_path("http://user:pw@example.com./p"),
            Some(("example.com".into(), "/p".into()))
        );
        assert_eq!(url_host_and_path("http://[::1]:80/x"), Some(("[::1]".into(), "/x".into())));
        assert_eq!(url_host_and_path("ftp://example.com/"), None);
        assert_eq!(url_host_and_path("example.com/x"), None);
        assert_eq!(url_host_and_path("https:///x"), None);
    }

    #[test]
    fn allow_list_matches_host_or_subdomain_only() {
        let allowed = vec!["example.com".to_string()];
        assert!(host_allowed("example.com", &allowed));
        assert!(host_allowed("blog.example.com", &allowed));
        assert!(!host_allowed("badexample.com", &allowed));
        assert!(!host_allowed("example.com.evil.org", &allowed));
        assert!(!host_allowed("com", &allowed));
        assert!(!host_allowed("example.com", &[]));
    }

    #[test]
    fn given_paths_are_checked() {
        assert_eq!(check_path("/a/b?x#y").unwrap(), "/a/b");
        assert!(check_path("a/b").is_err());
        assert!(check_path("//evil.org/").is_err());
        assert!(check_path("/a b").is_err());
    }
}

//! emlog's date formats, in the site time zone (setting `site.time_zone`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `Y-m-d H:i:s` in `tz`, without an offset: article and draft dates.
pub fn datetime(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// emlog `smartDate` (comments, likes, notes): `N 秒前`, `N 分钟前`, `N 小时前`, `N 天前`
/// (under 30 days), `N 个月前` (30-day months, under a year), `N 年前` (365-day years,
/// under 5), and `Y-m-d H:i` in `tz` beyond that. A time in the future reads `0 秒前`.
pub fn smart_date(at: DateTime<Utc>, now: DateTime<Utc>, tz: Tz) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;
    let seconds = (now - at).num_seconds().max(0);
    match seconds {
        s if s < MINUTE => format!("{s} 秒前"),
        s if s < HOUR => format!("{} 分钟前", s / MINUTE),
        s if s < DAY => format!("{} 小时前", s / HOUR),
        s if s < 30 * DAY => format!("{} 天前", s / DAY),
        s if s < YEAR => format!("{} 个月前", s / (30 * DAY)),
        s if s < 5 * YEAR => format!("{} 年前", s / YEAR),
        _ => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// Reads a `post_date` as PHP `strtotime` reads the forms clients send, in `tz`:
/// `Y-m-d H:i:s`, `Y-m-d H:i`, `Y-m-d` (midnight), the same with `/`, `Y-m-dTH:i:s`, and
/// `@<unix seconds>`. `None` for anything else (emlog then falls back to now).
pub fn parse_post_date(text: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(seconds) = text.strip_prefix('@') {
        return seconds.parse::<i64>().ok().and_then(|s| DateTime::from_timestamp(s, 0));
    }
    inkstone_http::parse_local_datetime(text, tz)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn datetimes_are_local_without_offset() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(datetime(at("2022-05-03T15:30:16Z"), shanghai), "2022-05-03 23:30:16");
    }

    #[test]
    fn smart_dates_follow_emlog_steps() {
        let now = at("2026-06-01T12:00:00Z");
        let tz = chrono_tz::UTC;
        let ago = |secs: i64| smart_date(now - chrono::Duration::seconds(secs), now, tz);
        assert_eq!(ago(0), "0 秒前");
        assert_eq!(ago(-30), "0 秒前");
        assert_eq!(ago(59), "59 秒前");
        assert_eq!(ago(60), "1 分钟前");
        assert_eq!(ago(3599), "59 分钟前");
        assert_eq!(ago(3600), "1 小时前");
        assert_eq!(ago(86_399), "23 小时前");
        assert_eq!(ago(86_400), "1 天前");
        assert_eq!(ago(29 * 86_400), "29 天前");
        assert_eq!(ago(30 * 86_400), "1 个月前");
        assert_eq!(ago(364 * 86_400), "12 个月前");
        assert_eq!(ago(365 * 86_400), "1 年前");
        assert_eq!(ago(5 * 365 * 86_400), "2021-06-02 12:00");
    }

    #[test]
    fn post_dates_read_in_the_site_zone() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        assert_eq!(parse_post_date("2022-05-03 23:30:16", shanghai), Some(at("2022-05-03T15:30:16Z")));
        assert_eq!(parse_post_date("2022/05/03 23:30", shanghai), Some(at("2022-05-03T15:30:00Z")));
        assert_eq!(parse_post_date("2022-05-03", shanghai), Some(at("2022-05-02T16:00:00Z")));
        assert_eq!(parse_post_date("@1651591816", shanghai), Some(at("2022-05-03T15:30:16Z")));
        assert_eq!(parse_post_date("yesterday-ish", shanghai), None);
        assert_eq!(parse_post_date("2022-13-40 00:00:00", shanghai), None);
    }
}

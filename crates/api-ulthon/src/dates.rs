//! ulthon's times: `publish_time` is written `Y-m-d H:i:s` in the site's time zone
//! (PHP `strtotime`); `create_time`, `update_time` and `publish_time` are read back as Unix
//! seconds (the columns are integers; 0 means "never").

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::envelope::UlthonError;

/// Parses a `publish_time` as clients send it: `Y-m-d H:i:s` (the documented form),
/// `Y-m-d H:i`, `Y-m-d`, `Y/m/d H:i:s`, or Unix seconds, in `zone` (the `site.time_zone`
/// setting). An empty string is "not given" (ulthon `0e3a442ddd`).
///
/// Errors: `参数错误：publish_time 格式应为 Y-m-d H:i:s`.
pub fn parse_publish_time(text: &str, zone: Tz) -> Result<Option<DateTime<Utc>>, UlthonError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || UlthonError::parameter("publish_time 格式应为 Y-m-d H:i:s，如 2024-01-15 14:30:00");
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = text.parse().map_err(|_| bad())?;
        return DateTime::<Utc>::from_timestamp(seconds, 0).map(Some).ok_or_else(bad);
    }
    inkstone_http::parse_local_datetime(text, zone).map(Some).ok_or_else(bad)
}

/// Unix seconds, or 0 for "never".
pub fn unix(at: Option<DateTime<Utc>>) -> i64 {
    at.map_or(0, |at| at.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_form_in_the_site_zone() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        let at = parse_publish_time("2024-01-15 14:30:00", shanghai).unwrap().unwrap();
        assert_eq!(at.to_rfc3339(), "2024-01-15T06:30:00+00:00");
        let utc = parse_publish_time("2024-01-15 14:30:00", chrono_tz::UTC).unwrap().unwrap();
        assert_eq!(utc.timestamp(), 1_705_329_000);
        assert_eq!(parse_publish_time("  ", shanghai).unwrap(), None);
        assert_eq!(parse_publish_time("1705329000", shanghai).unwrap(), Some(utc));
        assert!(parse_publish_time("2024-13-45 99:00:00", shanghai).is_err());
        assert!(parse_publish_time("tomorrow", shanghai).is_err());
        assert_eq!(unix(None), 0);
    }
}

//! The languages messages are written in.

/// A message language: Simplified Chinese or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    ZhCn,
}

impl Locale {
    /// `zh*` tags map to Chinese, `en*` to English, anything else to `None`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let tag = tag.trim().to_ascii_lowercase();
        if tag.starts_with("zh") {
            Some(Locale::ZhCn)
        } else if tag.starts_with("en") {
            Some(Locale::En)
        } else {
            None
        }
    }

    /// Picks from an `Accept-Language` header value by quality, falling back to `default`.
    pub fn negotiate(accept_language: Option<&str>, default: Locale) -> Locale {
        let Some(header) = accept_language else { return default };
        let mut best: Option<(f32, Locale)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(locale) = Locale::from_tag(tag)
                && best.is_none_or(|(q, _)| quality > q)
            {
                best = Some((quality, locale));
            }
        }
        best.map_or(default, |(_, locale)| locale)
    }

    /// The BCP 47 tag, e.g. `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::ZhCn => "zh-CN",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Locale::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8"), Locale::En), Locale::ZhCn);
        assert_eq!(Locale::negotiate(Some("fr, en;q=0.5, zh;q=0.4"), Locale::ZhCn), Locale::En);
        assert_eq!(Locale::negotiate(Some("fr"), Locale::ZhCn), Locale::ZhCn);
        assert_eq!(Locale::negotiate(None, Locale::En), Locale::En);
    }
}

//! Request parameters the way emlog reads them (`include/lib/input.php`).
//!
//! GET handlers read the query string, POST handlers read only a form body
//! (`application/x-www-form-urlencoded` or the text fields of `multipart/form-data`; a JSON
//! body reads as empty, so emlog answers `parameter error`), and credentials come from
//! `$_REQUEST` (the body overrides the query).

/// Name/value pairs in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (a query string or a form body).
    pub fn parse(encoded: &[u8]) -> Params {
        Params(form_urlencoded::parse(encoded).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// Appends a pair (for multipart text fields).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The last value sent under `name` (PHP keeps the last of repeated scalar names),
    /// exactly as sent.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }

    /// emlog `postStrVar`/`getStrVar`: the value trimmed, or `None` when it is missing or
    /// PHP-falsy (`""` or `"0"`), in which case emlog uses its default.
    pub fn text(&self, name: &str) -> Option<String> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty() && *v != "0").map(str::to_string)
    }

    /// emlog `postIntVar`/`getIntVar` (`FILTER_VALIDATE_INT`): an integer with an optional
    /// sign and surrounding whitespace; `None` when missing or not an integer (emlog then
    /// uses its default). Negative numbers pass, as in emlog.
    pub fn int(&self, name: &str) -> Option<i64> {
        let value = self.raw(name)?.trim();
        let digits = value.strip_prefix(['-', '+']).unwrap_or(value);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        value.parse().ok()
    }

    /// Every value of an array parameter `name[]` (or `name[N]`), in order, as sent
    /// (emlog `field_keys[]`, `field_values[]`).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| {
                key.strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('['))
                    .and_then(|rest| rest.strip_suffix(']'))
                    .is_some_and(|index| index.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// Whether `name` was sent at all (even empty).
    pub fn has(&self, name: &str) -> bool {
        self.raw(name).is_some()
    }

    /// The pairs in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// `"y"` when true, `"n"` otherwise: emlog's flag strings.
pub fn yes_no(flag: bool) -> &'static str {
    if flag { "y" } else { "n" }
}

/// Reads an emlog flag: `Some(true)` for `y`, `Some(false)` for `n`, `None` otherwise.
pub fn flag(value: Option<&str>) -> Option<bool> {
    match value.map(str::trim) {
        Some("y") => Some(true),
        Some("n") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falsy_strings_read_as_missing_like_php() {
        let params = Params::parse(b"title=+Hi+&empty=&zero=0&id=12&neg=-3&bad=1x&lead=012");
        assert_eq!(params.text("title").as_deref(), Some("Hi"));
        assert_eq!(params.text("empty"), None);
        assert_eq!(params.text("zero"), None);
        assert!(params.has("empty"));
        assert_eq!(params.int("id"), Some(12));
        assert_eq!(params.int("neg"), Some(-3));
        assert_eq!(params.int("bad"), None);
        assert_eq!(params.int("lead"), None);
        assert_eq!(params.int("missing"), None);
    }

    #[test]
    fn array_parameters_keep_their_order() {
        let params = Params::parse(
            b"field_keys%5B%5D=price&field_values[]=9.9&field_keys[]=color&field_values[]=%23fff",
        );
        assert_eq!(params.list("field_keys"), vec!["price", "color"]);
        assert_eq!(params.list("field_values"), vec!["9.9", "#fff"]);
        assert!(params.list("field").is_empty());
    }

    #[test]
    fn flags() {
        assert_eq!(flag(Some("y")), Some(true));
        assert_eq!(flag(Some("n")), Some(false));
        assert_eq!(flag(Some("yes")), None);
        assert_eq!(yes_no(true), "y");
    }
}

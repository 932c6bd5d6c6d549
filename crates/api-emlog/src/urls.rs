//! Absolute URLs the way emlog builds them for covers, avatars and files.

/// Whether `text` is already absolute: `http://`, `https://` (any case) or
/// protocol-relative `//host/...`.
pub fn is_http_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || lower.starts_with("//")
}

/// emlog `getFileUrl`: an absolute URL stays as it is; a path (with its leading `../`
/// removed) is joined to the site URL. Empty stays empty.
pub fn absolute_url(site_url: &str, path: &str) -> String {
    if path.is_empty() || is_http_url(path) {
        return path.to_string();
    }
    let path = path.strip_prefix("../").unwrap_or(path);
    format!("{}/{}", site_url.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// emlog's default avatar, `<site>/admin/views/images/avatar.svg`.
pub fn default_avatar(site_url: &str) -> String {
    format!("{}/admin/views/images/avatar.svg", site_url.trim_end_matches('/'))
}

/// emlog `User::getAvatar`: the user's photo as an absolute URL, or the default avatar
/// when there is none.
pub fn avatar_url(site_url: &str, avatar: Option<&str>) -> String {
    match avatar.map(str::trim).filter(|a| !a.is_empty()) {
        Some(avatar) => absolute_url(site_url, avatar),
        None => default_avatar(site_url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_absolute_and_urls_stay() {
        let site = "http://blog.example";
        assert_eq!(
            absolute_url(site, "../content/uploadfile/a.png"),
            "http://blog.example/content/uploadfile/a.png"
        );
        assert_eq!(absolute_url(site, "/media/x.png"), "http://blog.example/media/x.png");
        assert_eq!(absolute_url(site, "HTTPS://cdn.example/x.png"), "HTTPS://cdn.example/x.png");
        assert_eq!(absolute_url(site, "//cdn.example/x.png"), "//cdn.example/x.png");
        assert_eq!(absolute_url(site, ""), "");
        assert_eq!(avatar_url(site, Some("  ")), "http://blog.example/admin/views/images/avatar.svg");
        assert_eq!(avatar_url(site, Some("../content/a.jpg")), "http://blog.example/content/a.jpg");
    }
}

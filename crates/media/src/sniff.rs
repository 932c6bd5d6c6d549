//! The type of an upload, from its first bytes only (never the client's `Content-Type` or
//! file name).

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    /// E.g. `image/png`, `image/svg+xml`, `text/plain`, `application/octet-stream`.
    pub mime: &'static str,
    /// The storage key's extension, lower-case letters and digits only.
    pub extension: &'static str,
    /// A raster image Inkstone can decode for a thumbnail (PNG, JPEG, GIF, WebP).
    pub raster: bool,
}

const RASTER: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Decides the type of a file from its first bytes (up to 64 KiB). Binary formats are
/// recognised by their magic numbers (`infer`). Text is classified here: markup containing `<svg` is SVG, markup starting `<?xml` is XML, other markup is
/// HTML, other UTF-8 text is plain text. Unknown bytes are `application/octet-stream`.
pub fn sniff(head: &[u8]) -> Sniffed {
    let known = infer::get(head).filter(|kind| kind.matcher_type() != infer::MatcherType::Text);
    if known.is_none()
        && let Some(text) = as_text(head)
    {
        return classify_text(text);
    }
    match known {
        Some(kind) => {
            let extension = kind.extension();
            let extension = if !extension.is_empty()
                && extension.len() <= 8
                && extension.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                extension
            } else {
                "bin"
            };
            Sniffed { mime: kind.mime_type(), extension, raster: RASTER.contains(&kind.mime_type()) }
        }
        None => Sniffed { mime: "application/octet-stream", extension: "bin", raster: false },
    }
}

/// The bytes as text when they are UTF-8 (a character cut at the end of the window is
/// fine) without NUL or control characters other than whitespace.
fn as_text(head: &[u8]) -> Option<&str> {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(err) if err.error_len().is_none() && head.len() - err.valid_up_to() < 4 => {
            std::str::from_utf8(&head[..err.valid_up_to()]).ok()?
        }
        Err(_) => return None,
    };
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}')) {
        return None;
    }
    Some(text)
}

fn classify_text(text: &str) -> Sniffed {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let lower = trimmed.chars().take(16 * 1024).collect::<String>().to_ascii_lowercase();
    let markup = |mime, extension| Sniffed { mime, extension, raster: false };
    if lower.starts_with('<') {
        if lower.contains("<svg") {
            markup("image/svg+xml", "svg")
        } else if lower.starts_with("<?xml") {
            markup("application/xml", "xml")
        } else {
            markup("text/html", "html")
        }
    } else if lower.contains("<html") || lower.contains("<script") || lower.contains("<svg") {
        // Markup after some text: browsers that sniff would run it; call it what it is.
        markup("text/html", "html")
    } else {
        markup("text/plain", "txt")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        assert_eq!(sniff(png).mime, "image/png");
        assert!(sniff(png).raster);
        assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF\0").mime, "image/jpeg");
        assert_eq!(sniff(b"<?xml version=\"1.0\"?>\n<svg xmlns=\"x\"/>").mime, "image/svg+xml");
        assert_eq!(sniff(b"<svg><script>alert(1)</script></svg>").mime, "image/svg+xml");
        assert_eq!(sniff(b"<!doctype html><p>hi").mime, "text/html");
        assert_eq!(sniff(b"<?xml version=\"1.0\"?><a/>").mime, "application/xml");
        assert_eq!(sniff("\u{feff}  hello 你好".as_bytes()).mime, "text/plain");
        assert_eq!(sniff(b"hello <script>x</script>").mime, "text/html");
        assert_eq!(sniff(b"\0\x01\x02\x03garbage").mime, "application/octet-stream");
        assert_eq!(sniff(b"%PDF-1.7\n").mime, "application/pdf");
    }
}

//! Paging headers shared by every list endpoint.

use axum::http::{HeaderMap, HeaderValue, Uri, header};

/// `Link` (RFC 8288: first, prev, next, last, keeping the other query parameters) and
/// `X-Total-Count` for a page of a list at `uri` (the request's original URI).
pub fn paging_headers(uri: &Uri, page: i64, per_page: i64, total: i64) -> HeaderMap {
    let last = if per_page > 0 { ((total + per_page - 1) / per_page).max(1) } else { 1 };
    let others: Vec<&str> =
        uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty() && !p.starts_with("page=")).collect();
    let url = |n: i64| {
        let mut parts = others.clone();
        let page = format!("page={n}");
        parts.push(&page);
        format!("<{}?{}>", uri.path(), parts.join("&"))
    };
    let mut links = vec![format!("{}; rel=\"first\"", url(1)), format!("{}; rel=\"last\"", url(last))];
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
    }
    let mut headers = HeaderMap::new();
    if let Ok(link) = HeaderValue::from_str(&links.join(", ")) {
        headers.insert(header::LINK, link);
    }
    headers.insert("x-total-count", HeaderValue::from(total));
    headers
}

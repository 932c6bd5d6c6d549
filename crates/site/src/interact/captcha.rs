//! `GET /interact/captcha`: a fresh built-in captcha picture for a form.
//!
//! Pages are shared among anonymous readers, so they cannot hold a challenge of their own.
//! The form shows `<img src="/interact/captcha">` instead: each load draws a new picture
//! and puts its id in the [`CAPTCHA_COOKIE`] (HttpOnly, 10 minutes), which the form's
//! `POST` is checked against. This works without JavaScript and under the CSP's
//! `img-src 'self'`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use inkstone_core::abuse::{CAPTCHA_LIFETIME, CaptchaOffer};

use crate::reader::{Reader, core_message};

/// Path of the picture.
pub const CAPTCHA_PATH: &str = "/interact/captcha";
/// The cookie holding the id of the last picture drawn for this browser.
pub const CAPTCHA_COOKIE: &str = "inkstone_captcha";
/// Size of the built-in picture, in CSS pixels (the server's drawer makes 220 × 80).
pub(super) const PICTURE_WIDTH: u32 = 220;
pub(super) const PICTURE_HEIGHT: u32 = 80;

/// The picture id from the cookie, when it looks like one (URL-safe base64).
pub(super) fn cookie_id(headers: &HeaderMap) -> Option<String> {
    inkstone_http::cookie(headers, CAPTCHA_COOKIE)
        .filter(|id| (16..=128).contains(&id.len()))
        .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_string)
}

/// `GET /interact/captcha`: a PNG, never cached, with its id in the cookie. `404` when the
/// site uses a third-party widget; `429` after 60 pictures for one address in 10 minutes.
pub(super) async fn captcha_image(reader: Reader) -> Response {
    let offer = match reader.core.new_captcha(reader.ip).await {
        Ok(offer) => offer,
        Err(err) => {
            let status = crate::reader::error_status(err.code);
            let response = (status, core_message(&err, reader.locale)).into_response();
            return crate::reader::with_retry_after(response, Some(&err));
        }
    };
    let CaptchaOffer::Image { id, png, .. } = offer else {
        return (StatusCode::NOT_FOUND, "no built-in captcha").into_response();
    };
    let secure = if reader.state.app.secure_cookies { "; Secure" } else { "" };
    let cookie = format!(
        "{CAPTCHA_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        CAPTCHA_LIFETIME.num_seconds()
    );
    let mut response = png.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.insert(header::SET_COOKIE, value);
    }
    response
}

//! `/admin/account.php` (sign-in, sign-up, password reset) and `/admin/blogger.php`
//! (profile, password, avatar).

use axum::response::Response;

use crate::call::Call;
use crate::envelope::{EmlogError, respond};

pub async fn account(_call: Call) -> Response {
    respond(Err(EmlogError::method_not_exist()))
}

pub async fn blogger(_call: Call) -> Response {
    respond(Err(EmlogError::method_not_exist()))
}

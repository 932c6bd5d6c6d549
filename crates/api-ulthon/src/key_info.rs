//! `api_key_info/info`: the calling key's permissions, with ulthon's Chinese descriptions.

use inkstone_core::permission::{DeleteGrant, KeyGrant};
use serde_json::{Value, json};

use crate::call::Call;
use crate::envelope::{UlthonResult, ok};

/// The `permissions_text` object: one Chinese sentence per flag. The document shows
/// `可管理自己的数据` (`can_write_own` 1), `不可管理后台数据` (`can_write_other` 0) and
/// `仅删除API数据` (`can_delete` 1); the other values are worded the same way.
pub fn permissions_text(grant: KeyGrant) -> Value {
    json!({
        "can_write_own": if grant.can_write_own { "可管理自己的数据" } else { "不可管理自己的数据" },
        "can_write_other": if grant.can_write_other { "可管理后台数据" } else { "不可管理后台数据" },
        "can_delete": match grant.can_delete {
            DeleteGrant::Nothing => "不可删除数据",
            DeleteGrant::ApiOrigin => "仅删除API数据",
            DeleteGrant::Everything => "可删除所有数据",
        },
    })
}

/// `GET api_key_info/info`: `{admin_id, can_write_own, can_write_other, can_delete,
/// permissions_text}`. `admin_id` is the id of the user the key acts as; the flags are
/// integers (0/1, 0/1, 0/1/2).
pub async fn info(call: Call) -> UlthonResult {
    let grant = call.principal.key.unwrap_or(KeyGrant::READ_ONLY);
    ok(
        "success",
        json!({
            "admin_id": call.principal.user_id,
            "can_write_own": i64::from(grant.can_write_own),
            "can_write_other": i64::from(grant.can_write_other),
            "can_delete": grant.can_delete.level(),
            "permissions_text": permissions_text(grant),
        }),
    )
}

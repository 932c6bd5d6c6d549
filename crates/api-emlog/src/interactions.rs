//! Comments, likes and favorites: the REST lists (`comment_list`, `comment_list_simple`,
//! `like_list`), `unlike`, the `collect` family, and the front actions `addcom`,
//! `likecom`, `addlike`, `unlike`.

use crate::call::Call;
use crate::envelope::{EmlogError, EmlogResult};

pub async fn comment_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn comment_list_simple(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn like_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn unlike(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn collect(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn uncollect(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn my_collect_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn add_comment(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn like_comment(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn add_like(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn unlike_front(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

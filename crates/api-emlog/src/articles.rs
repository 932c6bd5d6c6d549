//! Posts, drafts and categories: `article_post`, `article_update`, `article_list`,
//! `article_detail`, `draft_list`, `draft_detail`, `sort_list`.

use crate::call::Call;
use crate::envelope::{EmlogError, EmlogResult};

pub async fn article_post(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn article_update(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn article_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn article_detail(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn draft_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn draft_detail(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn sort_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

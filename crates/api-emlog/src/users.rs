//! `userinfo` and `user_detail`.

use crate::call::Call;
use crate::envelope::{EmlogError, EmlogResult};

pub async fn userinfo(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn user_detail(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

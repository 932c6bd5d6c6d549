//! Notes (微语): `note_post` and `note_list`.

use crate::call::Call;
use crate::envelope::{EmlogError, EmlogResult};

pub async fn note_post(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

pub async fn note_list(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

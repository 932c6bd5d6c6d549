//! `upload`: resource files through the one media pipeline.

use crate::call::Call;
use crate::envelope::{EmlogError, EmlogResult};

pub async fn upload(_call: Call) -> EmlogResult {
    Err(EmlogError::method_not_exist())
}

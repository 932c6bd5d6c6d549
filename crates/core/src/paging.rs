//! The paging rule every list shares: 1-based page numbers up to 1,000,000 and page sizes
//! from 1 to a per-list maximum.

use crate::error::{CoreError, CoreResult};

/// The highest page number accepted.
pub const MAX_PAGE_NUMBER: i64 = 1_000_000;

/// Errors: `invalid_input` (field `page`) outside 1..=1,000,000.
pub fn check_page(page: i64) -> CoreResult<()> {
    if (1..=MAX_PAGE_NUMBER).contains(&page) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "page",
            "must be a whole number from 1 to 1000000",
            "必须是 1 到 1000000 之间的整数",
        ))
    }
}

/// Errors: `invalid_input` (field `per_page`) outside 1..=`max`.
pub fn check_per_page(per_page: i64, max: i64) -> CoreResult<()> {
    if (1..=max).contains(&per_page) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "per_page",
            format!("must be from 1 to {max}"),
            format!("必须在 1 到 {max} 之间"),
        ))
    }
}

/// The row offset of a 1-based `page` of `per_page` rows. Errors: as [`check_page`].
pub fn offset(page: i64, per_page: i64) -> CoreResult<i64> {
    check_page(page)?;
    Ok((page - 1).saturating_mul(per_page))
}

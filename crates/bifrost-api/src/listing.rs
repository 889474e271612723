//! Pages of listings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The default page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// The largest page size.
pub const MAX_LIMIT: u64 = 1000;

/// The page size asked for (`None`: the default), clamped to 1..=[`MAX_LIMIT`].
pub fn page_limit(limit: Option<u64>) -> u64 {
    limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
}

/// A page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Listing<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// The page size asked for.
    pub limit: u64,
    /// How many items were skipped.
    pub offset: u64,
    /// How many there are in all, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<T> Listing<T> {
    /// One page of an already complete list.
    pub fn of(all: Vec<T>, limit: Option<u64>, offset: Option<u64>) -> Self {
        let limit = page_limit(limit);
        let offset = offset.unwrap_or(0);
        let total = all.len() as u64;
        let items = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        Listing {
            items,
            limit,
            offset,
            total: Some(total),
        }
    }

    /// A page the source already cut (the total is unknown).
    pub fn page(items: Vec<T>, limit: Option<u64>, offset: Option<u64>) -> Self {
        Listing {
            items,
            limit: page_limit(limit),
            offset: offset.unwrap_or(0),
            total: None,
        }
    }

    /// Whether a following page may hold more items.
    pub fn has_more(&self) -> bool {
        match self.total {
            Some(total) => self.offset + (self.items.len() as u64) < total,
            None => self.items.len() as u64 >= self.limit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cut_complete_lists() {
        let page = Listing::of((0..250).collect(), Some(100), Some(200));
        assert_eq!(page.items, (200..250).collect::<Vec<_>>());
        assert_eq!(page.total, Some(250));
        assert!(!page.has_more());
        let first = Listing::of((0..250).collect::<Vec<i32>>(), None, None);
        assert_eq!(first.items.len(), 100);
        assert!(first.has_more());
        assert_eq!(Listing::<i32>::of(vec![], Some(0), None).limit, 1);
        assert_eq!(
            Listing::<i32>::of(vec![], Some(5000), None).limit,
            MAX_LIMIT
        );
    }
}

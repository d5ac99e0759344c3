//! A page of an ordered list: at most `limit` items after the item a cursor names, so no list is ever answered
//! whole. Lists whose store has no keyset query (the policy versions, a village's roster) are paged here over the
//! whole ordered list: the cursor is the stable id of the last item seen, so a walk from page to page sees every
//! item once, whatever was added meanwhile after it.

use crate::error::{Error, ErrorCode};

/// Items on a page when the caller names no limit.
pub const DEFAULT_LIMIT: u32 = 50;
/// The most items on one page.
pub const MAX_LIMIT: u32 = 200;

/// Which page: after the item with id `after` (from the start if none), at most `limit` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    after: Option<String>,
    limit: u32,
}

impl PageRequest {
    /// A page of `limit` items (default [`DEFAULT_LIMIT`], 1–[`MAX_LIMIT`], else `out_of_range` on `limit`) after
    /// the item whose id is `cursor`.
    pub fn new(limit: Option<u32>, cursor: Option<String>) -> Result<PageRequest, Error> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Error::coded(
                ErrorCode::OutOfRange,
                "limit",
                format!("limit: {limit} is outside 1–{MAX_LIMIT}"),
            ));
        }
        Ok(PageRequest { after: cursor, limit })
    }

    /// The most items on the page.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The id of the item the page starts after.
    pub fn after(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The page of `items` (in their order, each named by `id`); a cursor that names none of them is refused
    /// with `unknown` on the field `cursor`.
    pub fn of<T>(&self, items: Vec<T>, id: impl Fn(&T) -> &str, unknown: ErrorCode) -> Result<Page<T>, Error> {
        let start = match self.after() {
            None => 0,
            Some(last) => {
                let at = items.iter().position(|item| id(item) == last).ok_or_else(|| {
                    Error::coded(unknown, "cursor", format!("cursor: '{last}' is not an item of this list"))
                })?;
                at + 1
            }
        };
        let limit = self.limit as usize;
        let more = items.len().saturating_sub(start) > limit;
        let items: Vec<T> = items.into_iter().skip(start).take(limit).collect();
        let next = if more { items.last().map(|item| id(item).to_owned()) } else { None };
        Ok(Page { items, next })
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub items: Vec<T>,
    /// The cursor of the next page: the id of the last item here, when more items follow (else the last page).
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(n: usize, limit: u32) -> Vec<Vec<String>> {
        let items: Vec<String> = (0..n).map(|i| format!("id-{i:03}")).collect();
        let mut pages = Vec::new();
        let mut cursor = None;
        loop {
            let request = PageRequest::new(Some(limit), cursor).expect("limit in range");
            let page = request.of(items.clone(), |s| s.as_str(), ErrorCode::UnknownPolicy).expect("known cursor");
            assert!(page.items.len() <= limit as usize);
            pages.push(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return pages,
            }
        }
    }

    #[test]
    fn a_walk_sees_every_item_once_in_order_and_ends_without_an_empty_page() {
        for (n, limit) in [(0, 1), (1, 1), (5, 2), (6, 2), (7, 200), (450, 200), (400, 200)] {
            let pages = walk(n, limit);
            let seen: Vec<String> = pages.iter().flatten().cloned().collect();
            assert_eq!(seen, (0..n).map(|i| format!("id-{i:03}")).collect::<Vec<_>>(), "{n} by {limit}");
            assert_eq!(pages.len(), n.div_ceil(limit as usize).max(1), "{n} by {limit}");
        }
    }

    #[test]
    fn the_limit_is_capped_and_an_unknown_cursor_is_refused() {
        assert_eq!(PageRequest::new(None, None).expect("default").limit(), DEFAULT_LIMIT);
        assert!(PageRequest::new(Some(MAX_LIMIT), None).is_ok());
        for limit in [0, MAX_LIMIT + 1, u32::MAX] {
            let e = PageRequest::new(Some(limit), None).expect_err("out of range");
            assert_eq!((e.code(), e.field()), (ErrorCode::OutOfRange, Some("limit")));
        }
        let request = PageRequest::new(Some(2), Some("nowhere".into())).expect("request");
        let e = request.of(vec!["a".to_owned()], |s| s.as_str(), ErrorCode::UnknownApplicant).expect_err("unknown");
        assert_eq!((e.code(), e.field()), (ErrorCode::UnknownApplicant, Some("cursor")));
    }
}

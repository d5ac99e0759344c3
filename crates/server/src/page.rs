//! Pages of lists over HTTP, one convention for every list: `?limit=N&cursor=ID` (`limit` 1–200, default 50; the
//! cursor the id of the last item of the previous page) and the next page named by a `Link: <…>; rel="next"`
//! header, absent on the last page. A limit out of bounds is 422 `out_of_range`, a cursor naming nothing of the
//! list 404 with the list's own `unknown_*` code, a limit that is not a number 400 `bad_request`.

use app::page::{DEFAULT_LIMIT, MAX_LIMIT, PageRequest};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;

use super::error::ApiError;

/// Default page size of lists.
pub const PAGE_DEFAULT: u32 = DEFAULT_LIMIT;
/// Largest page of a list.
pub const PAGE_MAX: u32 = MAX_LIMIT;

/// A page of a list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// At most this many (default 50, at most 200).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Where to continue: the id of the last item of the previous page (the `cursor` of its
    /// `Link: <…>; rel="next"` header).
    #[param(pattern = "^[A-Za-z0-9._:-]{1,128}$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for, its limit checked.
    pub fn request(self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(self.limit, self.cursor)?)
    }
}

/// Names the next page of `path` (after the item `last`, `limit` a page) in the response's `Link` header. A `path`
/// with a query of its own (what else fixes the list, such as a roster's date) keeps it before `limit`.
pub fn link_next(response: &mut Response, path: &str, limit: u32, last: &str) {
    let and = if path.contains('?') { '&' } else { '?' };
    let next = format!("<{path}{and}limit={limit}&cursor={last}>; rel=\"next\"");
    if let Ok(value) = HeaderValue::from_str(&next) {
        response.headers_mut().insert(header::LINK, value);
    }
}

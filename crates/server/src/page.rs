//! Pages of lists over HTTP, one convention for every list: `?limit=N&cursor=ID` (`limit` 1–200, default 50; the
//! cursor the id of the last item of the previous page) and the next page named by a `Link: <…>; rel="next"`
//! header, absent on the last page. A limit out of bounds is 422 `out_of_range`, a cursor naming nothing of the
//! list 404 with the list's own `unknown_*` code, a limit that is not a number 400 `bad_request`.

use app::page::PageRequest;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;

use super::error::ApiError;

/// A page of a list. The bounds written here for the OpenAPI document are `app::page`'s (a test holds them equal).
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

#[cfg(test)]
mod tests {
    use app::page::{DEFAULT_LIMIT, MAX_LIMIT};

    #[test]
    fn every_paged_list_documents_the_bounds_app_enforces() {
        let doc = crate::openapi::complete();
        let mut lists = 0;
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let parameters = item["get"]["parameters"].as_array().cloned().unwrap_or_default();
            let Some(limit) = parameters.iter().find(|p| p["name"] == "limit" && p["in"] == "query") else { continue };
            if path == "/v1/review-queue" {
                continue; // An officer works from the head of the queue: its own bound, no cursor.
            }
            assert_eq!(limit["schema"]["maximum"], MAX_LIMIT, "{path}");
            assert_eq!(limit["schema"]["minimum"], 1, "{path}");
            assert!(limit["description"].as_str().is_some_and(|d| d.contains(&format!("default {DEFAULT_LIMIT}"))));
            assert!(parameters.iter().any(|p| p["name"] == "cursor"), "{path}: no cursor");
            lists += 1;
        }
        assert_eq!(
            lists, 5,
            "the decisions and the screening entries of a household, the policies, a roster, the alerts"
        );
    }
}

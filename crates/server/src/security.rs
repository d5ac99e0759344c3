//! The headers every answer carries, so a browser that meets the API (or the coming console) is told not to guess
//! content types, not to frame it, not to leak its URLs and not to run script it did not load from here:
//!
//! - `content-security-policy`: nothing from elsewhere, no inline script or style (the `/docs` page loads its
//!   style sheet and script from `/docs.css` and `/docs.js`), no framing (`frame-ancestors 'none'`), no `<base>`,
//!   forms only back here;
//! - `x-content-type-options: nosniff`; `x-frame-options: DENY` for browsers without `frame-ancestors`;
//! - `referrer-policy: no-referrer`;
//! - `cache-control: no-store` unless the handler chose otherwise, since answers hold personal and credit data
//!   (masked or not) that a shared cache must not keep.
//!
//! [`HEADERS`] is the one list: the router's layer ([`headers`]) and the answers written below the router
//! (`limits`, for requests hyper cannot parse) both take it from here.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The content security policy of every answer.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Every security header and its value.
pub const HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

/// Adds the security headers to an answer (a `cache-control` the handler chose is kept).
pub async fn headers(mut response: Response) -> Response {
    let answer = response.headers_mut();
    for (name, value) in HEADERS {
        let name = HeaderName::from_static(name);
        if name == header::CACHE_CONTROL && answer.contains_key(header::CACHE_CONTROL) {
            continue;
        }
        answer.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// The headers as lines of an HTTP/1.1 head (`name: value\r\n` each), for answers written by hand.
pub fn head_lines() -> String {
    HEADERS.iter().map(|(name, value)| format!("{name}: {value}\r\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_header_is_set_and_a_chosen_cache_control_is_kept() {
        let plain = headers(Response::new(axum::body::Body::empty())).await;
        for (name, value) in HEADERS {
            assert_eq!(plain.headers()[name], value, "{name}");
        }
        let mut cached = Response::new(axum::body::Body::empty());
        cached.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        assert_eq!(headers(cached).await.headers()[header::CACHE_CONTROL], "max-age=60");
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"), "no inline script or style is allowed");
        assert_eq!(head_lines().lines().count(), HEADERS.len());
    }
}

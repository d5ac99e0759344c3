//! The edge of the server, for callers who lie or fail: the request target and headers are bounded (414, 431), a
//! body is accepted only as `application/json` (415, [`JsonBody`]), and a JSON body is read strictly — a repeated key or nesting
//! deeper than [`MAX_JSON_DEPTH`] is `malformed_json` — before any handler reads a field from it. Every refusal has
//! the one JSON error shape.

use std::collections::HashSet;
use std::fmt;

use app::ErrorCode;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};

use crate::error::ApiError;
use crate::{MAX_HEADER_BYTES, MAX_URI_BYTES};

/// Deepest nesting of arrays and objects accepted in a body.
pub const MAX_JSON_DEPTH: u32 = 32;

/// Refuses an over-long target and over-large headers, whatever the route.
pub async fn check_request(request: Request, next: Next) -> Response {
    let target = request.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        let message = format!("the request target is {target} bytes; at most {MAX_URI_BYTES}");
        return ApiError::whole(ErrorCode::UriTooLong, message).into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if header_bytes > MAX_HEADER_BYTES {
        let message = format!("the headers are {header_bytes} bytes; at most {MAX_HEADER_BYTES}");
        return ApiError::whole(ErrorCode::HeadersTooLarge, message).into_response();
    }
    next.run(request).await
}

/// A request body declared as JSON (`content-type: application/json`), read whole within the body limit. As an
/// extractor it runs after routing, so a wrong method is still 405 and an unknown path 404; a body of another type
/// is 415 `unsupported_media_type`.
/// `MAX` is the largest body it reads, bytes: [`crate::BODY_LIMIT_BYTES`] unless a route says otherwise.
pub struct JsonBody<const MAX: usize = { crate::BODY_LIMIT_BYTES }>(pub Bytes);

impl<S: Send + Sync, const MAX: usize> FromRequest<S> for JsonBody<MAX> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<JsonBody<MAX>, ApiError> {
        if !declares_json(&request) {
            let message = "the body must be sent with content-type: application/json";
            return Err(ApiError::whole(ErrorCode::UnsupportedMediaType, message));
        }
        let too_large = || ApiError::whole(ErrorCode::BodyTooLarge, format!("the body is larger than {MAX} bytes"));
        let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX as u64) {
            return Err(too_large());
        }
        let bytes = axum::body::to_bytes(request.into_body(), MAX).await.map_err(|e| {
            // The outer layer's limit, or this one's, stops a body sent without a length.
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.is::<http_body_util::LengthLimitError>() {
                    return too_large();
                }
                source = s.source();
            }
            ApiError::whole(ErrorCode::BadRequest, "the body could not be read")
        })?;
        Ok(JsonBody(bytes))
    }
}

/// Longest request line looked at before the connection is handed to hyper, bytes.
const REQUEST_LINE_BYTES: usize = 8 * 1024;

/// Looks at a new connection's first request line without taking it (`peek`), and when it is not
/// `METHOD SP TARGET SP HTTP/1.0|1.1` answers 400 `bad_request` in the JSON shape and closes the connection
/// (returns true). A connection whose line has not arrived within `timeout` is closed too (true, no answer), as
/// hyper's header-read timeout would; a line longer than the limit is left to hyper (false), whose 414 applies.
pub async fn refuse_malformed_request_line(stream: &tokio::net::TcpStream, timeout: std::time::Duration) -> bool {
    let mut buf = vec![0u8; REQUEST_LINE_BYTES];
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = std::time::Duration::from_millis(1);
    let line = loop {
        let seen = match tokio::time::timeout_at(deadline, stream.peek(&mut buf)).await {
            Err(_) => return true,
            Ok(Ok(0) | Err(_)) => return false,
            Ok(Ok(n)) => n,
        };
        if let Some(end) = buf[..seen].windows(2).position(|w| w == b"\r\n") {
            break &buf[..end];
        }
        if seen == buf.len() {
            return false;
        }
        if tokio::time::Instant::now() >= deadline {
            return true;
        }
        // The bytes stay in the socket, so readiness stays set: wait a little before looking again.
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_millis(50));
    };
    if request_line_is_well_formed(line) {
        return false;
    }
    let answer = closing_refusal(ErrorCode::BadRequest, "the request line is not METHOD TARGET HTTP/1.1");
    // Best effort: the client may be gone already.
    let mut written = 0;
    while written < answer.len() {
        if stream.writable().await.is_err() {
            break;
        }
        match stream.try_write(&answer.as_bytes()[written..]) {
            Ok(n) => written += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => break,
        }
    }
    true
}

/// A whole response refusing a request in the JSON shape and closing the connection, for the refusals made below
/// the router (which answers everything else).
fn closing_refusal(code: ErrorCode, message: &str) -> String {
    let body = serde_json::json!({"error": {"code": code.as_str(), "field": null, "message": message}}).to_string();
    let status = axum::http::StatusCode::from_u16(code.status()).unwrap_or(axum::http::StatusCode::BAD_REQUEST);
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{}\r\n{body}",
        status.as_str(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
        crate::security::head_lines()
    )
}

/// A connection's stream as hyper sees it, with hyper's own answers to a request it cannot parse (400, 414, 431:
/// a status line and `content-length: 0`, which hyper writes and then closes the connection) rewritten into the
/// JSON shape. [`refuse_malformed_request_line`] sees only a connection's first request line; this covers every
/// later request of a kept-alive connection, which only hyper's parser delimits. An answer of the router is never
/// touched: every one of those carries an `x-request-id`.
pub struct JsonParseRefusals<S> {
    inner: S,
    replacing: Option<Replacing>,
}

/// A refusal being written in place of hyper's: the bytes, how many are out, and how many of hyper's they stand for.
struct Replacing {
    answer: Vec<u8>,
    written: usize,
    stands_for: usize,
}

impl<S> JsonParseRefusals<S> {
    /// Wraps a connection's stream.
    pub fn new(inner: S) -> JsonParseRefusals<S> {
        JsonParseRefusals { inner, replacing: None }
    }
}

/// The JSON refusal for `bytes` when they are exactly one of hyper's bare parse-error answers.
fn json_for_bare_refusal(bytes: &[u8]) -> Option<Vec<u8>> {
    // Every write of a response passes here: the status is looked at before anything else is.
    let (code, message) = match bytes.strip_prefix(b"HTTP/1.1 ")?.get(..3)? {
        b"400" => (ErrorCode::BadRequest, "the request could not be read: its request line or a header is malformed"),
        b"414" => (ErrorCode::UriTooLong, "the request target is too long"),
        b"431" => (ErrorCode::HeadersTooLarge, "the headers are too large"),
        _ => return None,
    };
    // A bare answer is a short head alone; anything longer carries a body and is the router's.
    if bytes.len() > 512 {
        return None;
    }
    let lower = std::str::from_utf8(bytes).ok()?.to_ascii_lowercase();
    let bare = lower.ends_with("\r\n\r\n")
        && lower.matches("\r\n\r\n").count() == 1
        && lower.contains("\r\ncontent-length: 0\r\n")
        && !lower.contains(&format!("\r\n{}:", crate::telemetry::REQUEST_ID.as_str()));
    bare.then(|| closing_refusal(code, message).into_bytes())
}

impl<S: tokio::io::AsyncWrite + Unpin> JsonParseRefusals<S> {
    /// Writes the replacement under way; ready with the length of hyper's answer once all of it is out.
    fn poll_replacing(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        let Some(r) = self.replacing.as_mut() else { return Poll::Ready(Ok(0)) };
        while r.written < r.answer.len() {
            match std::pin::Pin::new(&mut self.inner).poll_write(cx, &r.answer[r.written..]) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(std::io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => r.written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            }
        }
        let stands_for = r.stands_for;
        self.replacing = None;
        Poll::Ready(Ok(stands_for))
    }
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for JsonParseRefusals<S> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for JsonParseRefusals<S> {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            match json_for_bare_refusal(buf) {
                Some(answer) => this.replacing = Some(Replacing { answer, written: 0, stands_for: buf.len() }),
                None => return std::pin::Pin::new(&mut this.inner).poll_write(cx, buf),
            }
        }
        this.poll_replacing(cx)
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if this.replacing.is_none() {
            // hyper's bare answer is a head alone: one non-empty slice.
            let mut filled = bufs.iter().filter(|b| !b.is_empty());
            let answer = match (filled.next(), filled.next()) {
                (Some(only), None) => json_for_bare_refusal(only).map(|a| (a, only.len())),
                _ => None,
            };
            match answer {
                Some((answer, stands_for)) => this.replacing = Some(Replacing { answer, written: 0, stands_for }),
                None => return std::pin::Pin::new(&mut this.inner).poll_write_vectored(cx, bufs),
            }
        }
        this.poll_replacing(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// `METHOD SP TARGET SP HTTP/1.x`: a token method, a target of visible ASCII, a version hyper serves.
fn request_line_is_well_formed(line: &[u8]) -> bool {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    !method.is_empty()
        && method.iter().all(token)
        && !target.is_empty()
        && target.iter().all(|b| b.is_ascii_graphic())
        && (version == b"HTTP/1.1" || version == b"HTTP/1.0")
}

/// `content-type: application/json`, with or without parameters such as `charset=utf-8`.
fn declares_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// An identifier from a request: 1–64 letters, digits, `.`, `_` or `-` (`invalid_field` naming `field`).
pub fn identifier(field: &str, value: &str) -> Result<(), ApiError> {
    let shaped =
        (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !shaped {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidField,
            field,
            "must be 1–64 letters, digits, '.', '_' or '-'",
        ));
    }
    Ok(())
}

/// Reads `bytes` as one JSON document and refuses a repeated object key or nesting deeper than
/// [`MAX_JSON_DEPTH`] (`malformed_json`); the document itself is read again by the caller.
pub fn strict_json(bytes: &[u8]) -> Result<(), ApiError> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let checked = Strict { depth: 0 }.deserialize(&mut reader).and_then(|()| reader.end());
    checked.map_err(|e| ApiError::whole(ErrorCode::MalformedJson, format!("the body is not valid JSON: {e}")))
}

/// A JSON walk that keeps nothing but checks keys and depth.
struct Strict {
    depth: u32,
}

impl Strict {
    fn deeper<E: serde::de::Error>(&self) -> Result<Strict, E> {
        if self.depth >= MAX_JSON_DEPTH {
            return Err(E::custom(format!("nested deeper than {MAX_JSON_DEPTH} levels")));
        }
        Ok(Strict { depth: self.depth + 1 })
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self.deeper()?)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(A::Error::custom(format!("the key `{key}` appears twice")));
            }
            map.next_value_seed(self.deeper()?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hypers_bare_parse_refusals_are_rewritten() {
        let date = "date: Sun, 06 Dec 2026 22:00:00 GMT\r\n";
        for (status, code) in [("400 Bad Request", "bad_request"), ("414 URI Too Long", "uri_too_long")] {
            let bare = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n{date}\r\n");
            let answer = String::from_utf8(json_for_bare_refusal(bare.as_bytes()).expect("rewritten")).expect("utf-8");
            assert!(answer.starts_with(&format!("HTTP/1.1 {status}\r\n")), "{answer}");
            let body: serde_json::Value =
                serde_json::from_str(answer.split_once("\r\n\r\n").expect("body").1).expect("json");
            assert_eq!(body["error"]["code"], code);
        }
        for kept in [
            // The router's answers: an id, a body.
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-request-id: r1\r\n{date}\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n{date}\r\n{{}}"),
            format!("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n{date}\r\n"),
            format!("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n{date}\r\nHTTP/1.1 200 OK\r\n\r\n"),
            "HTTP/1.1 400 Bad Req".to_owned(),
        ] {
            assert_eq!(json_for_bare_refusal(kept.as_bytes()), None, "{kept}");
        }
    }

    #[test]
    fn request_lines_are_told_apart() {
        for good in [&b"GET /health HTTP/1.1"[..], b"POST /v1/applications?x=1 HTTP/1.0", b"PUT * HTTP/1.1"] {
            assert!(request_line_is_well_formed(good), "{}", String::from_utf8_lossy(good));
        }
        for bad in [
            &b"GET /health"[..],
            b"GET  /health HTTP/1.1",
            b"GET /health HTTP/2.0",
            b"G\x01T /health HTTP/1.1",
            b"GET /he\x7fth HTTP/1.1",
            b"GET /health HTTP/1.1 extra",
            b"",
            b"\x16\x03\x01\x02\x00",
        ] {
            assert!(!request_line_is_well_formed(bad), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn repeated_keys_and_deep_nesting_are_malformed_and_plain_json_passes() {
        assert!(strict_json(br#"{"a": 1, "b": [1, {"c": null}], "d": "x"}"#).is_ok());
        for bad in [
            &br#"{"consent": true, "consent": false}"#[..],
            br#"{"a": {"b": 1, "b": 2}}"#,
            br#"{"a": 1} trailing"#,
            br#"{"a": "#,
        ] {
            let e = strict_json(bad).expect_err("refused");
            assert_eq!(e.code, ErrorCode::MalformedJson, "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert!(strict_json(deep.as_bytes()).expect_err("too deep").message.contains("deeper than 32"));
        let fine = format!("{}{}", "[".repeat(30), "]".repeat(30));
        assert!(strict_json(fine.as_bytes()).is_ok());
    }
}

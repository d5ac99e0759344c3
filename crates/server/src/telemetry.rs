//! What the server tells its operators: one structured log line per request and the metrics at `GET /metrics`.
//!
//! [`track`] is the outermost layer of the router. It takes the client's `x-request-id` (1–64 characters of
//! `[A-Za-z0-9._-]`) or makes one, runs the request inside a `request` span carrying that id (so a handler's own
//! warnings name it), echoes the id on the response, and emits exactly one `tracing` event: request id, method,
//! route template, status, latency, the error code and the decision id when the response carries them. It never
//! logs a body, a query string or a path parameter's value: the route is the matched template
//! (`/v1/decisions/{id}`), or `other` when nothing matched, so neither the log nor the metrics' labels can hold
//! personal data, and the number of label values stays bounded.
//!
//! The metrics are a small registry of our own (atomic counters and fixed-bucket histograms) rendered in the
//! Prometheus text exposition format 0.0.4 by [`Telemetry::render`]; a metrics crate would add more to the build
//! than the hundred lines it replaces. The decision writer's queue depth and commit latency live with it in
//! [`crate::journal`], the pool's connections in the store; [`metrics`] gathers them at scrape time.

use std::collections::BTreeMap;
use std::collections::hash_map::RandomState;
use std::fmt::Write as _;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use app::ErrorCode;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::Shared;

/// The header a request id travels in, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Longest request id taken from a client.
pub const MAX_REQUEST_ID_LEN: usize = 64;
/// The route label of a request no route matched.
pub const OTHER_ROUTE: &str = "other";
/// The content type of the exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Upper bounds of the histograms' buckets, microseconds (0.5 ms to 2.5 s); slower goes to `+Inf` only.
pub const BUCKETS_US: [u64; 12] =
    [500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000];
/// Most (outcome, segment) series: a segment is the policy's text, so a policy writing many would otherwise grow
/// the metrics without bound; later ones are counted under segment `other`.
pub const MAX_DECISION_SERIES: usize = 64;

/// A histogram of durations with the fixed buckets of [`BUCKETS_US`].
#[derive(Debug, Default)]
pub struct Histogram {
    /// Observations per bucket, not cumulative; the last slot is above every bound.
    slots: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, elapsed: Duration) {
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let slot = BUCKETS_US.iter().position(|&bound| us <= bound).unwrap_or(BUCKETS_US.len());
        self.slots[slot].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// How many observations so far.
    pub fn count(&self) -> u64 {
        self.slots.iter().map(|s| s.load(Ordering::Relaxed)).sum()
    }

    /// Writes the `_bucket`, `_sum` and `_count` lines of `name` with these labels (`route="/health"` or empty).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, slot) in BUCKETS_US.iter().zip(&self.slots) {
            cumulative += slot.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{}\"}} {cumulative}", seconds(*bound));
        }
        // `+Inf` and `_count` are the same sum of the slots, so a scrape racing an observation stays consistent.
        cumulative += self.slots[BUCKETS_US.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}");
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", seconds(self.sum_us.load(Ordering::Relaxed)));
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// Microseconds as decimal seconds without trailing zeros: 2500 → `0.0025`, 1000000 → `1`.
fn seconds(us: u64) -> String {
    let text = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// A label value with `\`, `"` and line feeds escaped, as the exposition format asks.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The decision a response carries, put in its extensions by the handler for the log and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionMark {
    decision_id: String,
    /// The outcome's code and the segment, when this request made the decision (a stored decision returned again
    /// is not counted twice).
    made: Option<(&'static str, Option<String>)>,
}

impl DecisionMark {
    /// A decision this request made and recorded.
    pub fn made(decision_id: String, outcome: &'static str, segment: Option<String>) -> DecisionMark {
        DecisionMark { decision_id, made: Some((outcome, segment)) }
    }

    /// A decision made before, returned again.
    pub fn returned(decision_id: String) -> DecisionMark {
        DecisionMark { decision_id, made: None }
    }
}

/// One route's series.
#[derive(Debug, Default)]
struct RouteSeries {
    duration: Histogram,
    /// Requests by (method, status).
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
}

/// The registry: what [`track`] counts, and the request ids it makes.
#[derive(Debug)]
pub struct Telemetry {
    routes: RwLock<BTreeMap<String, Arc<RouteSeries>>>,
    /// Decisions made, by (outcome, segment).
    decisions: Mutex<BTreeMap<(&'static str, String), u64>>,
    /// Random per process, so ids made by two runs do not collide.
    id_prefix: u64,
    next_id: AtomicU64,
}

impl Default for Telemetry {
    fn default() -> Telemetry {
        Telemetry::new()
    }
}

/// What is read at scrape time from the parts that own it.
#[derive(Debug, Clone, Copy)]
pub struct Gauges<'a> {
    /// Decisions waiting for the writer (not the batch being committed).
    pub writer_queue_depth: usize,
    /// The writer's commit latencies.
    pub commit_durations: &'a Histogram,
    /// The pool's connections in use.
    pub pool_active: u64,
    /// The pool's idle connections.
    pub pool_idle: u64,
}

impl Telemetry {
    /// An empty registry.
    pub fn new() -> Telemetry {
        // The standard library's hasher keys are random per process: a prefix without a clock read or a crate.
        let id_prefix = RandomState::new().hash_one(std::process::id());
        Telemetry { routes: RwLock::default(), decisions: Mutex::default(), id_prefix, next_id: AtomicU64::new(0) }
    }

    /// The client's request id when it is acceptable, otherwise a new one.
    pub fn request_id(&self, sent: Option<&HeaderValue>) -> HeaderValue {
        if let Some(value) = sent.filter(|v| acceptable_id(v.as_bytes())) {
            return value.clone();
        }
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let made = format!("{:016x}-{n:x}", self.id_prefix);
        HeaderValue::from_str(&made).expect("hex digits and a hyphen are a valid header value")
    }

    /// Counts one answered request, and the decision it made if it made one.
    pub fn record(
        &self,
        route: &str,
        method: &Method,
        status: u16,
        elapsed: Duration,
        decision: Option<&DecisionMark>,
    ) {
        let series = self.route(route);
        series.duration.observe(elapsed);
        *series
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry((method_label(method), status))
            .or_default() += 1;
        if let Some((outcome, segment)) = decision.and_then(|d| d.made.as_ref()) {
            let mut decisions = self.decisions.lock().unwrap_or_else(PoisonError::into_inner);
            let segment = segment.as_deref().unwrap_or("none");
            let key =
                if decisions.contains_key(&(*outcome, segment.to_owned())) || decisions.len() < MAX_DECISION_SERIES {
                    (*outcome, segment.to_owned())
                } else {
                    (*outcome, OTHER_ROUTE.to_owned())
                };
            *decisions.entry(key).or_default() += 1;
        }
    }

    /// The series of a route, made on its first request.
    fn route(&self, route: &str) -> Arc<RouteSeries> {
        if let Some(series) = self.routes.read().unwrap_or_else(PoisonError::into_inner).get(route) {
            return Arc::clone(series);
        }
        let mut routes = self.routes.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(routes.entry(route.to_owned()).or_default())
    }

    /// Every metric in the Prometheus text exposition format 0.0.4.
    pub fn render(&self, gauges: &Gauges<'_>) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let routes: Vec<(String, Arc<RouteSeries>)> = self
            .routes
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(route, series)| (route.clone(), Arc::clone(series)))
            .collect();

        out.push_str("# HELP agririsk_http_requests_total Requests answered, by route template, method and status.\n");
        out.push_str("# TYPE agririsk_http_requests_total counter\n");
        for (route, series) in &routes {
            let requests = series.requests.lock().unwrap_or_else(PoisonError::into_inner);
            for ((method, status), count) in requests.iter() {
                let _ = writeln!(
                    out,
                    "agririsk_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {count}",
                    label(route)
                );
            }
        }

        out.push_str("# HELP agririsk_http_request_duration_seconds Time to answer a request, by route template.\n");
        out.push_str("# TYPE agririsk_http_request_duration_seconds histogram\n");
        for (route, series) in &routes {
            let labels = format!("route=\"{}\"", label(route));
            series.duration.render(&mut out, "agririsk_http_request_duration_seconds", &labels);
        }

        out.push_str("# HELP agririsk_decisions_total Decisions made and recorded, by outcome and policy segment.\n");
        out.push_str("# TYPE agririsk_decisions_total counter\n");
        for ((outcome, segment), count) in self.decisions.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            let _ = writeln!(
                out,
                "agririsk_decisions_total{{outcome=\"{}\",segment=\"{}\"}} {count}",
                label(outcome),
                label(segment)
            );
        }

        out.push_str("# HELP agririsk_decision_writer_queue_depth Decisions waiting for the decision writer.\n");
        out.push_str("# TYPE agririsk_decision_writer_queue_depth gauge\n");
        let _ = writeln!(out, "agririsk_decision_writer_queue_depth {}", gauges.writer_queue_depth);

        out.push_str("# HELP agririsk_decision_commit_duration_seconds Time to commit one batch of decisions.\n");
        out.push_str("# TYPE agririsk_decision_commit_duration_seconds histogram\n");
        gauges.commit_durations.render(&mut out, "agririsk_decision_commit_duration_seconds", "");

        out.push_str("# HELP agririsk_db_pool_connections Connections of the database pool, by state.\n");
        out.push_str("# TYPE agririsk_db_pool_connections gauge\n");
        let _ = writeln!(out, "agririsk_db_pool_connections{{state=\"idle\"}} {}", gauges.pool_idle);
        let _ = writeln!(out, "agririsk_db_pool_connections{{state=\"active\"}} {}", gauges.pool_active);
        out
    }
}

/// 1–64 characters of `[A-Za-z0-9._-]`.
fn acceptable_id(id: &[u8]) -> bool {
    (1..=MAX_REQUEST_ID_LEN).contains(&id.len())
        && id.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The method as a label: the standard ones by name, any other as `other` (a client may send any token).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "other",
    }
}

/// The request log and the request metrics, as a middleware (`axum::middleware::from_fn_with_state`).
pub async fn track(State(telemetry): State<Arc<Telemetry>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = telemetry.request_id(request.headers().get(&REQUEST_ID));
    let route = request.extensions().get::<MatchedPath>().cloned();
    let method = request.method().clone();
    // Valid ids are visible ASCII, so this never falls back.
    let id_text = id.to_str().unwrap_or_default();
    let span = tracing::info_span!("request", request_id = id_text);
    let mut response = next.run(request).instrument(span).await;
    let elapsed = started.elapsed();

    let route = route.as_ref().map_or(OTHER_ROUTE, MatchedPath::as_str);
    let status = response.status().as_u16();
    let decision = response.extensions().get::<DecisionMark>();
    telemetry.record(route, &method, status, elapsed, decision);
    tracing::info!(
        request_id = id_text,
        method = method_label(&method),
        route,
        status,
        // Whole microseconds, so the field prints as a short decimal.
        latency_ms = elapsed.as_micros() as f64 / 1000.0,
        error_code = response.extensions().get::<ErrorCode>().map(|c| c.as_str()),
        decision_id = decision.map(|d| d.decision_id.as_str()),
        "request"
    );
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// GET /metrics: the Prometheus text exposition format 0.0.4.
#[utoipa::path(get, path = "/metrics", responses(
    (status = 200, description = "Request counts and latencies by route template, method and status; decisions by \
        outcome and segment; the decision writer's queue depth and commit latency; the database pool's \
        connections (docs/api.md lists them)", body = String, content_type = "text/plain; version=0.0.4")))]
pub async fn metrics(State(server): State<Shared>) -> Response {
    let (open, idle) = server.store.pool_connections();
    let idle = u64::try_from(idle).unwrap_or(u64::MAX);
    let gauges = Gauges {
        writer_queue_depth: server.journal.queue_depth(),
        commit_durations: server.journal.commit_durations(),
        pool_active: u64::from(open).saturating_sub(idle),
        pool_idle: idle,
    };
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], server.telemetry.render(&gauges)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    fn gauges(commits: &Histogram) -> Gauges<'_> {
        Gauges { writer_queue_depth: 3, commit_durations: commits, pool_active: 1, pool_idle: 2 }
    }

    #[test]
    fn the_exposition_format_is_exact() {
        let telemetry = Telemetry::new();
        let ms = Duration::from_millis;
        telemetry.record("/v1/decisions/{id}", &Method::GET, 200, ms(3), None);
        telemetry.record("/v1/decisions/{id}", &Method::GET, 404, Duration::from_micros(500), None);
        telemetry.record("/v1/decisions/{id}", &Method::GET, 200, ms(4_000), None);
        let made = DecisionMark::made("d1".into(), "approve", Some("thin_file".into()));
        telemetry.record("/v1/applications", &Method::POST, 201, ms(12), Some(&made));
        let again = DecisionMark::returned("d1".into());
        telemetry.record("/v1/applications", &Method::POST, 200, ms(1), Some(&again));
        let commits = Histogram::default();
        commits.observe(ms(2));
        let text = telemetry.render(&gauges(&commits));
        let expected = [
            "# TYPE agririsk_http_requests_total counter",
            "agririsk_http_requests_total{route=\"/v1/applications\",method=\"POST\",status=\"200\"} 1",
            "agririsk_http_requests_total{route=\"/v1/applications\",method=\"POST\",status=\"201\"} 1",
            "agririsk_http_requests_total{route=\"/v1/decisions/{id}\",method=\"GET\",status=\"200\"} 2",
            "agririsk_http_requests_total{route=\"/v1/decisions/{id}\",method=\"GET\",status=\"404\"} 1",
            "# TYPE agririsk_http_request_duration_seconds histogram",
            "agririsk_http_request_duration_seconds_bucket{route=\"/v1/decisions/{id}\",le=\"0.0005\"} 1",
            "agririsk_http_request_duration_seconds_bucket{route=\"/v1/decisions/{id}\",le=\"0.001\"} 1",
            "agririsk_http_request_duration_seconds_bucket{route=\"/v1/decisions/{id}\",le=\"0.0025\"} 1",
            "agririsk_http_request_duration_seconds_bucket{route=\"/v1/decisions/{id}\",le=\"0.005\"} 2",
            "agririsk_http_request_duration_seconds_bucket{route=\"/v1/decisions/{id}\",le=\"2.5\"} 2",
            "agririsk_http_request_duration_seconds_bucket{route=\"/v1/decisions/{id}\",le=\"+Inf\"} 3",
            "agririsk_http_request_duration_seconds_sum{route=\"/v1/decisions/{id}\"} 4.0035",
            "agririsk_http_request_duration_seconds_count{route=\"/v1/decisions/{id}\"} 3",
            "# TYPE agririsk_decisions_total counter",
            "agririsk_decisions_total{outcome=\"approve\",segment=\"thin_file\"} 1",
            "# TYPE agririsk_decision_writer_queue_depth gauge",
            "agririsk_decision_writer_queue_depth 3",
            "# TYPE agririsk_decision_commit_duration_seconds histogram",
            "agririsk_decision_commit_duration_seconds_bucket{le=\"0.001\"} 0",
            "agririsk_decision_commit_duration_seconds_bucket{le=\"0.0025\"} 1",
            "agririsk_decision_commit_duration_seconds_bucket{le=\"+Inf\"} 1",
            "agririsk_decision_commit_duration_seconds_sum 0.002",
            "agririsk_decision_commit_duration_seconds_count 1",
            "# TYPE agririsk_db_pool_connections gauge",
            "agririsk_db_pool_connections{state=\"idle\"} 2",
            "agririsk_db_pool_connections{state=\"active\"} 1",
        ];
        let lines: Vec<&str> = text.lines().collect();
        let mut at = 0;
        for line in expected {
            let found = lines[at..].iter().position(|l| *l == line);
            at += found.unwrap_or_else(|| panic!("{line:?} missing or out of order in:\n{text}")) + 1;
        }
        // Every line is a comment or `name{labels} value`, and each family has 12 finite buckets and +Inf.
        for line in &lines {
            assert!(line.starts_with("# HELP ") || line.starts_with("# TYPE ") || line.starts_with("agririsk_"));
            if !line.starts_with('#') {
                let value = line.rsplit(' ').next().unwrap_or_default();
                assert!(value.parse::<f64>().is_ok(), "not a sample: {line}");
            }
        }
        let buckets = lines.iter().filter(|l| l.starts_with("agririsk_decision_commit_duration_seconds_bucket"));
        assert_eq!(buckets.count(), BUCKETS_US.len() + 1);
        // The returned decision is a request, not a second decision.
        assert!(!text.contains("agririsk_decisions_total{outcome=\"approve\",segment=\"thin_file\"} 2"));
    }

    #[test]
    fn label_values_are_escaped_and_decision_series_are_bounded() {
        let telemetry = Telemetry::new();
        for n in 0..MAX_DECISION_SERIES + 5 {
            let mark = DecisionMark::made(format!("d{n}"), "refer", Some(format!("s\"{n}\\\n")));
            telemetry.record("/v1/applications", &Method::POST, 201, Duration::ZERO, Some(&mark));
        }
        let commits = Histogram::default();
        let text = telemetry.render(&gauges(&commits));
        assert!(text.contains("agririsk_decisions_total{outcome=\"refer\",segment=\"s\\\"0\\\\\\n\"} 1"), "{text}");
        assert!(text.contains("agririsk_decisions_total{outcome=\"refer\",segment=\"other\"} 5"), "{text}");
        let series = text.lines().filter(|l| l.starts_with("agririsk_decisions_total{")).count();
        assert_eq!(series, MAX_DECISION_SERIES + 1);
    }

    #[test]
    fn request_ids_are_taken_when_sane_and_made_otherwise() {
        let telemetry = Telemetry::new();
        let sent = HeaderValue::from_static("abc-DEF_1.2");
        assert_eq!(telemetry.request_id(Some(&sent)), sent);
        let long = HeaderValue::from_str(&"a".repeat(MAX_REQUEST_ID_LEN + 1)).expect("header");
        for bad in
            [HeaderValue::from_static(""), HeaderValue::from_static("a b"), HeaderValue::from_static("a/b"), long]
        {
            let made = telemetry.request_id(Some(&bad));
            assert_ne!(made, bad);
            assert!(acceptable_id(made.as_bytes()), "{made:?}");
        }
        let (a, b) = (telemetry.request_id(None), telemetry.request_id(None));
        assert_ne!(a, b);
        assert!(acceptable_id(&[b'x'; MAX_REQUEST_ID_LEN]));
    }

    async fn call(app: &Router, method: &str, path: &str, id: Option<&str>) -> Response {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("infallible")
    }

    #[tokio::test]
    async fn the_middleware_labels_by_route_template_and_echoes_the_id() {
        let telemetry = Arc::new(Telemetry::new());
        let app = Router::new()
            .route("/things/{id}", get(|| async { "thing" }))
            .layer(axum::middleware::from_fn_with_state(Arc::clone(&telemetry), track));
        let answered = call(&app, "GET", "/things/H0000003?name=secret", Some("req-1")).await;
        assert_eq!(answered.headers().get("x-request-id").map(HeaderValue::as_bytes), Some(&b"req-1"[..]));
        let missing = call(&app, "GET", "/nowhere/H0000003", None).await;
        assert_eq!(missing.status(), 404);
        assert!(missing.headers().get("x-request-id").is_some_and(|v| acceptable_id(v.as_bytes())));
        call(&app, "POST", "/things/2", Some("bad id")).await;

        let commits = Histogram::default();
        let text = telemetry.render(&gauges(&commits));
        assert!(text.contains("agririsk_http_requests_total{route=\"/things/{id}\",method=\"GET\",status=\"200\"} 1"));
        assert!(text.contains("agririsk_http_requests_total{route=\"/things/{id}\",method=\"POST\",status=\"405\"} 1"));
        assert!(text.contains("agririsk_http_requests_total{route=\"other\",method=\"GET\",status=\"404\"} 1"));
        // Path parameters' values and query strings never become labels.
        assert!(!text.contains("H0000003") && !text.contains("secret"), "{text}");
    }
}

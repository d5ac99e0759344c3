//! The agririsk HTTP API (`agririsk serve`) over the decider, the decision log, the lending core and the policy
//! register: axum routes only.
//!
//! Thin glue: a request body becomes a domain type at the edge (`decide::ApplicationRequest::from_json` for an
//! application), the work is done by the service layer (`app`) the commands use too, and every refusal leaves the
//! `{"error": {...}}` shape of [`error`], its status and code from `app::ErrorCode`'s one table. A decision is acknowledged only once its SQLite transaction has committed
//! (WAL, `synchronous = FULL`), in group commits ([`journal`]). Modules: [`error`] (the error table), [`decisions`] (applications, decisions,
//! review requests), [`review`] (officers, the review queue, maker-checker review), [`loans`] (disbursement,
//! positions, repayments), [`policies`] (the register), [`credit`] (policy replay, village rosters), [`alerts`] (the early-warning alert board and its
//! workflow steps), [`portfolio`] (the portfolio report and stress runs), [`monitoring`] (the daily monitoring run
//! over the book kept in memory), [`openapi`] (the OpenAPI document and the docs page).

pub mod alerts;
pub mod approvals;
pub mod auth;
pub mod credit;
pub mod decisions;
pub mod error;
pub mod journal;
pub mod limits;
pub mod loans;
pub mod log;
pub mod monitoring;
pub mod openapi;
pub mod page;
pub mod policies;
pub mod portfolio;
pub mod profiles;
pub mod review;
pub mod scope;
pub mod screening;
pub mod security;
pub mod session;
pub mod telemetry;
pub mod throttle;
pub mod tls;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use decide::Decider;
use domain::Clock;
use store::{Database, PolicyRegister};

use app::Error as CliError;
use app::ErrorCode;
use app::decisions::Setup;
use app::disbursement::DateWindow;
use app::loans::Loans;
use error::ApiError;

/// Largest request body accepted, bytes.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// Longest a request may take before it is answered 408 (a monitoring run has [`monitoring::RUN_TIMEOUT`]).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a client may take to send a request's headers before the connection is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections served at once.
pub const MAX_CONNECTIONS: usize = 4_096;
/// Longest requests in flight may take to finish once the server is told to stop.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Longest request target accepted (path and query), bytes: longer is 414.
pub const MAX_URI_BYTES: usize = 4 * 1024;
/// Most header bytes accepted (names and values), bytes: more is 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// How often a server looks whether another process moved a model or policy ([`Server::reload_if_moved`]).
pub const DECIDER_POLL: Duration = Duration::from_millis(200);

/// Reloads the decider whenever another process moved a model or policy, looking every `every` until the server
/// stops.
fn watch_decider(server: &Shared, every: Duration) {
    let weak = Arc::downgrade(server);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(server) = weak.upgrade() else { return };
            if let Err(e) = server.reload_if_moved().await {
                tracing::warn!(error = %e, "the models and policies could not be looked at; the decider stays");
            }
        }
    });
}

/// What every handler shares.
pub struct Server {
    /// The store.
    pub store: Database,
    /// Where read-only work goes: the decider (and so rosters and policy replays) is built from it and profiles are
    /// read from it. A streaming standby with `serve --read-database`; the store itself otherwise.
    pub reads: Database,
    /// The lending core over the same store.
    pub app: Loans<Database>,
    /// The clock: "today" for defaults, and the times records are made at.
    pub clock: Arc<dyn Clock + Send + Sync>,
    /// How far from today money-moving dates may lie.
    pub windows: Windows,
    /// The screening register in memory, for the hot path (an applicant's consent, list hits, fraud cases).
    pub screening: Arc<screening::Cache>,
    /// How the decider is set up (challenger, salt): used again when a policy move reloads it.
    pub setup: Setup,
    /// Where decisions are recorded, in group commits.
    pub journal: journal::Journal,
    /// The request metrics behind `GET /metrics`.
    pub telemetry: Arc<telemetry::Telemetry>,
    /// The API keys, in memory.
    pub keys: auth::KeyCache,
    /// The rate limits.
    pub limits: throttle::Limits,
    /// The callers' token buckets.
    pub buckets: throttle::Buckets,
    /// The privacy key file that opens sealed personal data (`serve --key-file`), read per profile request.
    pub privacy_keys: Option<std::path::PathBuf>,
    /// The TLS acceptor when served over TLS (answers then carry HSTS and session cookies are `Secure`).
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Monitoring's whole book, kept in memory from this replica's first run ([`monitoring`]); the lock makes one
    /// run at a time per replica.
    pub resident: tokio::sync::Mutex<Option<app::resident::ResidentBook>>,
    decider: RwLock<Option<Arc<Decider>>>,
    /// [`Database::decider_version`] when the decider was last loaded (-1: unknown).
    decider_version: std::sync::atomic::AtomicI64,
}

/// How far from today the dates of money-moving requests may lie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// Repayment dates.
    pub repayments: DateWindow,
    /// Disbursement dates.
    pub disbursements: DateWindow,
}

impl Default for Windows {
    fn default() -> Windows {
        Windows { repayments: DateWindow::REPAYMENTS, disbursements: DateWindow::DISBURSEMENTS }
    }
}

/// Shared state of the handlers.
pub type Shared = Arc<Server>;

impl Server {
    /// A server over an open store; the decider is loaded from it (a failure is reported and leaves the server
    /// unready, answering 503 to applications, until a policy move reloads it).
    pub async fn new(
        store: Database,
        setup: Setup,
        durability: store::Durability,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Result<Server, CliError> {
        // The audit trail's entries are stamped by the server's clock, like everything else it records.
        let store = store.with_clock(Arc::clone(&clock));
        let journal = journal::Journal::start(&store, durability)?;
        let server = Server {
            app: Loans::new(store.clone()),
            reads: store.clone(),
            clock,
            windows: Windows::default(),
            screening: screening::Cache::start(store.clone()).await?,
            store,
            setup,
            journal,
            telemetry: Arc::default(),
            keys: auth::KeyCache::default(),
            limits: throttle::Limits::default(),
            buckets: throttle::Buckets::default(),
            tls: None,
            privacy_keys: None,
            resident: tokio::sync::Mutex::new(None),
            decider: RwLock::new(None),
            decider_version: std::sync::atomic::AtomicI64::new(-1),
        };
        server.keys.load(&server.store).await?;
        server.reload().await;
        Ok(server)
    }

    /// [`Server::new`] with read-only work on `reads` (a streaming standby of the store's database).
    pub async fn with_reads(
        store: Database,
        reads: Database,
        setup: Setup,
        durability: store::Durability,
        clock: Arc<dyn Clock + Send + Sync>,
    ) -> Result<Server, CliError> {
        let mut server = Server::new(store, setup, durability, clock).await?;
        server.reads = reads;
        // Built again from the reads, and from now on followed there.
        server.reload().await;
        Ok(server)
    }

    /// Loads the decider again from the registers.
    pub async fn reload(&self) {
        // Read before loading: a move made meanwhile changes the version again and is loaded at the next look.
        let version = self.reads.decider_version().await.unwrap_or(-1);
        let loaded = match app::decisions::decider(&self.reads, &self.setup).await {
            Ok(d) => Some(Arc::new(d)),
            Err(e) => {
                tracing::warn!(error = %e, "the decider is not loaded");
                None
            }
        };
        match self.decider.write() {
            Ok(mut slot) => *slot = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
        self.decider_version.store(version, std::sync::atomic::Ordering::Release);
    }

    /// Reloads the decider when the models or policies it is built from changed since it was loaded: a move made
    /// through another process (the command line, another replica) reaches this one within one look.
    pub async fn reload_if_moved(&self) -> Result<bool, store::StoreError> {
        // Looked at where the decider is built from: a standby that has not replayed a move yet is looked at again.
        let version = self.reads.decider_version().await?;
        if version == self.decider_version.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(false);
        }
        self.reload().await;
        Ok(true)
    }

    /// The decider, or 503 when none is loaded.
    pub fn decider(&self) -> Result<Arc<Decider>, ApiError> {
        let slot = self.decider.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.clone().ok_or_else(|| {
            ApiError::whole(
                ErrorCode::NotReady,
                "no decider is loaded: register a champion decision model and activate a policy",
            )
        })
    }
}

/// The router with every endpoint (each behind its access rule, [`auth::table`]), the body limit, the timeout and the
/// request log.
pub fn router(server: Shared) -> Router {
    let tls = server.tls.is_some();
    let router = auth::routes(&server)
        .fallback(not_found)
        .layer(axum::middleware::from_fn(time_limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(screening::BODY_LIMIT_BYTES))
        .layer(axum::middleware::from_fn(limits::check_request))
        // Outermost, so that it also sees the limit's and the timeout's own refusals.
        .layer(axum::middleware::map_response(json_errors))
        // Every answer, refusals included, carries the security headers.
        .layer(axum::middleware::map_response(security::headers))
        // Outside even that, so the request log sees the final status and error code of every request.
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&server.telemetry), telemetry::track))
        .with_state(server);
    // Under TLS every answer tells the browser to come back only over TLS.
    if tls { router.layer(axum::middleware::map_response(tls::hsts)) } else { router }
}

/// Answers 408 `timeout` when a request takes longer than its limit: [`REQUEST_TIMEOUT`], or
/// [`monitoring::RUN_TIMEOUT`] for a monitoring run (a replica's first reads the whole book).
async fn time_limit(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let limit = if request.uri().path() == monitoring::RUNS_PATH { monitoring::RUN_TIMEOUT } else { REQUEST_TIMEOUT };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::whole(ErrorCode::Timeout, format!("the request took longer than {}s", limit.as_secs()))
            .into_response(),
    }
}

/// Rewrites the layers' and axum's own plain-text refusals (413, 408, 405, extractor rejections) into the JSON
/// error shape, so no client ever sees another body.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            (ErrorCode::BodyTooLarge, format!("the body is larger than {} bytes", screening::BODY_LIMIT_BYTES))
        }
        StatusCode::REQUEST_TIMEOUT => {
            (ErrorCode::Timeout, format!("the request took longer than {}s", REQUEST_TIMEOUT.as_secs()))
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            (ErrorCode::MethodNotAllowed, "this path does not take that method".to_owned())
        }
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "no such endpoint".to_owned()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (ErrorCode::UnsupportedMediaType, "the body must be sent as content-type: application/json".to_owned())
        }
        StatusCode::URI_TOO_LONG => (ErrorCode::UriTooLong, "the request target is too long".to_owned()),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            (ErrorCode::HeadersTooLarge, "the request headers are too large".to_owned())
        }
        s if s.is_server_error() => (ErrorCode::Internal, "the server could not complete the request".to_owned()),
        _ => (ErrorCode::BadRequest, "the request could not be read".to_owned()),
    };
    ApiError::whole(code, message).into_response()
}

async fn not_found() -> ApiError {
    ApiError::whole(ErrorCode::NotFound, "no such endpoint")
}

/// GET /health: the process is alive.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "Alive")))]
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// GET /ready: the store answers a query, the decider is loaded and at least one policy version is active (without
/// one every application would be refused `no_policy`).
#[utoipa::path(get, path = "/ready", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "not_ready", body = error::ErrorBody)))]
pub async fn ready(
    axum::extract::State(server): axum::extract::State<Shared>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    server.store.policies(Some(app::decisions::POLICY_NAME)).await.map_err(|e| {
        tracing::warn!(error = %e, "store not ready");
        ApiError::whole(ErrorCode::NotReady, "the store does not answer")
    })?;
    if server.decider()?.lineup.active.is_empty() {
        return Err(ApiError::whole(
            ErrorCode::NotReady,
            "no policy version is active: every application would be refused",
        ));
    }
    Ok(axum::Json(serde_json::json!({"status": "ready"})))
}

/// hyper's HTTP/1.1 connection builder with the header-read timeout.
fn http1() -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    builder
}

/// Serves `server` on `listener` until `shutdown` completes, then lets the requests in flight finish (for at most
/// [`SHUTDOWN_GRACE`]) and closes the store.
///
/// Each connection is served by hyper's HTTP/1.1 server with a [`HEADER_READ_TIMEOUT`]: a client that never finishes
/// its headers is cut off instead of holding a file descriptor for ever, and at most [`MAX_CONNECTIONS`] are open at
/// once (the next waits in the listen backlog).
pub async fn run(
    listener: tokio::net::TcpListener,
    server: Shared,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;

    let store = server.store.clone();
    let acceptor = server.tls.clone();
    auth::watch_keys(&server, Duration::from_millis(200));
    watch_decider(&server, DECIDER_POLL);
    let app = router(server);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of descriptors or a connection reset before it was taken: wait a little, go on serving.
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Each request carries the address its connection came from (rate limits, the audit trail).
        let client = auth::ClientAddr(peer.ip());
        let service = TowerToHyperService::new(tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(client);
                request
            },
        ));
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            if let Some(acceptor) = acceptor {
                // The handshake within the header-read timeout, or the connection is dropped.
                if let Ok(Ok(stream)) = tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await {
                    let connection =
                        http1().serve_connection(TokioIo::new(limits::JsonParseRefusals::new(stream)), service);
                    let _ = watcher.watch(connection).await;
                }
            // A first request line hyper would refuse with a bare 400 is refused here in the JSON shape; hyper's bare
            // refusals of later requests on the connection are rewritten into it as they are written.
            } else if !limits::refuse_malformed_request_line(&stream, HEADER_READ_TIMEOUT).await {
                let connection =
                    http1().serve_connection(TokioIo::new(limits::JsonParseRefusals::new(stream)), service);
                // A client that goes away mid-request is its own business; nothing to report.
                let _ = watcher.watch(connection).await;
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after the shutdown grace period were dropped");
    }
    store.close().await;
    Ok(())
}

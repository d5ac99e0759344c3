//! `agririsk serve`: the HTTP API over the decider, the decision log, the lending core and the policy register.
//!
//! Thin glue: a request body becomes a domain type at the edge (`decide::ApplicationRequest::from_json` for an
//! application), the work is done by the same functions the commands use, and every refusal leaves the
//! `{"error": {...}}` shape of [`error`]. A decision is acknowledged only once its SQLite transaction has committed
//! (WAL, `synchronous = FULL`), in group commits ([`journal`]). Modules: [`error`] (the error table), [`decisions`] (applications, decisions,
//! review requests), [`review`] (officers, the review queue, maker-checker review), [`loans`] (disbursement,
//! positions, repayments), [`policies`] (the register), [`credit`] (policy replay, village rosters), [`openapi`]
//! (the OpenAPI document and the docs page).

pub mod credit;
pub mod decisions;
pub mod error;
pub mod journal;
pub mod loans;
pub mod openapi;
pub mod policies;
pub mod review;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use decide::Decider;
use store::{PolicyRegister, SqliteStore};

use crate::app::App;
use crate::decide::Setup;
use crate::error::CliError;
use error::ApiError;

/// Largest request body accepted, bytes.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler shares.
pub struct Server {
    /// The store.
    pub store: SqliteStore,
    /// The lending core over the same store.
    pub app: App<SqliteStore>,
    /// How the decider is set up (challenger, salt): used again when a policy move reloads it.
    pub setup: Setup,
    /// Where decisions are recorded, in group commits.
    pub journal: journal::Journal,
    decider: RwLock<Option<Arc<Decider>>>,
}

/// Shared state of the handlers.
pub type Shared = Arc<Server>;

impl Server {
    /// A server over an open store; the decider is loaded from it (a failure is reported and leaves the server
    /// unready, answering 503 to applications, until a policy move reloads it).
    pub async fn new(store: SqliteStore, setup: Setup, durability: store::Durability) -> Result<Server, CliError> {
        let journal = journal::Journal::start(&store, durability)?;
        let server = Server { app: App::new(store.clone()), store, setup, journal, decider: RwLock::new(None) };
        server.reload().await;
        Ok(server)
    }

    /// Loads the decider again from the registers.
    pub async fn reload(&self) {
        let loaded = match crate::decide::decider(&self.store, &self.setup).await {
            Ok(d) => Some(Arc::new(d)),
            Err(e) => {
                eprintln!("serve: the decider is not loaded: {e}");
                None
            }
        };
        match self.decider.write() {
            Ok(mut slot) => *slot = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
    }

    /// The decider, or 503 when none is loaded.
    pub fn decider(&self) -> Result<Arc<Decider>, ApiError> {
        let slot = self.decider.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.clone().ok_or_else(|| {
            ApiError::whole(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "no decider is loaded: register a champion decision model and activate a policy",
            )
        })
    }
}

/// The router with every endpoint, the body limit and the timeout.
pub fn router(server: Shared) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi::document))
        .route("/docs", get(openapi::page))
        .route("/v1/applications", post(decisions::submit))
        .route("/v1/decisions/{id}", get(decisions::get_decision))
        .route("/v1/households/{id}/decisions", get(decisions::of_household))
        .route("/v1/decisions/{id}/review-requests", post(decisions::request_review))
        .route("/v1/decisions/{id}/disbursement", post(loans::disburse))
        .route("/v1/loans/{id}", get(loans::position))
        .route("/v1/loans/{id}/repayments", post(loans::repay))
        .route("/v1/policies", get(policies::list))
        .route("/v1/policies/{id}/moves", post(policies::move_policy))
        .route("/v1/policies/simulate", post(credit::simulate))
        .route("/v1/villages/{code}/roster", get(credit::roster))
        .route("/v1/officers", post(review::register))
        .route("/v1/review-queue", get(review::queue))
        .route("/v1/decisions/{id}/review", post(review::review))
        .fallback(not_found)
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(BODY_LIMIT_BYTES))
        // Outermost, so that it also sees the limit's and the timeout's own refusals.
        .layer(axum::middleware::map_response(json_errors))
        .with_state(server)
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
            ("body_too_large", format!("the body is larger than {BODY_LIMIT_BYTES} bytes"))
        }
        StatusCode::REQUEST_TIMEOUT => {
            ("timeout", format!("the request took longer than {}s", REQUEST_TIMEOUT.as_secs()))
        }
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this path does not take that method".to_owned()),
        StatusCode::NOT_FOUND => ("not_found", "no such endpoint".to_owned()),
        s if s.is_server_error() => ("internal", "the server could not complete the request".to_owned()),
        _ => ("bad_request", "the request could not be read".to_owned()),
    };
    ApiError::whole(status, code, message).into_response()
}

async fn not_found() -> ApiError {
    ApiError::not_found("not_found", "no such endpoint")
}

/// GET /health: the process is alive.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "Alive")))]
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// GET /ready: the store answers a query and the decider is loaded.
#[utoipa::path(get, path = "/ready", responses(
    (status = 200, description = "Ready"),
    (status = 503, description = "Not ready", body = error::ErrorBody)))]
pub async fn ready(
    axum::extract::State(server): axum::extract::State<Shared>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    server.store.policies(Some(crate::decide::POLICY_NAME)).await.map_err(|e| {
        eprintln!("serve: store not ready: {e}");
        ApiError::whole(StatusCode::SERVICE_UNAVAILABLE, "not_ready", "the store does not answer")
    })?;
    server.decider()?;
    Ok(axum::Json(serde_json::json!({"status": "ready"})))
}

/// Serve options from the command line.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    pub listen: String,
    /// Challenger policy version and share in percent.
    pub challenger: Option<(String, u32)>,
    /// Salt of the champion/challenger split.
    pub salt: String,
    /// Stop when standard input closes.
    pub stop_on_eof: bool,
    /// What an acknowledged decision survives.
    pub durability: store::Durability,
}

/// `agririsk serve`: opens the store, loads the decider and serves until Ctrl-C.
pub async fn serve_command(data_dir: &Path, args: ServeArgs) -> Result<(), CliError> {
    let addr: SocketAddr =
        args.listen.parse().map_err(|e| CliError::input("listen", format!("'{}': {e}", args.listen)))?;
    if let Some((_, percent)) = &args.challenger {
        if *percent > 100 {
            return Err(CliError::input("challenger-share", format!("{percent} is not a percentage (0–100)")));
        }
    }
    let setup = Setup { challenger: args.challenger.map(|(id, pct)| (id, pct * 100)), salt: args.salt };
    let stop_on_eof = args.stop_on_eof;
    let store = SqliteStore::open(data_dir).await?;
    let server = Arc::new(Server::new(store.clone(), setup, args.durability).await?);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::input("listen", format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().map_err(|e| CliError::Internal(e.into()))?;
    // The line tests and scripts wait for: the actual address (port 0 picks a free one).
    crate::emit(&format!("listening on http://{local}\n"))?;
    axum::serve(listener, router(server))
        .with_graceful_shutdown(async move {
            let eof = async {
                if stop_on_eof {
                    use tokio::io::AsyncReadExt;
                    let mut sink = [0u8; 256];
                    let mut stdin = tokio::io::stdin();
                    while stdin.read(&mut sink).await.is_ok_and(|n| n > 0) {}
                } else {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = eof => {}
            }
        })
        .await
        .map_err(|e| CliError::Internal(e.into()))?;
    store.close().await;
    Ok(())
}

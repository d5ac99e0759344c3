//! Who is calling, and may they: every route of the API is declared once in [`table`] with the [`Access`] it needs,
//! and the router is built from that table only, each route behind [`gate`]. So a route cannot be added without a
//! rule, and the route × role test matrix is generated from the same table.
//!
//! A caller proves who they are with an API key (`Authorization: Bearer agr_…`, checked against the key rows the
//! server keeps in memory and reloads when the identity register changes) or a session cookie from
//! `POST /v1/session` (looked up in the store; a request that changes something must also carry the session's CSRF
//! token in `x-csrf-token`). The authenticated [`Principal`] is put in the request's extensions for the handler:
//! identity never comes from a request body. A request without valid credentials is 401, a role or key without the
//! route's permission 403, a caller over its rate 429; each refusal is an audit entry.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use app::ErrorCode;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use identity::{Permission, Principal};
use store::{ApiKeyRow, IdentityStore};

use crate::error::ApiError;
use crate::throttle::retry_after_secs;
use crate::{
    Shared, alerts, approvals, credit, decisions, loans, monitoring, openapi, policies, portfolio, profiles, review,
    screening, session, telemetry,
};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "agririsk_session";
/// The header carrying a cookie session's CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The client's address, as the connection was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

impl Default for ClientAddr {
    fn default() -> ClientAddr {
        ClientAddr(IpAddr::V4(Ipv4Addr::LOCALHOST))
    }
}

/// As an extractor: the address the connection came from (loopback for a router driven without a connection, as in
/// tests).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        Ok(parts.extensions.get::<ClientAddr>().copied().unwrap_or_default())
    }
}

/// What a route needs from its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without credentials (health, readiness, the API's documentation, signing in).
    Public,
    /// Any authenticated caller (their own session).
    Signed,
    /// A caller whose role (and, for a key, its list) grants this permission.
    Needs(Permission),
}

/// One route: method, path, what it needs, and its handler.
pub struct Route {
    /// The method.
    pub method: Method,
    /// The path, in axum's syntax (`/v1/decisions/{id}`).
    pub path: &'static str,
    /// What it needs.
    pub access: Access,
    /// The handler.
    pub handler: MethodRouter<Shared>,
}

fn route(method: Method, path: &'static str, access: Access, handler: MethodRouter<Shared>) -> Route {
    Route { method, path, access, handler }
}

/// Every route of the server, with what it needs.
pub fn table() -> Vec<Route> {
    use Access::{Needs, Public, Signed};
    use Permission as P;
    use axum::routing::{delete, get, post};
    let (g, p, d) = (Method::GET, Method::POST, Method::DELETE);
    vec![
        route(g.clone(), "/health", Public, get(crate::health)),
        route(g.clone(), "/ready", Public, get(crate::ready)),
        route(g.clone(), "/openapi.json", Public, get(openapi::document)),
        route(g.clone(), "/docs", Public, get(openapi::page)),
        route(g.clone(), "/docs.css", Public, get(openapi::page_style)),
        route(g.clone(), "/docs.js", Public, get(openapi::page_script)),
        route(g.clone(), "/metrics", Needs(P::ReadMetrics), get(telemetry::metrics)),
        route(p.clone(), "/v1/session", Public, post(session::login)),
        route(d.clone(), "/v1/session", Signed, delete(session::logout)),
        route(g.clone(), "/v1/me", Signed, get(session::me)),
        route(p.clone(), "/v1/applications", Needs(P::SubmitApplication), post(decisions::submit)),
        route(g.clone(), "/v1/decisions/{id}", Needs(P::ReadDecisions), get(decisions::get_decision)),
        route(g.clone(), "/v1/households/{id}/decisions", Needs(P::ReadDecisions), get(decisions::of_household)),
        route(
            p.clone(),
            "/v1/decisions/{id}/review-requests",
            Needs(P::RequestReview),
            post(decisions::request_review),
        ),
        route(p.clone(), "/v1/decisions/{id}/disbursement", Needs(P::Disburse), post(loans::disburse)),
        route(g.clone(), "/v1/loans/{id}", Needs(P::ReadLoans), get(loans::position)),
        route(p.clone(), "/v1/loans/{id}/repayments", Needs(P::PostRepayments), post(loans::repay)),
        route(g.clone(), "/v1/policies", Needs(P::ReadPolicies), get(policies::list)),
        route(p.clone(), "/v1/policies/{id}/moves", Needs(P::MovePolicies), post(policies::move_policy)),
        route(p.clone(), "/v1/policies/simulate", Needs(P::SimulatePolicies), post(credit::simulate)),
        route(g.clone(), "/v1/villages/{code}/roster", Needs(P::ReadRosters), get(credit::roster)),
        route(p.clone(), "/v1/officers", Needs(P::ManageOfficers), post(review::register)),
        route(g.clone(), "/v1/review-queue", Needs(P::ReadReviewQueue), get(review::queue)),
        route(p.clone(), "/v1/decisions/{id}/review", Needs(P::ReviewDecisions), post(review::review)),
        route(p.clone(), "/v1/review-queue/claims", Needs(P::ReviewDecisions), post(review::claim)),
        route(d, "/v1/review-queue/claims/{decision_id}", Needs(P::ReviewDecisions), delete(review::release)),
        route(p.clone(), "/v1/screening", Needs(P::RecordScreening), post(screening::record)),
        route(g.clone(), "/v1/households/{id}/screening", Needs(P::ReadScreening), get(screening::of_household)),
        route(g.clone(), "/v1/households/{id}/profile", Needs(P::ReadProfiles), get(profiles::profile)),
        route(g.clone(), "/v1/alerts", Needs(P::ReadAlerts), get(alerts::board)),
        route(g.clone(), "/v1/alerts/{alert_id}", Needs(P::ReadAlerts), get(alerts::alert)),
        route(p.clone(), "/v1/alerts/{alert_id}/actions", Needs(P::ActOnAlerts), post(alerts::act)),
        route(g.clone(), "/v1/portfolio/report", Needs(P::ReadPortfolio), get(portfolio::report)),
        route(p.clone(), "/v1/portfolio/stress", Needs(P::ReadPortfolio), post(portfolio::stress)),
        route(p.clone(), monitoring::RUNS_PATH, Needs(P::RunMonitoring), post(monitoring::run)),
        // Dual control: deciding a proposal needs the permission its kind needs, checked by the handler.
        route(g, "/v1/approvals", Signed, get(approvals::list)),
        route(p.clone(), "/v1/approvals/{id}/confirm", Signed, post(approvals::confirm)),
        route(p.clone(), "/v1/approvals/{id}/reject", Signed, post(approvals::reject)),
        route(p, "/v1/officers/{id}/authority", Needs(P::ManageOfficers), post(approvals::propose_authority)),
    ]
}

/// The routes of [`table`] on one router, each behind [`gate`] with its access.
pub fn routes(server: &Shared) -> axum::Router<Shared> {
    let mut by_path: Vec<(&'static str, MethodRouter<Shared>)> = Vec::new();
    for r in table() {
        let gate_state = Gate { server: Arc::clone(server), access: r.access };
        let handler = r.handler.route_layer(axum::middleware::from_fn_with_state(gate_state, gate));
        match by_path.iter_mut().find(|(path, _)| *path == r.path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(handler),
            None => by_path.push((r.path, handler)),
        }
    }
    by_path.into_iter().fold(axum::Router::new(), |router, (path, handler)| router.route(path, handler))
}

/// The gate's state: the server and the route's access.
#[derive(Clone)]
pub struct Gate {
    server: Shared,
    access: Access,
}

/// Authenticates the caller, applies the rate limits and the route's access, and hands the [`Principal`] to the
/// handler; every refusal is audited.
pub async fn gate(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let server = &gate.server;
    let addr = request.extensions().get::<ClientAddr>().copied().unwrap_or_default();
    if gate.access == Access::Public {
        return next.run(request).await;
    }
    let principal = match authenticate(server, request.method(), request.headers()).await {
        Ok(principal) => principal,
        Err(refusal) => {
            // No valid credentials: the address's bucket, so a guesser is slowed whatever key or cookie it forges.
            if let Some(rate) = server.limits.per_address {
                let caller = format!("addr:{}", addr.0);
                if let Err(wait) = server.buckets.take(&caller, rate, Instant::now()) {
                    if server.buckets.first_refusal_in_a_while(&caller, Instant::now()) {
                        audit_refusal(server, "anonymous", addr, &Attempt::of(&request), ErrorCode::RateLimited).await;
                    }
                    return too_many(wait);
                }
            }
            audit_refusal(server, "anonymous", addr, &Attempt::of(&request), refusal.code).await;
            return refusal.into_response();
        }
    };
    if let Some(rate) = server.limits.per_caller {
        let caller = principal.actor.to_string();
        if let Err(wait) = server.buckets.take(&caller, rate, Instant::now()) {
            if server.buckets.first_refusal_in_a_while(&caller, Instant::now()) {
                audit_refusal(server, &caller, addr, &Attempt::of(&request), ErrorCode::RateLimited).await;
            }
            return too_many(wait);
        }
    }
    if let Access::Needs(permission) = gate.access {
        if !principal.may(permission) {
            let refusal =
                ApiError::whole(ErrorCode::Forbidden, format!("role {} does not grant {permission}", principal.role));
            audit_refusal(server, &principal.actor.to_string(), addr, &Attempt::of(&request), refusal.code).await;
            return refusal.into_response();
        }
    }
    request.extensions_mut().insert(principal);
    next.run(request).await
}

fn too_many(wait: Duration) -> Response {
    let secs = retry_after_secs(wait);
    let mut response =
        ApiError::whole(ErrorCode::RateLimited, format!("too many requests; try again in {secs} s")).into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// The caller's principal from its key or session cookie.
async fn authenticate(server: &Shared, method: &Method, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let unauthenticated = |why: &str| ApiError::whole(ErrorCode::Unauthenticated, why.to_owned());
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| unauthenticated("the Authorization header must be `Bearer <API key>`"))?;
        return server.keys.principal(token.trim(), &server.clock.now()).map_err(ApiError::from);
    }
    let Some(token) = session_cookie(headers) else {
        return Err(unauthenticated("sign in (POST /v1/session) or send an API key as `Authorization: Bearer`"));
    };
    let (principal, csrf) = app::identity::session_principal(&server.store, token, server.clock.now())
        .await
        .map_err(|e| ApiError::from(app::Error::from(e)))?;
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !identity::token::digest_matches(&csrf, sent) {
            return Err(ApiError::whole(
                ErrorCode::CsrfFailed,
                format!("a request that changes something must carry the session's token in `{CSRF_HEADER}`"),
            ));
        }
    }
    Ok(principal)
}

/// Who acts, for the audit trail: the principal, from the connection's address.
pub fn acting(principal: &Principal, addr: ClientAddr) -> store::Acting {
    store::Acting { actor: principal.actor.to_string(), origin: addr.0.to_string() }
}

/// The store acting as the principal: its writes are audited as theirs.
pub fn store_as(server: &Shared, principal: &Principal, addr: ClientAddr) -> store::Database {
    let acting = acting(principal, addr);
    server.store.acting(acting.actor, acting.origin)
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// A request as the audit trail names it (made only for a refusal, owning its text so no borrow of the request is
/// held across the audit write).
pub struct Attempt {
    /// The method.
    pub method: String,
    /// The path (at most 256 characters).
    pub path: String,
}

impl Attempt {
    /// The request's method and path.
    pub fn of(request: &Request) -> Attempt {
        Attempt { method: request.method().as_str().to_owned(), path: bounded(request.uri().path(), 256) }
    }
}

/// Appends an audit entry for a refused request; a failure to write it is logged, not answered (the refusal stands).
pub async fn audit_refusal(server: &Shared, actor: &str, addr: ClientAddr, request: &Attempt, code: ErrorCode) {
    let entry = audit::NewEntry {
        at: server.clock.now(),
        actor: actor.to_owned(),
        origin: addr.0.to_string(),
        action: "api.refused".to_owned(),
        target: request.path.clone(),
        outcome: code.as_str().to_owned(),
        before: None,
        after: None,
        detail: serde_json::json!({"method": request.method}).to_string(),
    };
    if let Err(e) = store::AuditLog::append_audit(&server.store, std::slice::from_ref(&entry)).await {
        tracing::error!(error = %e, "an audit entry for a refused request could not be written");
    }
}

fn bounded(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// The API keys in memory: rows by key id, reloaded when the identity register's version moves, and the keys' last
/// uses, written back in batches (a use is recorded to the second, not per request).
#[derive(Default)]
pub struct KeyCache {
    rows: RwLock<(i64, HashMap<String, ApiKeyRow>)>,
    uses: Mutex<HashMap<String, domain::Timestamp>>,
}

impl KeyCache {
    /// Loads every key row and the register's version.
    pub async fn load(&self, store: &impl IdentityStore) -> Result<(), store::StoreError> {
        let version = store.identity_version().await?;
        if self.rows.read().unwrap_or_else(std::sync::PoisonError::into_inner).0 == version {
            return Ok(());
        }
        let rows = store.api_keys().await?.into_iter().map(|row| (row.id.clone(), row)).collect();
        *self.rows.write().unwrap_or_else(std::sync::PoisonError::into_inner) = (version, rows);
        Ok(())
    }

    /// The principal of a presented key, checked against its row.
    pub fn principal(&self, token: &str, now: &domain::Timestamp) -> Result<Principal, app::Error> {
        let unknown = || app::Error::coded(ErrorCode::Unauthenticated, "authorization", "the API key is not valid");
        let (id, secret) = identity::token::ApiKeyToken::parse(token).ok_or_else(unknown)?;
        let principal = {
            let rows = self.rows.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            let row = rows.1.get(id.as_str()).ok_or_else(unknown)?;
            app::identity::key_principal(row, &secret, *now)?
        };
        self.uses.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(id.to_string(), *now);
        Ok(principal)
    }

    /// Writes the last uses gathered since the previous call.
    pub async fn flush_uses(&self, store: &impl IdentityStore) -> Result<(), store::StoreError> {
        let uses: Vec<(String, domain::Timestamp)> =
            std::mem::take(&mut *self.uses.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
                .into_iter()
                .collect();
        if uses.is_empty() {
            return Ok(());
        }
        store.touch_keys(&uses).await
    }
}

/// Keeps the key cache current: reloads it when the register's version moves and writes the keys' last uses, every
/// `every`, until the server stops.
pub fn watch_keys(server: &Shared, every: Duration) {
    let weak = Arc::downgrade(server);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let Some(server) = weak.upgrade() else { return };
            if let Err(e) = server.keys.load(&server.store).await {
                tracing::warn!(error = %e, "the API keys could not be reloaded");
            }
            if let Err(e) = server.keys.flush_uses(&server.store).await {
                tracing::warn!(error = %e, "the API keys' last uses could not be written");
            }
        }
    });
}

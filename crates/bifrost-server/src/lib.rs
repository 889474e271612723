//! Bifrost's HTTP server (`bifrost serve`): the REST API under `/api/v1`, its OpenAPI document,
//! token authentication, the event stream, webhooks, `/healthz` and Prometheus `/metrics`
//! (token-protected by default, see [`MetricsAccess`]).
//!
//! This is the only crate that knows HTTP on the server side. Handlers parse requests, call
//! the facade on a [`Repository`] scoped to the caller ([`Repository::for_user`]: their role,
//! their project membership, their departments) and render results; every rule lives in the
//! facade, so the API and the CLI cannot disagree.
//!
//! Invariants:
//! - Every error answer is `{"error": {"code", "message"}}` (see [`error`]); nothing a client
//!   sends produces a 5xx: malformed JSON, wrong types and unknown fields are 400s naming them.
//! - A project the caller is not a member of answers 404 like a missing one (no existence leak).
//! - Every request gets an id (`x-request-id`, echoed in the answer, logged, journaled).
//! - Shutdown is graceful: on the signal the server stops accepting, finishes in-flight
//!   requests, stops the webhook dispatcher, then returns.
//! - One client costs bounded resources ([`ServerLimits`]): request heads and bodies that come
//!   too slowly and idle connections are closed, connections are capped in all and per
//!   address, requests per address and per token are rate-limited (429 `rate_limited` with
//!   `Retry-After`), and bodies are capped per route (JSON small, chunk uploads large).

pub mod error;
pub mod extract;
pub mod limits;
mod listen;
mod metrics_layer;
mod rate;
mod routes;
pub mod webhooks;

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use bifrost::Repository;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use limits::{BadLimit, MAX_BODY, ServerLimits};

/// Who may read the Prometheus exposition at `/metrics` (`bifrost serve --metrics`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// A bearer token (`Authorization: Bearer bft_…`, what Prometheus's `authorization`
    /// setting sends) of a user whose role allows `audit` (`admin` allows it too): 401 without
    /// a valid token, 403 for any other role. The default.
    #[default]
    Token,
    /// Anyone who can reach the server, without a token.
    Public,
    /// Not served: `/metrics` answers 404 like any unknown path.
    Off,
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The repository with full access; handlers scope it to the caller.
    pub repo: Repository,
    pub(crate) metrics: PrometheusHandle,
    pub(crate) metrics_access: MetricsAccess,
    pub(crate) started: Instant,
    pub(crate) events: Arc<tokio::sync::Notify>,
    pub(crate) webhook_retry: webhooks::Retry,
    /// Turns true when shutdown begins: long-lived responses (event streams) end then, so
    /// that graceful shutdown does not wait for them forever.
    pub(crate) stopping: tokio::sync::watch::Receiver<bool>,
    stop: Arc<tokio::sync::watch::Sender<bool>>,
    /// What one client may cost.
    pub(crate) limits: ServerLimits,
    /// The request-rate limiters (made from `limits`).
    pub(crate) rate: Arc<rate::RateLimits>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// The process-wide Prometheus recorder (installed once, shared by every server in a process).
fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
                ])
                .expect("the bucket list is not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a host application's): then ours
            // still renders what it was given directly.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl AppState {
    /// State for a server over `repo` (opened with full access).
    pub fn new(repo: Repository) -> Self {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        AppState {
            repo,
            metrics: prometheus(),
            metrics_access: MetricsAccess::default(),
            started: Instant::now(),
            events: Arc::new(tokio::sync::Notify::new()),
            webhook_retry: webhooks::Retry::default(),
            stopping: stop_rx,
            stop: Arc::new(stop_tx),
            rate: Arc::new(rate::RateLimits::new(&ServerLimits::default())),
            limits: ServerLimits::default(),
        }
    }

    /// Changes the limits on clients (default: [`ServerLimits::default`]); refuses limits
    /// that cannot work.
    pub fn with_limits(mut self, limits: ServerLimits) -> Result<Self, BadLimit> {
        limits.validate()?;
        self.rate = Arc::new(rate::RateLimits::new(&limits));
        self.limits = limits;
        Ok(self)
    }

    /// Changes who may read `/metrics` (default: [`MetricsAccess::Token`]).
    pub fn with_metrics(mut self, access: MetricsAccess) -> Self {
        self.metrics_access = access;
        self
    }

    /// Changes how often and how soon failed webhook deliveries are retried.
    pub fn with_webhook_retry(mut self, retry: webhooks::Retry) -> Self {
        self.webhook_retry = retry;
        self
    }
}

/// The whole application: API routes, OpenAPI document, health and metrics, with request ids,
/// tracing, metrics and body limits.
pub fn app(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let (api, _) = routes::api().split_for_parts();
    let api = api
        .merge(routes::table(&state.limits))
        .route_layer(axum::middleware::from_fn(metrics_layer::record))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate::limit,
        ));
    let openapi = Arc::new(openapi());
    Router::new()
        .merge(routes::system(openapi))
        .nest("/api/v1", api)
        .fallback(|| async { error::ApiError::no_route() })
        .layer(DefaultBodyLimit::max(state.limits.json_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            wake_followers,
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri(), request_id = id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Wakes event-stream followers and the webhook dispatcher after a request that may have
/// changed something, so they do not wait for their next poll.
async fn wake_followers(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let changes = !matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let response = next.run(request).await;
    if changes && response.status().is_success() {
        state.events.notify_waiters();
    }
    response
}

/// The OpenAPI 3 document of the API (what `/api/v1/openapi.json` serves): the table's
/// operations and the streaming routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = bifrost::api::openapi::document();
    let streaming = routes::api().into_openapi();
    doc.security = streaming.security.clone();
    doc.merge(streaming);
    doc
}

/// Serves `repo` on `listener` until `shutdown` resolves, then finishes in-flight requests and
/// stops the webhook dispatcher. `/metrics` needs a token (see [`MetricsAccess`]); use
/// [`serve_state`] with [`AppState::with_metrics`] to change that.
pub async fn serve(
    repo: Repository,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_state(AppState::new(repo), listener, shutdown).await
}

/// [`serve`] with a prepared state.
pub async fn serve_state(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stop = state.stop.clone();
    let stopping = state.stopping.clone();
    let limits = state.limits.clone();
    let dispatcher = tokio::spawn(webhooks::run(state.clone(), state.stopping.clone()));
    let sweeper = tokio::spawn(rate::sweep(state.rate.clone(), state.stopping.clone()));
    let app = app(state);
    let signal = {
        let stop = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        })
    };
    let result = listen::run(listener, app, limits, stopping).await;
    let _ = stop.send(true);
    signal.abort();
    let _ = dispatcher.await;
    let _ = sweeper.await;
    result
}

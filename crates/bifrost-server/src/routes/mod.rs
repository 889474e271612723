//! The routes: `system` (health, metrics, the OpenAPI document) and `api` (everything under
//! `/api/v1`, each handler documented for OpenAPI where it is defined).

mod assets;
mod events;
mod table;
mod transfer;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use bifrost::core::access::Permission;
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;

use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::{AppState, MetricsAccess};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bifrost API",
        description = "Assets, versions, shots, tasks, search, content transfer, users, audit and events of a Bifrost repository. Authenticate with `Authorization: Bearer bft_…` (POST /api/v1/auth/login, or a token made on the server). Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The operations of the table (`bifrost-api`), served generically.
pub(crate) fn table(limits: &crate::ServerLimits) -> Router<AppState> {
    table::routes(limits)
}

/// Everything under `/api/v1` that is not in the table: downloads, uploads, event streams.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(assets::routes())
        .merge(events::routes())
        .merge(transfer::routes())
}

/// `/healthz`, `/metrics` and `/api/v1/openapi.json`.
pub(crate) fn system(openapi: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let doc = openapi.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
}

/// What `/healthz` answers.
#[derive(Debug, Serialize, ToSchema)]
struct Health {
    status: &'static str,
    catalog: &'static str,
    uptime_seconds: u64,
    version: &'static str,
}

/// Liveness and readiness: 200 when the catalog answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let catalog_ok = state.repo.last_event_id().await.is_ok();
    let body = Health {
        status: if catalog_ok { "ok" } else { "degraded" },
        catalog: state.repo.catalog_backend(),
        uptime_seconds: state.started.elapsed().as_secs(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let status = if catalog_ok {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus text exposition of request counts and latencies. Who may read it is the
/// server's [`MetricsAccess`]: by default a token whose user's role allows `audit`.
async fn metrics(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> ApiResult<impl IntoResponse> {
    match state.metrics_access {
        MetricsAccess::Off => return Err(ApiError::no_route()),
        MetricsAccess::Public => {}
        MetricsAccess::Token => {
            let (mut parts, _) = request.into_parts();
            let caller = Caller::from_request_parts(&mut parts, &state).await?;
            if !caller.who.role.allows(Permission::Audit) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!(
                        "{} may not read /metrics: role `{}` does not allow `audit`; use a \
                         token of a user whose role does (an admin's, or a role made to \
                         allow `audit`), or serve them publicly (`--metrics public`)",
                        caller.who.user.name, caller.who.role.name
                    ),
                ));
            }
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    ))
}

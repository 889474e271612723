//! Every operation of the table (`bifrost-api`) served by one generic handler: the route and
//! method come from the operation's spec, the request is decoded by the table's wire rule, the
//! caller's repository executes it, and the answer carries the spec's success status. No
//! operation is wired here by hand.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use bifrost::Execute;
use bifrost::api::{Carrier, ErrorCode, Method, wire};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{
    Caller, json_content_type, nul_in_json, refuse_nul, refuse_nul_in_uri, too_large,
    unsupported_media_type,
};
use crate::limits::ServerLimits;

/// The router of every table operation (paths relative to `/api/v1`), each with its body
/// limit: the publish manifest and chunk list may be large, every other JSON body is small.
pub(crate) fn routes(limits: &ServerLimits) -> Router<AppState> {
    let mut router = Router::new();
    macro_rules! add {
        ($($name:ident),*) => {
            $( router = add::<bifrost::api::ops::$name>(router, limits); )*
        };
    }
    bifrost::api::for_each_operation!(add);
    router
}

/// The operations whose bodies list a publish's chunks or files.
const MANIFEST_OPERATIONS: [&str; 2] = ["MissingChunks", "CommitVersion"];

fn add<O: Execute>(router: Router<AppState>, limits: &ServerLimits) -> Router<AppState> {
    let handler = handle::<O>;
    let method: MethodRouter<AppState> = match O::SPEC.method {
        Method::Get => get(handler),
        Method::Post => post(handler),
        Method::Put => put(handler),
        Method::Patch => patch(handler),
        Method::Delete => delete(handler),
    };
    let body_limit = if MANIFEST_OPERATIONS.contains(&O::SPEC.name) {
        limits.manifest_body_bytes
    } else {
        limits.json_body_bytes
    };
    router.route(
        O::SPEC.path,
        method.layer(DefaultBodyLimit::max(body_limit)),
    )
}

async fn handle<O: Execute>(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    refuse_nul_in_uri(&mut parts)?;
    let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(&mut parts, &state)
        .await
        .map_err(|e| ApiError::of(ErrorCode::BadPath, e.body_text()))?;
    if let Some((name, _)) = params.iter().find(|(_, value)| value.contains('\0')) {
        return Err(refuse_nul(&format!("the path parameter `{name}`")));
    }
    let project = O::SPEC
        .in_project()
        .then(|| params.iter().find(|(name, _)| name == "project"))
        .flatten()
        .map(|(_, value)| value.clone());
    let repo = if O::SPEC.name == "Login" {
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        state.repo.clone().acting_as(bifrost::Actor {
            user: String::new(),
            origin,
            request_id: crate::extract::request_id(&parts),
        })
    } else if let Some(project) = project.as_deref() {
        // Token and project standing in one statement.
        crate::extract::in_project(&mut parts, &state, project).await?
    } else {
        let caller = Caller::from_request_parts(&mut parts, &state).await?;
        state.repo.for_user(&caller.who, caller.actor, None).await?
    };
    let query = parts.uri.query().map(str::to_owned);
    let bytes = match O::SPEC.carrier {
        Carrier::Query => Bytes::new(),
        Carrier::Body => {
            let request = axum::extract::Request::from_parts(parts, body);
            let has_body = request
                .headers()
                .get(axum::http::header::CONTENT_LENGTH)
                .is_none_or(|len| len != "0");
            if has_body && !json_content_type(request.headers()) {
                return Err(unsupported_media_type());
            }
            let bytes = Bytes::from_request(request, &state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => too_large(),
                    _ => ApiError::of(ErrorCode::BadBody, rejection.body_text()),
                })?;
            // JSON can only carry U+0000 escaped; look closer only when the escape is there.
            if bytes.windows(6).any(|w| w == b"\\u0000")
                && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
                && let Some(at) = nul_in_json(&value, String::new())
            {
                return Err(refuse_nul(&format!("the JSON body at `{at}`")));
            }
            bytes
        }
    };
    let op: O = wire::decode(&params, query.as_deref(), &bytes).map_err(ApiError::from)?;
    let answer = repo.call(op).await?;
    let status = StatusCode::from_u16(O::SPEC.success).unwrap_or(StatusCode::OK);
    Ok((status, Json(answer)).into_response())
}

//! Request extractors: who is calling (token → user), the repository scoped to them and to the
//! project in the path, and JSON bodies and query strings whose errors are JSON error bodies
//! naming the offending field.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use bifrost::Actor;
use bifrost::{Repository, SignedIn};
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::error::ApiError;

/// The signed-in caller. Extracted once per request: later extractions (a handler taking
/// both `Caller` and `InProject`) reuse it from the request's extensions.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Their user record and global role.
    pub who: SignedIn,
    /// How the journal records them.
    pub actor: Actor,
}

/// The request id the server gave this request (`x-request-id`).
pub(crate) fn request_id(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let who = state
            .repo
            .authenticate(token)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        let origin = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
        let actor = Actor {
            user: who.user.name.clone(),
            origin,
            request_id: request_id(parts),
        };
        let caller = Caller { who, actor };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// The repository acting for the caller, on no project (global operations).
pub struct Global(pub Repository);

impl FromRequestParts<AppState> for Global {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Global(
            state.repo.for_user(&caller.who, caller.actor, None).await?,
        ))
    }
}

/// The repository acting for the caller on the project named by the `{project}` path segment.
/// A project the caller is not a member of answers 404, exactly like one that does not exist.
pub struct InProject(pub Repository);

impl FromRequestParts<AppState> for InProject {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let project = params
            .get("project")
            .ok_or_else(|| ApiError::bad_request("the route names no project"))?;
        Ok(InProject(
            state
                .repo
                .for_user(&caller.who, caller.actor, Some(project))
                .await?,
        ))
    }
}

/// A JSON body; malformed JSON, wrong types and missing fields answer 400 naming the field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let text = rejection.body_text();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            status,
            "too_large",
            "the request body is too large; send less per request",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::new(
            status,
            "unsupported_media_type",
            "send the body as JSON with `Content-Type: application/json`",
        ),
        _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_json", text),
    }
}

/// A query string; wrong types answer 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", rejection.body_text())
}

/// Path parameters; a value of the wrong type (`/webhooks/abc`) answers 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                rejection.body_text(),
            )),
        }
    }
}

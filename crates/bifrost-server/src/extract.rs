//! Request extractors: who is calling (token → user), the repository scoped to them and to the
//! project in the path, and JSON bodies and query strings whose errors are JSON error bodies
//! naming the offending field. Text holding U+0000 (NUL) is refused here, in paths, query
//! strings and JSON bodies alike: PostgreSQL cannot store it.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use bifrost::Actor;
use bifrost::{Repository, SignedIn};
use bifrost_api::ErrorCode;
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
        Ok(Caller::keep(parts, who))
    }
}

impl Caller {
    /// The caller `who`, kept in the request's extensions for later extractions.
    fn keep(parts: &mut Parts, who: SignedIn) -> Caller {
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
        caller
    }
}

/// The repository acting for the caller on `project`. A caller not yet known is authenticated
/// together with their standing in the project, in one catalog statement
/// ([`Repository::authenticate_in`]), and kept as [`Caller`] like any other; a known one costs
/// [`Repository::for_user`]'s one lookup. A project the caller is not a member of is
/// `ProjectNotFound` (404), exactly like one that does not exist.
pub(crate) async fn in_project(
    parts: &mut Parts,
    state: &AppState,
    project: &str,
) -> Result<Repository, ApiError> {
    if parts.extensions.get::<Caller>().is_some() {
        let caller = Caller::from_request_parts(parts, state).await?;
        return Ok(state
            .repo
            .for_user(&caller.who, caller.actor, Some(project))
            .await?);
    }
    let token = bearer(parts).ok_or_else(ApiError::unauthorized)?;
    let signed = state
        .repo
        .authenticate_in(token, project)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let caller = Caller::keep(parts, signed.who.clone());
    Ok(state.repo.for_signed_in(signed, caller.actor)?)
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
        // Without a token nothing else is looked at (401 before any 400).
        if parts.extensions.get::<Caller>().is_none() && bearer(parts).is_none() {
            return Err(ApiError::unauthorized());
        }
        refuse_nul_in_uri(parts)?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let project = params
            .get("project")
            .ok_or_else(|| ApiError::bad_request("the route names no project"))?;
        Ok(InProject(in_project(parts, state, project).await?))
    }
}

/// A JSON body; malformed JSON, wrong types and missing fields answer 400 naming the field,
/// and so does a string holding U+0000 (see [`refuse_nul`]).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(unsupported_media_type());
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => too_large(),
                // Otherwise the body broke off or could not be read (axum: 400).
                _ => ApiError::of(ErrorCode::BadBody, rejection.body_text()),
            }
        })?;
        // JSON can only carry U+0000 escaped; look closer only when the escape is there.
        if body.windows(6).any(|w| w == b"\\u0000")
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body)
            && let Some(at) = nul_in_json(&value, String::new())
        {
            return Err(refuse_nul(&format!("the JSON body at `{at}`")));
        }
        match axum::Json::<T>::from_bytes(&body) {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/…+json`),
/// as `axum::Json` requires.
pub(crate) fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Where in `value` a string or key holds U+0000, as a dotted path (`metadata.a[2]`).
pub(crate) fn nul_in_json(value: &serde_json::Value, at: String) -> Option<String> {
    use serde_json::Value;
    let here = |at: String| if at.is_empty() { "/".to_owned() } else { at };
    match value {
        Value::String(text) if text.contains('\0') => Some(here(at)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_in_json(item, format!("{at}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            let path = if at.is_empty() {
                key.escape_debug().to_string()
            } else {
                format!("{at}.{}", key.escape_debug())
            };
            if key.contains('\0') {
                Some(path)
            } else {
                nul_in_json(item, path)
            }
        }),
        _ => None,
    }
}

/// 400 for text holding U+0000 (NUL). PostgreSQL cannot store it in text or JSON, so it is
/// refused before any handler runs, on every catalog alike: the API answers the same whatever
/// the backend, and never with a database error.
pub(crate) fn refuse_nul(what: &str) -> ApiError {
    ApiError::of(
        ErrorCode::NulCharacter,
        format!(
            "{what} contains the NUL character (U+0000), which no name or text may hold; remove it"
        ),
    )
}

/// Marks a request whose URI [`refuse_nul_in_uri`] has passed, so that the several extractors
/// of one handler scan it once.
#[derive(Clone, Copy)]
struct UriChecked;

/// Refuses a request whose path or query string holds an encoded U+0000 (`%00`).
pub(crate) fn refuse_nul_in_uri(parts: &mut Parts) -> Result<(), ApiError> {
    if parts.extensions.get::<UriChecked>().is_some() {
        return Ok(());
    }
    if let Some(segment) = parts.uri.path().split('/').find(|s| s.contains("%00")) {
        return Err(refuse_nul(&format!("the path segment `{segment}`")));
    }
    if let Some(pair) = parts
        .uri
        .query()
        .and_then(|q| q.split('&').find(|pair| pair.contains("%00")))
    {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        return Err(refuse_nul(&format!("the query parameter `{name}`")));
    }
    parts.extensions.insert(UriChecked);
    Ok(())
}

pub(crate) fn too_large() -> ApiError {
    ApiError::of(
        ErrorCode::TooLarge,
        "the request body is too large; send less per request",
    )
}

pub(crate) fn unsupported_media_type() -> ApiError {
    ApiError::of(
        ErrorCode::UnsupportedMediaType,
        "send the body as JSON with `Content-Type: application/json`",
    )
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let text = rejection.body_text();
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => unsupported_media_type(),
        _ => ApiError::of(ErrorCode::BadJson, text),
    }
}

/// A query string; wrong types answer 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        refuse_nul_in_uri(parts)?;
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> ApiError {
    ApiError::of(ErrorCode::BadQuery, rejection.body_text())
}

/// Path parameters; a value of the wrong type (`/webhooks/abc`) answers 400.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        refuse_nul_in_uri(parts)?;
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(rejection) => Err(ApiError::of(ErrorCode::BadPath, rejection.body_text())),
        }
    }
}

//! Every failure leaves the server as `{"error": {"code", "message"}}` with a fitting status:
//! facade and catalog errors are mapped here, in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bifrost::{CatalogError, Error, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code (`asset_not_found`, `forbidden`…).
    pub code: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and message of an error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: String,
    /// What went wrong and what to do.
    pub message: String,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no usable credentials.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API token is required: send `Authorization: Bearer bft_…` (create one with `bifrost token create` or `bifrost login`)",
        )
    }

    /// 404 for a route that does not exist.
    pub fn no_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "no_route",
            "no such endpoint; see /api/v1/openapi.json",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let (status, code) = match &e {
            Error::Catalog(c) => catalog_status(c),
            Error::Store(s) => store_status(s),
            Error::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            Error::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            Error::WeakPassword => (StatusCode::BAD_REQUEST, "weak_password"),
            Error::BadUrl { .. } => (StatusCode::BAD_REQUEST, "bad_url"),
            Error::BadDuration(_) | Error::DurationOutOfRange { .. } => {
                (StatusCode::BAD_REQUEST, "bad_duration")
            }
            Error::PathCollision { .. } | Error::BadInputName { .. } => {
                (StatusCode::BAD_REQUEST, "bad_path")
            }
            Error::ContentMismatch { .. } => (StatusCode::BAD_REQUEST, "content_mismatch"),
            Error::NotUploaded { .. } => (StatusCode::CONFLICT, "content_not_uploaded"),
            Error::NothingToPublish => (StatusCode::BAD_REQUEST, "nothing_to_publish"),
            Error::GcRace => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Error::Query(_) => (StatusCode::BAD_REQUEST, "bad_query"),
            Error::TooMany { .. } => (StatusCode::BAD_REQUEST, "bad_request"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError {
            status,
            code,
            message,
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        Error::from(e).into()
    }
}

fn store_status(e: &StoreError) -> (StatusCode, &'static str) {
    match e {
        StoreError::ChunkMismatch { .. } => (StatusCode::BAD_REQUEST, "chunk_mismatch"),
        StoreError::ChunkTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "chunk_too_large"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "store"),
    }
}

fn catalog_status(e: &CatalogError) -> (StatusCode, &'static str) {
    use CatalogError::*;
    use StatusCode as S;
    match e {
        ProjectNotFound { .. } => (S::NOT_FOUND, "project_not_found"),
        AssetNotFound { .. } => (S::NOT_FOUND, "asset_not_found"),
        VersionNotFound { .. } | NoVersions { .. } => (S::NOT_FOUND, "version_not_found"),
        SequenceNotFound { .. } => (S::NOT_FOUND, "sequence_not_found"),
        ShotNotFound { .. } => (S::NOT_FOUND, "shot_not_found"),
        TaskNotFound { .. } => (S::NOT_FOUND, "task_not_found"),
        LinkNotFound { .. } => (S::NOT_FOUND, "link_not_found"),
        TransitionNotFound { .. } => (S::NOT_FOUND, "transition_not_found"),
        SavedSearchNotFound { .. } => (S::NOT_FOUND, "saved_search_not_found"),
        CollectionNotFound { .. } => (S::NOT_FOUND, "collection_not_found"),
        UserNotFound { .. } => (S::NOT_FOUND, "user_not_found"),
        TokenNotFound { .. } => (S::NOT_FOUND, "token_not_found"),
        MemberNotFound { .. } => (S::NOT_FOUND, "member_not_found"),
        WebhookNotFound { .. } => (S::NOT_FOUND, "webhook_not_found"),
        UnknownContent { .. } => (S::NOT_FOUND, "content_not_found"),
        ProjectExists { .. }
        | AssetExists { .. }
        | SequenceExists { .. }
        | ShotExists { .. }
        | StatusExists { .. }
        | TransitionExists { .. }
        | DepartmentExists { .. }
        | TaskExists { .. }
        | LinkExists { .. }
        | CollectionExists { .. }
        | UserExists { .. } => (S::CONFLICT, "exists"),
        AssetLocked { .. } => (S::CONFLICT, "locked"),
        NotLatestVersion { .. } => (S::CONFLICT, "not_latest_version"),
        LockNotHeld { .. } => (S::CONFLICT, "lock_not_held"),
        IllegalTransition { .. } => (S::CONFLICT, "illegal_transition"),
        LinkCycle { .. } => (S::CONFLICT, "link_cycle"),
        HasDependants { .. } | ShotHasDependants { .. } | SequenceHasShots { .. } => {
            (S::CONFLICT, "has_dependants")
        }
        StatusInUse { .. } | DepartmentInUse { .. } => (S::CONFLICT, "in_use"),
        MissingChunks { .. } => (S::CONFLICT, "missing_chunks"),
        LeaseLost { .. } => (S::CONFLICT, "lease_lost"),
        CatalogBehind { .. } => (S::SERVICE_UNAVAILABLE, "catalog_behind"),
        InvalidName(_)
        | InvalidProductionName(_)
        | InvalidPath { .. }
        | InvalidValue { .. }
        | InvalidFrameRange { .. }
        | InvalidFps { .. }
        | UnknownStatus { .. }
        | DepartmentNotFound { .. }
        | RoleNotFound { .. }
        | SelfLink { .. }
        | InvalidPin { .. }
        | InvalidQuery { .. }
        | InvalidBatch { .. }
        | OutOfRange { .. } => (S::BAD_REQUEST, "invalid"),
        Busy { .. } => (S::SERVICE_UNAVAILABLE, "busy"),
        _ => (S::INTERNAL_SERVER_ERROR, "catalog"),
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

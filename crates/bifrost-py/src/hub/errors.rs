//! Errors of the hub as the exceptions of `bifrost/errors.py`.
//!
//! Every failure becomes a [`Failure`]: the stable code, its [`ErrorKind`], whether retrying
//! may help and the message. The exception class is chosen from the kind by an exhaustive
//! `match` ([`class_name`]), so a new kind cannot fall through to a generic exception.
//! Fields that do not fit an operation (found before any I/O, by the table's decoder) are
//! `TypeError`s or `ValueError`s naming the field ([`bad_fields`]).

use bifrost_api::{ApiError, ErrorCode, ErrorKind};
use bifrost_client::ClientError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyModule};

/// What went wrong, in the terms every front end shares.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The stable code (`asset_not_found`, `locked`, `busy`…).
    pub(crate) code: String,
    /// What a caller can do about it.
    pub(crate) kind: ErrorKind,
    /// Whether the same call may succeed later.
    pub(crate) retryable: bool,
    /// What went wrong.
    pub(crate) message: String,
}

impl Failure {
    fn new(code: &str, kind: ErrorKind, retryable: bool, message: String) -> Self {
        Failure {
            code: code.to_owned(),
            kind,
            retryable,
            message,
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure {
            code: e.code.as_str().to_owned(),
            kind: e.code.kind(),
            retryable: e.retryable(),
            message: e.message,
        }
    }
}

// -- INTERIM mapping ------------------------------------------------------------------------
// Until `impl From<bifrost::Error> for bifrost_api::ApiError` (an exhaustive `Error::code()`)
// and the code parsing of `ClientError` land in the facade and the client, the two functions
// below choose the code. Then both become one line each:
//     local_failure(e)  => Failure::from(bifrost_api::ApiError::from(e))
//     remote_failure(e) => Failure::from(bifrost_api::ApiError::from(e))
// and `code_kind` goes (`ErrorCode::from_wire(code).kind()`). The codes below are the ones the
// server sends today and the shared table keeps, so Python sees the same `.code` after the
// switch.

/// The kind of a code a server sent; codes this build does not know go by HTTP status.
fn code_kind(code: &str, status: u16) -> ErrorKind {
    if let Ok(known) = serde_json::from_value::<ErrorCode>(serde_json::Value::from(code)) {
        return known.kind();
    }
    match code {
        "locked" => ErrorKind::Locked,
        "exists"
        | "not_latest_version"
        | "lock_not_held"
        | "illegal_transition"
        | "link_cycle"
        | "has_dependants"
        | "in_use"
        | "missing_chunks"
        | "lease_lost"
        | "content_not_uploaded" => ErrorKind::Conflict,
        "invalid" | "bad_duration" | "bad_url" | "weak_password" | "nothing_to_publish"
        | "content_mismatch" | "chunk_mismatch" | "bad_body" | "bad_upload" | "bad_range" => {
            ErrorKind::Invalid
        }
        "too_large" | "chunk_too_large" => ErrorKind::TooLarge,
        "bad_credentials" | "unauthorized" => ErrorKind::Unauthenticated,
        "catalog_behind" | "unreachable" => ErrorKind::Unavailable,
        "catalog" | "store" => ErrorKind::Internal,
        c if c.ends_with("_not_found") || c == "no_route" => ErrorKind::NotFound,
        _ => match status {
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            413 => ErrorKind::TooLarge,
            423 => ErrorKind::Locked,
            502..=504 => ErrorKind::Unavailable,
            400..=499 => ErrorKind::Invalid,
            _ => ErrorKind::Internal,
        },
    }
}

/// The code a local repository's error has (INTERIM: see above; mirrors the server's map).
pub(crate) fn local_failure(e: bifrost::Error) -> Failure {
    use bifrost::{CatalogError as C, Error as E, StoreError as S};
    let code = match &e {
        E::Catalog(c) => match c {
            C::ProjectNotFound { .. } => "project_not_found",
            C::AssetNotFound { .. } => "asset_not_found",
            C::VersionNotFound { .. } | C::NoVersions { .. } => "version_not_found",
            C::SequenceNotFound { .. } => "sequence_not_found",
            C::ShotNotFound { .. } => "shot_not_found",
            C::TaskNotFound { .. } => "task_not_found",
            C::LinkNotFound { .. } => "link_not_found",
            C::TransitionNotFound { .. } => "transition_not_found",
            C::SavedSearchNotFound { .. } => "saved_search_not_found",
            C::CollectionNotFound { .. } => "collection_not_found",
            C::UserNotFound { .. } => "user_not_found",
            C::TokenNotFound { .. } => "token_not_found",
            C::MemberNotFound { .. } => "member_not_found",
            C::WebhookNotFound { .. } => "webhook_not_found",
            C::UnknownContent { .. } => "content_not_found",
            C::ProjectExists { .. }
            | C::AssetExists { .. }
            | C::SequenceExists { .. }
            | C::ShotExists { .. }
            | C::StatusExists { .. }
            | C::TransitionExists { .. }
            | C::DepartmentExists { .. }
            | C::TaskExists { .. }
            | C::LinkExists { .. }
            | C::CollectionExists { .. }
            | C::UserExists { .. } => "exists",
            C::AssetLocked { .. } => "locked",
            C::NotLatestVersion { .. } => "not_latest_version",
            C::LockNotHeld { .. } => "lock_not_held",
            C::IllegalTransition { .. } => "illegal_transition",
            C::LinkCycle { .. } => "link_cycle",
            C::HasDependants { .. } | C::ShotHasDependants { .. } | C::SequenceHasShots { .. } => {
                "has_dependants"
            }
            C::StatusInUse { .. } | C::DepartmentInUse { .. } => "in_use",
            C::MissingChunks { .. } => "missing_chunks",
            C::LeaseLost { .. } => "lease_lost",
            C::CatalogBehind { .. } => "catalog_behind",
            C::InvalidName(_)
            | C::InvalidProductionName(_)
            | C::InvalidPath { .. }
            | C::InvalidValue { .. }
            | C::InvalidFrameRange { .. }
            | C::InvalidFps { .. }
            | C::UnknownStatus { .. }
            | C::DepartmentNotFound { .. }
            | C::RoleNotFound { .. }
            | C::SelfLink { .. }
            | C::InvalidPin { .. }
            | C::InvalidQuery { .. }
            | C::InvalidBatch { .. }
            | C::OutOfRange { .. } => "invalid",
            C::Busy { .. } => "busy",
            _ => "catalog",
        },
        E::Store(s) => match s {
            S::ChunkMismatch { .. } => "chunk_mismatch",
            S::ChunkTooLarge { .. } => "chunk_too_large",
            _ => "store",
        },
        E::NotARepository { .. } => "not_found",
        E::AlreadyInitialized { .. } | E::DestinationExists { .. } => "exists",
        E::Input { source, .. }
            if matches!(
                source.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            "bad_path"
        }
        E::PathCollision { .. } | E::BadInputName { .. } => "bad_path",
        E::NothingToPublish => "nothing_to_publish",
        E::BadDuration(_) | E::DurationOutOfRange { .. } | E::GraceTooShort { .. } => {
            "bad_duration"
        }
        E::Forbidden { .. } => "forbidden",
        E::BadCredentials => "bad_credentials",
        E::WeakPassword => "weak_password",
        E::BadUrl { .. } => "bad_url",
        E::NotUploaded { .. } => "content_not_uploaded",
        E::ContentMismatch { .. } => "content_mismatch",
        E::GcRace => "busy",
        E::Query(_) => "bad_query",
        E::Package { .. } | E::Workspace { .. } | E::Rules { .. } => "invalid",
        _ => "internal",
    };
    let kind = code_kind(code, 500);
    Failure::new(code, kind, matches!(code, "busy"), e.to_string())
}

/// The code of a client's error (INTERIM: see above).
pub(crate) fn remote_failure(e: ClientError) -> Failure {
    match e {
        ClientError::Api {
            status,
            code,
            message,
            retryable,
        } => {
            let kind = code_kind(&code, status);
            Failure::new(&code, kind, retryable, message)
        }
        ClientError::Local(e) => {
            use bifrost_files::FilesError as F;
            let code = match &e {
                F::Input { source, .. }
                    if matches!(
                        source.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) =>
                {
                    "bad_path"
                }
                F::PathCollision { .. } | F::BadInputName { .. } | F::UnsafePath { .. } => {
                    "bad_path"
                }
                F::NothingToPublish => "nothing_to_publish",
                F::DestinationExists { .. } => "exists",
                F::Input { .. } | F::Output { .. } => "internal",
            };
            Failure::new(code, code_kind(code, 500), false, e.to_string())
        }
        ClientError::Unreachable { .. } => {
            Failure::new("unreachable", ErrorKind::Unavailable, true, e.to_string())
        }
        ClientError::BadUrl { .. } => {
            Failure::new("bad_url", ErrorKind::Invalid, false, e.to_string())
        }
        ClientError::NotLoggedIn { .. } | ClientError::NoRemote => Failure::new(
            "unauthorized",
            ErrorKind::Unauthenticated,
            false,
            e.to_string(),
        ),
        ClientError::BadRequest { .. } | ClientError::LocalOnly(_) => {
            Failure::new("bad_request", ErrorKind::Invalid, false, e.to_string())
        }
        ClientError::ChangedDuringPublish { .. } => {
            Failure::new("content_mismatch", ErrorKind::Invalid, false, e.to_string())
        }
        ClientError::BadAnswer { .. }
        | ClientError::Credentials { .. }
        | ClientError::Io { .. }
        | ClientError::Corrupt { .. } => {
            Failure::new("internal", ErrorKind::Internal, false, e.to_string())
        }
    }
}
// -- end of the INTERIM mapping --------------------------------------------------------------

/// The exception class of `bifrost.errors` for a kind: an exhaustive match, no catch-all.
pub(crate) fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::Invalid => "InvalidRequest",
        ErrorKind::Unauthenticated => "AuthError",
        ErrorKind::Forbidden => "PermissionDenied",
        ErrorKind::NotFound => "NotFound",
        ErrorKind::Conflict => "Conflict",
        ErrorKind::Locked => "LockedError",
        ErrorKind::TooLarge => "TooLarge",
        ErrorKind::Unavailable => "Unavailable",
        ErrorKind::Internal => "InternalError",
    }
}

/// The kind's name as `bifrost.errors` spells it (`not_found`).
fn kind_name(kind: ErrorKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

fn errors_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    Ok(ERRORS
        .get_or_try_init(py, || Ok::<_, PyErr>(py.import("bifrost.errors")?.unbind()))?
        .bind(py))
}

/// Builds `cls(message, code=…, kind=…, retryable=…, **extra)` of `bifrost.errors`.
fn raise(
    py: Python<'_>,
    class: &str,
    message: &str,
    code: &str,
    kind: ErrorKind,
    retryable: bool,
    field: Option<&str>,
) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let cls = errors_module(py)?.getattr(class)?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", code)?;
        kwargs.set_item("kind", kind_name(kind))?;
        kwargs.set_item("retryable", retryable)?;
        if let Some(field) = field {
            kwargs.set_item("field", field)?;
        }
        Ok(PyErr::from_value(cls.call((message,), Some(&kwargs))?))
    })();
    made.unwrap_or_else(|lookup| lookup)
}

/// The exception for a failure.
pub(crate) fn to_py(py: Python<'_>, f: Failure) -> PyErr {
    raise(
        py,
        class_name(f.kind),
        &f.message,
        &f.code,
        f.kind,
        f.retryable,
        None,
    )
}

/// Fields that do not fit an operation (the table's decoder names the field): a wrong type,
/// a missing or unknown field is a `FieldTypeError` (a `TypeError`), a value that cannot be
/// read (an unknown status, `v0`) or an unknown operation an `InvalidRequest` (a
/// `ValueError`).
pub(crate) fn bad_fields(py: Python<'_>, e: ApiError) -> PyErr {
    let message = e.message;
    let field = named_field(&message);
    let type_error = [
        "invalid type",
        "unknown field",
        "missing field",
        "invalid length",
    ]
    .iter()
    .any(|what| message.contains(what));
    let class = if type_error {
        "FieldTypeError"
    } else {
        "InvalidRequest"
    };
    raise(
        py,
        class,
        &message,
        e.code.as_str(),
        ErrorKind::Invalid,
        false,
        field.as_deref(),
    )
}

/// The field a decoder message names: `create_asset: `name`: invalid type…` → `name`;
/// `unknown field `nam`, expected …` → `nam`; `missing field `name`` → `name`.
fn named_field(message: &str) -> Option<String> {
    let rest = message.split_once(": ").map_or(message, |(_, rest)| rest);
    for marker in ["unknown field `", "missing field `"] {
        if let Some((_, after)) = rest.split_once(marker) {
            return after.split_once('`').map(|(name, _)| name.to_owned());
        }
    }
    let name = rest.strip_prefix('`')?.split_once('`')?.0;
    (!name.is_empty() && name != ".").then(|| name.to_owned())
}

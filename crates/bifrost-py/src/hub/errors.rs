//! Errors of the hub as the exceptions of `bifrost/errors.py`.
//!
//! Every failure becomes a [`Failure`]: the stable code, its [`ErrorKind`], whether retrying
//! may help and the message. The exception class is chosen from the kind by an exhaustive
//! `match` ([`class_name`]), so a new kind cannot fall through to a generic exception.
//! Fields that do not fit an operation (found before any I/O, by the table's decoder) are
//! `TypeError`s or `ValueError`s naming the field ([`bad_fields`]).

use bifrost_api::{ApiError, ErrorKind};
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

/// The failure of a local repository's call: its stable code, by the facade's exhaustive map.
pub(crate) fn local_failure(e: bifrost::Error) -> Failure {
    Failure::from(ApiError::from(e))
}

/// The failure of a server's call: the code the server answered (or the client's own, for a
/// connection that failed), the same codes as locally.
pub(crate) fn remote_failure(e: ClientError) -> Failure {
    Failure::from(ApiError::from(e))
}

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

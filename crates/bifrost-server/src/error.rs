//! Every failure leaves the server as `{"error": {"code", "message", "retryable"}}` with the
//! HTTP status of its code: errors become [`bifrost_api::ApiError`]s through the libraries'
//! exhaustive code mappings (`bifrost::Error::code` delegating to the catalog's and the store's),
//! and the code alone decides the status. Answers whose code is retryable (`busy`: 503) carry
//! `Retry-After: 1`, or the error's own wait when it knows one (`rate_limited`,
//! `sign_in_locked`: 429).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bifrost::{CatalogError, Error};
use bifrost_api::ErrorCode;

pub use bifrost_api::{ErrorBody, ErrorDetail};

/// An error answer: the API error, whose code gives the HTTP status.
#[derive(Debug)]
pub struct ApiError(pub bifrost_api::ApiError);

impl ApiError {
    /// An error with a code and a message.
    pub fn of(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(bifrost_api::ApiError::new(code, message))
    }

    /// An error named by its code's string form, for call sites not yet on the operation
    /// table. The status must be the code's: debug builds assert it, and
    /// `every_code_a_handler_names_exists` checks every call in this crate's sources. The code
    /// alone decides the answer's status.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        let parsed = code.parse::<ErrorCode>();
        debug_assert!(
            matches!(parsed, Ok(c) if c.http_status() == status.as_u16()),
            "`{code}` with status {status}: unknown code, or not the code's status"
        );
        Self::of(parsed.unwrap_or(ErrorCode::Internal), message)
    }

    /// 400: the request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::of(ErrorCode::BadRequest, message)
    }

    /// 401: no usable credentials.
    pub fn unauthorized() -> Self {
        Self::of(
            ErrorCode::Unauthorized,
            "a valid API token is required: send `Authorization: Bearer bft_…` (sign in with \
             POST /api/v1/auth/login, or use a token made for you)",
        )
    }

    /// 404 for a route that does not exist. (The server names its own document here.)
    pub fn no_route() -> Self {
        Self::of(
            ErrorCode::NoRoute,
            "no such endpoint; see /api/v1/openapi.json",
        )
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    /// The HTTP status: the code's.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.0.code.as_str();
        if self.0.retryable() {
            tracing::warn!(code, message = %self.0.message, "request refused for now");
        } else if status.is_server_error() {
            tracing::error!(code, message = %self.0.message, "request failed");
        }
        let mut response = (status, Json(ErrorBody::from(&self.0))).into_response();
        // The error's own wait (a rate limit, a sign-in delay or lockout), else one second
        // for anything worth retrying.
        let wait = self.0.retry_after.or(self.0.retryable().then_some(1));
        if let Some(seconds) = wait {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<bifrost_api::ApiError> for ApiError {
    fn from(e: bifrost_api::ApiError) -> Self {
        ApiError(e)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e.into())
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        ApiError(e.into())
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(e: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
        let response = e.into_response();
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, retry_after, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn answers_carry_retryable_and_retry_after() {
        let busy = Error::GcRace;
        let (status, retry_after, body) = answer(busy.into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(body["error"]["code"], "busy");
        assert_eq!(body["error"]["retryable"], true);

        let missing = CatalogError::AssetNotFound {
            project: "film".into(),
            name: "hero".into(),
        };
        let (status, retry_after, body) = answer(missing.into()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(retry_after, None);
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "code": "asset_not_found",
                "message": "asset `hero` does not exist in project `film`",
                "retryable": false,
            }})
        );
    }

    #[test]
    fn server_messages_name_no_cli_command() {
        for e in [ApiError::unauthorized(), ApiError::no_route()] {
            assert!(!e.0.message.contains("bifrost "), "{}", e.0.message);
        }
    }

    /// Every `ApiError::new(STATUS, "code", …)` in this crate names a known code with that
    /// code's status, so no handler answers a code clients cannot read.
    #[test]
    fn every_code_a_handler_names_exists() {
        let needle = ["ApiError", "::new("].concat();
        let mut seen = 0;
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for (at, _) in text.match_indices(&needle) {
                    let line = &text[text[..at].rfind('\n').map_or(0, |i| i + 1)..at];
                    if text[..at].ends_with(':') || line.trim_start().starts_with("//") {
                        continue; // `bifrost_api::ApiError::new(code, …)` is typed; or prose
                    }
                    let args = &text[at + needle.len()..];
                    let (status, rest) = args.split_once(',').unwrap();
                    let rest = rest.trim_start();
                    let Some(rest) = rest.strip_prefix('"') else {
                        panic!(
                            "{}: the code of `{needle}` is not a literal",
                            path.display()
                        );
                    };
                    let code = &rest[..rest.find('"').unwrap()];
                    let code: ErrorCode = code
                        .parse()
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let status = status.trim().trim_start_matches("StatusCode::");
                    let expected = match status {
                        "BAD_REQUEST" => 400,
                        "UNAUTHORIZED" => 401,
                        "FORBIDDEN" => 403,
                        "NOT_FOUND" => 404,
                        "CONFLICT" => 409,
                        "PAYLOAD_TOO_LARGE" => 413,
                        "UNSUPPORTED_MEDIA_TYPE" => 415,
                        "RANGE_NOT_SATISFIABLE" => 416,
                        "INTERNAL_SERVER_ERROR" => 500,
                        "SERVICE_UNAVAILABLE" => 503,
                        other => panic!("{}: add `{other}` to this table", path.display()),
                    };
                    assert_eq!(code.http_status(), expected, "{}: {code}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 0, "the scan found no `{needle}` at all");
    }
}

//! File downloads (with HTTP ranges): the one asset route that streams bytes and so is not an
//! operation of the table.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bifrost::core::VersionSelector;
use futures::TryStreamExt;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiPath, InProject};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(download_file))
}

fn selector(text: &str) -> ApiResult<VersionSelector> {
    if text == "latest" {
        return Ok(VersionSelector::Latest);
    }
    text.trim_start_matches('v')
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .map(VersionSelector::Number)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "`{text}` is not a version: use a number (3, v3) or `latest`"
            ))
        })
}

async fn version_of(
    repo: &bifrost::Repository,
    asset: &str,
    version: &str,
) -> ApiResult<bifrost::core::Version> {
    let reference = bifrost::core::VersionRef {
        asset: asset.to_owned(),
        version: selector(version)?,
    };
    Ok(repo.resolve(&reference).await?)
}

/// Parses a single `bytes=` range against a file size. `None`: no (usable) range header.
fn parse_range(headers: &HeaderMap, size: u64) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(value) = headers.get(header::RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ())?;
    let spec = text.strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        // Multipart ranges are not supported: answer the whole file, as RFC 9110 allows.
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or(())?;
    let range = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            size.saturating_sub(n)..size
        }
        (start, "") => start.parse().map_err(|_| ())?..size,
        (start, end) => {
            let start: u64 = start.parse().map_err(|_| ())?;
            let end: u64 = end.parse().map_err(|_| ())?;
            if end < start {
                return Err(());
            }
            start..(end + 1).min(size)
        }
    };
    if range.start >= size || range.is_empty() {
        return Err(());
    }
    Ok(Some(range))
}

/// Downloads a file of a version, streamed and verified; supports `Range: bytes=…`.
#[utoipa::path(get,
    path = "/projects/{project}/assets/{asset}/versions/{version}/files/{path}",
    tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), ("version" = String, Path),
        ("path" = String, Path, description = "the file's path in the version")),
    responses((status = 200, description = "the bytes", content_type = "application/octet-stream"),
        (status = 206, description = "the requested range"),
        (status = 416, description = "the range does not fit the file", body = ErrorBody),
        (status = "4XX", description = "refused; `error.code` says why", body = ErrorBody)))]
async fn download_file(
    InProject(repo): InProject,
    path: ApiPath<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let ApiPath((_, asset, version, path)) = path;
    let version = version_of(&repo, &asset, &version).await?;
    let files = repo.version_files(&version).await?;
    let file = files.into_iter().find(|f| f.path == path).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "file_not_found",
            format!(
                "{}@v{} has no file `{path}`; list them at …/files",
                version.asset, version.number
            ),
        )
    })?;
    let size = file.size;
    let range = parse_range(&headers, size).map_err(|()| {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "bad_range",
            format!("the range does not fit the file's {size} bytes; use bytes=START-END"),
        )
    })?;
    let (status, wanted) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.clone()),
        None => (StatusCode::OK, 0..size),
    };
    let stream = repo
        .read_file_range(&file, wanted.clone())
        .await?
        .map_err(|e| std::io::Error::other(e.to_string()));
    let mut response = Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::ACCEPT_RANGES, "bytes")
        .header(header::CONTENT_LENGTH, wanted.end - wanted.start)
        .header(header::ETAG, format!("\"{}\"", file.content));
    if range.is_some() {
        response = response.header(
            header::CONTENT_RANGE,
            format!(
                "bytes {}-{}/{size}",
                wanted.start,
                wanted.end.saturating_sub(1)
            ),
        );
    }
    response
        .body(Body::from_stream(stream))
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

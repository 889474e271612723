//! Projects, assets, versions, file downloads (with HTTP ranges), review, rollback, diff,
//! locks and repository figures.

use axum::Json;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use bifrost::core::production::{Metadata, MetadataUpdate, ReviewStatus};
use bifrost::core::{AssetFilter, NewAsset, VersionSelector};
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Global, InProject};
use crate::routes::{Listing, Page};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(stats))
        .routes(routes!(list_assets, create_asset))
        .routes(routes!(get_asset, update_asset, delete_asset))
        .routes(routes!(list_versions))
        .routes(routes!(get_version))
        .routes(routes!(list_files))
        .routes(routes!(download_file))
        .routes(routes!(review_version))
        .routes(routes!(rollback))
        .routes(routes!(diff))
        .routes(routes!(get_lock, lock, unlock))
        .routes(routes!(heartbeat))
        .routes(routes!(list_locks))
}

/// Projects the caller can see.
#[utoipa::path(get, path = "/projects", tag = "assets", params(Page),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_projects(
    Global(repo): Global,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<bifrost::core::Project>>> {
    page.of(repo.visible_projects().await?)
}

/// A new project.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProjectRequest {
    /// Name (letters, digits, `_ - .`).
    name: String,
}

/// Creates a project (admins).
#[utoipa::path(post, path = "/projects", tag = "assets", request_body = NewProjectRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_project(
    Global(repo): Global,
    ApiJson(body): ApiJson<NewProjectRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((
        StatusCode::CREATED,
        Json(json!(repo.create_project(&body.name).await?)),
    ))
}

/// Repository-wide figures (admins): logical and stored bytes, chunks, versions…
#[utoipa::path(get, path = "/stats", tag = "assets",
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn stats(Global(repo): Global) -> ApiResult<Json<Value>> {
    repo.require(bifrost::core::access::Permission::Admin)?;
    Ok(Json(json!(repo.stats().await?)))
}

/// Which assets to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AssetQuery {
    /// Only assets of this type.
    #[serde(default, rename = "type")]
    asset_type: Option<String>,
    /// Only assets with this tag.
    #[serde(default)]
    tag: Option<String>,
    /// At most this many (1–1000, default 100).
    #[serde(default)]
    limit: Option<u64>,
    /// Skip this many first.
    #[serde(default)]
    offset: Option<u64>,
}

/// Assets of a project, by name.
#[utoipa::path(get, path = "/projects/{project}/assets", tag = "assets",
    params(("project" = String, Path), AssetQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_assets(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<AssetQuery>,
) -> ApiResult<Json<Listing<bifrost::core::Asset>>> {
    let filter = AssetFilter {
        asset_type: query.asset_type,
        tags: query.tag.into_iter().collect(),
    };
    let page = Page {
        limit: query.limit,
        offset: query.offset,
    };
    page.of(repo.list_assets(&filter).await?)
}

/// A new asset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAssetRequest {
    /// Name, unique in the project.
    name: String,
    /// Type such as `prop` (default `asset`).
    #[serde(default, rename = "type")]
    asset_type: Option<String>,
    /// Tags.
    #[serde(default)]
    tags: Vec<String>,
    /// Free JSON metadata.
    #[serde(default)]
    #[schema(value_type = Object)]
    metadata: Metadata,
    /// The department whose work it is.
    #[serde(default)]
    department: Option<String>,
}

/// Creates an asset (needs `edit`, on its department's work).
#[utoipa::path(post, path = "/projects/{project}/assets", tag = "assets",
    params(("project" = String, Path)), request_body = NewAssetRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_asset(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<NewAssetRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let asset = repo
        .create_asset(&NewAsset {
            name: body.name,
            asset_type: body.asset_type.unwrap_or_else(|| "asset".to_owned()),
            tags: body.tags,
            metadata: body.metadata,
            department: body.department,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(json!(asset))))
}

/// One asset with its tags, metadata, status and latest version.
#[utoipa::path(get, path = "/projects/{project}/assets/{asset}", tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_asset(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    let found = repo.asset(&asset).await?;
    let status = repo
        .entity_status(&bifrost::core::production::EntityRef::Asset(asset))
        .await?;
    let mut value = json!(found);
    value["status"] = json!(status);
    Ok(Json(value))
}

/// A metadata change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssetUpdateRequest {
    /// Keys to set (merged as RFC 7396: `null` removes a key).
    #[schema(value_type = Object)]
    metadata: Metadata,
    /// Replace the whole metadata instead of merging.
    #[serde(default)]
    replace: bool,
}

/// Changes an asset's metadata.
#[utoipa::path(patch, path = "/projects/{project}/assets/{asset}", tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path)),
    request_body = AssetUpdateRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn update_asset(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<AssetUpdateRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    let update = if body.replace {
        MetadataUpdate::Replace(body.metadata)
    } else {
        MetadataUpdate::Merge(body.metadata)
    };
    Ok(Json(json!(
        repo.update_asset_metadata(&asset, &update).await?
    )))
}

/// `force`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ForceQuery {
    /// Also when others depend on it (their links go too).
    #[serde(default)]
    pub(crate) force: bool,
}

/// Deletes an asset (needs `manage`; refused while others depend on it unless forced).
#[utoipa::path(delete, path = "/projects/{project}/assets/{asset}", tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), ForceQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_asset(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<ForceQuery>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    Ok(Json(json!(repo.delete_asset(&asset, query.force).await?)))
}

/// Every version of an asset with review status and metadata, oldest first.
#[utoipa::path(get, path = "/projects/{project}/assets/{asset}/versions", tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), Page),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_versions(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<bifrost::core::production::VersionDetails>>> {
    let ApiPath((_, asset)) = path;
    page.of(repo.list_version_details(&asset).await?)
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

/// One version (a number, `v3`, or `latest`) with review status and metadata.
#[utoipa::path(get, path = "/projects/{project}/assets/{asset}/versions/{version}",
    tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), ("version" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_version(
    InProject(repo): InProject,
    path: ApiPath<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset, version)) = path;
    Ok(Json(json!(
        repo.version_details(&asset, selector(&version)?).await?
    )))
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

/// The files of a version: path, size, mode and content id (BLAKE3).
#[utoipa::path(get, path = "/projects/{project}/assets/{asset}/versions/{version}/files",
    tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), ("version" = String, Path), Page),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_files(
    InProject(repo): InProject,
    path: ApiPath<(String, String, String)>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<bifrost::core::FileEntry>>> {
    let ApiPath((_, asset, version)) = path;
    let version = version_of(&repo, &asset, &version).await?;
    page.of(repo.version_files(&version).await?)
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
        (status = 416, body = ErrorBody), (status = "4XX", body = ErrorBody)))]
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

/// A review status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewRequest {
    /// `pending`, `approved`, `changes-requested` or `rejected`.
    #[schema(value_type = String)]
    status: ReviewStatus,
}

/// Sets the review status of a version (needs `review`).
#[utoipa::path(put, path = "/projects/{project}/assets/{asset}/versions/{version}/review",
    tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), ("version" = i64, Path)),
    request_body = ReviewRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn review_version(
    InProject(repo): InProject,
    path: ApiPath<(String, String, i64)>,
    ApiJson(body): ApiJson<ReviewRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset, version)) = path;
    let author = repo.actor().user.clone();
    Ok(Json(json!(
        repo.set_review_status(&asset, version, body.status, &author)
            .await?
    )))
}

/// A rollback.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RollbackRequest {
    /// The version whose files the new version gets.
    version: i64,
    /// Note (default `rollback to vN`).
    #[serde(default)]
    note: Option<String>,
}

/// Publishes a new version equal to an older one (needs `publish`).
#[utoipa::path(post, path = "/projects/{project}/assets/{asset}/rollback", tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path)), request_body = RollbackRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn rollback(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<RollbackRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ApiPath((_, asset)) = path;
    let author = repo.actor().user.clone();
    let version = repo
        .rollback(&asset, body.version, &author, body.note.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(json!(version))))
}

/// Two versions to compare.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct DiffQuery {
    /// The older version.
    from: i64,
    /// The newer version.
    to: i64,
    /// The asset of the newer version, when comparing two assets (default: the same one).
    #[serde(default)]
    to_asset: Option<String>,
}

/// Files and metadata that differ between two versions.
#[utoipa::path(get, path = "/projects/{project}/assets/{asset}/diff", tag = "assets",
    params(("project" = String, Path), ("asset" = String, Path), DiffQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn diff(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<DiffQuery>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    let a = bifrost::core::VersionRef {
        asset: asset.clone(),
        version: VersionSelector::Number(query.from),
    };
    let b = bifrost::core::VersionRef {
        asset: query.to_asset.unwrap_or(asset),
        version: VersionSelector::Number(query.to),
    };
    Ok(Json(json!(repo.diff(&a, &b).await?)))
}

/// The live lock on an asset (`null` when unlocked).
#[utoipa::path(get, path = "/projects/{project}/assets/{asset}/lock", tag = "locks",
    params(("project" = String, Path), ("asset" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_lock(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    Ok(Json(json!(repo.lock_of(&asset).await?)))
}

/// A lock request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LockRequest {
    /// Lease length in seconds (default 3600, 1 to 7 days); renew with the heartbeat.
    #[serde(default)]
    ttl_seconds: Option<u64>,
    /// The version the caller has: the lock is refused unless it is the latest.
    #[serde(default)]
    have: Option<i64>,
}

const DEFAULT_TTL: u64 = 3600;
const MAX_TTL: u64 = 7 * 24 * 3600;

fn ttl(seconds: Option<u64>) -> ApiResult<std::time::Duration> {
    let seconds = seconds.unwrap_or(DEFAULT_TTL);
    if !(1..=MAX_TTL).contains(&seconds) {
        return Err(ApiError::bad_request(format!(
            "ttl_seconds must be between 1 and {MAX_TTL}"
        )));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// Takes (or renews) the exclusive check-out lease on an asset (needs `publish`).
#[utoipa::path(post, path = "/projects/{project}/assets/{asset}/lock", tag = "locks",
    params(("project" = String, Path), ("asset" = String, Path)), request_body = LockRequest,
    responses((status = 200, body = Value), (status = 409, body = ErrorBody),
        (status = "4XX", body = ErrorBody)))]
async fn lock(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<LockRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    Ok(Json(json!(
        repo.lock(&asset, ttl(body.ttl_seconds)?, body.have).await?
    )))
}

/// Releases your lock, or with `force` breaks anyone's (needs `manage`).
#[utoipa::path(delete, path = "/projects/{project}/assets/{asset}/lock", tag = "locks",
    params(("project" = String, Path), ("asset" = String, Path), ForceQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn unlock(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<ForceQuery>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    Ok(Json(json!(repo.unlock(&asset, query.force).await?)))
}

/// A heartbeat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HeartbeatRequest {
    /// New lease length from now, in seconds (default 3600).
    #[serde(default)]
    ttl_seconds: Option<u64>,
}

/// Extends your lock (the heartbeat).
#[utoipa::path(post, path = "/projects/{project}/assets/{asset}/lock/heartbeat", tag = "locks",
    params(("project" = String, Path), ("asset" = String, Path)), request_body = HeartbeatRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn heartbeat(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<HeartbeatRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, asset)) = path;
    Ok(Json(json!(
        repo.renew_lock(&asset, ttl(body.ttl_seconds)?).await?
    )))
}

/// Live locks of a project.
#[utoipa::path(get, path = "/projects/{project}/locks", tag = "locks",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_locks(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.locks().await?)))
}

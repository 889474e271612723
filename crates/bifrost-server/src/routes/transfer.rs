//! Content transfer with deduplication: the client learns the chunking parameters, asks which
//! of its manifest's chunks the repository lacks, uploads only those (in batches that are
//! durable when acknowledged, so an interrupted upload resumes by asking again), then commits
//! the version from the manifest.
//!
//! Upload body (`application/octet-stream`): repeated `[32-byte chunk id][u32 little-endian
//! length][bytes]` records. Every chunk is hashed on arrival; a mismatch rejects the batch.

use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use bifrost::Manifest;
use bifrost::core::ChunkId;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, InProject};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chunking))
        .routes(routes!(missing))
        .routes(routes!(upload))
        .routes(routes!(commit))
}

/// How clients must cut files (FastCDC parameters) for deduplication to work.
#[utoipa::path(get, path = "/projects/{project}/chunking", tag = "transfer",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn chunking(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.chunking())))
}

/// Chunk ids to check for a publish of an asset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MissingRequest {
    /// The asset the chunks will be published to: the caller must be allowed to publish it
    /// (permission, department, no lock held by someone else) before anything is answered.
    asset: String,
    /// Chunk ids (64 hex digits each), at most 100,000.
    #[schema(value_type = Vec<String>)]
    chunks: Vec<ChunkId>,
}

/// Which of the given chunks a publish of `asset` must upload (needs `publish` on the asset).
/// Answered for the project alone: a chunk only another project holds is reported missing.
#[utoipa::path(post, path = "/projects/{project}/chunks/missing", tag = "transfer",
    params(("project" = String, Path)), request_body = MissingRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn missing(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<MissingRequest>,
) -> ApiResult<Json<Value>> {
    if body.chunks.len() > 100_000 {
        return Err(ApiError::bad_request(
            "at most 100,000 chunk ids per request; split the manifest",
        ));
    }
    Ok(Json(
        json!({ "missing": repo.missing_chunks(&body.asset, &body.chunks).await? }),
    ))
}

/// Splits an upload body into chunks.
pub fn parse_upload(mut body: &[u8]) -> Result<Vec<(ChunkId, Bytes)>, String> {
    let mut chunks = Vec::new();
    while !body.is_empty() {
        if body.len() < 36 {
            return Err(format!(
                "record {} is cut short: a record is a 32-byte chunk id, a 4-byte length and the bytes",
                chunks.len() + 1
            ));
        }
        let id = ChunkId::from_slice(&body[..32]).ok_or("a chunk id is 32 bytes")?;
        let len = u32::from_le_bytes(body[32..36].try_into().expect("4 bytes")) as usize;
        let rest = &body[36..];
        if rest.len() < len {
            return Err(format!(
                "chunk {id} says {len} bytes but only {} follow",
                rest.len()
            ));
        }
        chunks.push((id, Bytes::copy_from_slice(&rest[..len])));
        body = &rest[len..];
    }
    Ok(chunks)
}

/// The asset an upload is for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadQuery {
    /// The asset the chunks will be published to (the caller must be allowed to publish it).
    asset: String,
}

/// Uploads a batch of chunks for a publish of `asset` (needs `publish` on the asset, checked
/// before any chunk is read); durable and indexed when answered.
#[utoipa::path(post, path = "/projects/{project}/chunks", tag = "transfer",
    params(("project" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "records of [32-byte id][u32 LE length][bytes]"),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn upload(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: axum::body::Body,
) -> ApiResult<Json<Value>> {
    // Refused callers are answered before their body is read.
    repo.check_can_publish(&query.asset).await?;
    let body = axum::body::to_bytes(body, crate::MAX_BODY)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the upload could not be read whole: {e}; send at most 64 MiB per request"),
            )
        })?;
    let chunks =
        parse_upload(&body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_upload", e))?;
    let count = chunks.len();
    let raw: usize = chunks.iter().map(|(_, b)| b.len()).sum();
    let stored = repo.receive_chunks(&query.asset, chunks).await?;
    Ok(Json(
        json!({ "chunks": count, "bytes_received": raw, "bytes_stored": stored }),
    ))
}

/// Commits the next version of an asset from a manifest whose chunks are uploaded (needs
/// `publish`; refused while someone else holds the asset's lock).
#[utoipa::path(post, path = "/projects/{project}/assets/{asset}/versions", tag = "transfer",
    params(("project" = String, Path), ("asset" = String, Path)),
    request_body(content = Value, description = "{note, files: [{path, size, mode, content}], contents: [{id, size, chunks}]}"),
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn commit(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(manifest): ApiJson<Manifest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ApiPath((_, asset)) = path;
    let version = repo.publish_manifest(&asset, &manifest).await?;
    Ok((StatusCode::CREATED, Json(json!(version))))
}

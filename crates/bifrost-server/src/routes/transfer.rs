//! Chunk uploads: the one binary step of a remote publish (learning the chunking parameters,
//! asking which chunks are missing and committing the manifest are operations of the table).
//! Batches are durable when acknowledged, so an interrupted upload resumes by asking again.
//!
//! Upload body (`application/octet-stream`): repeated `[32-byte chunk id][u32 little-endian
//! length][bytes]` records. Every chunk is hashed on arrival; a mismatch rejects the batch.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use bifrost::api::ops::transfer::Uploaded;
use bifrost::core::ChunkId;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiQuery, InProject};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
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

/// How much of a refused upload's body is read (and dropped) before answering.
const REFUSED_BODY_DRAINED: usize = 1024 * 1024;

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
    responses((status = 200, description = "the batch is durable and indexed", body = Uploaded),
        (status = "4XX", description = "refused; nothing of the batch was kept", body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<UploadQuery>,
    body: axum::body::Body,
) -> ApiResult<Json<Uploaded>> {
    // Refused callers are answered before their body is stored or hashed. A small body is
    // read and dropped first, so that the client, still sending, gets the answer rather than
    // a reset connection; a large one is not read at all.
    if let Err(refusal) = repo.check_can_publish(&query.asset).await {
        let _ = axum::body::to_bytes(body, REFUSED_BODY_DRAINED).await;
        return Err(refusal.into());
    }
    let most = state.limits.upload_body_bytes;
    let body = axum::body::to_bytes(body, most).await.map_err(|e| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "the upload could not be read whole: {e}; send at most {most} bytes per request"
            ),
        )
    })?;
    let chunks =
        parse_upload(&body).map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_upload", e))?;
    let count = chunks.len();
    let raw: usize = chunks.iter().map(|(_, b)| b.len()).sum();
    let stored = repo.receive_chunks(&query.asset, chunks).await?;
    Ok(Json(Uploaded {
        chunks: count,
        bytes_received: raw,
        bytes_stored: stored,
    }))
}

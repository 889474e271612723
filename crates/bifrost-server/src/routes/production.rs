//! Production tracking: workflow and departments, sequences, shots, statuses, tasks, links and
//! dependencies, comments, history, search, saved searches, collections, favourites, reports.
//! Entities are named as users type them: an asset by name, a shot as `SEQ/SHOT`; targets of
//! comments and history may also be versions (`NAME@vN`). Such names travel in query strings
//! or bodies, never in paths, because a shot's name holds a `/`.

use axum::Json;
use axum::http::StatusCode;
use bifrost::core::production::{
    EntityRef, Link, LinkKind, Metadata, MetadataUpdate, NewShot, ShotUpdate, Target, TaskFilter,
    TaskUpdate,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, InProject};
use crate::routes::{Listing, Page};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(workflow))
        .routes(routes!(add_status))
        .routes(routes!(remove_status))
        .routes(routes!(add_transition, remove_transition))
        .routes(routes!(departments, add_department))
        .routes(routes!(remove_department))
        .routes(routes!(list_sequences, create_sequence))
        .routes(routes!(get_sequence, update_sequence, delete_sequence))
        .routes(routes!(list_shots, create_shot))
        .routes(routes!(get_shot, update_shot, delete_shot))
        .routes(routes!(get_status, set_status))
        .routes(routes!(list_tasks, create_task, update_task, delete_task))
        .routes(routes!(create_link, delete_link))
        .routes(routes!(deps))
        .routes(routes!(used_by))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(history))
        .routes(routes!(search))
        .routes(routes!(report_status))
        .routes(routes!(move_status))
        .routes(routes!(list_saved_searches, save_search))
        .routes(routes!(delete_saved_search))
        .routes(routes!(run_saved_search))
        .routes(routes!(list_collections, create_collection))
        .routes(routes!(delete_collection))
        .routes(routes!(
            collection_members,
            add_to_collection,
            remove_from_collection
        ))
        .routes(routes!(favourites, add_favourite, remove_favourite))
}

type Created = (StatusCode, Json<Value>);

fn created(value: impl serde::Serialize) -> ApiResult<Created> {
    Ok((StatusCode::CREATED, Json(json!(value))))
}

fn metadata_update(metadata: Metadata, replace: bool) -> MetadataUpdate {
    if replace {
        MetadataUpdate::Replace(metadata)
    } else {
        MetadataUpdate::Merge(metadata)
    }
}

fn entity(text: &str) -> ApiResult<EntityRef> {
    text.parse::<EntityRef>()
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

fn target(text: &str) -> ApiResult<Target> {
    text.parse::<Target>()
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

// -- Workflow and departments -------------------------------------------------------------

/// The project's statuses (in order; the first is the initial one) and allowed changes.
#[utoipa::path(get, path = "/projects/{project}/workflow", tag = "production",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn workflow(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.workflow().await?)))
}

/// A status name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NameRequest {
    /// The name.
    name: String,
}

/// Appends a status to the workflow (needs `manage`).
#[utoipa::path(post, path = "/projects/{project}/workflow/statuses", tag = "production",
    params(("project" = String, Path)), request_body = NameRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_status(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<NameRequest>,
) -> ApiResult<Created> {
    created(repo.add_status(&body.name).await?)
}

/// Removes a status not in use (needs `manage`).
#[utoipa::path(delete, path = "/projects/{project}/workflow/statuses/{status}",
    tag = "production", params(("project" = String, Path), ("status" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn remove_status(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, status)) = path;
    Ok(Json(json!(repo.remove_status(&status).await?)))
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TransitionRequest {
    /// From this status (`*`: any).
    from: String,
    /// To this status.
    to: String,
}

/// Allows a status change (needs `manage`).
#[utoipa::path(post, path = "/projects/{project}/workflow/transitions", tag = "production",
    params(("project" = String, Path)), request_body = TransitionRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_transition(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<Created> {
    created(repo.add_transition(&body.from, &body.to).await?)
}

/// Forbids a status change (needs `manage`).
#[utoipa::path(delete, path = "/projects/{project}/workflow/transitions", tag = "production",
    params(("project" = String, Path)), request_body = TransitionRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn remove_transition(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<TransitionRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        repo.remove_transition(&body.from, &body.to).await?
    )))
}

/// Departments, in order.
#[utoipa::path(get, path = "/projects/{project}/departments", tag = "production",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn departments(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.departments().await?)))
}

/// Adds a department (needs `manage`).
#[utoipa::path(post, path = "/projects/{project}/departments", tag = "production",
    params(("project" = String, Path)), request_body = NameRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_department(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<NameRequest>,
) -> ApiResult<Created> {
    created(repo.add_department(&body.name).await?)
}

/// Removes a department no task or asset uses (needs `manage`).
#[utoipa::path(delete, path = "/projects/{project}/departments/{department}",
    tag = "production", params(("project" = String, Path), ("department" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn remove_department(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, department)) = path;
    Ok(Json(json!(repo.remove_department(&department).await?)))
}

// -- Sequences and shots ------------------------------------------------------------------

/// Sequences of a project.
#[utoipa::path(get, path = "/projects/{project}/sequences", tag = "production",
    params(("project" = String, Path), Page),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_sequences(
    InProject(repo): InProject,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<bifrost::core::production::Sequence>>> {
    page.of(repo.list_sequences().await?)
}

/// A new sequence.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewSequenceRequest {
    /// Name such as `SQ010`.
    name: String,
    /// Free JSON metadata.
    #[serde(default)]
    #[schema(value_type = Object)]
    metadata: Metadata,
}

/// Creates a sequence (needs `edit`).
#[utoipa::path(post, path = "/projects/{project}/sequences", tag = "production",
    params(("project" = String, Path)), request_body = NewSequenceRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_sequence(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<NewSequenceRequest>,
) -> ApiResult<Created> {
    created(repo.create_sequence(&body.name, &body.metadata).await?)
}

/// One sequence.
#[utoipa::path(get, path = "/projects/{project}/sequences/{sequence}", tag = "production",
    params(("project" = String, Path), ("sequence" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_sequence(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, sequence)) = path;
    Ok(Json(json!(repo.get_sequence(&sequence).await?)))
}

/// A sequence change: a new name and/or metadata.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SequenceUpdateRequest {
    /// Rename to this (its shots follow).
    #[serde(default)]
    name: Option<String>,
    /// Metadata to merge (`null` removes a key).
    #[serde(default)]
    #[schema(value_type = Object)]
    metadata: Option<Metadata>,
    /// Replace the whole metadata with `metadata` instead of merging.
    #[serde(default)]
    replace_metadata: bool,
}

/// Renames a sequence and/or merges its metadata (needs `edit`).
#[utoipa::path(patch, path = "/projects/{project}/sequences/{sequence}", tag = "production",
    params(("project" = String, Path), ("sequence" = String, Path)),
    request_body = SequenceUpdateRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn update_sequence(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<SequenceUpdateRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, sequence)) = path;
    let mut name = sequence;
    let mut result = None;
    if let Some(metadata) = body.metadata {
        let update = metadata_update(metadata, body.replace_metadata);
        result = Some(repo.update_sequence_metadata(&name, &update).await?);
    }
    if let Some(new_name) = body.name {
        result = Some(repo.rename_sequence(&name, &new_name).await?);
        name = new_name;
    }
    match result {
        Some(sequence) => Ok(Json(json!(sequence))),
        None => Ok(Json(json!(repo.get_sequence(&name).await?))),
    }
}

/// Deletes a sequence (needs `manage`; refused while it has shots unless forced).
#[utoipa::path(delete, path = "/projects/{project}/sequences/{sequence}", tag = "production",
    params(("project" = String, Path), ("sequence" = String, Path), super::assets::ForceQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_sequence(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<super::assets::ForceQuery>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, sequence)) = path;
    Ok(Json(json!(
        repo.delete_sequence(&sequence, query.force).await?
    )))
}

/// Which shots to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ShotQuery {
    /// Only shots of this sequence.
    #[serde(default)]
    sequence: Option<String>,
    /// At most this many (1–1000, default 100).
    #[serde(default)]
    limit: Option<u64>,
    /// Skip this many first.
    #[serde(default)]
    offset: Option<u64>,
}

/// Shots, of one sequence or all.
#[utoipa::path(get, path = "/projects/{project}/shots", tag = "production",
    params(("project" = String, Path), ShotQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_shots(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<ShotQuery>,
) -> ApiResult<Json<Listing<bifrost::core::production::Shot>>> {
    let page = Page {
        limit: query.limit,
        offset: query.offset,
    };
    page.of(repo.list_shots(query.sequence.as_deref()).await?)
}

/// A new shot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewShotRequest {
    /// Its sequence.
    sequence: String,
    /// Name such as `SH010`.
    name: String,
    /// First frame.
    frame_start: i64,
    /// Last frame.
    frame_end: i64,
    /// Frames per second.
    #[serde(default)]
    fps: Option<f64>,
    /// Free JSON metadata.
    #[serde(default)]
    #[schema(value_type = Object)]
    metadata: Metadata,
}

/// Creates a shot (needs `edit`).
#[utoipa::path(post, path = "/projects/{project}/shots", tag = "production",
    params(("project" = String, Path)), request_body = NewShotRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_shot(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<NewShotRequest>,
) -> ApiResult<Created> {
    created(
        repo.create_shot(&NewShot {
            sequence: body.sequence,
            name: body.name,
            frame_start: body.frame_start,
            frame_end: body.frame_end,
            fps: body.fps,
            metadata: body.metadata,
        })
        .await?,
    )
}

/// One shot.
#[utoipa::path(get, path = "/projects/{project}/shots/{sequence}/{shot}", tag = "production",
    params(("project" = String, Path), ("sequence" = String, Path), ("shot" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_shot(
    InProject(repo): InProject,
    path: ApiPath<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, sequence, shot)) = path;
    Ok(Json(json!(repo.get_shot(&sequence, &shot).await?)))
}

/// A shot change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShotUpdateRequest {
    /// Rename to this, within its sequence.
    #[serde(default)]
    name: Option<String>,
    /// First frame.
    #[serde(default)]
    frame_start: Option<i64>,
    /// Last frame.
    #[serde(default)]
    frame_end: Option<i64>,
    /// Frames per second.
    #[serde(default)]
    fps: Option<f64>,
    /// Metadata to merge.
    #[serde(default)]
    #[schema(value_type = Object)]
    metadata: Option<Metadata>,
    /// Replace the whole metadata with `metadata` instead of merging.
    #[serde(default)]
    replace_metadata: bool,
}

/// Changes a shot's frames, fps, metadata or name (needs `edit`).
#[utoipa::path(patch, path = "/projects/{project}/shots/{sequence}/{shot}", tag = "production",
    params(("project" = String, Path), ("sequence" = String, Path), ("shot" = String, Path)),
    request_body = ShotUpdateRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn update_shot(
    InProject(repo): InProject,
    path: ApiPath<(String, String, String)>,
    ApiJson(body): ApiJson<ShotUpdateRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, sequence, shot)) = path;
    let update = ShotUpdate {
        frame_start: body.frame_start,
        frame_end: body.frame_end,
        fps: body.fps,
        metadata: body
            .metadata
            .map(|m| metadata_update(m, body.replace_metadata)),
    };
    let mut result = repo.update_shot(&sequence, &shot, &update).await?;
    if let Some(new_name) = body.name {
        let author = repo.actor().user.clone();
        result = repo
            .rename_shot(&sequence, &shot, &new_name, &author)
            .await?;
    }
    Ok(Json(json!(result)))
}

/// Deletes a shot (needs `manage`; refused while others use it unless forced).
#[utoipa::path(delete, path = "/projects/{project}/shots/{sequence}/{shot}", tag = "production",
    params(("project" = String, Path), ("sequence" = String, Path), ("shot" = String, Path),
        super::assets::ForceQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_shot(
    InProject(repo): InProject,
    path: ApiPath<(String, String, String)>,
    ApiQuery(query): ApiQuery<super::assets::ForceQuery>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, sequence, shot)) = path;
    Ok(Json(json!(
        repo.delete_shot(&sequence, &shot, query.force).await?
    )))
}

// -- Statuses and tasks -------------------------------------------------------------------

/// An entity: an asset name or `SEQ/SHOT`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EntityQuery {
    /// An asset name or `SEQ/SHOT`.
    entity: String,
    /// Follow links transitively (deps and used-by).
    #[serde(default)]
    transitive: bool,
}

/// The workflow status of an asset or shot.
#[utoipa::path(get, path = "/projects/{project}/status", tag = "production",
    params(("project" = String, Path), EntityQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_status(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<EntityQuery>,
) -> ApiResult<Json<Value>> {
    let entity = entity(&query.entity)?;
    Ok(Json(
        json!({ "entity": entity, "status": repo.entity_status(&entity).await? }),
    ))
}

/// A status change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusRequest {
    /// An asset name or `SEQ/SHOT`.
    entity: String,
    /// The new status (the workflow must allow the change).
    status: String,
}

/// Moves an asset or shot to another status (needs `edit`).
#[utoipa::path(put, path = "/projects/{project}/status", tag = "production",
    params(("project" = String, Path)), request_body = StatusRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn set_status(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<StatusRequest>,
) -> ApiResult<Json<Value>> {
    let author = repo.actor().user.clone();
    Ok(Json(json!(
        repo.set_status(&entity(&body.entity)?, &body.status, &author)
            .await?
    )))
}

/// Which tasks.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TaskQuery {
    /// Only tasks of this asset or shot.
    #[serde(default)]
    entity: Option<String>,
    /// Only this department's.
    #[serde(default)]
    department: Option<String>,
    /// Only this person's.
    #[serde(default)]
    assignee: Option<String>,
}

/// Tasks.
#[utoipa::path(get, path = "/projects/{project}/tasks", tag = "production",
    params(("project" = String, Path), TaskQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_tasks(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Value>> {
    let filter = TaskFilter {
        entity: query.entity.as_deref().map(entity).transpose()?,
        department: query.department,
        assignee: query.assignee,
    };
    Ok(Json(json!(repo.list_tasks(&filter).await?)))
}

/// A task.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskRequest {
    /// An asset name or `SEQ/SHOT`.
    entity: String,
    /// The department.
    department: String,
    /// Who (create and update; `null` on update clears it).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    assignee: Option<Option<String>>,
    /// New status (update).
    #[serde(default)]
    status: Option<String>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Creates a department task on an asset or shot (needs `edit` on that department).
#[utoipa::path(post, path = "/projects/{project}/tasks", tag = "production",
    params(("project" = String, Path)), request_body = TaskRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_task(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<TaskRequest>,
) -> ApiResult<Created> {
    let assignee = body.assignee.flatten();
    created(
        repo.create_task(
            &entity(&body.entity)?,
            &body.department,
            assignee.as_deref(),
        )
        .await?,
    )
}

/// Changes a task's assignee or status (needs `edit` on that department).
#[utoipa::path(patch, path = "/projects/{project}/tasks", tag = "production",
    params(("project" = String, Path)), request_body = TaskRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn update_task(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<TaskRequest>,
) -> ApiResult<Json<Value>> {
    let update = TaskUpdate {
        assignee: body.assignee,
        status: body.status,
    };
    let author = repo.actor().user.clone();
    Ok(Json(json!(
        repo.update_task(&entity(&body.entity)?, &body.department, &update, &author)
            .await?
    )))
}

/// Which task.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TaskKey {
    /// An asset name or `SEQ/SHOT`.
    entity: String,
    /// The department.
    department: String,
}

/// Deletes a task (needs `edit` on that department).
#[utoipa::path(delete, path = "/projects/{project}/tasks", tag = "production",
    params(("project" = String, Path), TaskKey),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_task(
    InProject(repo): InProject,
    ApiQuery(key): ApiQuery<TaskKey>,
) -> ApiResult<Json<Value>> {
    repo.delete_task(&entity(&key.entity)?, &key.department)
        .await?;
    Ok(Json(json!({ "deleted": true })))
}

// -- Links --------------------------------------------------------------------------------

/// A link: `src` uses `dst`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LinkRequest {
    /// The user: asset name or `SEQ/SHOT`.
    src: String,
    /// The used: asset name or `SEQ/SHOT`.
    dst: String,
    /// `reference` (default), `derived-from` or `member`.
    #[serde(default)]
    kind: Option<String>,
    /// Pin a version of `dst` (an asset).
    #[serde(default)]
    pin: Option<i64>,
}

fn link_kind(text: Option<&str>) -> ApiResult<LinkKind> {
    text.unwrap_or("reference")
        .parse::<LinkKind>()
        .map_err(|e| ApiError::bad_request(e.to_string()))
}

/// Links two entities (needs `edit`; cycles are refused).
#[utoipa::path(post, path = "/projects/{project}/links", tag = "production",
    params(("project" = String, Path)), request_body = LinkRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_link(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<LinkRequest>,
) -> ApiResult<Created> {
    let link = Link {
        src: entity(&body.src)?,
        dst: entity(&body.dst)?,
        kind: link_kind(body.kind.as_deref())?,
        pin: body.pin,
    };
    repo.link(&link).await?;
    created(
        json!({ "src": link.src, "dst": link.dst, "kind": link.kind.to_string(), "pin": link.pin }),
    )
}

/// Which link.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct LinkKey {
    /// The user.
    src: String,
    /// The used.
    dst: String,
    /// The kind (default `reference`).
    #[serde(default)]
    kind: Option<String>,
}

/// Removes a link (needs `edit`).
#[utoipa::path(delete, path = "/projects/{project}/links", tag = "production",
    params(("project" = String, Path), LinkKey),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_link(
    InProject(repo): InProject,
    ApiQuery(key): ApiQuery<LinkKey>,
) -> ApiResult<Json<Value>> {
    repo.unlink(
        &entity(&key.src)?,
        &entity(&key.dst)?,
        link_kind(key.kind.as_deref())?,
    )
    .await?;
    Ok(Json(json!({ "deleted": true })))
}

/// What an entity uses.
#[utoipa::path(get, path = "/projects/{project}/deps", tag = "production",
    params(("project" = String, Path), EntityQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn deps(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<EntityQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        repo.deps(&entity(&query.entity)?, query.transitive).await?
    )))
}

/// What uses an entity: the impact of changing it.
#[utoipa::path(get, path = "/projects/{project}/used-by", tag = "production",
    params(("project" = String, Path), EntityQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn used_by(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<EntityQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        repo.used_by(&entity(&query.entity)?, query.transitive)
            .await?
    )))
}

// -- Comments, history, search, reports ---------------------------------------------------

/// A target: an asset, `SEQ/SHOT` or `NAME@vN`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TargetQuery {
    /// An asset, `SEQ/SHOT` or `NAME@vN`.
    target: String,
}

/// Comments on an asset, shot or version, oldest first.
#[utoipa::path(get, path = "/projects/{project}/comments", tag = "production",
    params(("project" = String, Path), TargetQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_comments(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<TargetQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(
        repo.list_comments(&target(&query.target)?).await?
    )))
}

/// A comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommentRequest {
    /// An asset, `SEQ/SHOT` or `NAME@vN`.
    target: String,
    /// The text.
    body: String,
}

/// Comments on an asset, shot or version (needs `comment`).
#[utoipa::path(post, path = "/projects/{project}/comments", tag = "production",
    params(("project" = String, Path)), request_body = CommentRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_comment(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<CommentRequest>,
) -> ApiResult<Created> {
    let author = repo.actor().user.clone();
    created(
        repo.add_comment(&target(&body.target)?, &author, &body.body)
            .await?,
    )
}

/// Status and review changes of an entity or version, newest first.
#[utoipa::path(get, path = "/projects/{project}/history", tag = "production",
    params(("project" = String, Path), TargetQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn history(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<TargetQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.history(&target(&query.target)?).await?)))
}

/// A search.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchQuery {
    /// The query: words, "phrases", type:, tag:, status:, kind:, seq:, meta.KEY<N…
    q: String,
    /// Search every project the caller can see, not only this one.
    #[serde(default)]
    all: bool,
    /// At most this many (1–1000, default 100).
    #[serde(default)]
    limit: Option<u64>,
    /// Skip this many first.
    #[serde(default)]
    offset: Option<u64>,
}

/// Full-text and filtered search in a project.
#[utoipa::path(get, path = "/projects/{project}/search", tag = "production",
    params(("project" = String, Path), SearchQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn search(
    InProject(repo): InProject,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Listing<bifrost::core::production::SearchHit>>> {
    let parsed = bifrost::core::query::parse(&query.q)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.to_string()))?;
    let page = Page {
        limit: query.limit,
        offset: query.offset,
    };
    let hits = repo
        .search(&parsed, query.all, page.limit(), page.offset())
        .await?;
    Ok(Listing::page(hits, page))
}

/// Shots per status, tasks per department and status, assets per type, versions per week.
#[utoipa::path(get, path = "/projects/{project}/reports/status", tag = "production",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn report_status(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.report_status().await?)))
}

// -- Workflow order, saved searches, collections, favourites --------------------------------

/// Where a status goes in the workflow order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PositionRequest {
    /// 1 = first (the initial status of new assets and shots).
    position: u32,
}

/// Moves a status to a position in the workflow order (needs `manage`).
#[utoipa::path(put, path = "/projects/{project}/workflow/statuses/{status}/position",
    tag = "production", params(("project" = String, Path), ("status" = String, Path)),
    request_body = PositionRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn move_status(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<PositionRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, status)) = path;
    Ok(Json(json!(repo.move_status(&status, body.position).await?)))
}

/// Saved searches of the project.
#[utoipa::path(get, path = "/projects/{project}/saved-searches", tag = "production",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_saved_searches(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.saved_searches().await?)))
}

/// A search to save.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SavedSearchRequest {
    /// Its name.
    name: String,
    /// The query, as `search` takes it.
    query: String,
}

/// Saves a search under a name (needs `edit`; the query must parse).
#[utoipa::path(post, path = "/projects/{project}/saved-searches", tag = "production",
    params(("project" = String, Path)), request_body = SavedSearchRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn save_search(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<SavedSearchRequest>,
) -> ApiResult<Created> {
    bifrost::core::query::parse(&body.query)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.to_string()))?;
    created(repo.save_search(&body.name, &body.query).await?)
}

/// Deletes a saved search (needs `edit`).
#[utoipa::path(delete, path = "/projects/{project}/saved-searches/{name}", tag = "production",
    params(("project" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_saved_search(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, name)) = path;
    repo.delete_saved_search(&name).await?;
    Ok(Json(json!({ "deleted": true })))
}

/// Runs a saved search.
#[utoipa::path(get, path = "/projects/{project}/saved-searches/{name}/results",
    tag = "production", params(("project" = String, Path), ("name" = String, Path), Page),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn run_saved_search(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<bifrost::core::production::SearchHit>>> {
    let ApiPath((_, name)) = path;
    let hits = repo
        .run_saved_search(&name, page.limit(), page.offset())
        .await?;
    Ok(Listing::page(hits, page))
}

/// Collections of the project.
#[utoipa::path(get, path = "/projects/{project}/collections", tag = "production",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_collections(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.collections().await?)))
}

/// Creates a collection (needs `edit`).
#[utoipa::path(post, path = "/projects/{project}/collections", tag = "production",
    params(("project" = String, Path)), request_body = NameRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_collection(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<NameRequest>,
) -> ApiResult<Created> {
    created(repo.create_collection(&body.name).await?)
}

/// Deletes a collection (needs `edit`).
#[utoipa::path(delete, path = "/projects/{project}/collections/{name}", tag = "production",
    params(("project" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_collection(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, name)) = path;
    repo.delete_collection(&name).await?;
    Ok(Json(json!({ "deleted": true })))
}

/// An entity to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntityRequest {
    /// An asset name or `SEQ/SHOT`.
    entity: String,
}

/// An entity to remove.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EntityKey {
    /// An asset name or `SEQ/SHOT`.
    entity: String,
}

/// The members of a collection.
#[utoipa::path(get, path = "/projects/{project}/collections/{name}/members", tag = "production",
    params(("project" = String, Path), ("name" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn collection_members(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, name)) = path;
    Ok(Json(json!(repo.collection_members(&name).await?)))
}

/// Adds an asset or shot to a collection (needs `edit`); `added` is false if it was there.
#[utoipa::path(post, path = "/projects/{project}/collections/{name}/members", tag = "production",
    params(("project" = String, Path), ("name" = String, Path)), request_body = EntityRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_to_collection(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<EntityRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, name)) = path;
    let added = repo
        .add_to_collection(&name, &entity(&body.entity)?)
        .await?;
    Ok(Json(json!({ "added": added })))
}

/// Removes an asset or shot from a collection (needs `edit`).
#[utoipa::path(delete, path = "/projects/{project}/collections/{name}/members",
    tag = "production", params(("project" = String, Path), ("name" = String, Path), EntityKey),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn remove_from_collection(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiQuery(key): ApiQuery<EntityKey>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, name)) = path;
    let removed = repo
        .remove_from_collection(&name, &entity(&key.entity)?)
        .await?;
    Ok(Json(json!({ "removed": removed })))
}

/// The caller's favourites in the project.
#[utoipa::path(get, path = "/projects/{project}/favourites", tag = "production",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn favourites(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    let user = repo.actor().user.clone();
    Ok(Json(json!(repo.favourites(&user).await?)))
}

/// Marks an asset or shot as one of the caller's favourites (needs `comment`).
#[utoipa::path(post, path = "/projects/{project}/favourites", tag = "production",
    params(("project" = String, Path)), request_body = EntityRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_favourite(
    InProject(repo): InProject,
    ApiJson(body): ApiJson<EntityRequest>,
) -> ApiResult<Json<Value>> {
    let user = repo.actor().user.clone();
    let added = repo.add_favourite(&user, &entity(&body.entity)?).await?;
    Ok(Json(json!({ "added": added })))
}

/// Unmarks one of the caller's favourites.
#[utoipa::path(delete, path = "/projects/{project}/favourites", tag = "production",
    params(("project" = String, Path), EntityKey),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn remove_favourite(
    InProject(repo): InProject,
    ApiQuery(key): ApiQuery<EntityKey>,
) -> ApiResult<Json<Value>> {
    let user = repo.actor().user.clone();
    let removed = repo.remove_favourite(&user, &entity(&key.entity)?).await?;
    Ok(Json(json!({ "removed": removed })))
}

//! The production model (workflow, departments, sequences, shots, statuses, tasks, links,
//! dependencies, deletion, review, comments, history, saved searches, collections, reports),
//! written once and compiled once per backend next to `imp.rs`, in the same way.
//!
//! Assets and shots are both *entities*. Tables that point at either (tasks, links, history,
//! comments, collection members) store the kind (`'asset'`, `'shot'`; `'version'` for comments)
//! next to the row id; no foreign key can follow such a pair, so deleting an asset or a shot
//! removes those rows explicitly, in the same transaction.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use bifrost_core::production::{
    ANY_STATUS, Collection, Comment, DEFAULT_DEPARTMENTS, DEFAULT_FPS, DEFAULT_STATUSES,
    DEFAULT_TRANSITIONS, Dependency, EntityKind, EntityRef, FIELD_NAME, FIELD_REVIEW_STATUS,
    FIELD_STATUS, FIELD_TASK_ASSIGNEE, FIELD_TASK_STATUS, HistoryEntry, Link, LinkKind,
    MetadataUpdate, NewShot, ProductionNameKind, ReviewStatus, SavedSearch, Sequence, Shot,
    ShotUpdate, StatusReport, Target, Task, TaskFilter, TaskUpdate, Transition, VersionDetails,
    Workflow, iso_week_label, valid_fps, valid_frame_range, validate_production_name,
};
use bifrost_core::{VersionSelector, query};

use super::IS_POSTGRES;
use super::imp::{
    Conn, DbRow, Metadata, Pool, Result, asset_id, begin_journaled, commit_journaled, insert_rows,
    project_id, version_from_row, version_not_found,
};
use super::search;
use crate::error::OnUniqueViolation;
use crate::sql::{corrupt, now, to_u64};
use crate::{CatalogError, DeletedAsset, DeletedSequence, DeletedShot};

/// Key of the PostgreSQL advisory lock that serialises changes to the link graph ("bifrost" + 2),
/// so that two concurrent links cannot close a cycle that neither saw.
const GRAPH_LOCK_KEY: i64 = 0x6269_6672_6f73_7402;

// ---------------------------------------------------------------------------------------------
// Helpers

/// Takes the graph lock inside a transaction that already holds the write lock (PostgreSQL;
/// SQLite's `BEGIN IMMEDIATE` already excludes every other writer).
pub(super) async fn lock_graph(conn: &mut Conn) -> Result<()> {
    if IS_POSTGRES {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(GRAPH_LOCK_KEY)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// How a resolved row is locked (PostgreSQL only; SQLite write transactions lock the database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lock {
    /// A plain read.
    None,
    /// `FOR SHARE`: the row cannot be deleted until the transaction ends (attaching rows to it).
    Share,
    /// `FOR UPDATE`: the row is about to change.
    Update,
}

impl Lock {
    fn suffix(self, table: &str) -> String {
        match self {
            _ if !IS_POSTGRES => String::new(),
            Lock::None => String::new(),
            Lock::Share => format!(" FOR SHARE OF {table}"),
            Lock::Update => format!(" FOR UPDATE OF {table}"),
        }
    }
}

fn kind_str(entity: &EntityRef) -> &'static str {
    entity.kind().as_str()
}

fn invalid_value(what: &str, value: &str, reason: &str) -> CatalogError {
    CatalogError::InvalidValue {
        what: what.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

fn check_author(author: &str) -> Result<()> {
    if author.trim().is_empty() {
        return Err(invalid_value(
            "author",
            author,
            "say who makes the change (a user name)",
        ));
    }
    Ok(())
}

fn not_found(project: &str, entity: &EntityRef) -> CatalogError {
    match entity {
        EntityRef::Asset(name) => CatalogError::AssetNotFound {
            project: project.to_owned(),
            name: name.clone(),
        },
        EntityRef::Shot { .. } => CatalogError::ShotNotFound {
            project: project.to_owned(),
            shot: entity.to_string(),
        },
    }
}

/// Reads `columns` (bare column names) of `entity`'s row in the project: the asset's, or the
/// shot's found through its sequence. `resolve` and `resolve_status` differ only in the columns.
async fn entity_row<T>(
    conn: &mut Conn,
    project_id: i64,
    entity: &EntityRef,
    columns: &[&str],
    lock: Lock,
) -> Result<Option<T>>
where
    T: for<'r> sqlx::FromRow<'r, DbRow> + Send + Unpin,
{
    let select = |alias: &str| {
        columns
            .iter()
            .map(|column| format!("{alias}.{column}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(match entity {
        EntityRef::Asset(name) => {
            let sql = format!(
                "SELECT {} FROM assets a WHERE a.project_id = $1 AND a.name = $2{}",
                select("a"),
                lock.suffix("a")
            );
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(project_id)
                .bind(name)
                .fetch_optional(&mut *conn)
                .await?
        }
        EntityRef::Shot { sequence, shot } => {
            let sql = format!(
                "SELECT {} FROM sequences q JOIN shots s ON s.sequence_id = q.id \
                 WHERE q.project_id = $1 AND q.name = $2 AND s.name = $3{}",
                select("s"),
                lock.suffix("s")
            );
            sqlx::query_as(AssertSqlSafe(sql))
                .bind(project_id)
                .bind(sequence)
                .bind(shot)
                .fetch_optional(&mut *conn)
                .await?
        }
    })
}

/// The row id of `entity` in the project.
pub(super) async fn resolve(
    conn: &mut Conn,
    project_id: i64,
    project: &str,
    entity: &EntityRef,
    lock: Lock,
) -> Result<i64> {
    let row: Option<(i64,)> = entity_row(conn, project_id, entity, &["id"], lock).await?;
    row.map(|(id,)| id)
        .ok_or_else(|| not_found(project, entity))
}

/// The id and status of `entity`.
async fn resolve_status(
    conn: &mut Conn,
    project_id: i64,
    project: &str,
    entity: &EntityRef,
    lock: Lock,
) -> Result<(i64, String)> {
    let row = entity_row(conn, project_id, entity, &["id", "status"], lock).await?;
    row.ok_or_else(|| not_found(project, entity))
}

/// Joins that name the entity `(kind, id)` of each row: select
/// `COALESCE(ea.name, es.name) AS ename, eq.name AS eseq` and read them back with
/// [`entity_from_row`].
macro_rules! entity_joins {
    ($kind:literal, $id:literal) => {
        concat!(
            " LEFT JOIN assets ea ON ",
            $kind,
            " = 'asset' AND ea.id = ",
            $id,
            " LEFT JOIN shots es ON ",
            $kind,
            " = 'shot' AND es.id = ",
            $id,
            " LEFT JOIN sequences eq ON eq.id = es.sequence_id"
        )
    };
}

fn entity_from_row(row: &DbRow) -> Result<EntityRef> {
    entity_from_names(row.try_get("ename")?, row.try_get("eseq")?)
}

/// The entity named by an `ename` and an `eseq` (see [`entity_joins`]).
fn entity_from_names(name: Option<String>, sequence: Option<String>) -> Result<EntityRef> {
    match (name, sequence) {
        (Some(name), None) => Ok(EntityRef::Asset(name)),
        (Some(shot), Some(sequence)) => Ok(EntityRef::Shot { sequence, shot }),
        _ => Err(corrupt(
            "a task, link, comment or history row names an asset or shot that does not exist"
                .to_owned(),
        )),
    }
}

/// Display names of entities given by `(kind, id)`.
async fn entity_names(conn: &mut Conn, ids: &[(String, i64)]) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(ids.len());
    for (kind, id) in ids {
        let row = sqlx::query(
            "SELECT COALESCE(ea.name, es.name) AS ename, eq.name AS eseq \
             FROM (SELECT CAST($1 AS TEXT) AS kind, CAST($2 AS BIGINT) AS id) x \
             LEFT JOIN assets ea ON x.kind = 'asset' AND ea.id = x.id \
             LEFT JOIN shots es ON x.kind = 'shot' AND es.id = x.id \
             LEFT JOIN sequences eq ON eq.id = es.sequence_id",
        )
        .bind(kind)
        .bind(*id)
        .fetch_one(&mut *conn)
        .await?;
        out.push(entity_from_row(&row)?.to_string());
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Workflow and departments

/// Gives a new project the default workflow and departments.
pub(super) async fn insert_project_defaults(conn: &mut Conn, project_id: i64) -> Result<()> {
    let statuses: Vec<(usize, &str)> = DEFAULT_STATUSES.iter().copied().enumerate().collect();
    insert_rows(
        conn,
        "INSERT INTO workflow_statuses (project_id, name, position)",
        3,
        "",
        &statuses,
        |q, (i, name)| q.bind(project_id).bind(*name).bind(*i as i64),
    )
    .await?;
    insert_rows(
        conn,
        "INSERT INTO workflow_transitions (project_id, from_status, to_status)",
        3,
        "",
        &DEFAULT_TRANSITIONS,
        |q, (from, to)| q.bind(project_id).bind(*from).bind(*to),
    )
    .await?;
    let departments: Vec<(usize, &str)> = DEFAULT_DEPARTMENTS.iter().copied().enumerate().collect();
    insert_rows(
        conn,
        "INSERT INTO departments (project_id, name, position)",
        3,
        "",
        &departments,
        |q, (i, name)| q.bind(project_id).bind(*name).bind(*i as i64),
    )
    .await?;
    Ok(())
}

/// The status new assets, shots and tasks of the project start in, held until the transaction
/// ends (see [`hold_status`]).
pub(super) async fn initial_status(conn: &mut Conn, project_id: i64) -> Result<String> {
    let sql = if IS_POSTGRES {
        "SELECT name FROM workflow_statuses WHERE project_id = $1 ORDER BY position LIMIT 1 \
         FOR SHARE"
    } else {
        "SELECT name FROM workflow_statuses WHERE project_id = $1 ORDER BY position LIMIT 1"
    };
    sqlx::query_scalar::<_, String>(sql)
        .bind(project_id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| corrupt(format!("project #{project_id} has no workflow statuses")))
}

async fn load_workflow(conn: &mut Conn, project_id: i64) -> Result<Workflow> {
    let statuses = sqlx::query_scalar::<_, String>(
        "SELECT name FROM workflow_statuses WHERE project_id = $1 ORDER BY position",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut transitions: Vec<Transition> = sqlx::query_as::<_, (String, String)>(
        "SELECT from_status, to_status FROM workflow_transitions WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(from, to)| Transition { from, to })
    .collect();
    transitions.sort();
    Ok(Workflow {
        statuses,
        transitions,
    })
}

/// Keeps `status` in the workflow until the transaction ends, for a write that puts an entity or
/// task in it: PostgreSQL locks its row `FOR SHARE`, so a concurrent [`remove_status`] either
/// waits for this transaction and then counts the entity, or removes the status first and this
/// fails here with [`CatalogError::UnknownStatus`]. (SQLite write transactions exclude each
/// other.)
async fn hold_status(conn: &mut Conn, project_id: i64, project: &str, status: &str) -> Result<()> {
    if !IS_POSTGRES {
        return Ok(());
    }
    let held = sqlx::query_scalar::<_, i64>(
        "SELECT position FROM workflow_statuses WHERE project_id = $1 AND name = $2 FOR SHARE",
    )
    .bind(project_id)
    .bind(status)
    .fetch_optional(&mut *conn)
    .await?;
    if held.is_none() {
        let workflow = load_workflow(conn, project_id).await?;
        return Err(CatalogError::UnknownStatus {
            project: project.to_owned(),
            status: status.to_owned(),
            known: workflow.statuses,
        });
    }
    Ok(())
}

/// Refuses a status change the workflow does not allow.
fn check_change(
    workflow: &Workflow,
    project: &str,
    entity: &str,
    from: &str,
    to: &str,
) -> Result<()> {
    if !workflow.has(to) {
        return Err(CatalogError::UnknownStatus {
            project: project.to_owned(),
            status: to.to_owned(),
            known: workflow.statuses.clone(),
        });
    }
    if !workflow.allows(from, to) {
        return Err(CatalogError::IllegalTransition {
            entity: entity.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
            allowed: workflow.allowed_next(from),
        });
    }
    Ok(())
}

pub(crate) async fn workflow(pool: &Pool, project: &str) -> Result<Workflow> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    load_workflow(&mut conn, project_id).await
}

pub(crate) async fn add_status(
    pool: &Pool,
    project: &str,
    status: &str,
    journal: &mut crate::Journal<Workflow>,
) -> Result<Workflow> {
    validate_production_name(ProductionNameKind::Status, status)?;
    // Under the write lock, like every change to the statuses (positions are recomputed by
    // `remove_status` and `move_status`).
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    sqlx::query(
        "INSERT INTO workflow_statuses (project_id, name, position) \
         SELECT $1, $2, COALESCE(MAX(position), -1) + 1 FROM workflow_statuses \
         WHERE project_id = $1",
    )
    .bind(project_id)
    .bind(status)
    .execute(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::StatusExists {
        project: project.to_owned(),
        status: status.to_owned(),
    })?;
    let workflow = load_workflow(&mut tx, project_id).await?;
    commit_journaled(tx, journal, &workflow).await?;
    Ok(workflow)
}

pub(crate) async fn add_transition(
    pool: &Pool,
    project: &str,
    from: &str,
    to: &str,
    journal: &mut crate::Journal<Workflow>,
) -> Result<Workflow> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let workflow = load_workflow(&mut tx, project_id).await?;
    for status in [from, to] {
        if !(workflow.has(status) || (status == from && from == ANY_STATUS)) {
            return Err(CatalogError::UnknownStatus {
                project: project.to_owned(),
                status: status.to_owned(),
                known: workflow.statuses.clone(),
            });
        }
    }
    if from == to {
        return Err(invalid_value(
            "transition",
            &format!("{from} → {to}"),
            "a status cannot change to itself",
        ));
    }
    sqlx::query(
        "INSERT INTO workflow_transitions (project_id, from_status, to_status) VALUES ($1, $2, $3)",
    )
    .bind(project_id)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::TransitionExists {
        project: project.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
    })?;
    let workflow = load_workflow(&mut tx, project_id).await?;
    commit_journaled(tx, journal, &workflow).await?;
    Ok(workflow)
}

pub(crate) async fn remove_transition(
    pool: &Pool,
    project: &str,
    from: &str,
    to: &str,
    journal: &mut crate::Journal<Workflow>,
) -> Result<Workflow> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let deleted = sqlx::query(
        "DELETE FROM workflow_transitions \
         WHERE project_id = $1 AND from_status = $2 AND to_status = $3",
    )
    .bind(project_id)
    .bind(from)
    .bind(to)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(CatalogError::TransitionNotFound {
            project: project.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        });
    }
    let workflow = load_workflow(&mut tx, project_id).await?;
    commit_journaled(tx, journal, &workflow).await?;
    Ok(workflow)
}

/// The statuses of a project in order, their rows locked `FOR UPDATE` on PostgreSQL.
async fn lock_statuses(conn: &mut Conn, project_id: i64) -> Result<Vec<String>> {
    let sql = if IS_POSTGRES {
        "SELECT name FROM workflow_statuses WHERE project_id = $1 ORDER BY position FOR UPDATE"
    } else {
        "SELECT name FROM workflow_statuses WHERE project_id = $1 ORDER BY position"
    };
    Ok(sqlx::query_scalar::<_, String>(sql)
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?)
}

/// Gives the statuses of a project the positions 0, 1, 2… in the order of `order`, which must
/// name each of them once. `UNIQUE (project_id, position)` is checked row by row, so every
/// position is first moved out of the way (to a distinct negative number).
async fn write_positions(conn: &mut Conn, project_id: i64, order: &[String]) -> Result<()> {
    sqlx::query("UPDATE workflow_statuses SET position = -1 - position WHERE project_id = $1")
        .bind(project_id)
        .execute(&mut *conn)
        .await?;
    for (position, name) in order.iter().enumerate() {
        let position = i64::try_from(position).map_err(|_| CatalogError::OutOfRange {
            what: "a workflow position".to_owned(),
        })?;
        sqlx::query(
            "UPDATE workflow_statuses SET position = $1 WHERE project_id = $2 AND name = $3",
        )
        .bind(position)
        .bind(project_id)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn unknown_status(project: &str, status: &str, known: Vec<String>) -> CatalogError {
    CatalogError::UnknownStatus {
        project: project.to_owned(),
        status: status.to_owned(),
        known,
    }
}

pub(crate) async fn remove_status(
    pool: &Pool,
    project: &str,
    status: &str,
    journal: &mut crate::Journal<Workflow>,
) -> Result<Workflow> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    // Locking the rows first makes a concurrent write that puts something in this status (which
    // holds it, see `hold_status`) either finish before the counts below or fail.
    let mut statuses = lock_statuses(&mut tx, project_id).await?;
    let Some(index) = statuses.iter().position(|s| s == status) else {
        return Err(unknown_status(project, status, statuses));
    };
    if statuses.len() == 1 {
        return Err(invalid_value(
            "status removal",
            status,
            "it is the only status of the workflow, and new assets, shots and tasks need one to \
             start in; add another status first",
        ));
    }
    let mut counts = [0u64; 3];
    for (count, table) in counts.iter_mut().zip(["assets", "shots", "tasks"]) {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE project_id = $1 AND status = $2");
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(project_id)
            .bind(status)
            .fetch_one(&mut *tx)
            .await?;
        *count = to_u64(n, "a status count")?;
    }
    if counts.iter().any(|&n| n > 0) {
        let [assets, shots, tasks] = counts;
        return Err(CatalogError::StatusInUse {
            project: project.to_owned(),
            status: status.to_owned(),
            assets,
            shots,
            tasks,
        });
    }
    sqlx::query(
        "DELETE FROM workflow_transitions \
         WHERE project_id = $1 AND (from_status = $2 OR to_status = $2)",
    )
    .bind(project_id)
    .bind(status)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM workflow_statuses WHERE project_id = $1 AND name = $2")
        .bind(project_id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    statuses.remove(index);
    write_positions(&mut tx, project_id, &statuses).await?;
    let workflow = load_workflow(&mut tx, project_id).await?;
    commit_journaled(tx, journal, &workflow).await?;
    Ok(workflow)
}

pub(crate) async fn move_status(
    pool: &Pool,
    project: &str,
    status: &str,
    position: u32,
    journal: &mut crate::Journal<Workflow>,
) -> Result<Workflow> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let mut statuses = lock_statuses(&mut tx, project_id).await?;
    let Some(from) = statuses.iter().position(|s| s == status) else {
        return Err(unknown_status(project, status, statuses));
    };
    let count = statuses.len();
    let to = match usize::try_from(position) {
        Ok(p) if (1..=count).contains(&p) => p - 1,
        _ => {
            return Err(invalid_value(
                "workflow position",
                &position.to_string(),
                &format!(
                    "the workflow of project `{project}` has {count} statuses; give a position \
                     from 1 (the initial status) to {count}"
                ),
            ));
        }
    };
    if from != to {
        let moved = statuses.remove(from);
        statuses.insert(to, moved);
        write_positions(&mut tx, project_id, &statuses).await?;
    }
    let workflow = load_workflow(&mut tx, project_id).await?;
    commit_journaled(tx, journal, &workflow).await?;
    Ok(workflow)
}

async fn load_departments(conn: &mut Conn, project_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT name FROM departments WHERE project_id = $1 ORDER BY position",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?)
}

pub(crate) async fn departments(pool: &Pool, project: &str) -> Result<Vec<String>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    load_departments(&mut conn, project_id).await
}

pub(crate) async fn add_department(
    pool: &Pool,
    project: &str,
    department: &str,
    journal: &mut crate::Journal<Vec<String>>,
) -> Result<Vec<String>> {
    validate_production_name(ProductionNameKind::Department, department)?;
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    sqlx::query(
        "INSERT INTO departments (project_id, name, position) \
         SELECT $1, $2, COALESCE(MAX(position), -1) + 1 FROM departments WHERE project_id = $1",
    )
    .bind(project_id)
    .bind(department)
    .execute(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::DepartmentExists {
        project: project.to_owned(),
        department: department.to_owned(),
    })?;
    let departments = load_departments(&mut tx, project_id).await?;
    commit_journaled(tx, journal, &departments).await?;
    Ok(departments)
}

pub(crate) async fn remove_department(
    pool: &Pool,
    project: &str,
    department: &str,
    journal: &mut crate::Journal<Vec<String>>,
) -> Result<Vec<String>> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let tasks: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM tasks WHERE project_id = $1 AND department = $2) \
             + (SELECT COUNT(*) FROM assets WHERE project_id = $1 AND department = $2)",
    )
    .bind(project_id)
    .bind(department)
    .fetch_one(&mut *tx)
    .await?;
    if tasks > 0 {
        return Err(CatalogError::DepartmentInUse {
            project: project.to_owned(),
            department: department.to_owned(),
            tasks: to_u64(tasks, "a task count")?,
        });
    }
    let deleted = sqlx::query("DELETE FROM departments WHERE project_id = $1 AND name = $2")
        .bind(project_id)
        .bind(department)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let departments = load_departments(&mut tx, project_id).await?;
    if deleted == 0 {
        return Err(CatalogError::DepartmentNotFound {
            project: project.to_owned(),
            department: department.to_owned(),
            known: departments,
        });
    }
    commit_journaled(tx, journal, &departments).await?;
    Ok(departments)
}

// ---------------------------------------------------------------------------------------------
// Sequences

fn sequence_from_row(row: &DbRow) -> Result<Sequence> {
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(Sequence {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        name: row.try_get("name")?,
        metadata: metadata.0,
        created_at: row.try_get("created_at")?,
    })
}

fn sequence_exists(project: &str, name: &str) -> CatalogError {
    CatalogError::SequenceExists {
        project: project.to_owned(),
        name: name.to_owned(),
    }
}

fn sequence_not_found(project: &str, name: &str) -> CatalogError {
    CatalogError::SequenceNotFound {
        project: project.to_owned(),
        name: name.to_owned(),
    }
}

const SEQUENCE_SELECT: &str = "SELECT q.id, p.name AS project, q.name, q.metadata, q.created_at \
     FROM sequences q JOIN projects p ON p.id = q.project_id";

pub(crate) async fn create_sequence(
    pool: &Pool,
    project: &str,
    name: &str,
    metadata: &Metadata,
    journal: &mut crate::Journal<Sequence>,
) -> Result<Sequence> {
    validate_production_name(ProductionNameKind::Sequence, name)?;
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO sequences (project_id, name, metadata, created_at) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(project_id)
    .bind(name)
    .bind(Json(metadata))
    .bind(created_at)
    .fetch_one(&mut *tx)
    .await
    .on_unique_violation(|| sequence_exists(project, name))?;
    search::refresh_sequence_doc(&mut tx, id).await?;
    let result = Sequence {
        id,
        project: project.to_owned(),
        name: name.to_owned(),
        metadata: metadata.clone(),
        created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn list_sequences(pool: &Pool, project: &str) -> Result<Vec<Sequence>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let sql = format!("{SEQUENCE_SELECT} WHERE q.project_id = $1 ORDER BY q.name");
    sqlx::query(AssertSqlSafe(sql))
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(sequence_from_row)
        .collect()
}

async fn sequence_id(
    conn: &mut Conn,
    project_id: i64,
    project: &str,
    name: &str,
    lock: Lock,
) -> Result<i64> {
    let sql = format!(
        "SELECT q.id FROM sequences q WHERE q.project_id = $1 AND q.name = $2{}",
        lock.suffix("q")
    );
    sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql))
        .bind(project_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| sequence_not_found(project, name))
}

pub(crate) async fn get_sequence(pool: &Pool, project: &str, name: &str) -> Result<Sequence> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let sql = format!("{SEQUENCE_SELECT} WHERE q.project_id = $1 AND q.name = $2");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(project_id)
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| sequence_not_found(project, name))?;
    sequence_from_row(&row)
}

pub(crate) async fn rename_sequence(
    pool: &Pool,
    project: &str,
    name: &str,
    new_name: &str,
    journal: &mut crate::Journal<Sequence>,
) -> Result<Sequence> {
    validate_production_name(ProductionNameKind::Sequence, new_name)?;
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    // Locked first, so that a shot being created in it meanwhile (whose insert waits on this
    // row) is either already there for the refresh below or sees the new name.
    let id = sequence_id(&mut tx, project_id, project, name, Lock::Update).await?;
    if new_name != name {
        sqlx::query("UPDATE sequences SET name = $1 WHERE id = $2")
            .bind(new_name)
            .bind(id)
            .execute(&mut *tx)
            .await
            .on_unique_violation(|| sequence_exists(project, new_name))?;
        // Shot documents are named `SEQ/SHOT` and hold the sequence's name as text.
        search::refresh_sequence_doc(&mut tx, id).await?;
        let shots = search::refresh_shot_docs_of_sequence(&mut tx, id).await?;
        tracing::debug!(
            project,
            sequence = name,
            new_name,
            shots,
            "sequence renamed"
        );
    }
    let sql = format!("{SEQUENCE_SELECT} WHERE q.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let sequence = sequence_from_row(&row)?;
    commit_journaled(tx, journal, &sequence).await?;
    Ok(sequence)
}

pub(crate) async fn delete_sequence(
    pool: &Pool,
    project: &str,
    name: &str,
    force: bool,
    journal: &mut crate::Journal<DeletedSequence>,
) -> Result<DeletedSequence> {
    let mut tx = begin_journaled(pool).await?;
    lock_graph(&mut tx).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = sequence_id(&mut tx, project_id, project, name, Lock::Update).await?;
    let sql = format!(
        "SELECT s.name FROM shots s WHERE s.sequence_id = $1 ORDER BY s.name{}",
        Lock::Update.suffix("s")
    );
    let shots = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
    if !shots.is_empty() && !force {
        return Err(CatalogError::SequenceHasShots {
            project: project.to_owned(),
            sequence: name.to_owned(),
            shots,
        });
    }
    let scope = ShotScope::Sequence(id);
    let dependants = shot_dependants(&mut tx, scope).await?;
    let (links, tasks) = delete_shot_rows(&mut tx, scope).await?;
    sqlx::query("DELETE FROM search_docs WHERE kind = 'sequence' AND entity_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sequences WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let result = DeletedSequence {
        shots,
        links,
        tasks,
        dependants,
    };
    commit_journaled(tx, journal, &result).await?;
    tracing::debug!(
        project,
        sequence = name,
        shots = result.shots.len(),
        links,
        tasks,
        "sequence deleted"
    );
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Shots

const SHOT_SELECT: &str = "SELECT s.id, p.name AS project, q.name AS sequence, s.name, \
     s.frame_start, s.frame_end, s.fps, s.status, s.metadata, s.created_at \
     FROM shots s JOIN sequences q ON q.id = s.sequence_id JOIN projects p ON p.id = s.project_id";

fn shot_from_row(row: &DbRow) -> Result<Shot> {
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(Shot {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        sequence: row.try_get("sequence")?,
        name: row.try_get("name")?,
        frame_start: row.try_get("frame_start")?,
        frame_end: row.try_get("frame_end")?,
        fps: row.try_get("fps")?,
        status: row.try_get("status")?,
        metadata: metadata.0,
        created_at: row.try_get("created_at")?,
    })
}

/// Checks a shot's frames and rate.
pub(super) fn check_shot_figures(shot: &str, start: i64, end: i64, fps: f64) -> Result<()> {
    if !valid_frame_range(start, end) {
        return Err(CatalogError::InvalidFrameRange {
            shot: shot.to_owned(),
            start,
            end,
        });
    }
    if !valid_fps(fps) {
        return Err(CatalogError::InvalidFps {
            shot: shot.to_owned(),
            fps,
        });
    }
    Ok(())
}

pub(crate) async fn create_shot(
    pool: &Pool,
    project: &str,
    new: &NewShot,
    journal: &mut crate::Journal<Shot>,
) -> Result<Shot> {
    validate_production_name(ProductionNameKind::Sequence, &new.sequence)?;
    validate_production_name(ProductionNameKind::Shot, &new.name)?;
    let reference = EntityRef::shot(&new.sequence, &new.name).to_string();
    let fps = new.fps.unwrap_or(DEFAULT_FPS);
    check_shot_figures(&reference, new.frame_start, new.frame_end, fps)?;
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let sequence_id = sequence_id(&mut tx, project_id, project, &new.sequence, Lock::None).await?;
    let status = initial_status(&mut tx, project_id).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO shots (project_id, sequence_id, name, frame_start, frame_end, fps, status, \
         metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(project_id)
    .bind(sequence_id)
    .bind(&new.name)
    .bind(new.frame_start)
    .bind(new.frame_end)
    .bind(fps)
    .bind(&status)
    .bind(Json(&new.metadata))
    .bind(created_at)
    .fetch_one(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::ShotExists {
        project: project.to_owned(),
        shot: reference,
    })?;
    search::refresh_shot_doc(&mut tx, id).await?;
    let result = Shot {
        id,
        project: project.to_owned(),
        sequence: new.sequence.clone(),
        name: new.name.clone(),
        frame_start: new.frame_start,
        frame_end: new.frame_end,
        fps,
        status,
        metadata: new.metadata.clone(),
        created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn list_shots(
    pool: &Pool,
    project: &str,
    sequence: Option<&str>,
) -> Result<Vec<Shot>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let rows = match sequence {
        Some(sequence) => {
            let sequence_id =
                sequence_id(&mut conn, project_id, project, sequence, Lock::None).await?;
            let sql = format!("{SHOT_SELECT} WHERE s.sequence_id = $1 ORDER BY s.name");
            sqlx::query(AssertSqlSafe(sql))
                .bind(sequence_id)
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            let sql = format!("{SHOT_SELECT} WHERE s.project_id = $1 ORDER BY q.name, s.name");
            sqlx::query(AssertSqlSafe(sql))
                .bind(project_id)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(shot_from_row).collect()
}

async fn shot_by_id(conn: &mut Conn, id: i64) -> Result<Shot> {
    let sql = format!("{SHOT_SELECT} WHERE s.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    shot_from_row(&row)
}

pub(crate) async fn get_shot(
    pool: &Pool,
    project: &str,
    sequence: &str,
    shot: &str,
) -> Result<Shot> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let entity = EntityRef::shot(sequence, shot);
    let id = resolve(&mut conn, project_id, project, &entity, Lock::None).await?;
    shot_by_id(&mut conn, id).await
}

pub(crate) async fn update_shot(
    pool: &Pool,
    project: &str,
    sequence: &str,
    shot: &str,
    update: &ShotUpdate,
    journal: &mut crate::Journal<Shot>,
) -> Result<Shot> {
    let entity = EntityRef::shot(sequence, shot);
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = resolve(&mut tx, project_id, project, &entity, Lock::Update).await?;
    let mut current = shot_by_id(&mut tx, id).await?;
    current.frame_start = update.frame_start.unwrap_or(current.frame_start);
    current.frame_end = update.frame_end.unwrap_or(current.frame_end);
    current.fps = update.fps.unwrap_or(current.fps);
    check_shot_figures(
        &entity.to_string(),
        current.frame_start,
        current.frame_end,
        current.fps,
    )?;
    if let Some(change) = &update.metadata {
        change.apply(&mut current.metadata);
    }
    sqlx::query(
        "UPDATE shots SET frame_start = $1, frame_end = $2, fps = $3, metadata = $4 WHERE id = $5",
    )
    .bind(current.frame_start)
    .bind(current.frame_end)
    .bind(current.fps)
    .bind(Json(&current.metadata))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if update.metadata.is_some() {
        search::refresh_shot_doc(&mut tx, id).await?;
    }
    commit_journaled(tx, journal, &current).await?;
    Ok(current)
}

pub(crate) async fn rename_shot(
    pool: &Pool,
    project: &str,
    sequence: &str,
    shot: &str,
    new_name: &str,
    author: &str,
    journal: &mut crate::Journal<Shot>,
) -> Result<Shot> {
    validate_production_name(ProductionNameKind::Shot, new_name)?;
    check_author(author)?;
    let entity = EntityRef::shot(sequence, shot);
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = resolve(&mut tx, project_id, project, &entity, Lock::Update).await?;
    if new_name != shot {
        let renamed = EntityRef::shot(sequence, new_name);
        sqlx::query("UPDATE shots SET name = $1 WHERE id = $2")
            .bind(new_name)
            .bind(id)
            .execute(&mut *tx)
            .await
            .on_unique_violation(|| CatalogError::ShotExists {
                project: project.to_owned(),
                shot: renamed.to_string(),
            })?;
        search::refresh_shot_doc(&mut tx, id).await?;
        record_history(
            &mut tx,
            project_id,
            HistoryTarget {
                kind: EntityKind::Shot,
                id,
                version_id: None,
                department: None,
                target: Target::Entity(renamed),
            },
            FIELD_NAME,
            Some(shot),
            Some(new_name),
            author,
        )
        .await?;
    }
    let renamed = shot_by_id(&mut tx, id).await?;
    commit_journaled(tx, journal, &renamed).await?;
    Ok(renamed)
}

/// The shots a deletion removes: one, or every shot of a sequence.
#[derive(Debug, Clone, Copy)]
enum ShotScope {
    /// The shot with this id.
    One(i64),
    /// The shots of the sequence with this id.
    Sequence(i64),
}

impl ShotScope {
    /// A condition on a shot id column that holds for the shots in scope, with `$1` bound to
    /// [`ShotScope::id`].
    fn condition(self, column: &str) -> String {
        match self {
            ShotScope::One(_) => format!("{column} = $1"),
            ShotScope::Sequence(_) => {
                format!("{column} IN (SELECT id FROM shots WHERE sequence_id = $1)")
            }
        }
    }

    fn id(self) -> i64 {
        match self {
            ShotScope::One(id) | ShotScope::Sequence(id) => id,
        }
    }
}

/// What uses the shots in scope, from outside it (`NAME` or `SEQ/SHOT`), sorted.
async fn shot_dependants(conn: &mut Conn, scope: ShotScope) -> Result<Vec<String>> {
    let sql = format!(
        concat!(
            "SELECT DISTINCT COALESCE(ea.name, es.name) AS ename, eq.name AS eseq FROM links l",
            entity_joins!("l.src_kind", "l.src_id"),
            " WHERE l.dst_kind = 'shot' AND {} AND NOT (l.src_kind = 'shot' AND {})"
        ),
        scope.condition("l.dst_id"),
        scope.condition("l.src_id"),
    );
    let users = sqlx::query(AssertSqlSafe(sql))
        .bind(scope.id())
        .fetch_all(&mut *conn)
        .await?;
    dependant_names(&users)
}

/// The names of the entities that link to something being deleted (rows selected with
/// `entity_joins!`), sorted so that the refusal lists them in a stable order.
fn dependant_names(users: &[DbRow]) -> Result<Vec<String>> {
    let mut dependants: Vec<String> = users
        .iter()
        .map(|row| entity_from_row(row).map(|e| e.to_string()))
        .collect::<Result<_>>()?;
    dependants.sort();
    Ok(dependants)
}

/// Deletes the shots in scope with every row that names them (links both ways, tasks, history,
/// comments, collection memberships, search documents); returns how many links and tasks went.
async fn delete_shot_rows(conn: &mut Conn, scope: ShotScope) -> Result<(u64, u64)> {
    let id = scope.id();
    let sql = format!(
        "DELETE FROM links WHERE (src_kind = 'shot' AND {}) OR (dst_kind = 'shot' AND {})",
        scope.condition("src_id"),
        scope.condition("dst_id")
    );
    let links = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let sql = format!(
        "DELETE FROM tasks WHERE entity_kind = 'shot' AND {}",
        scope.condition("entity_id")
    );
    let tasks = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let by_shot = [
        ("history", "entity_kind", "entity_id"),
        ("comments", "target_kind", "target_id"),
        ("collection_members", "entity_kind", "entity_id"),
        ("search_docs", "kind", "entity_id"),
    ];
    for (table, kind, entity) in by_shot {
        let sql = format!(
            "DELETE FROM {table} WHERE {kind} = 'shot' AND {}",
            scope.condition(entity)
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let sql = match scope {
        ShotScope::One(_) => "DELETE FROM shots WHERE id = $1",
        ShotScope::Sequence(_) => "DELETE FROM shots WHERE sequence_id = $1",
    };
    sqlx::query(sql).bind(id).execute(&mut *conn).await?;
    Ok((links, tasks))
}

pub(crate) async fn delete_shot(
    pool: &Pool,
    project: &str,
    sequence: &str,
    shot: &str,
    force: bool,
    journal: &mut crate::Journal<DeletedShot>,
) -> Result<DeletedShot> {
    let entity = EntityRef::shot(sequence, shot);
    let mut tx = begin_journaled(pool).await?;
    lock_graph(&mut tx).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = resolve(&mut tx, project_id, project, &entity, Lock::Update).await?;
    let scope = ShotScope::One(id);
    let dependants = shot_dependants(&mut tx, scope).await?;
    if !dependants.is_empty() && !force {
        return Err(CatalogError::ShotHasDependants {
            shot: entity.to_string(),
            dependants,
        });
    }
    let (links, tasks) = delete_shot_rows(&mut tx, scope).await?;
    let result = DeletedShot {
        links,
        tasks,
        dependants,
    };
    commit_journaled(tx, journal, &result).await?;
    tracing::debug!(project, shot = %entity, links, tasks, "shot deleted");
    Ok(result)
}

/// Applies a metadata change to row `id` of `table` (a fixed table name, never user input)
/// inside the caller's transaction; returns the new metadata.
async fn update_metadata_row(
    conn: &mut Conn,
    table: &str,
    id: i64,
    update: &MetadataUpdate,
) -> Result<Metadata> {
    let current: Json<Metadata> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT metadata FROM {table} WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let mut metadata = current.0;
    update.apply(&mut metadata);
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE {table} SET metadata = $1 WHERE id = $2"
    )))
    .bind(Json(&metadata))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(metadata)
}

/// Changes the metadata of an asset (merge patch or replacement).
pub(crate) async fn update_asset_metadata(
    pool: &Pool,
    project: &str,
    asset: &str,
    update: &MetadataUpdate,
    journal: &mut crate::Journal<Metadata>,
) -> Result<Metadata> {
    let mut tx = begin_journaled(pool).await?;
    let id = asset_id(&mut tx, project, asset, true).await?;
    let metadata = update_metadata_row(&mut tx, "assets", id, update).await?;
    search::refresh_asset_doc(&mut tx, id).await?;
    commit_journaled(tx, journal, &metadata).await?;
    Ok(metadata)
}

/// Changes the metadata of a sequence (merge patch or replacement).
pub(crate) async fn update_sequence_metadata(
    pool: &Pool,
    project: &str,
    name: &str,
    update: &MetadataUpdate,
    journal: &mut crate::Journal<Sequence>,
) -> Result<Sequence> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = sequence_id(&mut tx, project_id, project, name, Lock::Update).await?;
    update_metadata_row(&mut tx, "sequences", id, update).await?;
    search::refresh_sequence_doc(&mut tx, id).await?;
    let sql = format!("{SEQUENCE_SELECT} WHERE q.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let sequence = sequence_from_row(&row)?;
    commit_journaled(tx, journal, &sequence).await?;
    Ok(sequence)
}

// ---------------------------------------------------------------------------------------------
// Statuses and history

/// What a history row is about.
struct HistoryTarget<'a> {
    kind: EntityKind,
    id: i64,
    version_id: Option<i64>,
    department: Option<&'a str>,
    target: Target,
}

async fn record_history(
    conn: &mut Conn,
    project_id: i64,
    what: HistoryTarget<'_>,
    field: &str,
    old: Option<&str>,
    new: Option<&str>,
    author: &str,
) -> Result<HistoryEntry> {
    let at = now();
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO history (project_id, entity_kind, entity_id, version_id, department, field, \
         old_value, new_value, author, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         RETURNING id",
    )
    .bind(project_id)
    .bind(what.kind.as_str())
    .bind(what.id)
    .bind(what.version_id)
    .bind(what.department)
    .bind(field)
    .bind(old)
    .bind(new)
    .bind(author)
    .bind(at)
    .fetch_one(&mut *conn)
    .await?;
    Ok(HistoryEntry {
        id,
        target: what.target,
        department: what.department.map(str::to_owned),
        field: field.to_owned(),
        old: old.map(str::to_owned),
        new: new.map(str::to_owned),
        author: author.to_owned(),
        at,
    })
}

pub(crate) async fn entity_status(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
) -> Result<String> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    Ok(
        resolve_status(&mut conn, project_id, project, entity, Lock::None)
            .await?
            .1,
    )
}

pub(crate) async fn set_status(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    status: &str,
    author: &str,
    journal: &mut crate::Journal<HistoryEntry>,
) -> Result<HistoryEntry> {
    check_author(author)?;
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let (id, current) = resolve_status(&mut tx, project_id, project, entity, Lock::Update).await?;
    let workflow = load_workflow(&mut tx, project_id).await?;
    check_change(&workflow, project, &entity.to_string(), &current, status)?;
    hold_status(&mut tx, project_id, project, status).await?;
    let sql = match entity {
        EntityRef::Asset(_) => "UPDATE assets SET status = $1 WHERE id = $2",
        EntityRef::Shot { .. } => "UPDATE shots SET status = $1 WHERE id = $2",
    };
    sqlx::query(sql)
        .bind(status)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entry = record_history(
        &mut tx,
        project_id,
        HistoryTarget {
            kind: entity.kind(),
            id,
            version_id: None,
            department: None,
            target: Target::Entity(entity.clone()),
        },
        FIELD_STATUS,
        Some(&current),
        Some(status),
        author,
    )
    .await?;
    commit_journaled(tx, journal, &entry).await?;
    Ok(entry)
}

/// Resolves a comment or history target to `(kind, id, owner)`: the row id of the asset, shot or
/// version, and for a version the id of its asset.
async fn resolve_target(
    conn: &mut Conn,
    project_id: i64,
    project: &str,
    target: &Target,
    lock: Lock,
) -> Result<(EntityKind, i64, i64)> {
    match target {
        Target::Entity(entity) => {
            let id = resolve(conn, project_id, project, entity, lock).await?;
            Ok((entity.kind(), id, id))
        }
        Target::Version { asset, number } => {
            let entity = EntityRef::Asset(asset.clone());
            let asset_id = resolve(conn, project_id, project, &entity, lock).await?;
            let id = version_id(conn, asset_id, asset, *number).await?;
            Ok((EntityKind::Version, id, asset_id))
        }
    }
}

/// The row id of version `number` of an asset, or [`CatalogError::VersionNotFound`].
async fn version_id(conn: &mut Conn, asset_id: i64, asset: &str, number: i64) -> Result<i64> {
    let id =
        sqlx::query_scalar::<_, i64>("SELECT id FROM versions WHERE asset_id = $1 AND number = $2")
            .bind(asset_id)
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?;
    match id {
        Some(id) => Ok(id),
        None => Err(version_not_found(conn, asset_id, asset, number).await?),
    }
}

pub(crate) async fn history(
    pool: &Pool,
    project: &str,
    target: &Target,
) -> Result<Vec<HistoryEntry>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let (kind, id, _) = resolve_target(&mut conn, project_id, project, target, Lock::None).await?;
    let select = concat!(
        "SELECT h.id, h.version_id, v.number, h.department, h.field, h.old_value, h.new_value, \
         h.author, h.at, COALESCE(ea.name, es.name) AS ename, eq.name AS eseq \
         FROM history h LEFT JOIN versions v ON v.id = h.version_id",
        entity_joins!("h.entity_kind", "h.entity_id")
    );
    let rows = if kind == EntityKind::Version {
        let sql = format!("{select} WHERE h.version_id = $1 ORDER BY h.id DESC");
        sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
    } else {
        let sql =
            format!("{select} WHERE h.entity_kind = $1 AND h.entity_id = $2 ORDER BY h.id DESC");
        sqlx::query(AssertSqlSafe(sql))
            .bind(kind.as_str())
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
    };
    rows.iter()
        .map(|row| {
            let entity = entity_from_row(row)?;
            let number: Option<i64> = row.try_get("number")?;
            let target = match (number, &entity) {
                (Some(number), EntityRef::Asset(asset)) => Target::version(asset, number),
                _ => Target::Entity(entity),
            };
            Ok(HistoryEntry {
                id: row.try_get("id")?,
                target,
                department: row.try_get("department")?,
                field: row.try_get("field")?,
                old: row.try_get("old_value")?,
                new: row.try_get("new_value")?,
                author: row.try_get("author")?,
                at: row.try_get("at")?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Tasks

const TASK_SELECT: &str = concat!(
    "SELECT t.id, p.name AS project, t.department, t.assignee, t.status, t.created_at, \
     t.updated_at, COALESCE(ea.name, es.name) AS ename, eq.name AS eseq \
     FROM tasks t JOIN projects p ON p.id = t.project_id",
    entity_joins!("t.entity_kind", "t.entity_id")
);

fn task_from_row(row: &DbRow) -> Result<Task> {
    Ok(Task {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        entity: entity_from_row(row)?,
        department: row.try_get("department")?,
        assignee: row.try_get("assignee")?,
        status: row.try_get("status")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn task_label(entity: &EntityRef, department: &str) -> String {
    format!("{entity} [{department}]")
}

pub(super) async fn check_department(
    conn: &mut Conn,
    project_id: i64,
    project: &str,
    department: &str,
) -> Result<()> {
    let departments = load_departments(conn, project_id).await?;
    if departments.iter().any(|d| d == department) {
        Ok(())
    } else {
        Err(CatalogError::DepartmentNotFound {
            project: project.to_owned(),
            department: department.to_owned(),
            known: departments,
        })
    }
}

pub(crate) async fn create_task(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    department: &str,
    assignee: Option<&str>,
    journal: &mut crate::Journal<Task>,
) -> Result<Task> {
    if let Some(user) = assignee {
        validate_production_name(ProductionNameKind::User, user)?;
    }
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let entity_id = resolve(&mut tx, project_id, project, entity, Lock::Share).await?;
    check_department(&mut tx, project_id, project, department).await?;
    let status = initial_status(&mut tx, project_id).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO tasks (project_id, entity_kind, entity_id, department, assignee, status, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(project_id)
    .bind(kind_str(entity))
    .bind(entity_id)
    .bind(department)
    .bind(assignee)
    .bind(&status)
    .bind(created_at)
    .fetch_one(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::TaskExists {
        entity: entity.to_string(),
        department: department.to_owned(),
    })?;
    let result = Task {
        id,
        project: project.to_owned(),
        entity: entity.clone(),
        department: department.to_owned(),
        assignee: assignee.map(str::to_owned),
        status,
        created_at,
        updated_at: created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

/// The id, assignee and status of the task of `department` on an entity.
async fn find_task(
    conn: &mut Conn,
    kind: &str,
    entity_id: i64,
    entity: &EntityRef,
    department: &str,
) -> Result<(i64, Option<String>, String)> {
    let sql = format!(
        "SELECT id, assignee, status FROM tasks \
         WHERE entity_kind = $1 AND entity_id = $2 AND department = $3{}",
        if IS_POSTGRES { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(AssertSqlSafe(sql))
        .bind(kind)
        .bind(entity_id)
        .bind(department)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| CatalogError::TaskNotFound {
            entity: entity.to_string(),
            department: department.to_owned(),
        })
}

pub(crate) async fn update_task(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    department: &str,
    update: &TaskUpdate,
    author: &str,
    journal: &mut crate::Journal<Task>,
) -> Result<Task> {
    check_author(author)?;
    if let Some(Some(user)) = &update.assignee {
        validate_production_name(ProductionNameKind::User, user)?;
    }
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let entity_id = resolve(&mut tx, project_id, project, entity, Lock::Share).await?;
    let kind = kind_str(entity);
    let (task_id, assignee, status) =
        find_task(&mut tx, kind, entity_id, entity, department).await?;
    let target = || HistoryTarget {
        kind: entity.kind(),
        id: entity_id,
        version_id: None,
        department: Some(department),
        target: Target::Entity(entity.clone()),
    };
    let mut new_status = status.clone();
    if let Some(to) = &update.status {
        let workflow = load_workflow(&mut tx, project_id).await?;
        check_change(
            &workflow,
            project,
            &task_label(entity, department),
            &status,
            to,
        )?;
        hold_status(&mut tx, project_id, project, to).await?;
        record_history(
            &mut tx,
            project_id,
            target(),
            FIELD_TASK_STATUS,
            Some(&status),
            Some(to),
            author,
        )
        .await?;
        new_status = to.clone();
    }
    let mut new_assignee = assignee.clone();
    if let Some(to) = &update.assignee
        && *to != assignee
    {
        record_history(
            &mut tx,
            project_id,
            target(),
            FIELD_TASK_ASSIGNEE,
            assignee.as_deref(),
            to.as_deref(),
            author,
        )
        .await?;
        new_assignee = to.clone();
    }
    sqlx::query("UPDATE tasks SET assignee = $1, status = $2, updated_at = $3 WHERE id = $4")
        .bind(&new_assignee)
        .bind(&new_status)
        .bind(now())
        .bind(task_id)
        .execute(&mut *tx)
        .await?;
    let sql = format!("{TASK_SELECT} WHERE t.id = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(task_id)
        .fetch_one(&mut *tx)
        .await?;
    let task = task_from_row(&row)?;
    commit_journaled(tx, journal, &task).await?;
    Ok(task)
}

pub(crate) async fn delete_task(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    department: &str,
    journal: &mut crate::Journal<()>,
) -> Result<()> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let entity_id = resolve(&mut tx, project_id, project, entity, Lock::Share).await?;
    let (task_id, _, _) =
        find_task(&mut tx, kind_str(entity), entity_id, entity, department).await?;
    sqlx::query("DELETE FROM tasks WHERE id = $1")
        .bind(task_id)
        .execute(&mut *tx)
        .await?;
    commit_journaled(tx, journal, &()).await?;
    Ok(())
}

pub(crate) async fn list_tasks(
    pool: &Pool,
    project: &str,
    filter: &TaskFilter,
) -> Result<Vec<Task>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let mut sql = format!("{TASK_SELECT} WHERE t.project_id = $1");
    let mut next = 2;
    let entity = match &filter.entity {
        Some(entity) => {
            let id = resolve(&mut conn, project_id, project, entity, Lock::None).await?;
            sql.push_str(&format!(
                " AND t.entity_kind = ${next} AND t.entity_id = ${}",
                next + 1
            ));
            next += 2;
            Some((kind_str(entity), id))
        }
        None => None,
    };
    if filter.department.is_some() {
        sql.push_str(&format!(" AND t.department = ${next}"));
        next += 1;
    }
    if filter.assignee.is_some() {
        sql.push_str(&format!(" AND t.assignee = ${next}"));
    }
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(project_id);
    if let Some((kind, id)) = entity {
        query = query.bind(kind).bind(id);
    }
    if let Some(department) = &filter.department {
        query = query.bind(department);
    }
    if let Some(assignee) = &filter.assignee {
        query = query.bind(assignee);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let departments = load_departments(&mut conn, project_id).await?;
    let position = |d: &str| {
        departments
            .iter()
            .position(|x| x == d)
            .unwrap_or(usize::MAX)
    };
    let mut tasks: Vec<Task> = rows.iter().map(task_from_row).collect::<Result<_>>()?;
    tasks.sort_by(|a, b| {
        (&a.entity, position(&a.department), &a.department).cmp(&(
            &b.entity,
            position(&b.department),
            &b.department,
        ))
    });
    Ok(tasks)
}

// ---------------------------------------------------------------------------------------------
// Links and dependencies

/// Whether `to` is reachable from `from` by following links forward.
async fn reachable(conn: &mut Conn, from: (&str, i64), to: (&str, i64)) -> Result<bool> {
    let found = sqlx::query_scalar::<_, i64>(
        "WITH RECURSIVE r (kind, id) AS ( \
             SELECT dst_kind, dst_id FROM links WHERE src_kind = $1 AND src_id = $2 \
             UNION \
             SELECT l.dst_kind, l.dst_id FROM r CROSS JOIN links l \
             WHERE l.src_kind = r.kind AND l.src_id = r.id) \
         SELECT CAST(1 AS BIGINT) FROM r WHERE kind = $3 AND id = $4 LIMIT 1",
    )
    .bind(from.0)
    .bind(from.1)
    .bind(to.0)
    .bind(to.1)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.is_some())
}

/// A shortest path of links from `from` to `to` (both included), breadth first.
async fn link_path(
    conn: &mut Conn,
    from: (String, i64),
    to: (String, i64),
) -> Result<Vec<(String, i64)>> {
    let mut parent: HashMap<(String, i64), (String, i64)> = HashMap::new();
    let mut queue = VecDeque::from([from.clone()]);
    let mut seen: HashSet<(String, i64)> = HashSet::from([from.clone()]);
    while let Some(node) = queue.pop_front() {
        if node == to {
            let mut path = vec![node.clone()];
            let mut at = node;
            while let Some(p) = parent.get(&at) {
                path.push(p.clone());
                at = p.clone();
            }
            path.reverse();
            return Ok(path);
        }
        let next: Vec<(String, i64)> = sqlx::query_as(
            "SELECT dst_kind, dst_id FROM links WHERE src_kind = $1 AND src_id = $2 \
             ORDER BY dst_kind, dst_id",
        )
        .bind(&node.0)
        .bind(node.1)
        .fetch_all(&mut *conn)
        .await?;
        for n in next {
            if seen.insert(n.clone()) {
                parent.insert(n.clone(), node.clone());
                queue.push_back(n);
            }
        }
    }
    Ok(vec![from, to])
}

/// Refuses a link that no catalog state could make valid: one from an entity to itself, or a pin
/// on a shot (shots have no versions) or below v1. Shared with the bulk import, which checks a
/// whole batch before its first insert.
pub(super) fn check_link_shape(link: &Link) -> Result<()> {
    if link.src == link.dst {
        return Err(CatalogError::SelfLink {
            entity: link.src.to_string(),
        });
    }
    if let Some(pin) = link.pin
        && (matches!(link.dst, EntityRef::Shot { .. }) || pin < 1)
    {
        return Err(CatalogError::InvalidPin {
            dst: link.dst.to_string(),
            pin,
        });
    }
    Ok(())
}

pub(crate) async fn link(
    pool: &Pool,
    project: &str,
    link: &Link,
    journal: &mut crate::Journal<()>,
) -> Result<()> {
    check_link_shape(link)?;
    let mut tx = begin_journaled(pool).await?;
    lock_graph(&mut tx).await?;
    let project_id = project_id(&mut tx, project).await?;
    let src = resolve(&mut tx, project_id, project, &link.src, Lock::Share).await?;
    let dst = resolve(&mut tx, project_id, project, &link.dst, Lock::Share).await?;
    if let (Some(pin), EntityRef::Asset(asset)) = (link.pin, &link.dst) {
        version_id(&mut tx, dst, asset, pin).await?;
    }
    let (src_kind, dst_kind) = (kind_str(&link.src), kind_str(&link.dst));
    let exists = sqlx::query_scalar::<_, i64>(
        "SELECT CAST(1 AS BIGINT) FROM links WHERE src_kind = $1 AND src_id = $2 \
         AND dst_kind = $3 \
         AND dst_id = $4 AND kind = $5",
    )
    .bind(src_kind)
    .bind(src)
    .bind(dst_kind)
    .bind(dst)
    .bind(link.kind.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    if exists.is_some() {
        return Err(CatalogError::LinkExists {
            src: link.src.to_string(),
            dst: link.dst.to_string(),
            kind: link.kind.to_string(),
        });
    }
    if reachable(&mut tx, (dst_kind, dst), (src_kind, src)).await? {
        let path = link_path(
            &mut tx,
            (dst_kind.to_owned(), dst),
            (src_kind.to_owned(), src),
        )
        .await?;
        let mut cycle = vec![link.src.to_string()];
        cycle.extend(entity_names(&mut tx, &path).await?);
        return Err(CatalogError::LinkCycle { cycle });
    }
    sqlx::query(
        "INSERT INTO links (src_kind, src_id, dst_kind, dst_id, kind, pin, project_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(src_kind)
    .bind(src)
    .bind(dst_kind)
    .bind(dst)
    .bind(link.kind.as_str())
    .bind(link.pin)
    .bind(project_id)
    .bind(now())
    .execute(&mut *tx)
    .await?;
    commit_journaled(tx, journal, &()).await?;
    Ok(())
}

pub(crate) async fn unlink(
    pool: &Pool,
    project: &str,
    src: &EntityRef,
    dst: &EntityRef,
    kind: LinkKind,
    journal: &mut crate::Journal<()>,
) -> Result<()> {
    let mut tx = begin_journaled(pool).await?;
    lock_graph(&mut tx).await?;
    let project_id = project_id(&mut tx, project).await?;
    let src_id = resolve(&mut tx, project_id, project, src, Lock::None).await?;
    let dst_id = resolve(&mut tx, project_id, project, dst, Lock::None).await?;
    let deleted = sqlx::query(
        "DELETE FROM links WHERE src_kind = $1 AND src_id = $2 AND dst_kind = $3 \
         AND dst_id = $4 AND kind = $5",
    )
    .bind(kind_str(src))
    .bind(src_id)
    .bind(kind_str(dst))
    .bind(dst_id)
    .bind(kind.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if deleted == 0 {
        return Err(CatalogError::LinkNotFound {
            src: src.to_string(),
            dst: dst.to_string(),
            kind: kind.to_string(),
        });
    }
    commit_journaled(tx, journal, &()).await?;
    Ok(())
}

/// Walks the links of `entity` forward (what it uses) or backward (what uses it), one level or
/// all the way.
///
/// One recursive query over the two link indexes finds every entity reachable (each once:
/// `UNION` over `(kind, id)`, so a deep graph with many paths stays linear) and returns the
/// links leaving them, with the name of what each reaches; a breadth-first pass here then gives
/// each `(entity, link kind, pin)` the smallest depth at which such a link reaches it.
async fn walk(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    transitive: bool,
    forward: bool,
) -> Result<Vec<Dependency>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let id = resolve(&mut conn, project_id, project, entity, Lock::None).await?;
    // `near` is the side the walk starts from, `far` the side it reaches.
    let (near, far) = if forward {
        ("src", "dst")
    } else {
        ("dst", "src")
    };
    // Names come from scalar subqueries (one index lookup per link, never a join the planner
    // may turn into a scan of every asset); shots' sequences are named after the walk, once
    // per sequence rather than once per link.
    let edges = format!(
        "SELECT l.{near}_kind AS near_kind, l.{near}_id AS near_id, l.{far}_kind AS far_kind, \
         l.{far}_id AS far_id, l.kind AS link_kind, l.pin, \
         CASE WHEN l.{far}_kind = 'asset' \
         THEN (SELECT ea.name FROM assets ea WHERE ea.id = l.{far}_id) \
         ELSE (SELECT es.name FROM shots es WHERE es.id = l.{far}_id) END AS ename, \
         CASE WHEN l.{far}_kind = 'shot' \
         THEN (SELECT es.sequence_id FROM shots es WHERE es.id = l.{far}_id) END AS eseq"
    );
    // The links leaving each reached entity: an index lookup per entity. PostgreSQL would
    // otherwise merge-join the walk's (badly estimated) frontier with the whole link index at
    // every step; a LATERAL subquery behind an OFFSET 0 fence keeps it a nested loop.
    let step = if IS_POSTGRES {
        format!(
            "FROM r CROSS JOIN LATERAL (SELECT * FROM links x \
             WHERE x.{near}_kind = r.kind AND x.{near}_id = r.id OFFSET 0) l"
        )
    } else {
        format!("FROM r CROSS JOIN links l WHERE l.{near}_kind = r.kind AND l.{near}_id = r.id")
    };
    let (prefix, body) = if transitive {
        (
            format!(
                "WITH RECURSIVE r (kind, id) AS ( \
                 SELECT {far}_kind, {far}_id FROM links WHERE {near}_kind = $1 AND {near}_id = $2 \
                 UNION \
                 SELECT l.{far}_kind, l.{far}_id {step}) "
            ),
            format!(
                "{edges} FROM links l WHERE l.{near}_kind = $3 AND l.{near}_id = $4 \
                 UNION ALL {edges} {step}"
            ),
        )
    } else {
        (
            String::new(),
            format!("{edges} FROM links l WHERE l.{near}_kind = $1 AND l.{near}_id = $2"),
        )
    };
    // The links come back as one JSON array in one row: a walk may reach thousands of
    // entities, and a row each through the driver costs more than the walk itself.
    let columns =
        "w.near_kind, w.near_id, w.far_kind, w.far_id, w.link_kind, w.pin, w.ename, w.eseq";
    let aggregate = if IS_POSTGRES {
        format!("COALESCE(json_agg(json_build_array({columns}))::text, '[]')")
    } else {
        format!("json_group_array(json_array({columns}))")
    };
    let sql = format!("{prefix}SELECT {aggregate} FROM ({body}) w");
    let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql))
        .bind(kind_str(entity))
        .bind(id);
    if transitive {
        query = query.bind(kind_str(entity)).bind(id);
    }
    let json = query.fetch_one(&mut *conn).await?;
    type EdgeRow = (
        String,
        i64,
        String,
        i64,
        String,
        Option<i64>,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<EdgeRow> = serde_json::from_str(&json)
        .map_err(|e| corrupt(format!("a dependency walk returned malformed JSON: {e}")))?;
    let sequence_ids: HashSet<i64> = rows.iter().filter_map(|row| row.7).collect();
    let sequences: HashMap<i64, String> = if sequence_ids.is_empty() {
        HashMap::new()
    } else {
        let ids = serde_json::to_string(&sequence_ids.into_iter().collect::<Vec<_>>())
            .map_err(|e| corrupt(format!("sequence ids: {e}")))?;
        let sql = if IS_POSTGRES {
            "SELECT id, name FROM sequences \
             WHERE id IN (SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST($1 AS JSON)))"
        } else {
            "SELECT id, name FROM sequences WHERE id IN (SELECT value FROM json_each($1))"
        };
        sqlx::query_as::<_, (i64, String)>(sql)
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect()
    };

    // Links by the entity they leave from; then breadth first from `entity`.
    type Node = (String, i64);
    let mut out_of: HashMap<Node, Vec<usize>> = HashMap::new();
    let mut reached: Vec<(Node, EntityRef, LinkKind, Option<i64>)> = Vec::with_capacity(rows.len());
    for (i, (near_kind, near_id, far_kind, far_id, kind, pin, name, sequence)) in
        rows.into_iter().enumerate()
    {
        let kind: LinkKind = kind
            .parse()
            .map_err(|e| corrupt(format!("a link has an unknown kind: {e}")))?;
        let sequence = match sequence {
            Some(id) => Some(
                sequences
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| corrupt(format!("a shot belongs to no sequence (#{id})")))?,
            ),
            None => None,
        };
        let entity = entity_from_names(name, sequence)?;
        reached.push(((far_kind, far_id), entity, kind, pin));
        out_of.entry((near_kind, near_id)).or_default().push(i);
    }
    let start: Node = (kind_str(entity).to_owned(), id);
    let mut found: HashSet<(Node, LinkKind, Option<i64>)> = HashSet::new();
    let mut out: Vec<Dependency> = Vec::new();
    let mut seen: HashSet<Node> = HashSet::from([start.clone()]);
    let mut queue: VecDeque<(Node, u32)> = VecDeque::from([(start, 0)]);
    while let Some((node, depth)) = queue.pop_front() {
        for &i in out_of.get(&node).into_iter().flatten() {
            let (far, name, kind, pin) = &reached[i];
            // Breadth first: the first time a key is met is at its smallest depth.
            if found.insert((far.clone(), *kind, *pin)) {
                out.push(Dependency {
                    depth: depth + 1,
                    entity: name.clone(),
                    kind: *kind,
                    pin: *pin,
                });
            }
            if seen.insert(far.clone()) {
                queue.push_back((far.clone(), depth + 1));
            }
        }
    }
    out.sort();
    Ok(out)
}

pub(crate) async fn deps(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    transitive: bool,
) -> Result<Vec<Dependency>> {
    walk(pool, project, entity, transitive, true).await
}

pub(crate) async fn used_by(
    pool: &Pool,
    project: &str,
    entity: &EntityRef,
    transitive: bool,
) -> Result<Vec<Dependency>> {
    walk(pool, project, entity, transitive, false).await
}

pub(crate) async fn delete_asset(
    pool: &Pool,
    project: &str,
    name: &str,
    force: bool,
    journal: &mut crate::Journal<DeletedAsset>,
) -> Result<DeletedAsset> {
    let mut tx = begin_journaled(pool).await?;
    lock_graph(&mut tx).await?;
    let id = asset_id(&mut tx, project, name, true).await?;
    let users = sqlx::query(concat!(
        "SELECT DISTINCT COALESCE(ea.name, es.name) AS ename, eq.name AS eseq FROM links l",
        entity_joins!("l.src_kind", "l.src_id"),
        " WHERE l.dst_kind = 'asset' AND l.dst_id = $1"
    ))
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let dependants = dependant_names(&users)?;
    if !dependants.is_empty() && !force {
        return Err(CatalogError::HasDependants {
            asset: name.to_owned(),
            dependants,
        });
    }
    let links = sqlx::query(
        "DELETE FROM links WHERE (src_kind = 'asset' AND src_id = $1) \
         OR (dst_kind = 'asset' AND dst_id = $1)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let by_asset = [
        "DELETE FROM tasks WHERE entity_kind = 'asset' AND entity_id = $1",
        "DELETE FROM history WHERE entity_kind = 'asset' AND entity_id = $1",
        "DELETE FROM comments WHERE target_kind = 'version' AND target_id IN \
         (SELECT id FROM versions WHERE asset_id = $1)",
        "DELETE FROM comments WHERE target_kind = 'asset' AND target_id = $1",
        "DELETE FROM collection_members WHERE entity_kind = 'asset' AND entity_id = $1",
        "DELETE FROM search_docs WHERE kind = 'version' AND entity_id IN \
         (SELECT id FROM versions WHERE asset_id = $1)",
        "DELETE FROM search_docs WHERE kind = 'asset' AND entity_id = $1",
        "DELETE FROM version_files WHERE version_id IN \
         (SELECT id FROM versions WHERE asset_id = $1)",
    ];
    for sql in by_asset {
        sqlx::query(sql).bind(id).execute(&mut *tx).await?;
    }
    let versions = sqlx::query("DELETE FROM versions WHERE asset_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("DELETE FROM asset_tags WHERE asset_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM assets WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let result = DeletedAsset {
        versions,
        links,
        dependants,
    };
    commit_journaled(tx, journal, &result).await?;
    tracing::debug!(project, asset = name, versions, links, "asset deleted");
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Versions: review status and metadata

pub(crate) async fn version_metadata(pool: &Pool, version_id: i64) -> Result<Metadata> {
    let metadata: Option<Json<Metadata>> =
        sqlx::query_scalar("SELECT metadata FROM versions WHERE id = $1")
            .bind(version_id)
            .fetch_optional(pool)
            .await?;
    Ok(metadata.map(|m| m.0).unwrap_or_default())
}

pub(crate) async fn version_details(
    pool: &Pool,
    project: &str,
    asset: &str,
    selector: VersionSelector,
) -> Result<VersionDetails> {
    let version = super::imp::get_version(pool, project, asset, selector).await?;
    let row = sqlx::query("SELECT review_status, metadata FROM versions WHERE id = $1")
        .bind(version.id)
        .fetch_one(pool)
        .await?;
    let review: String = row.try_get("review_status")?;
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(VersionDetails {
        version,
        review_status: review
            .parse()
            .map_err(|e| corrupt(format!("a version has an unknown review status: {e}")))?,
        metadata: metadata.0,
    })
}

pub(crate) async fn set_review_status(
    pool: &Pool,
    project: &str,
    asset: &str,
    number: i64,
    status: ReviewStatus,
    author: &str,
    journal: &mut crate::Journal<HistoryEntry>,
) -> Result<HistoryEntry> {
    check_author(author)?;
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let entity = EntityRef::Asset(asset.to_owned());
    let asset_id = resolve(&mut tx, project_id, project, &entity, Lock::Share).await?;
    let id = version_id(&mut tx, asset_id, asset, number).await?;
    let sql = if IS_POSTGRES {
        "SELECT review_status FROM versions WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT review_status FROM versions WHERE id = $1"
    };
    let old: String = sqlx::query_scalar(sql).bind(id).fetch_one(&mut *tx).await?;
    sqlx::query("UPDATE versions SET review_status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entry = record_history(
        &mut tx,
        project_id,
        HistoryTarget {
            kind: EntityKind::Asset,
            id: asset_id,
            version_id: Some(id),
            department: None,
            target: Target::version(asset, number),
        },
        FIELD_REVIEW_STATUS,
        Some(&old),
        Some(status.as_str()),
        author,
    )
    .await?;
    commit_journaled(tx, journal, &entry).await?;
    Ok(entry)
}

/// Every version of the asset with its review status and metadata, oldest first.
pub(crate) async fn list_version_details(
    pool: &Pool,
    project: &str,
    asset: &str,
) -> Result<Vec<VersionDetails>> {
    let mut conn = pool.acquire().await?;
    let asset_id = asset_id(&mut conn, project, asset, false).await?;
    sqlx::query(
        "SELECT id, number, author, note, created_at, parent_id, file_count, total_bytes, \
         review_status, metadata FROM versions WHERE asset_id = $1 ORDER BY number",
    )
    .bind(asset_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        let review: String = row.try_get("review_status")?;
        let metadata: Json<Metadata> = row.try_get("metadata")?;
        Ok(VersionDetails {
            version: version_from_row(row, asset)?,
            review_status: review
                .parse()
                .map_err(|e| corrupt(format!("a version has an unknown review status: {e}")))?,
            metadata: metadata.0,
        })
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Comments

pub(crate) async fn add_comment(
    pool: &Pool,
    project: &str,
    target: &Target,
    author: &str,
    body: &str,
    journal: &mut crate::Journal<Comment>,
) -> Result<Comment> {
    check_author(author)?;
    if body.trim().is_empty() {
        return Err(invalid_value("comment", body, "write something"));
    }
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let (kind, id, owner) =
        resolve_target(&mut tx, project_id, project, target, Lock::Share).await?;
    let comment_id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO comments (project_id, target_kind, target_id, author, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(project_id)
    .bind(kind.as_str())
    .bind(id)
    .bind(author)
    .bind(body)
    .bind(created_at)
    .fetch_one(&mut *tx)
    .await?;
    match kind {
        EntityKind::Version => {
            search::refresh_version_doc(&mut tx, id).await?;
            search::refresh_asset_doc(&mut tx, owner).await?;
        }
        EntityKind::Asset => search::refresh_asset_doc(&mut tx, id).await?,
        EntityKind::Shot => search::refresh_shot_doc(&mut tx, id).await?,
        EntityKind::Sequence => {}
    }
    let result = Comment {
        id: comment_id,
        target: target.clone(),
        author: author.to_owned(),
        body: body.to_owned(),
        created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn list_comments(
    pool: &Pool,
    project: &str,
    target: &Target,
) -> Result<Vec<Comment>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let (kind, id, _) = resolve_target(&mut conn, project_id, project, target, Lock::None).await?;
    sqlx::query(
        "SELECT id, author, body, created_at FROM comments \
         WHERE target_kind = $1 AND target_id = $2 ORDER BY id",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(Comment {
            id: row.try_get("id")?,
            target: target.clone(),
            author: row.try_get("author")?,
            body: row.try_get("body")?,
            created_at: row.try_get("created_at")?,
        })
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Saved searches

fn saved_from_row(project: &str, row: &DbRow) -> Result<SavedSearch> {
    Ok(SavedSearch {
        project: project.to_owned(),
        name: row.try_get("name")?,
        query: row.try_get("query")?,
        saved_at: row.try_get("saved_at")?,
    })
}

pub(crate) async fn save_search(
    pool: &Pool,
    project: &str,
    name: &str,
    query_text: &str,
    journal: &mut crate::Journal<SavedSearch>,
) -> Result<SavedSearch> {
    validate_production_name(ProductionNameKind::SavedSearch, name)?;
    let parsed = query::parse(query_text).map_err(|e| CatalogError::InvalidQuery {
        reason: e.to_string(),
    })?;
    search::check_query(&parsed)?;
    let saved_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    sqlx::query(
        "INSERT INTO saved_searches (project_id, name, query, saved_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project_id, name) DO UPDATE SET query = excluded.query, \
         saved_at = excluded.saved_at",
    )
    .bind(project_id)
    .bind(name)
    .bind(query_text)
    .bind(saved_at)
    .execute(&mut *tx)
    .await?;
    let result = SavedSearch {
        project: project.to_owned(),
        name: name.to_owned(),
        query: query_text.to_owned(),
        saved_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn saved_searches(pool: &Pool, project: &str) -> Result<Vec<SavedSearch>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    sqlx::query(
        "SELECT name, query, saved_at FROM saved_searches WHERE project_id = $1 ORDER BY name",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| saved_from_row(project, row))
    .collect()
}

pub(crate) async fn get_saved_search(
    pool: &Pool,
    project: &str,
    name: &str,
) -> Result<SavedSearch> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let row = sqlx::query(
        "SELECT name, query, saved_at FROM saved_searches WHERE project_id = $1 AND name = $2",
    )
    .bind(project_id)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| CatalogError::SavedSearchNotFound {
        project: project.to_owned(),
        name: name.to_owned(),
    })?;
    saved_from_row(project, &row)
}

pub(crate) async fn delete_saved_search(
    pool: &Pool,
    project: &str,
    name: &str,
    journal: &mut crate::Journal<()>,
) -> Result<()> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let deleted = sqlx::query("DELETE FROM saved_searches WHERE project_id = $1 AND name = $2")
        .bind(project_id)
        .bind(name)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        return Err(CatalogError::SavedSearchNotFound {
            project: project.to_owned(),
            name: name.to_owned(),
        });
    }
    commit_journaled(tx, journal, &()).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Collections

async fn collection_id(
    conn: &mut Conn,
    project_id: i64,
    project: &str,
    name: &str,
) -> Result<Option<i64>> {
    let _ = project;
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT id FROM collections WHERE project_id = $1 AND name = $2",
    )
    .bind(project_id)
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?)
}

fn collection_not_found(project: &str, name: &str) -> CatalogError {
    CatalogError::CollectionNotFound {
        project: project.to_owned(),
        name: name.to_owned(),
    }
}

/// Inserts a collection row and returns its id (`None` if the name is taken).
async fn insert_collection(
    conn: &mut Conn,
    project_id: i64,
    name: &str,
    created_at: DateTime<Utc>,
) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar::<_, i64>(
        "INSERT INTO collections (project_id, name, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (project_id, name) DO NOTHING RETURNING id",
    )
    .bind(project_id)
    .bind(name)
    .bind(created_at)
    .fetch_optional(&mut *conn)
    .await?)
}

pub(crate) async fn create_collection(
    pool: &Pool,
    project: &str,
    name: &str,
    journal: &mut crate::Journal<Collection>,
) -> Result<Collection> {
    validate_production_name(ProductionNameKind::Collection, name)?;
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    if insert_collection(&mut tx, project_id, name, created_at)
        .await?
        .is_none()
    {
        return Err(CatalogError::CollectionExists {
            project: project.to_owned(),
            name: name.to_owned(),
        });
    }
    let result = Collection {
        project: project.to_owned(),
        name: name.to_owned(),
        size: 0,
        created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn delete_collection(
    pool: &Pool,
    project: &str,
    name: &str,
    journal: &mut crate::Journal<()>,
) -> Result<()> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let id = collection_id(&mut tx, project_id, project, name)
        .await?
        .ok_or_else(|| collection_not_found(project, name))?;
    sqlx::query("DELETE FROM collection_members WHERE collection_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM collections WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    commit_journaled(tx, journal, &()).await?;
    Ok(())
}

pub(crate) async fn collections(pool: &Pool, project: &str) -> Result<Vec<Collection>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    sqlx::query(
        "SELECT c.name, c.created_at, \
         (SELECT COUNT(*) FROM collection_members m WHERE m.collection_id = c.id) AS size \
         FROM collections c WHERE c.project_id = $1 ORDER BY c.name",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(Collection {
            project: project.to_owned(),
            name: row.try_get("name")?,
            size: to_u64(row.try_get("size")?, "a collection size")?,
            created_at: row.try_get("created_at")?,
        })
    })
    .collect()
}

/// Adds `entity` to a collection (creating the collection first with `create`); true if it was
/// not a member yet.
pub(crate) async fn add_to_collection(
    pool: &Pool,
    project: &str,
    name: &str,
    entity: &EntityRef,
    create: bool,
    journal: &mut crate::Journal<bool>,
) -> Result<bool> {
    validate_production_name(ProductionNameKind::Collection, name)?;
    let added_at = now();
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let entity_id = resolve(&mut tx, project_id, project, entity, Lock::Share).await?;
    let id = match collection_id(&mut tx, project_id, project, name).await? {
        Some(id) => id,
        None if create => match insert_collection(&mut tx, project_id, name, added_at).await? {
            Some(id) => id,
            None => collection_id(&mut tx, project_id, project, name)
                .await?
                .ok_or_else(|| collection_not_found(project, name))?,
        },
        None => return Err(collection_not_found(project, name)),
    };
    let added = sqlx::query(
        "INSERT INTO collection_members (collection_id, entity_kind, entity_id, added_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (collection_id, entity_kind, entity_id) DO NOTHING",
    )
    .bind(id)
    .bind(kind_str(entity))
    .bind(entity_id)
    .bind(added_at)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let result = added > 0;
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

/// Removes `entity` from a collection; true if it was a member. With `missing_ok`, a missing
/// collection counts as empty.
pub(crate) async fn remove_from_collection(
    pool: &Pool,
    project: &str,
    name: &str,
    entity: &EntityRef,
    missing_ok: bool,
    journal: &mut crate::Journal<bool>,
) -> Result<bool> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let entity_id = resolve(&mut tx, project_id, project, entity, Lock::None).await?;
    let Some(id) = collection_id(&mut tx, project_id, project, name).await? else {
        return if missing_ok {
            commit_journaled(tx, journal, &false).await?;
            Ok(false)
        } else {
            Err(collection_not_found(project, name))
        };
    };
    let removed = sqlx::query(
        "DELETE FROM collection_members \
         WHERE collection_id = $1 AND entity_kind = $2 AND entity_id = $3",
    )
    .bind(id)
    .bind(kind_str(entity))
    .bind(entity_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let result = removed > 0;
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

/// The members of a collection, sorted (assets first, then shots); with `missing_ok`, a missing
/// collection is empty.
pub(crate) async fn collection_members(
    pool: &Pool,
    project: &str,
    name: &str,
    missing_ok: bool,
) -> Result<Vec<EntityRef>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let Some(id) = collection_id(&mut conn, project_id, project, name).await? else {
        return if missing_ok {
            Ok(Vec::new())
        } else {
            Err(collection_not_found(project, name))
        };
    };
    let rows = sqlx::query(concat!(
        "SELECT COALESCE(ea.name, es.name) AS ename, eq.name AS eseq FROM collection_members m",
        entity_joins!("m.entity_kind", "m.entity_id"),
        " WHERE m.collection_id = $1"
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut members: Vec<EntityRef> = rows.iter().map(entity_from_row).collect::<Result<_>>()?;
    members.sort();
    Ok(members)
}

// ---------------------------------------------------------------------------------------------
// Reports

pub(crate) async fn report_status(pool: &Pool, project: &str) -> Result<StatusReport> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let workflow = load_workflow(&mut conn, project_id).await?;
    let departments = load_departments(&mut conn, project_id).await?;
    let department_position = |d: &str| {
        departments
            .iter()
            .position(|x| x == d)
            .unwrap_or(usize::MAX)
    };

    let mut shots_by_status: Vec<(String, u64)> = Vec::new();
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM shots WHERE project_id = $1 GROUP BY status")
            .bind(project_id)
            .fetch_all(&mut *conn)
            .await?;
    for (status, count) in rows {
        shots_by_status.push((status, to_u64(count, "a count")?));
    }
    shots_by_status
        .sort_by(|a, b| (workflow.position(&a.0), &a.0).cmp(&(workflow.position(&b.0), &b.0)));

    let mut tasks_by_department_status: Vec<(String, String, u64)> = Vec::new();
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT department, status, COUNT(*) FROM tasks WHERE project_id = $1 \
         GROUP BY department, status",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    for (department, status, count) in rows {
        tasks_by_department_status.push((department, status, to_u64(count, "a count")?));
    }
    tasks_by_department_status.sort_by(|a, b| {
        (
            department_position(&a.0),
            &a.0,
            workflow.position(&a.1),
            &a.1,
        )
            .cmp(&(
                department_position(&b.0),
                &b.0,
                workflow.position(&b.1),
                &b.1,
            ))
    });

    let mut assets_by_type: Vec<(String, u64)> = Vec::new();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT asset_type, COUNT(*) FROM assets WHERE project_id = $1 GROUP BY asset_type",
    )
    .bind(project_id)
    .fetch_all(&mut *conn)
    .await?;
    for (asset_type, count) in rows {
        assets_by_type.push((asset_type, to_u64(count, "a count")?));
    }
    assets_by_type.sort();

    // Days in SQL (UTC), weeks in Rust, so both backends count alike.
    let day = if IS_POSTGRES {
        "to_char(v.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    } else {
        "substr(v.created_at, 1, 10)"
    };
    let sql = format!(
        "SELECT {day} AS day, COUNT(*) FROM versions v JOIN assets a ON a.id = v.asset_id \
         WHERE a.project_id = $1 GROUP BY {day}"
    );
    let rows: Vec<(String, i64)> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut weeks: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for (day, count) in rows {
        let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|_| corrupt(format!("a version has an unreadable date `{day}`")))?;
        *weeks.entry(iso_week_label(date)).or_default() += to_u64(count, "a count")?;
    }
    Ok(StatusReport {
        shots_by_status,
        tasks_by_department_status,
        assets_by_type,
        versions_by_week: weeks.into_iter().collect(),
    })
}

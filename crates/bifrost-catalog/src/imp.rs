//! The catalog operations, written once and compiled once per backend.
//!
//! This file is mounted twice, as `crate::sqlite::imp` and `crate::postgres::imp`; in each, `DB`
//! is that backend's concrete sqlx database type, so every query below is checked against both.
//! Statement texts are shared (both databases accept `$N` placeholders, `RETURNING`,
//! `ON CONFLICT … DO NOTHING`, `CAST(… AS BIGINT)`); the few places that must differ branch on
//! `IS_POSTGRES`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use bifrost_core::{
    Asset, AssetFilter, ChunkId, ChunkLocation, ContentId, FileEntry, NameKind, NewAsset,
    NewContent, NewVersion, PackEntry, PackId, PackRecord, Project, RepoStats, Version,
    VersionSelector, validate_name, validate_tag,
};

use super::{DB, IS_POSTGRES};
use crate::error::OnUniqueViolation;
use crate::sql::{
    INSERT_ROWS, anonymous_rows, check_paths, chunk_id, content_id, corrupt, lookup_batches, now,
    pack_entry, pack_id, placeholders, to_i64, to_u32, to_u64, value_rows,
};
use crate::{CatalogError, PackInfo, PackUsage};

/// A connection pool of this backend.
pub(crate) type Pool = sqlx::Pool<DB>;
pub(super) type Tx = sqlx::Transaction<'static, DB>;
pub(super) type Conn = <DB as sqlx::Database>::Connection;
pub(super) type DbRow = <DB as sqlx::Database>::Row;
pub(super) type Query = sqlx::query::Query<'static, DB, <DB as sqlx::Database>::Arguments>;
pub(super) type Result<T> = std::result::Result<T, CatalogError>;
pub(super) type Metadata = BTreeMap<String, serde_json::Value>;

/// Key of the PostgreSQL advisory lock that serialises repository writes ("bifrost" + 1).
const WRITE_LOCK_KEY: i64 = 0x6269_6672_6f73_7401;

// ---------------------------------------------------------------------------------------------
// Transactions

/// Starts a transaction holding the repository write lock: `BEGIN IMMEDIATE` on SQLite (the
/// database write lock, waited for up to the busy timeout), a transaction-scoped advisory lock
/// on PostgreSQL. Commits, gc deletions and store-index updates all take it, so each sees the
/// others' effects in full or not at all.
pub(super) async fn begin_locked(pool: &Pool) -> Result<Tx> {
    if IS_POSTGRES {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK_KEY)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    } else {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Starts a write transaction that does not need the repository write lock (creating projects
/// and assets, which unique constraints protect). SQLite still needs `BEGIN IMMEDIATE`: a
/// deferred transaction that reads then writes cannot wait for a concurrent writer.
pub(super) async fn begin_write(pool: &Pool) -> Result<Tx> {
    if IS_POSTGRES {
        Ok(pool.begin().await?)
    } else {
        Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

/// Starts the transaction of a journaled change: it holds the repository write lock from the
/// start, like [`begin_locked`], because its journal entries must commit in id order (a
/// follower resuming after entry N must never miss a smaller id committed later). Taking the
/// lock first, before any row lock, keeps every writer's lock order the same (write lock, then
/// rows, then the graph lock), so journaled changes cannot deadlock with each other.
pub(super) async fn begin_journaled(pool: &Pool) -> Result<Tx> {
    begin_locked(pool).await
}

/// Commits a journaled change: inserts the entries `journal` builds from `result` in `tx`, then
/// commits, so the change and its entries are durable together or not at all. The one way a
/// journaled catalog method ends. A first entry whose id is not above the journal's mark means
/// the catalog lost committed changes: the change is rolled back ([`CatalogError::CatalogBehind`]). On PostgreSQL it takes the write lock again before inserting
/// (a no-op when [`begin_journaled`] took it, the guarantee of id order otherwise).
pub(super) async fn commit_journaled<T: 'static>(
    mut tx: Tx,
    journal: &mut crate::Journal<T>,
    result: &T,
) -> Result<()> {
    let entries = journal.take_entries(result);
    let mut last = None;
    if !entries.is_empty() {
        if IS_POSTGRES {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK_KEY)
                .execute(&mut *tx)
                .await?;
        }
        let at = now();
        for entry in &entries {
            let id = super::access::insert_event(&mut tx, at, entry).await?;
            if last.is_none() && id <= journal.mark() {
                // Dropping `tx` rolls the change back.
                return Err(CatalogError::CatalogBehind {
                    recorded: journal.mark(),
                    found: id - 1,
                });
            }
            last = Some(id);
        }
    }
    tx.commit().await?;
    if let Some(id) = last {
        journal.committed(id);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Batched statements

/// Inserts `rows` with multi-row `INSERT`s of at most [`INSERT_ROWS`] rows:
/// `{head} VALUES (…), (…){tail}`, each row bound by `bind`. `head` and `tail` must not hold
/// placeholders: on SQLite the rows use anonymous `?` ones (see [`anonymous_rows`]).
pub(super) async fn insert_rows<R>(
    conn: &mut Conn,
    head: &str,
    cols: usize,
    tail: &str,
    rows: &[R],
    bind: impl Fn(Query, &R) -> Query,
) -> Result<u64> {
    let mut inserted = 0;
    for batch in rows.chunks(INSERT_ROWS) {
        let values = if IS_POSTGRES {
            value_rows(1, batch.len(), cols)
        } else {
            anonymous_rows(batch.len(), cols)
        };
        let sql = format!("{head} VALUES {values}{tail}");
        // Only full batches are worth keeping prepared; the odd tail would churn the cache.
        let mut query = sqlx::query(AssertSqlSafe(sql)).persistent(batch.len() == INSERT_ROWS);
        for row in batch {
            query = bind(query, row);
        }
        inserted += query.execute(&mut *conn).await?.rows_affected();
    }
    Ok(inserted)
}

/// Which of `ids` appear in the `id` column of `table` (a fixed table name, never user input).
async fn existing_ids(conn: &mut Conn, table: &str, ids: &[[u8; 32]]) -> Result<HashSet<[u8; 32]>> {
    let mut found = HashSet::new();
    for batch in lookup_batches(ids) {
        let sql = format!(
            "SELECT id FROM {table} WHERE id IN ({})",
            placeholders(1, batch.len())
        );
        let mut query = sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(sql));
        for id in &batch {
            query = query.bind(&id[..]);
        }
        for id in query.fetch_all(&mut *conn).await? {
            let id: [u8; 32] = id
                .as_slice()
                .try_into()
                .map_err(|_| corrupt(format!("an id in `{table}` is {} bytes long", id.len())))?;
            found.insert(id);
        }
    }
    Ok(found)
}

/// `ids` without repeats, first occurrence order kept.
pub(super) fn distinct<T: Copy + Eq + std::hash::Hash>(ids: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

// ---------------------------------------------------------------------------------------------
// Projects

fn project_from_row(row: &DbRow) -> Result<Project> {
    Ok(Project {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) async fn project_id(conn: &mut Conn, project: &str) -> Result<i64> {
    sqlx::query_scalar::<_, i64>("SELECT id FROM projects WHERE name = $1")
        .bind(project)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| CatalogError::ProjectNotFound {
            name: project.to_owned(),
        })
}

pub(crate) async fn create_project(
    pool: &Pool,
    name: &str,
    journal: &mut crate::Journal<Project>,
) -> Result<Project> {
    validate_name(NameKind::Project, name)?;
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO projects (name, created_at) VALUES ($1, $2) RETURNING id",
    )
    .bind(name)
    .bind(created_at)
    .fetch_one(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::ProjectExists {
        name: name.to_owned(),
    })?;
    super::production::insert_project_defaults(&mut tx, id).await?;
    let project = Project {
        id,
        name: name.to_owned(),
        created_at,
    };
    commit_journaled(tx, journal, &project).await?;
    Ok(project)
}

pub(crate) async fn list_projects(pool: &Pool) -> Result<Vec<Project>> {
    sqlx::query("SELECT id, name, created_at FROM projects ORDER BY name")
        .fetch_all(pool)
        .await?
        .iter()
        .map(project_from_row)
        .collect()
}

pub(crate) async fn get_project(pool: &Pool, name: &str) -> Result<Project> {
    let row = sqlx::query("SELECT id, name, created_at FROM projects WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| CatalogError::ProjectNotFound {
            name: name.to_owned(),
        })?;
    project_from_row(&row)
}

// ---------------------------------------------------------------------------------------------
// Assets

macro_rules! asset_select {
    () => {
        "SELECT a.id, p.name AS project, a.name, a.asset_type, a.metadata, a.department, \
         a.created_at, (SELECT MAX(v.number) FROM versions v WHERE v.asset_id = a.id) AS latest \
         FROM assets a JOIN projects p ON p.id = a.project_id"
    };
}

fn asset_from_row(row: &DbRow, tags: Vec<String>) -> Result<Asset> {
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(Asset {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        name: row.try_get("name")?,
        asset_type: row.try_get("asset_type")?,
        tags,
        metadata: metadata.0,
        department: row.try_get("department")?,
        created_at: row.try_get("created_at")?,
        latest_version: row.try_get("latest")?,
    })
}

/// The id of `asset` in `project`; with `lock`, the asset row is locked (`FOR UPDATE`, PostgreSQL
/// only: SQLite's `BEGIN IMMEDIATE` already locks the whole database).
pub(super) async fn asset_id(
    conn: &mut Conn,
    project: &str,
    asset: &str,
    lock: bool,
) -> Result<i64> {
    let sql = if IS_POSTGRES && lock {
        "SELECT a.id FROM assets a JOIN projects p ON p.id = a.project_id \
         WHERE p.name = $1 AND a.name = $2 FOR UPDATE OF a"
    } else {
        "SELECT a.id FROM assets a JOIN projects p ON p.id = a.project_id \
         WHERE p.name = $1 AND a.name = $2"
    };
    let id = sqlx::query_scalar::<_, i64>(sql)
        .bind(project)
        .bind(asset)
        .fetch_optional(&mut *conn)
        .await?;
    match id {
        Some(id) => Ok(id),
        None => {
            project_id(conn, project).await?;
            Err(CatalogError::AssetNotFound {
                project: project.to_owned(),
                name: asset.to_owned(),
            })
        }
    }
}

pub(crate) async fn create_asset(
    pool: &Pool,
    project: &str,
    new: &NewAsset,
    journal: &mut crate::Journal<Asset>,
) -> Result<Asset> {
    validate_name(NameKind::Asset, &new.name)?;
    validate_name(NameKind::AssetType, &new.asset_type)?;
    for tag in &new.tags {
        validate_tag(tag)?;
    }
    let mut tags = new.tags.clone();
    tags.sort();
    tags.dedup();
    let created_at = now();

    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let status = super::production::initial_status(&mut tx, project_id).await?;
    if let Some(department) = &new.department {
        super::production::check_department(&mut tx, project_id, project, department).await?;
    }
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO assets (project_id, name, asset_type, metadata, created_at, status, \
         department) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(project_id)
    .bind(&new.name)
    .bind(&new.asset_type)
    .bind(Json(&new.metadata))
    .bind(created_at)
    .bind(&status)
    .bind(&new.department)
    .fetch_one(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::AssetExists {
        project: project.to_owned(),
        name: new.name.clone(),
    })?;
    insert_rows(
        &mut tx,
        "INSERT INTO asset_tags (asset_id, tag)",
        2,
        "",
        &tags,
        |q, tag| q.bind(id).bind(tag),
    )
    .await?;
    super::search::refresh_asset_doc(&mut tx, id).await?;
    let asset = Asset {
        id,
        project: project.to_owned(),
        name: new.name.clone(),
        asset_type: new.asset_type.clone(),
        tags,
        metadata: new.metadata.clone(),
        department: new.department.clone(),
        created_at,
        latest_version: None,
    };
    commit_journaled(tx, journal, &asset).await?;
    tracing::debug!(project, asset = %new.name, "asset created");
    Ok(asset)
}

pub(crate) async fn get_asset(pool: &Pool, project: &str, name: &str) -> Result<Asset> {
    Ok(asset_with_status(pool, project, name).await?.0)
}

/// One asset with its tags and workflow status, read with one statement: the project is the
/// driving row, so that no row means no project and a row without an asset means no asset,
/// and the tags are aggregated into a JSON array in the same statement.
pub(crate) async fn asset_with_status(
    pool: &Pool,
    project: &str,
    name: &str,
) -> Result<(Asset, String)> {
    macro_rules! asset_with_status_sql {
        ($tags:literal) => {
            concat!(
                "SELECT a.id, p.name AS project, a.name, a.asset_type, a.metadata, a.department, \
                 a.created_at, a.status, \
                 (SELECT MAX(v.number) FROM versions v WHERE v.asset_id = a.id) AS latest, ",
                $tags,
                " AS tags FROM projects p \
                 LEFT JOIN assets a ON a.project_id = p.id AND a.name = $2 WHERE p.name = $1"
            )
        };
    }
    let sql = if IS_POSTGRES {
        asset_with_status_sql!(
            "(SELECT jsonb_agg(t.tag ORDER BY t.tag) FROM asset_tags t WHERE t.asset_id = a.id)"
        )
    } else {
        asset_with_status_sql!(
            "(SELECT json_group_array(t.tag ORDER BY t.tag) FROM asset_tags t \
             WHERE t.asset_id = a.id)"
        )
    };
    let row = sqlx::query(sql)
        .bind(project)
        .bind(name)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| CatalogError::ProjectNotFound {
            name: project.to_owned(),
        })?;
    let id: Option<i64> = row.try_get("id")?;
    if id.is_none() {
        return Err(CatalogError::AssetNotFound {
            project: project.to_owned(),
            name: name.to_owned(),
        });
    }
    // PostgreSQL aggregates no rows to NULL, SQLite to `[]`.
    let tags: Option<Json<Vec<String>>> = row.try_get("tags")?;
    let asset = asset_from_row(&row, tags.map(|t| t.0).unwrap_or_default())?;
    Ok((asset, row.try_get("status")?))
}

pub(crate) async fn list_assets(
    pool: &Pool,
    project: &str,
    filter: &AssetFilter,
) -> Result<Vec<Asset>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;

    let mut sql = String::from(concat!(asset_select!(), " WHERE a.project_id = $1"));
    let mut next = 2;
    if filter.asset_type.is_some() {
        sql.push_str(&format!(" AND a.asset_type = ${next}"));
        next += 1;
    }
    let wanted_tags = distinct(filter.tags.iter().map(String::as_str));
    for _ in &wanted_tags {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM asset_tags t WHERE t.asset_id = a.id AND t.tag = ${next})"
        ));
        next += 1;
    }
    sql.push_str(" ORDER BY a.name");

    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(project_id);
    if let Some(asset_type) = &filter.asset_type {
        query = query.bind(asset_type);
    }
    for tag in &wanted_tags {
        query = query.bind(*tag);
    }
    let rows = query.fetch_all(&mut *conn).await?;

    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    if !rows.is_empty() {
        let tag_rows = sqlx::query(
            "SELECT t.asset_id, t.tag FROM asset_tags t JOIN assets a ON a.id = t.asset_id \
             WHERE a.project_id = $1 ORDER BY t.asset_id, t.tag",
        )
        .bind(project_id)
        .fetch_all(&mut *conn)
        .await?;
        for row in tag_rows {
            tags.entry(row.try_get("asset_id")?)
                .or_default()
                .push(row.try_get("tag")?);
        }
    }
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            asset_from_row(row, tags.remove(&id).unwrap_or_default())
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Versions

macro_rules! version_select {
    () => {
        "SELECT id, number, author, note, created_at, parent_id, file_count, total_bytes \
         FROM versions"
    };
}

pub(super) fn version_from_row(row: &DbRow, asset: &str) -> Result<Version> {
    Ok(Version {
        id: row.try_get("id")?,
        asset: asset.to_owned(),
        number: row.try_get("number")?,
        author: row.try_get("author")?,
        note: row.try_get("note")?,
        created_at: row.try_get("created_at")?,
        parent: row.try_get("parent_id")?,
        file_count: row.try_get("file_count")?,
        total_bytes: row.try_get("total_bytes")?,
    })
}

pub(crate) async fn commit_version(
    pool: &Pool,
    project: &str,
    asset: &str,
    new: &NewVersion,
    metadata: &Metadata,
    journal: &mut crate::Journal<Version>,
) -> Result<Version> {
    let mut tx = begin_journaled(pool).await?;
    let version = commit_version_in(&mut tx, project, asset, new, metadata).await?;
    commit_journaled(tx, journal, &version).await?;
    Ok(version)
}

/// Commits a version of each `(asset, version, metadata)` in one transaction under the write
/// lock (batch ingest): all of them, or none.
pub(crate) async fn commit_versions(
    pool: &Pool,
    project: &str,
    batch: &[(String, NewVersion, Metadata)],
    journal: &mut crate::Journal<Vec<Version>>,
) -> Result<Vec<Version>> {
    let mut tx = begin_journaled(pool).await?;
    let mut versions = Vec::with_capacity(batch.len());
    for (asset, new, metadata) in batch {
        versions.push(commit_version_in(&mut tx, project, asset, new, metadata).await?);
    }
    commit_journaled(tx, journal, &versions).await?;
    Ok(versions)
}

/// One version commit inside the caller's write transaction.
async fn commit_version_in(
    tx: &mut Conn,
    project: &str,
    asset: &str,
    new: &NewVersion,
    metadata: &Metadata,
) -> Result<Version> {
    // Everything that can be checked without the database is checked before taking the lock.
    check_paths(&new.files)?;
    let mut total_bytes: i64 = 0;
    let mut files = Vec::with_capacity(new.files.len());
    for file in &new.files {
        let size = to_i64(file.size, || format!("the size of `{}`", file.path))?;
        total_bytes = total_bytes
            .checked_add(size)
            .ok_or_else(|| CatalogError::OutOfRange {
                what: "the total size of the version".to_owned(),
            })?;
        files.push((file, size));
    }
    let file_count = i64::try_from(files.len()).map_err(|_| CatalogError::OutOfRange {
        what: "the number of files".to_owned(),
    })?;
    let named: HashSet<ContentId> = new.files.iter().map(|f| f.content).collect();
    // Described contents some file names, each once (the first description wins).
    let mut seen = HashSet::new();
    let described: Vec<&NewContent> = new
        .contents
        .iter()
        .filter(|c| named.contains(&c.id) && seen.insert(c.id))
        .collect();
    let mut content_rows = Vec::with_capacity(described.len());
    for content in &described {
        let size = to_i64(content.size, || {
            format!("the size of content {}", content.id)
        })?;
        let chunks = i64::try_from(content.chunks.len()).map_err(|_| CatalogError::OutOfRange {
            what: format!("the chunk count of content {}", content.id),
        })?;
        content_rows.push((*content, size, chunks));
    }
    let created_at = now();

    let asset_id = asset_id(tx, project, asset, true).await?;
    // Publishing a locked asset is the holder's alone; their publish releases the lock.
    if super::access::check_lock(tx, asset_id, &new.author)
        .await?
        .is_some()
    {
        sqlx::query("DELETE FROM asset_locks WHERE asset_id = $1")
            .bind(asset_id)
            .execute(&mut *tx)
            .await?;
    }
    let previous: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, number FROM versions WHERE asset_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(asset_id)
    .fetch_optional(&mut *tx)
    .await?;

    // New contents: their chunks must all be in the store index.
    let described_ids: Vec<[u8; 32]> = described.iter().map(|c| c.id.0).collect();
    let already = existing_ids(tx, "contents", &described_ids).await?;
    content_rows.retain(|(c, _, _)| !already.contains(&c.id.0));
    let wanted = distinct(
        content_rows
            .iter()
            .flat_map(|(c, _, _)| c.chunks.iter().map(|chunk| chunk.0)),
    );
    let present = existing_ids(tx, "chunks", &wanted).await?;
    let missing: Vec<ChunkId> = wanted
        .iter()
        .filter(|id| !present.contains(*id))
        .map(|id| ChunkId(*id))
        .collect();
    if !missing.is_empty() {
        return Err(CatalogError::MissingChunks { missing });
    }
    insert_rows(
        tx,
        "INSERT INTO contents (id, size, chunk_count, created_at)",
        4,
        "",
        &content_rows,
        |q, (c, size, chunks)| {
            q.bind(&c.id.0[..])
                .bind(*size)
                .bind(*chunks)
                .bind(created_at)
        },
    )
    .await?;
    let mut link_rows = Vec::new();
    for (content, _, _) in &content_rows {
        for (seq, chunk) in (0i64..).zip(&content.chunks) {
            link_rows.push((content.id, seq, *chunk));
        }
    }
    insert_rows(
        tx,
        "INSERT INTO content_chunks (content_id, seq, chunk_id)",
        3,
        "",
        &link_rows,
        |q, (content, seq, chunk)| q.bind(&content.0[..]).bind(*seq).bind(&chunk.0[..]),
    )
    .await?;

    // Contents named but not described must already be in the catalog.
    let described_set: HashSet<[u8; 32]> = described_ids.iter().copied().collect();
    let others = distinct(
        new.files
            .iter()
            .map(|f| f.content.0)
            .filter(|id| !described_set.contains(id)),
    );
    let known = existing_ids(tx, "contents", &others).await?;
    if let Some(unknown) = others.iter().find(|id| !known.contains(*id)) {
        return Err(CatalogError::UnknownContent {
            content: ContentId(*unknown),
        });
    }

    let number = previous.map_or(1, |(_, n)| n + 1);
    let parent = previous.map(|(id, _)| id);
    let version_id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO versions (asset_id, number, author, note, created_at, parent_id, \
         file_count, total_bytes, metadata) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(asset_id)
    .bind(number)
    .bind(&new.author)
    .bind(&new.note)
    .bind(created_at)
    .bind(parent)
    .bind(file_count)
    .bind(total_bytes)
    .bind(Json(metadata))
    .fetch_one(&mut *tx)
    .await?;
    insert_rows(
        tx,
        "INSERT INTO version_files (version_id, path, size, mode, content_id)",
        5,
        "",
        &files,
        |q, (file, size)| {
            q.bind(version_id)
                .bind(&file.path)
                .bind(*size)
                .bind(i64::from(file.mode))
                .bind(&file.content.0[..])
        },
    )
    .await?;
    super::search::refresh_version_doc(tx, version_id).await?;
    super::search::refresh_asset_doc(tx, asset_id).await?;
    tracing::debug!(
        project,
        asset,
        number,
        files = file_count,
        "version committed"
    );
    Ok(Version {
        id: version_id,
        asset: asset.to_owned(),
        number,
        author: new.author.clone(),
        note: new.note.clone(),
        created_at,
        parent,
        file_count,
        total_bytes,
    })
}

pub(crate) async fn list_versions(pool: &Pool, project: &str, asset: &str) -> Result<Vec<Version>> {
    let mut conn = pool.acquire().await?;
    let asset_id = asset_id(&mut conn, project, asset, false).await?;
    sqlx::query(concat!(
        version_select!(),
        " WHERE asset_id = $1 ORDER BY number"
    ))
    .bind(asset_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| version_from_row(row, asset))
    .collect()
}

/// The error for version `number` of `asset`, which does not exist: it names the latest one.
pub(super) async fn version_not_found(
    conn: &mut Conn,
    asset_id: i64,
    asset: &str,
    number: i64,
) -> Result<CatalogError> {
    let latest = sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(number) FROM versions WHERE asset_id = $1",
    )
    .bind(asset_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CatalogError::VersionNotFound {
        asset: asset.to_owned(),
        number,
        latest,
    })
}

pub(crate) async fn get_version(
    pool: &Pool,
    project: &str,
    asset: &str,
    selector: VersionSelector,
) -> Result<Version> {
    let mut conn = pool.acquire().await?;
    let asset_id = asset_id(&mut conn, project, asset, false).await?;
    let row = match selector {
        VersionSelector::Latest => {
            sqlx::query(concat!(
                version_select!(),
                " WHERE asset_id = $1 ORDER BY number DESC LIMIT 1"
            ))
            .bind(asset_id)
            .fetch_optional(&mut *conn)
            .await?
        }
        VersionSelector::Number(number) => {
            sqlx::query(concat!(
                version_select!(),
                " WHERE asset_id = $1 AND number = $2"
            ))
            .bind(asset_id)
            .bind(number)
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    if let Some(row) = row {
        return version_from_row(&row, asset);
    }
    match selector {
        VersionSelector::Latest => Err(CatalogError::NoVersions {
            asset: asset.to_owned(),
        }),
        VersionSelector::Number(number) => {
            Err(version_not_found(&mut conn, asset_id, asset, number).await?)
        }
    }
}

pub(crate) async fn version_files(pool: &Pool, version_id: i64) -> Result<Vec<FileEntry>> {
    sqlx::query(
        "SELECT path, size, mode, content_id FROM version_files WHERE version_id = $1 ORDER BY path",
    )
    .bind(version_id)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let content: Vec<u8> = row.try_get("content_id")?;
        Ok(FileEntry {
            path: row.try_get("path")?,
            size: to_u64(row.try_get("size")?, "a file size")?,
            mode: to_u32(row.try_get("mode")?, "a file mode")?,
            content: content_id(&content)?,
        })
    })
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Contents

pub(crate) async fn content_locations_many(
    pool: &Pool,
    ids: &[ContentId],
) -> Result<HashMap<ContentId, Vec<ChunkLocation>>> {
    let ids = distinct(ids.iter().map(|id| id.0));
    let mut conn = pool.acquire().await?;
    let mut out: HashMap<ContentId, Vec<ChunkLocation>> = HashMap::with_capacity(ids.len());
    let mut counts: HashMap<ContentId, i64> = HashMap::with_capacity(ids.len());
    let mut missing = Vec::new();
    for batch in lookup_batches(&ids) {
        let list = placeholders(1, batch.len());
        let sql = format!("SELECT id, chunk_count FROM contents WHERE id IN ({list})");
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &batch {
            query = query.bind(&id[..]);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let id: Vec<u8> = row.try_get("id")?;
            counts.insert(content_id(&id)?, row.try_get("chunk_count")?);
        }

        let sql = format!(
            "SELECT cc.content_id, cc.chunk_id, c.pack_id, c.pack_offset, c.stored_len, \
             c.raw_len, c.codec \
             FROM content_chunks cc LEFT JOIN chunks c ON c.id = cc.chunk_id \
             WHERE cc.content_id IN ({list}) ORDER BY cc.content_id, cc.seq"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &batch {
            query = query.bind(&id[..]);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let content: Vec<u8> = row.try_get("content_id")?;
            let chunk: Vec<u8> = row.try_get("chunk_id")?;
            let pack: Option<Vec<u8>> = row.try_get("pack_id")?;
            let locations = out.entry(content_id(&content)?).or_default();
            let Some(pack) = pack else {
                missing.push(chunk_id(&chunk)?);
                continue;
            };
            let entry = pack_entry(
                &chunk,
                row.try_get("pack_offset")?,
                row.try_get("stored_len")?,
                row.try_get("raw_len")?,
                row.try_get("codec")?,
            )?;
            locations.push(ChunkLocation {
                pack: pack_id(&pack)?,
                entry,
            });
        }
    }
    if let Some(unknown) = ids.iter().find(|id| !counts.contains_key(&ContentId(**id))) {
        return Err(CatalogError::UnknownContent {
            content: ContentId(*unknown),
        });
    }
    if !missing.is_empty() {
        return Err(CatalogError::MissingChunks {
            missing: distinct(missing),
        });
    }
    for (id, count) in counts {
        let locations = out.entry(id).or_default();
        if i64::try_from(locations.len()).ok() != Some(count) {
            return Err(corrupt(format!(
                "content {id} should have {count} chunks but {} are listed",
                locations.len()
            )));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Store index

/// Where each of `ids` is stored; chunks the index lacks are left out.
pub(crate) async fn chunk_locations(
    pool: &Pool,
    ids: &[ChunkId],
) -> Result<HashMap<ChunkId, ChunkLocation>> {
    let ids = distinct(ids.iter().map(|id| id.0));
    let mut conn = pool.acquire().await?;
    let mut out = HashMap::with_capacity(ids.len());
    for batch in lookup_batches(&ids) {
        let list = placeholders(1, batch.len());
        let sql = format!(
            "SELECT id, pack_id, pack_offset, stored_len, raw_len, codec FROM chunks \
             WHERE id IN ({list})"
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for id in &batch {
            query = query.bind(&id[..]);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let chunk: Vec<u8> = row.try_get("id")?;
            let pack: Vec<u8> = row.try_get("pack_id")?;
            let entry = pack_entry(
                &chunk,
                row.try_get("pack_offset")?,
                row.try_get("stored_len")?,
                row.try_get("raw_len")?,
                row.try_get("codec")?,
            )?;
            out.insert(
                entry.chunk,
                ChunkLocation {
                    pack: pack_id(&pack)?,
                    entry,
                },
            );
        }
    }
    Ok(out)
}

pub(crate) async fn known_contents(pool: &Pool, ids: &[ContentId]) -> Result<Vec<bool>> {
    let raw: Vec<[u8; 32]> = ids.iter().map(|id| id.0).collect();
    let mut conn = pool.acquire().await?;
    let found = existing_ids(&mut conn, "contents", &raw).await?;
    Ok(raw.iter().map(|id| found.contains(id)).collect())
}

pub(crate) async fn known_chunks(pool: &Pool, ids: &[ChunkId]) -> Result<Vec<bool>> {
    let raw: Vec<[u8; 32]> = ids.iter().map(|id| id.0).collect();
    let mut conn = pool.acquire().await?;
    let found = existing_ids(&mut conn, "chunks", &raw).await?;
    Ok(raw.iter().map(|id| found.contains(id)).collect())
}

pub(super) async fn insert_pack(
    conn: &mut Conn,
    pack: &PackRecord,
    created_at: DateTime<Utc>,
) -> Result<()> {
    let size = to_i64(pack.size, || format!("the size of pack {}", pack.id))?;
    let count = i64::try_from(pack.entries.len()).map_err(|_| CatalogError::OutOfRange {
        what: format!("the chunk count of pack {}", pack.id),
    })?;
    sqlx::query(
        "INSERT INTO packs (id, size, chunk_count, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&pack.id.0[..])
    .bind(size)
    .bind(count)
    .bind(created_at)
    .execute(&mut *conn)
    .await?;
    insert_chunk_rows(conn, &pack.id, &pack.entries).await
}

/// Inserts chunk rows pointing into `pack`; chunks that already have a row (stored by another
/// writer too) keep it.
async fn insert_chunk_rows(conn: &mut Conn, pack: &PackId, entries: &[PackEntry]) -> Result<()> {
    insert_rows(
        conn,
        "INSERT INTO chunks (id, pack_id, pack_offset, stored_len, raw_len, codec)",
        6,
        " ON CONFLICT (id) DO NOTHING",
        entries,
        |q, e| {
            q.bind(&e.chunk.0[..])
                .bind(&pack.0[..])
                .bind(i64::from(e.offset))
                .bind(i64::from(e.stored_len))
                .bind(i64::from(e.raw_len))
                .bind(i64::from(e.codec.code()))
        },
    )
    .await?;
    Ok(())
}

pub(crate) async fn record_packs(pool: &Pool, packs: &[PackRecord]) -> Result<()> {
    if packs.is_empty() {
        return Ok(());
    }
    let created_at = now();
    let mut tx = begin_locked(pool).await?;
    for pack in packs {
        insert_pack(&mut tx, pack, created_at).await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Figures and fsck

pub(crate) async fn stats(pool: &Pool) -> Result<RepoStats> {
    let row = sqlx::query(
        "SELECT \
         (SELECT CAST(COALESCE(SUM(total_bytes), 0) AS BIGINT) FROM versions) AS logical_bytes, \
         (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM packs) AS stored_bytes, \
         (SELECT COUNT(*) FROM chunks) AS chunks, \
         (SELECT COUNT(*) FROM packs) AS packs, \
         (SELECT COUNT(*) FROM contents) AS contents, \
         (SELECT COUNT(*) FROM versions) AS versions, \
         (SELECT COUNT(*) FROM assets) AS assets, \
         (SELECT COUNT(*) FROM projects) AS projects",
    )
    .fetch_one(pool)
    .await?;
    let get = |name: &str| -> Result<u64> { to_u64(row.try_get(name)?, name) };
    Ok(RepoStats {
        logical_bytes: get("logical_bytes")?,
        stored_bytes: get("stored_bytes")?,
        chunks: get("chunks")?,
        packs: get("packs")?,
        contents: get("contents")?,
        versions: get("versions")?,
        assets: get("assets")?,
        projects: get("projects")?,
    })
}

pub(crate) async fn list_packs(pool: &Pool) -> Result<Vec<PackInfo>> {
    sqlx::query("SELECT id, size, chunk_count, created_at FROM packs ORDER BY created_at, id")
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            let id: Vec<u8> = row.try_get("id")?;
            Ok(PackInfo {
                id: pack_id(&id)?,
                size: to_u64(row.try_get("size")?, "a pack size")?,
                chunk_count: to_u64(row.try_get("chunk_count")?, "a pack chunk count")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

fn entry_from_row(row: &DbRow) -> Result<PackEntry> {
    let chunk: Vec<u8> = row.try_get("id")?;
    pack_entry(
        &chunk,
        row.try_get("pack_offset")?,
        row.try_get("stored_len")?,
        row.try_get("raw_len")?,
        row.try_get("codec")?,
    )
}

pub(crate) async fn pack_entries(pool: &Pool, pack: &PackId) -> Result<Vec<PackEntry>> {
    sqlx::query(
        "SELECT id, pack_offset, stored_len, raw_len, codec FROM chunks \
         WHERE pack_id = $1 ORDER BY pack_offset, id",
    )
    .bind(&pack.0[..])
    .fetch_all(pool)
    .await?
    .iter()
    .map(entry_from_row)
    .collect()
}

pub(crate) async fn dangling_chunk_refs(pool: &Pool) -> Result<Vec<(ContentId, ChunkId)>> {
    sqlx::query(
        "SELECT DISTINCT cc.content_id, cc.chunk_id FROM content_chunks cc \
         LEFT JOIN chunks c ON c.id = cc.chunk_id WHERE c.id IS NULL \
         ORDER BY cc.content_id, cc.chunk_id",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let content: Vec<u8> = row.try_get("content_id")?;
        let chunk: Vec<u8> = row.try_get("chunk_id")?;
        Ok((content_id(&content)?, chunk_id(&chunk)?))
    })
    .collect()
}

pub(crate) async fn dangling_content_refs(
    pool: &Pool,
) -> Result<Vec<(String, i64, String, ContentId)>> {
    sqlx::query(
        "SELECT p.name AS project, a.name AS asset, v.number, vf.path, vf.content_id \
         FROM version_files vf \
         JOIN versions v ON v.id = vf.version_id \
         JOIN assets a ON a.id = v.asset_id \
         JOIN projects p ON p.id = a.project_id \
         LEFT JOIN contents c ON c.id = vf.content_id \
         WHERE c.id IS NULL \
         ORDER BY p.name, a.name, v.number, vf.path",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        let project: String = row.try_get("project")?;
        let asset: String = row.try_get("asset")?;
        let content: Vec<u8> = row.try_get("content_id")?;
        Ok((
            format!("{project}/{asset}"),
            row.try_get("number")?,
            row.try_get("path")?,
            content_id(&content)?,
        ))
    })
    .collect()
}

pub(crate) async fn chunks_in_missing_packs(pool: &Pool) -> Result<Vec<ChunkId>> {
    sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT c.id FROM chunks c LEFT JOIN packs p ON p.id = c.pack_id \
         WHERE p.id IS NULL ORDER BY c.id",
    )
    .fetch_all(pool)
    .await?
    .iter()
    .map(|id| chunk_id(id))
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Garbage collection

/// Whether a writer holds an unexpired lease on `pack` (it is writing or committing it).
async fn pack_is_leased(conn: &mut Conn, pack: &PackId) -> Result<bool> {
    let leased = sqlx::query_scalar::<_, i64>(
        "SELECT CAST(1 AS BIGINT) FROM pack_leases WHERE pack_id = $1 AND expires_at > $2 LIMIT 1",
    )
    .bind(&pack.0[..])
    .bind(now())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(leased.is_some())
}

/// Whether any chunk row of `pack` is live (named by some content).
async fn pack_has_live_chunk(conn: &mut Conn, pack: &PackId) -> Result<bool> {
    let live = sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT c.id FROM chunks c WHERE c.pack_id = $1 \
         AND EXISTS (SELECT 1 FROM content_chunks cc WHERE cc.chunk_id = c.id) LIMIT 1",
    )
    .bind(&pack.0[..])
    .fetch_optional(&mut *conn)
    .await?;
    Ok(live.is_some())
}

/// Deletes the chunk rows of `pack` and its row; whether the pack row existed.
async fn delete_pack_rows(conn: &mut Conn, pack: &PackId) -> Result<bool> {
    sqlx::query("DELETE FROM chunks WHERE pack_id = $1")
        .bind(&pack.0[..])
        .execute(&mut *conn)
        .await?;
    let deleted = sqlx::query("DELETE FROM packs WHERE id = $1")
        .bind(&pack.0[..])
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(deleted > 0)
}

pub(crate) async fn delete_unreferenced_contents(pool: &Pool) -> Result<u64> {
    let mut tx = begin_locked(pool).await?;
    sqlx::query(
        "DELETE FROM content_chunks WHERE content_id IN (SELECT c.id FROM contents c \
         WHERE NOT EXISTS (SELECT 1 FROM version_files vf WHERE vf.content_id = c.id))",
    )
    .execute(&mut *tx)
    .await?;
    let deleted = sqlx::query(
        "DELETE FROM contents WHERE NOT EXISTS \
         (SELECT 1 FROM version_files vf WHERE vf.content_id = contents.id)",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(deleted)
}

pub(crate) async fn pack_usage(pool: &Pool, older_than: DateTime<Utc>) -> Result<Vec<PackUsage>> {
    let mut conn = pool.acquire().await?;
    let mut packs: Vec<PackUsage> = Vec::new();
    let mut index: HashMap<PackId, usize> = HashMap::new();
    let rows = sqlx::query(
        "SELECT id, size, created_at FROM packs WHERE created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM pack_leases l WHERE l.pack_id = packs.id AND l.expires_at > $2) \
         ORDER BY created_at, id",
    )
    .bind(older_than)
    .bind(now())
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let id: Vec<u8> = row.try_get("id")?;
        let id = pack_id(&id)?;
        index.insert(id, packs.len());
        packs.push(PackUsage {
            id,
            size: to_u64(row.try_get("size")?, "a pack size")?,
            created_at: row.try_get("created_at")?,
            total_chunks: 0,
            live: Vec::new(),
            live_bytes: 0,
        });
    }
    if packs.is_empty() {
        return Ok(packs);
    }
    let rows = sqlx::query(
        "SELECT c.pack_id, c.id, c.pack_offset, c.stored_len, c.raw_len, c.codec, \
         EXISTS (SELECT 1 FROM content_chunks cc WHERE cc.chunk_id = c.id) AS live \
         FROM packs p JOIN chunks c ON c.pack_id = p.id \
         WHERE p.created_at < $1",
    )
    .bind(older_than)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let pack: Vec<u8> = row.try_get("pack_id")?;
        // A pack recorded between the two queries is simply not reported.
        let Some(&i) = index.get(&pack_id(&pack)?) else {
            continue;
        };
        let usage = &mut packs[i];
        usage.total_chunks += 1;
        if row.try_get::<bool, _>("live")? {
            let entry = entry_from_row(&row)?;
            usage.live_bytes += u64::from(entry.stored_len);
            usage.live.push(entry);
        }
    }
    // Sorted here rather than by the query, so that the planner can walk the cutoff index on
    // `packs` and then `chunks` by pack.
    for usage in &mut packs {
        usage.live.sort_by_key(|e| (e.offset, e.chunk));
    }
    Ok(packs)
}

pub(crate) async fn delete_dead_pack(pool: &Pool, pack: &PackId) -> Result<bool> {
    let mut tx = begin_locked(pool).await?;
    if pack_is_leased(&mut tx, pack).await? || pack_has_live_chunk(&mut tx, pack).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let deleted = delete_pack_rows(&mut tx, pack).await?;
    tx.commit().await?;
    if deleted {
        tracing::debug!(pack = %pack.short(), "dead pack forgotten");
    }
    Ok(deleted)
}

pub(crate) async fn replace_pack(pool: &Pool, old: &PackId, new: &PackRecord) -> Result<bool> {
    let created_at = now();
    let mut tx = begin_locked(pool).await?;
    // A leased pack holds chunks a publish is about to commit: rewriting it would drop them.
    if pack_is_leased(&mut tx, old).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_pack(&mut tx, new, created_at).await?;
    for entry in &new.entries {
        sqlx::query(
            "UPDATE chunks SET pack_id = $1, pack_offset = $2, stored_len = $3, raw_len = $4, \
             codec = $5 WHERE id = $6 AND pack_id = $7",
        )
        .bind(&new.id.0[..])
        .bind(i64::from(entry.offset))
        .bind(i64::from(entry.stored_len))
        .bind(i64::from(entry.raw_len))
        .bind(i64::from(entry.codec.code()))
        .bind(&entry.chunk.0[..])
        .bind(&old.0[..])
        .execute(&mut *tx)
        .await?;
    }
    if pack_has_live_chunk(&mut tx, old).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    delete_pack_rows(&mut tx, old).await?;
    tx.commit().await?;
    tracing::debug!(old = %old.short(), new = %new.id.short(), "pack replaced");
    Ok(true)
}

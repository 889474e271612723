//! Custody of bytes in flight, compiled once per backend: pack leases (a writer's claim on the
//! packs it is writing, which gc honours) and upload receipts (the chunks a remote client
//! proved it holds by uploading them to a project).
//!
//! The protocol, which `migrations/*/0005_custody.sql` also states: a writer leases a pack id
//! before writing the pack object and keeps renewing the lease until its version commits;
//! recording a pack requires the lease ([`record_leased_packs`]); gc deletes an unrecorded pack
//! object only after [`claim_orphan`] removed its expired leases under the write lock. So a pack
//! is either recorded (and then subject to the liveness rules) or its writer can no longer
//! record it: a publish can never commit bytes that gc deleted.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use bifrost_core::{ChunkId, ContentId, PackId, PackRecord};

use super::imp::{Pool, Result, begin_locked, begin_write, distinct, insert_pack, project_id};
use crate::CatalogError;
use crate::sql::{chunk_id, content_id, lookup_batches, now, pack_id, placeholders};

/// Leases `packs` for `holder` until `expires_at` (renewing leases it already holds).
pub(crate) async fn lease_packs(
    pool: &Pool,
    packs: &[PackId],
    holder: &str,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    if packs.is_empty() {
        return Ok(());
    }
    let mut tx = begin_write(pool).await?;
    for pack in distinct(packs.iter().copied()) {
        sqlx::query(
            "INSERT INTO pack_leases (pack_id, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (pack_id, holder) DO UPDATE SET expires_at = excluded.expires_at",
        )
        .bind(&pack.0[..])
        .bind(holder)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Extends every lease `holder` still has to `expires_at`; how many it has. A lease gc already
/// removed is not brought back.
pub(crate) async fn renew_leases(
    pool: &Pool,
    holder: &str,
    expires_at: DateTime<Utc>,
) -> Result<u64> {
    let mut tx = begin_write(pool).await?;
    let renewed = sqlx::query("UPDATE pack_leases SET expires_at = $1 WHERE holder = $2")
        .bind(expires_at)
        .bind(holder)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(renewed)
}

/// Drops every lease of `holder` (its version committed, or it gave up).
pub(crate) async fn release_leases(pool: &Pool, holder: &str) -> Result<()> {
    let mut tx = begin_write(pool).await?;
    sqlx::query("DELETE FROM pack_leases WHERE holder = $1")
        .bind(holder)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Records packs `holder` wrote, in one transaction under the write lock, if it still holds a
/// lease on each; otherwise records nothing and fails with [`CatalogError::LeaseLost`].
pub(crate) async fn record_leased_packs(
    pool: &Pool,
    packs: &[PackRecord],
    holder: &str,
) -> Result<()> {
    if packs.is_empty() {
        return Ok(());
    }
    let created_at = now();
    let mut tx = begin_locked(pool).await?;
    for pack in packs {
        let held = sqlx::query_scalar::<_, i64>(
            "SELECT CAST(1 AS BIGINT) FROM pack_leases WHERE pack_id = $1 AND holder = $2",
        )
        .bind(&pack.id.0[..])
        .bind(holder)
        .fetch_optional(&mut *tx)
        .await?;
        if held.is_none() {
            tx.rollback().await?;
            return Err(CatalogError::LeaseLost { pack: pack.id });
        }
        insert_pack(&mut tx, pack, created_at).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Packs with a lease that has not expired at `at`.
pub(crate) async fn leased_packs(pool: &Pool, at: DateTime<Utc>) -> Result<HashSet<PackId>> {
    let rows = sqlx::query_scalar::<_, Vec<u8>>(
        "SELECT DISTINCT pack_id FROM pack_leases WHERE expires_at > $1",
    )
    .bind(at)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|id| pack_id(id)).collect()
}

/// Whether gc may delete the object of `pack`, decided under the write lock: only if no row
/// records it and no lease on it is unexpired; its expired leases are removed in the same
/// transaction, so their holders can no longer record it.
pub(crate) async fn claim_orphan(pool: &Pool, pack: &PackId) -> Result<bool> {
    let at = now();
    let mut tx = begin_locked(pool).await?;
    let recorded =
        sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT) FROM packs WHERE id = $1")
            .bind(&pack.0[..])
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
    let leased = sqlx::query_scalar::<_, i64>(
        "SELECT CAST(1 AS BIGINT) FROM pack_leases WHERE pack_id = $1 AND expires_at > $2 LIMIT 1",
    )
    .bind(&pack.0[..])
    .bind(at)
    .fetch_optional(&mut *tx)
    .await?
    .is_some();
    if recorded || leased {
        tx.rollback().await?;
        return Ok(false);
    }
    sqlx::query("DELETE FROM pack_leases WHERE pack_id = $1")
        .bind(&pack.0[..])
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Removes leases that expired before `at` and upload receipts created before `receipts_before`
/// (left by killed writers and abandoned remote publishes); how many of each.
pub(crate) async fn expire_custody(
    pool: &Pool,
    at: DateTime<Utc>,
    receipts_before: DateTime<Utc>,
) -> Result<(u64, u64)> {
    let mut tx = begin_locked(pool).await?;
    let leases = sqlx::query("DELETE FROM pack_leases WHERE expires_at <= $1")
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let receipts = sqlx::query("DELETE FROM upload_receipts WHERE created_at < $1")
        .bind(receipts_before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok((leases, receipts))
}

// ---------------------------------------------------------------------------------------------
// Proof of possession

/// Notes that the bytes of `chunks` were uploaded to `project`.
pub(crate) async fn add_upload_receipts(
    pool: &Pool,
    project: &str,
    chunks: &[ChunkId],
) -> Result<()> {
    if chunks.is_empty() {
        return Ok(());
    }
    let created_at = now();
    let mut tx = begin_write(pool).await?;
    let project = project_id(&mut tx, project).await?;
    for chunk in distinct(chunks.iter().copied()) {
        sqlx::query(
            "INSERT INTO upload_receipts (project_id, chunk_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (project_id, chunk_id) DO UPDATE SET created_at = excluded.created_at",
        )
        .bind(project)
        .bind(&chunk.0[..])
        .bind(created_at)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets receipts for `chunks` in `project` (their contents committed there).
pub(crate) async fn clear_upload_receipts(
    pool: &Pool,
    project: &str,
    chunks: &[ChunkId],
) -> Result<()> {
    let ids = distinct(chunks.iter().map(|c| c.0));
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = begin_write(pool).await?;
    let project = project_id(&mut tx, project).await?;
    for batch in lookup_batches(&ids) {
        let sql = format!(
            "DELETE FROM upload_receipts WHERE project_id = $1 AND chunk_id IN ({})",
            placeholders(2, batch.len())
        );
        let mut query = sqlx::query(AssertSqlSafe(sql)).bind(project);
        for id in &batch {
            query = query.bind(&id[..]);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// For each of `chunks`, whether `project` may use it without uploading it: a content of one of
/// the project's versions names it, or its bytes were uploaded to the project (and the store
/// still has them).
pub(crate) async fn chunks_in_project(
    pool: &Pool,
    project: &str,
    chunks: &[ChunkId],
) -> Result<Vec<bool>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let ids = distinct(chunks.iter().map(|c| c.0));
    let mut found: HashSet<[u8; 32]> = HashSet::new();
    for batch in lookup_batches(&ids) {
        let list = placeholders(2, batch.len());
        let referenced = format!(
            "SELECT DISTINCT cc.chunk_id FROM content_chunks cc WHERE cc.chunk_id IN ({list}) \
             AND EXISTS (SELECT 1 FROM version_files vf \
               JOIN versions v ON v.id = vf.version_id JOIN assets a ON a.id = v.asset_id \
               WHERE vf.content_id = cc.content_id AND a.project_id = $1)"
        );
        let uploaded = format!(
            "SELECT r.chunk_id FROM upload_receipts r WHERE r.project_id = $1 \
             AND r.chunk_id IN ({list}) AND EXISTS (SELECT 1 FROM chunks k WHERE k.id = r.chunk_id)"
        );
        for sql in [referenced, uploaded] {
            let mut query = sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(sql)).bind(project_id);
            for id in &batch {
                query = query.bind(&id[..]);
            }
            for id in query.fetch_all(&mut *conn).await? {
                found.insert(chunk_id(&id)?.0);
            }
        }
    }
    Ok(chunks.iter().map(|c| found.contains(&c.0)).collect())
}

/// For each of `contents`, whether a version of `project` names it.
pub(crate) async fn contents_in_project(
    pool: &Pool,
    project: &str,
    contents: &[ContentId],
) -> Result<Vec<bool>> {
    let mut conn = pool.acquire().await?;
    let project_id = project_id(&mut conn, project).await?;
    let ids = distinct(contents.iter().map(|c| c.0));
    let mut found: HashSet<[u8; 32]> = HashSet::new();
    for batch in lookup_batches(&ids) {
        let sql = format!(
            "SELECT DISTINCT vf.content_id FROM version_files vf \
             JOIN versions v ON v.id = vf.version_id JOIN assets a ON a.id = v.asset_id \
             WHERE a.project_id = $1 AND vf.content_id IN ({})",
            placeholders(2, batch.len())
        );
        let mut query = sqlx::query_scalar::<_, Vec<u8>>(AssertSqlSafe(sql)).bind(project_id);
        for id in &batch {
            query = query.bind(&id[..]);
        }
        for id in query.fetch_all(&mut *conn).await? {
            found.insert(content_id(&id)?.0);
        }
    }
    Ok(contents.iter().map(|c| found.contains(&c.0)).collect())
}

/// The chunk list of each of `contents` the catalog has, in order.
pub(crate) async fn content_chunk_lists(
    pool: &Pool,
    contents: &[ContentId],
) -> Result<HashMap<ContentId, Vec<ChunkId>>> {
    let mut conn = pool.acquire().await?;
    let ids = distinct(contents.iter().map(|c| c.0));
    let mut out: HashMap<ContentId, Vec<ChunkId>> = HashMap::new();
    for batch in lookup_batches(&ids) {
        let sql = format!(
            "SELECT content_id, chunk_id FROM content_chunks WHERE content_id IN ({}) \
             ORDER BY content_id, seq",
            placeholders(1, batch.len())
        );
        let mut query = sqlx::query_as::<_, (Vec<u8>, Vec<u8>)>(AssertSqlSafe(sql));
        for id in &batch {
            query = query.bind(&id[..]);
        }
        for (content, chunk) in query.fetch_all(&mut *conn).await? {
            out.entry(content_id(&content)?)
                .or_default()
                .push(chunk_id(&chunk)?);
        }
    }
    Ok(out)
}

//! The catalog's checks of itself, for fsck, compiled once per backend: the database's own
//! integrity and foreign-key checks (SQLite; on PostgreSQL, which enforces foreign keys
//! itself, that no index was left invalid), the search index against the documents a rebuild would write, and
//! the version, content and chunk rows against each other.
//!
//! Every check only reads what users see: the search comparison rebuilds the index inside a
//! transaction that is always rolled back.

use std::collections::BTreeMap;

use sqlx::Row;

use super::IS_POSTGRES;
use super::imp::{Pool, Result, begin_locked};
use crate::{CatalogPart, IntegrityFinding};

/// At most this many examples are named per kind of disagreement.
const EXAMPLES: usize = 5;

fn finding(part: CatalogPart, detail: impl Into<String>) -> IntegrityFinding {
    IntegrityFinding {
        part,
        detail: detail.into(),
    }
}

pub(crate) async fn check_integrity(pool: &Pool) -> Result<Vec<IntegrityFinding>> {
    let mut findings = Vec::new();
    if !IS_POSTGRES {
        // A damaged b-tree makes every later check unreliable: report it and stop there.
        let rows: Vec<String> = match sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(pool)
            .await
        {
            Ok(rows) => rows,
            // Phrased as the catalog phrases database damage, never the raw message.
            Err(e) => vec![crate::CatalogError::from(e).to_string()],
        };
        // Newer SQLite also checks the full-text index here; that part is derived data.
        let (index, database): (Vec<&String>, Vec<&String>) = rows
            .iter()
            .filter(|r| r.as_str() != "ok")
            .partition(|r| r.contains("search_fts"));
        if !database.is_empty() {
            let shown: Vec<&str> = database.iter().take(EXAMPLES).map(|s| s.as_str()).collect();
            findings.push(finding(
                CatalogPart::Database,
                format!("SQLite's integrity check failed: {}", shown.join("; ")),
            ));
            return Ok(findings);
        }
        if let Some(first) = index.first() {
            findings.push(finding(
                CatalogPart::SearchIndex,
                format!("SQLite's integrity check failed for the full-text index: {first}"),
            ));
        }
    }
    findings.extend(check_references(pool).await?);
    match check_search_index(pool).await {
        Ok(mut found) => findings.append(&mut found),
        Err(e) => findings.push(finding(
            CatalogPart::SearchIndex,
            format!("the search index cannot be read or rebuilt: {e}"),
        )),
    }
    findings.extend(check_records(pool).await?);
    Ok(findings)
}

/// Rows that name rows which do not exist. SQLite enforces foreign keys only on connections
/// that turn them on (a tool that edits the file may not), so `PRAGMA foreign_key_check` looks
/// at every table; PostgreSQL always enforces them, so there an index left invalid (a failed
/// build) is what is checked: queries would silently stop using it.
async fn check_references(pool: &Pool) -> Result<Vec<IntegrityFinding>> {
    let mut findings = Vec::new();
    if IS_POSTGRES {
        let invalid: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(i.indexrelid::regclass AS TEXT) FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid \
             WHERE NOT i.indisvalid AND c.relnamespace = CAST(current_schema() AS regnamespace) \
             ORDER BY 1",
        )
        .fetch_all(pool)
        .await?;
        if !invalid.is_empty() {
            findings.push(finding(
                CatalogPart::Database,
                format!(
                    "{} index(es) of the catalog are invalid (e.g. {}); rebuild them with REINDEX",
                    invalid.len(),
                    invalid[..invalid.len().min(EXAMPLES)].join(", ")
                ),
            ));
        }
        return Ok(findings);
    }
    let rows = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await?;
    let mut by_table: BTreeMap<(String, String), (u64, Vec<String>)> = BTreeMap::new();
    for row in &rows {
        let table: String = row.try_get(0)?;
        let rowid: Option<i64> = row.try_get(1)?;
        let parent: String = row.try_get(2)?;
        let entry = by_table.entry((table, parent)).or_default();
        entry.0 += 1;
        if entry.1.len() < EXAMPLES {
            entry
                .1
                .push(rowid.map_or_else(|| "?".to_owned(), |id| format!("#{id}")));
        }
    }
    for ((table, parent), (count, examples)) in by_table {
        findings.push(finding(
            CatalogPart::Records,
            format!(
                "{count} row(s) of `{table}` name a row of `{parent}` that does not exist (e.g. {})",
                examples.join(", ")
            ),
        ));
    }
    Ok(findings)
}

/// A search document as compared: `(kind, entity id)` → everything else it holds.
type Docs = BTreeMap<(String, i64), String>;

async fn read_docs(conn: &mut super::imp::Conn) -> Result<Docs> {
    let rows = sqlx::query(
        "SELECT kind, entity_id, project_id, asset_id, sequence_id, name, name_key, content, \
         body FROM search_docs",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut docs = Docs::new();
    for row in rows {
        let key = (row.try_get("kind")?, row.try_get("entity_id")?);
        let value = format!(
            "{:?}|{:?}|{:?}|{}|{}|{}|{}",
            row.try_get::<i64, _>("project_id")?,
            row.try_get::<Option<i64>, _>("asset_id")?,
            row.try_get::<Option<i64>, _>("sequence_id")?,
            row.try_get::<String, _>("name")?,
            row.try_get::<String, _>("name_key")?,
            row.try_get::<String, _>("content")?,
            row.try_get::<String, _>("body")?,
        );
        docs.insert(key, value);
    }
    Ok(docs)
}

async fn check_search_index(pool: &Pool) -> Result<Vec<IntegrityFinding>> {
    let mut findings = Vec::new();
    let mut tx = begin_locked(pool).await?;
    if !IS_POSTGRES {
        // FTS5 compares its index with the documents table (rank 1: the external content too).
        if let Err(e) =
            sqlx::query("INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")
                .execute(&mut *tx)
                .await
        {
            findings.push(finding(
                CatalogPart::SearchIndex,
                format!("the full-text index disagrees with the search documents: {e}"),
            ));
        }
    }
    let stored = read_docs(&mut tx).await?;
    super::search::reindex(&mut tx, None).await?;
    let rebuilt = read_docs(&mut tx).await?;
    tx.rollback().await?;
    let name = |(kind, id): &(String, i64)| format!("{kind} #{id}");
    let missing: Vec<String> = rebuilt
        .keys()
        .filter(|k| !stored.contains_key(*k))
        .map(name)
        .collect();
    let extra: Vec<String> = stored
        .keys()
        .filter(|k| !rebuilt.contains_key(*k))
        .map(name)
        .collect();
    let stale: Vec<String> = rebuilt
        .iter()
        .filter(|(k, v)| stored.get(*k).is_some_and(|s| s != *v))
        .map(|(k, _)| name(k))
        .collect();
    for (list, what) in [
        (missing, "have no search document"),
        (extra, "are in the search index but no longer exist"),
        (stale, "have an out-of-date search document"),
    ] {
        if !list.is_empty() {
            findings.push(finding(
                CatalogPart::SearchIndex,
                format!(
                    "{} entities {what} (e.g. {})",
                    list.len(),
                    list[..list.len().min(EXAMPLES)].join(", ")
                ),
            ));
        }
    }
    Ok(findings)
}

/// Each statement selects one text per disagreeing row.
const RECORD_CHECKS: &[(&str, &str)] = &[
    (
        "contents whose chunk count disagrees with their chunk list",
        "SELECT c.id FROM contents c WHERE c.chunk_count <> \
         (SELECT COUNT(*) FROM content_chunks cc WHERE cc.content_id = c.id)",
    ),
    (
        "contents whose size differs from the sum of their chunks",
        "SELECT c.id FROM contents c WHERE c.chunk_count > 0 AND c.size <> \
         (SELECT COALESCE(SUM(k.raw_len), 0) FROM content_chunks cc \
          JOIN chunks k ON k.id = cc.chunk_id WHERE cc.content_id = c.id) \
         AND NOT EXISTS (SELECT 1 FROM content_chunks cc WHERE cc.content_id = c.id \
          AND NOT EXISTS (SELECT 1 FROM chunks k WHERE k.id = cc.chunk_id))",
    ),
    (
        "version files whose size differs from their content's",
        "SELECT vf.path FROM version_files vf JOIN contents c ON c.id = vf.content_id \
         WHERE vf.size <> c.size",
    ),
    (
        "versions whose file count or total size disagrees with their file list",
        "SELECT a.name FROM versions v JOIN assets a ON a.id = v.asset_id WHERE \
         v.file_count <> (SELECT COUNT(*) FROM version_files vf WHERE vf.version_id = v.id) OR \
         v.total_bytes <> (SELECT COALESCE(SUM(vf.size), 0) FROM version_files vf \
          WHERE vf.version_id = v.id)",
    ),
    (
        "versions whose numbers leave a gap",
        "SELECT a.name FROM assets a JOIN versions v ON v.asset_id = a.id GROUP BY a.id, a.name \
         HAVING MAX(v.number) <> COUNT(*)",
    ),
];

async fn check_records(pool: &Pool) -> Result<Vec<IntegrityFinding>> {
    let mut findings = Vec::new();
    for (what, sql) in RECORD_CHECKS {
        let rows = sqlx::query(sqlx::AssertSqlSafe(*sql))
            .fetch_all(pool)
            .await?;
        if rows.is_empty() {
            continue;
        }
        let examples: Vec<String> = rows
            .iter()
            .take(EXAMPLES)
            .map(|row| match row.try_get::<String, _>(0) {
                Ok(text) => text,
                Err(_) => row
                    .try_get::<Vec<u8>, _>(0)
                    .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect())
                    .unwrap_or_default(),
            })
            .collect();
        findings.push(finding(
            CatalogPart::Records,
            format!("{} {what} (e.g. {})", rows.len(), examples.join(", ")),
        ));
    }
    Ok(findings)
}

/// The newest journal entry's id, 0 when there is none.
pub(crate) async fn last_journal_id(pool: &Pool) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM journal")
        .fetch_one(pool)
        .await?;
    Ok(id.unwrap_or(0))
}

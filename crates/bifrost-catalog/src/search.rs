//! Search: one document per asset, sequence, shot and version, kept in step with the catalog in
//! the same transactions as the writes that change them, and the compilation of a parsed
//! [`Query`] into SQL. Compiled once per backend, like `imp.rs`.
//!
//! The full-text index is FTS5 (`search_fts`, external content over `search_docs.body`,
//! maintained by triggers) on SQLite and a `tsvector` column with a GIN index on PostgreSQL.
//! Both index the tokens the catalog produced itself ([`crate::text`]), so they match the same
//! documents. Every user value reaches the database as a bound parameter; the SQL text is
//! assembled only from fixed fragments and placeholder numbers.

use std::collections::HashMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use bifrost_core::production::{EntityKind, ReviewStatus, SearchHit};
use bifrost_core::query::{Clause, CmpOp, Field, Query, Term, TermKind, Value};

use super::IS_POSTGRES;
use super::imp::{Conn, DbRow, Metadata, Pool, Result, begin_locked, insert_rows, project_id};
use crate::CatalogError;
use crate::sql::corrupt;
use crate::text::{
    DocText, TextTerm, asset_text, glob_pattern, like_pattern, sequence_text, shot_text, snippet,
    version_text,
};

// ---------------------------------------------------------------------------------------------
// Documents

/// A search document, ready to be written.
#[derive(Debug, Clone)]
pub(super) struct Doc {
    pub(super) project_id: i64,
    pub(super) kind: EntityKind,
    pub(super) entity_id: i64,
    /// The asset of an asset or version document.
    pub(super) asset_id: Option<i64>,
    /// The sequence of a shot or sequence document.
    pub(super) sequence_id: Option<i64>,
    /// Shown in results: `NAME`, `SEQ/SHOT`, `SEQ` or `NAME@vN`.
    pub(super) name: String,
    pub(super) created_at: DateTime<Utc>,
    pub(super) text: DocText,
    /// The short name `name:` filters match, before lowercasing.
    pub(super) short_name: String,
}

const DOC_INSERT: &str = "INSERT INTO search_docs (project_id, kind, entity_id, asset_id, \
     sequence_id, name, name_key, created_at, content, body)";

fn bind_doc(q: super::imp::Query, doc: &Doc) -> super::imp::Query {
    q.bind(doc.project_id)
        .bind(doc.kind.as_str())
        .bind(doc.entity_id)
        .bind(doc.asset_id)
        .bind(doc.sequence_id)
        .bind(doc.name.clone())
        .bind(doc.short_name.to_lowercase())
        .bind(doc.created_at)
        .bind(doc.text.content.clone())
        .bind(doc.text.body.clone())
}

/// Writes a document, replacing the entity's previous one.
async fn upsert_doc(conn: &mut Conn, doc: &Doc) -> Result<()> {
    let sql = format!(
        "{DOC_INSERT} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (kind, entity_id) DO UPDATE SET project_id = excluded.project_id, \
         asset_id = excluded.asset_id, sequence_id = excluded.sequence_id, \
         name = excluded.name, name_key = excluded.name_key, created_at = excluded.created_at, \
         content = excluded.content, body = excluded.body"
    );
    bind_doc(sqlx::query(AssertSqlSafe(sql)), doc)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inserts new documents with multi-row inserts (bulk imports, reindexing).
pub(super) async fn insert_docs(conn: &mut Conn, docs: &[Doc]) -> Result<()> {
    insert_rows(conn, DOC_INSERT, 10, "", docs, bind_doc).await?;
    Ok(())
}

async fn delete_doc(conn: &mut Conn, kind: EntityKind, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM search_docs WHERE kind = $1 AND entity_id = $2")
        .bind(kind.as_str())
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The document name of a version.
pub(super) fn version_doc_name(asset: &str, number: i64) -> String {
    format!("{asset}@v{number}")
}

/// The documents of each kind of entity: what identifies them and how they are named, in one
/// place for the incremental refreshes, the rebuild and bulk imports (which must agree:
/// `reindex_matches_incremental_documents`).
impl Doc {
    pub(super) fn asset(
        project_id: i64,
        id: i64,
        name: &str,
        created_at: DateTime<Utc>,
        text: DocText,
    ) -> Doc {
        Doc {
            project_id,
            kind: EntityKind::Asset,
            entity_id: id,
            asset_id: Some(id),
            sequence_id: None,
            name: name.to_owned(),
            created_at,
            text,
            short_name: name.to_owned(),
        }
    }

    pub(super) fn version(
        project_id: i64,
        id: i64,
        asset_id: i64,
        (asset, number): (&str, i64),
        created_at: DateTime<Utc>,
        text: DocText,
    ) -> Doc {
        Doc {
            project_id,
            kind: EntityKind::Version,
            entity_id: id,
            asset_id: Some(asset_id),
            sequence_id: None,
            name: version_doc_name(asset, number),
            created_at,
            text,
            short_name: asset.to_owned(),
        }
    }

    pub(super) fn sequence(
        project_id: i64,
        id: i64,
        name: &str,
        created_at: DateTime<Utc>,
        text: DocText,
    ) -> Doc {
        Doc {
            project_id,
            kind: EntityKind::Sequence,
            entity_id: id,
            asset_id: None,
            sequence_id: Some(id),
            name: name.to_owned(),
            created_at,
            text,
            short_name: name.to_owned(),
        }
    }

    pub(super) fn shot(
        project_id: i64,
        id: i64,
        sequence_id: i64,
        (sequence, name): (&str, &str),
        created_at: DateTime<Utc>,
        text: DocText,
    ) -> Doc {
        Doc {
            project_id,
            kind: EntityKind::Shot,
            entity_id: id,
            asset_id: None,
            sequence_id: Some(sequence_id),
            name: format!("{sequence}/{name}"),
            created_at,
            text,
            short_name: name.to_owned(),
        }
    }
}

// The rows documents are built from; each aliases the table carrying `project_id` as `x`, so
// that `reindex` can scope them to a project.
const ASSET_SELECT: &str =
    "SELECT x.id, x.project_id, x.name, x.asset_type, x.metadata, x.created_at FROM assets x";
const VERSION_SELECT: &str = "SELECT v.id, v.asset_id, x.name AS asset, v.number, v.note, \
     v.metadata, v.created_at, x.project_id FROM versions v JOIN assets x ON x.id = v.asset_id";
const SEQUENCE_SELECT: &str =
    "SELECT x.id, x.project_id, x.name, x.metadata, x.created_at FROM sequences x";
const SHOT_SELECT: &str = "SELECT x.id, x.project_id, x.sequence_id, q.name AS sequence, \
     x.name, x.metadata, x.created_at FROM shots x JOIN sequences q ON q.id = x.sequence_id";

fn asset_doc(row: &DbRow, tags: &[String], notes: &[String], comments: &[String]) -> Result<Doc> {
    let name: String = row.try_get("name")?;
    let asset_type: String = row.try_get("asset_type")?;
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    let text = asset_text(
        &name,
        &asset_type,
        tags,
        &metadata.0,
        notes.iter().map(String::as_str),
        comments.iter().map(String::as_str),
    );
    Ok(Doc::asset(
        row.try_get("project_id")?,
        row.try_get("id")?,
        &name,
        row.try_get("created_at")?,
        text,
    ))
}

fn version_doc(row: &DbRow, comments: &[String]) -> Result<Doc> {
    let asset: String = row.try_get("asset")?;
    let note: String = row.try_get("note")?;
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(Doc::version(
        row.try_get("project_id")?,
        row.try_get("id")?,
        row.try_get("asset_id")?,
        (&asset, row.try_get("number")?),
        row.try_get("created_at")?,
        version_text(&note, &metadata.0, comments.iter().map(String::as_str)),
    ))
}

fn sequence_doc(row: &DbRow) -> Result<Doc> {
    let name: String = row.try_get("name")?;
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(Doc::sequence(
        row.try_get("project_id")?,
        row.try_get("id")?,
        &name,
        row.try_get("created_at")?,
        sequence_text(&name, &metadata.0),
    ))
}

fn shot_doc(row: &DbRow, comments: &[String]) -> Result<Doc> {
    let sequence: String = row.try_get("sequence")?;
    let name: String = row.try_get("name")?;
    let metadata: Json<Metadata> = row.try_get("metadata")?;
    Ok(Doc::shot(
        row.try_get("project_id")?,
        row.try_get("id")?,
        row.try_get("sequence_id")?,
        (&sequence, &name),
        row.try_get("created_at")?,
        shot_text(
            &sequence,
            &name,
            &metadata.0,
            comments.iter().map(String::as_str),
        ),
    ))
}

/// The row of entity `id` (`select` is one of the `*_SELECT`s, `id_column` its entity's id),
/// if it still exists.
async fn entity_row(
    conn: &mut Conn,
    select: &str,
    id_column: &str,
    id: i64,
) -> Result<Option<DbRow>> {
    Ok(
        sqlx::query(AssertSqlSafe(format!("{select} WHERE {id_column} = $1")))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Rebuilds the document of an asset from its rows (or drops it if the asset is gone).
pub(super) async fn refresh_asset_doc(conn: &mut Conn, id: i64) -> Result<()> {
    let Some(row) = entity_row(conn, ASSET_SELECT, "x.id", id).await? else {
        return delete_doc(conn, EntityKind::Asset, id).await;
    };
    let tags = sqlx::query_scalar::<_, String>(
        "SELECT tag FROM asset_tags WHERE asset_id = $1 ORDER BY tag",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let notes = sqlx::query_scalar::<_, String>(
        "SELECT note FROM versions WHERE asset_id = $1 ORDER BY number",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    // Comments on the asset and on its versions, in the order they were written.
    let comments = sqlx::query_scalar::<_, String>(
        "SELECT body FROM (SELECT c.id, c.body FROM comments c \
         WHERE c.target_kind = 'asset' AND c.target_id = $1 \
         UNION ALL \
         SELECT c.id, c.body FROM versions v \
         JOIN comments c ON c.target_kind = 'version' AND c.target_id = v.id \
         WHERE v.asset_id = $2) t ORDER BY id",
    )
    .bind(id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    upsert_doc(conn, &asset_doc(&row, &tags, &notes, &comments)?).await
}

async fn comments_on(conn: &mut Conn, kind: EntityKind, id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar::<_, String>(
        "SELECT body FROM comments WHERE target_kind = $1 AND target_id = $2 ORDER BY id",
    )
    .bind(kind.as_str())
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Rebuilds the document of a version.
pub(super) async fn refresh_version_doc(conn: &mut Conn, id: i64) -> Result<()> {
    let Some(row) = entity_row(conn, VERSION_SELECT, "v.id", id).await? else {
        return delete_doc(conn, EntityKind::Version, id).await;
    };
    let comments = comments_on(conn, EntityKind::Version, id).await?;
    upsert_doc(conn, &version_doc(&row, &comments)?).await
}

/// Rebuilds the document of a shot.
pub(super) async fn refresh_shot_doc(conn: &mut Conn, id: i64) -> Result<()> {
    let Some(row) = entity_row(conn, SHOT_SELECT, "x.id", id).await? else {
        return delete_doc(conn, EntityKind::Shot, id).await;
    };
    let comments = comments_on(conn, EntityKind::Shot, id).await?;
    upsert_doc(conn, &shot_doc(&row, &comments)?).await
}

/// Rebuilds the documents of every shot of a sequence, set-wise (a sequence's rename changes
/// all of them: three statements, however many shots). Returns how many it wrote.
pub(super) async fn refresh_shot_docs_of_sequence(
    conn: &mut Conn,
    sequence_id: i64,
) -> Result<u64> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "{SHOT_SELECT} WHERE x.sequence_id = $1 ORDER BY x.id"
    )))
    .bind(sequence_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut comments: HashMap<i64, Vec<String>> = HashMap::new();
    for (shot, body) in sqlx::query_as::<_, (i64, String)>(
        "SELECT c.target_id, c.body FROM comments c JOIN shots s \
         ON c.target_kind = 'shot' AND c.target_id = s.id WHERE s.sequence_id = $1 ORDER BY c.id",
    )
    .bind(sequence_id)
    .fetch_all(&mut *conn)
    .await?
    {
        comments.entry(shot).or_default().push(body);
    }
    sqlx::query(
        "DELETE FROM search_docs WHERE kind = 'shot' \
         AND entity_id IN (SELECT id FROM shots WHERE sequence_id = $1)",
    )
    .bind(sequence_id)
    .execute(&mut *conn)
    .await?;
    let docs = rows
        .iter()
        .map(|row| {
            let id: i64 = row.try_get("id")?;
            shot_doc(row, comments.get(&id).map_or(&[], Vec::as_slice))
        })
        .collect::<Result<Vec<Doc>>>()?;
    insert_docs(conn, &docs).await?;
    Ok(docs.len() as u64)
}

/// Rebuilds the document of a sequence.
pub(super) async fn refresh_sequence_doc(conn: &mut Conn, id: i64) -> Result<()> {
    let Some(row) = entity_row(conn, SEQUENCE_SELECT, "x.id", id).await? else {
        return delete_doc(conn, EntityKind::Sequence, id).await;
    };
    upsert_doc(conn, &sequence_doc(&row)?).await
}

/// Rebuilds every document (of one project, or of all), set-wise. Returns how many it wrote.
pub(super) async fn reindex(conn: &mut Conn, project: Option<i64>) -> Result<u64> {
    // `scope` restricts a query on a table aliased `x` carrying `project_id`.
    let scope = if project.is_some() {
        " WHERE x.project_id = $1"
    } else {
        ""
    };
    macro_rules! fetch {
        ($sql:expr, $order:expr) => {{
            let sql = format!("{}{} ORDER BY {}", $sql, scope, $order);
            let mut q = sqlx::query(AssertSqlSafe(sql));
            if let Some(p) = project {
                q = q.bind(p);
            }
            q.fetch_all(&mut *conn).await?
        }};
    }
    let delete = format!("DELETE FROM search_docs{}", scope.replace("x.", ""));
    let mut q = sqlx::query(AssertSqlSafe(delete));
    if let Some(p) = project {
        q = q.bind(p);
    }
    q.execute(&mut *conn).await?;

    // Comments by target, in id order; and per asset, those on it and on its versions.
    let mut comments: HashMap<(String, i64), Vec<String>> = HashMap::new();
    let mut asset_comments: HashMap<i64, Vec<String>> = HashMap::new();
    for row in fetch!(
        "SELECT x.target_kind, x.target_id, v.asset_id, x.body FROM comments x \
         LEFT JOIN versions v ON x.target_kind = 'version' AND v.id = x.target_id",
        "x.id"
    ) {
        let kind: String = row.try_get("target_kind")?;
        let target: i64 = row.try_get("target_id")?;
        let body: String = row.try_get("body")?;
        let owner: Option<i64> = match kind.as_str() {
            "asset" => Some(target),
            "version" => row.try_get("asset_id")?,
            _ => None,
        };
        if let Some(owner) = owner {
            asset_comments.entry(owner).or_default().push(body.clone());
        }
        comments.entry((kind, target)).or_default().push(body);
    }
    let on = |kind: &str, id: i64| -> &[String] {
        comments
            .get(&(kind.to_owned(), id))
            .map_or(&[], Vec::as_slice)
    };
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for row in fetch!(
        "SELECT t.asset_id, t.tag FROM asset_tags t JOIN assets x ON x.id = t.asset_id",
        "t.asset_id, t.tag"
    ) {
        tags.entry(row.try_get("asset_id")?)
            .or_default()
            .push(row.try_get("tag")?);
    }
    let mut notes: HashMap<i64, Vec<String>> = HashMap::new();
    let mut docs: Vec<Doc> = Vec::new();
    for row in fetch!(VERSION_SELECT, "v.asset_id, v.number") {
        let id: i64 = row.try_get("id")?;
        docs.push(version_doc(&row, on("version", id))?);
        notes
            .entry(row.try_get("asset_id")?)
            .or_default()
            .push(row.try_get("note")?);
    }
    for row in fetch!(ASSET_SELECT, "x.id") {
        let id: i64 = row.try_get("id")?;
        docs.push(asset_doc(
            &row,
            tags.get(&id).map_or(&[], Vec::as_slice),
            notes.get(&id).map_or(&[], Vec::as_slice),
            asset_comments.get(&id).map_or(&[], Vec::as_slice),
        )?);
    }
    for row in fetch!(SEQUENCE_SELECT, "x.id") {
        docs.push(sequence_doc(&row)?);
    }
    for row in fetch!(SHOT_SELECT, "x.id") {
        let id: i64 = row.try_get("id")?;
        docs.push(shot_doc(&row, on("shot", id))?);
    }
    insert_docs(conn, &docs).await?;
    Ok(docs.len() as u64)
}

/// Rebuilds the search documents of a project (or of every project).
pub(crate) async fn reindex_search(pool: &Pool, project: Option<&str>) -> Result<u64> {
    let mut tx = begin_locked(pool).await?;
    let id = match project {
        Some(name) => Some(project_id(&mut tx, name).await?),
        None => None,
    };
    if !IS_POSTGRES && id.is_none() {
        // A damaged full-text index cannot even delete its old entries: rebuild it from the
        // documents first, so that the rewrite below starts from a sound index.
        sqlx::query("INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
            .execute(&mut *tx)
            .await?;
    }
    let written = reindex(&mut tx, id).await?;
    tx.commit().await?;
    Ok(written)
}

/// Runs the work migrations left for the catalog (building the search documents of data that
/// existed before search did). Cheap when there is none: one indexed lookup.
pub(crate) async fn run_pending_jobs(pool: &Pool) -> Result<()> {
    let pending: Option<String> =
        sqlx::query_scalar("SELECT name FROM pending_jobs WHERE name = 'search-backfill'")
            .fetch_optional(pool)
            .await?;
    if pending.is_none() {
        return Ok(());
    }
    let mut tx = begin_locked(pool).await?;
    let deleted = sqlx::query("DELETE FROM pending_jobs WHERE name = 'search-backfill'")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted > 0 {
        let written = reindex(&mut tx, None).await?;
        tracing::info!(documents = written, "search index built");
    }
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Query compilation

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
enum Bind {
    Text(String),
    Int(i64),
    Float(f64),
    Time(DateTime<Utc>),
}

/// Builds the `WHERE` condition of a search: SQL made of fixed fragments and `$N` placeholders,
/// and the values to bind to them, in order.
#[derive(Debug, Default)]
struct Compiler {
    binds: Vec<Bind>,
}

fn invalid(reason: impl Into<String>) -> CatalogError {
    CatalogError::InvalidQuery {
        reason: reason.into(),
    }
}

/// The SQL comparison operator for `op`.
fn op_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Le => "<=",
        CmpOp::Gt => ">",
        CmpOp::Ge => ">=",
    }
}

/// A value as text, for fields compared as text.
fn value_text(value: &Value) -> String {
    match value {
        Value::Text(s) | Value::Pattern(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Date(d) => d.format("%Y-%m-%d").to_string(),
    }
}

fn day_start(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// The kinds of document each field applies to (what `!=` is restricted to).
fn applies_to(field: &Field) -> &'static str {
    match field {
        Field::Type | Field::Tag => "d.kind = 'asset'",
        Field::Status | Field::Author => "d.kind IN ('asset', 'shot', 'version')",
        Field::Seq => "(d.sequence_id IS NOT NULL OR d.kind = 'asset')",
        Field::Dept | Field::Assignee => "d.kind IN ('asset', 'shot')",
        Field::Name
        | Field::Kind
        | Field::Project
        | Field::Created
        | Field::Version
        | Field::Meta(_) => "1 = 1",
    }
}

impl Compiler {
    fn param(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }

    /// The condition of a whole query (all clauses).
    fn query(&mut self, query: &Query) -> Result<String> {
        self.query_except(query, None)
    }

    /// The condition of the clauses but `skipped` (the driving clause, whose driver selects
    /// exactly the documents satisfying it).
    fn query_except(&mut self, query: &Query, skipped: Option<usize>) -> Result<String> {
        let mut parts = Vec::with_capacity(query.clauses.len());
        for (i, clause) in query.clauses.iter().enumerate() {
            if Some(i) == skipped {
                continue;
            }
            if clause.alternatives.is_empty() {
                return Err(invalid("a clause has no terms"));
            }
            let mut alternatives = Vec::with_capacity(clause.alternatives.len());
            for term in &clause.alternatives {
                alternatives.push(self.term(term)?);
            }
            parts.push(format!("({})", alternatives.join(" OR ")));
        }
        if parts.is_empty() {
            return Ok("1 = 1".to_owned());
        }
        Ok(parts.join(" AND "))
    }

    /// One term: never NULL, so that negation is plain two-valued logic. Conditions that can
    /// be NULL (comparisons with values a document may lack) are wrapped in `COALESCE`; the
    /// others are left bare so that the planner can use indexes for them.
    fn term(&mut self, term: &Term) -> Result<String> {
        let (condition, nullable) = match &term.kind {
            TermKind::Text {
                text,
                phrase,
                prefix,
            } => (self.text(&TextTerm::new(text, *phrase, *prefix)), false),
            TermKind::Filter { field, op, value } => self.filter(field, *op, value)?,
        };
        let condition = if nullable {
            format!("COALESCE(({condition}), FALSE)")
        } else {
            format!("({condition})")
        };
        Ok(if term.negated {
            format!("NOT {condition}")
        } else {
            condition
        })
    }

    fn text(&mut self, term: &TextTerm) -> String {
        if term.tokens.is_empty() {
            // Nothing searchable (only punctuation): matches nothing.
            return "1 = 0".to_owned();
        }
        if IS_POSTGRES {
            let p = self.param(Bind::Text(term.tsquery_text()));
            format!("d.tsv @@ to_tsquery('simple', {p})")
        } else {
            let p = self.param(Bind::Text(term.fts5_expression()));
            format!("d.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {p})")
        }
    }

    /// `expr` matches `value` (equality, or a `*` pattern), case-sensitively.
    fn matches(&mut self, expr: &str, value: &Value, lowercase: bool) -> String {
        let text = value_text(value);
        let text = if lowercase { text.to_lowercase() } else { text };
        match value {
            Value::Pattern(_) if IS_POSTGRES => {
                let p = self.param(Bind::Text(like_pattern(&text)));
                format!("{expr} LIKE {p} ESCAPE '\\'")
            }
            Value::Pattern(_) => {
                let p = self.param(Bind::Text(glob_pattern(&text)));
                format!("{expr} GLOB {p}")
            }
            _ => {
                let p = self.param(Bind::Text(text));
                format!("{expr} = {p}")
            }
        }
    }

    /// A filter's condition, and whether it can be NULL.
    fn filter(&mut self, field: &Field, op: CmpOp, value: &Value) -> Result<(String, bool)> {
        match field {
            Field::Created => return Ok((self.created(op, value)?, false)),
            Field::Version => return Ok((self.version(op, value)?, true)),
            Field::Meta(path) => return Ok((self.meta(path, op, value)?, true)),
            _ => {}
        }
        if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
            return Err(invalid(format!(
                "`{field}` can only be compared with `:` or `!=`; `<`, `<=`, `>` and `>=` work \
                 with created, version and meta.KEY"
            )));
        }
        let matched = match field {
            Field::Name => self.matches("d.name_key", value, true),
            Field::Kind => self.matches("d.kind", value, true),
            Field::Type => {
                let m = self.matches("x.asset_type", value, false);
                format!(
                    "d.kind = 'asset' AND EXISTS (SELECT 1 FROM assets x \
                     WHERE x.id = d.entity_id AND {m})"
                )
            }
            Field::Tag => {
                let m = self.matches("x.tag", value, false);
                format!(
                    "d.kind = 'asset' AND EXISTS (SELECT 1 FROM asset_tags x \
                     WHERE x.asset_id = d.entity_id AND {m})"
                )
            }
            Field::Status => {
                let a = self.matches("x.status", value, false);
                let s = self.matches("x.status", value, false);
                let v = self.matches("x.review_status", value, false);
                format!(
                    "(d.kind = 'asset' AND EXISTS (SELECT 1 FROM assets x WHERE x.id = d.entity_id AND {a})) \
                     OR (d.kind = 'shot' AND EXISTS (SELECT 1 FROM shots x WHERE x.id = d.entity_id AND {s})) \
                     OR (d.kind = 'version' AND EXISTS (SELECT 1 FROM versions x WHERE x.id = d.entity_id AND {v}))"
                )
            }
            Field::Author => {
                let c = self.matches("x.author", value, false);
                let a = self.matches("x.author", value, false);
                let v = self.matches("x.author", value, false);
                format!(
                    "(d.kind IN ('asset', 'shot', 'version') AND EXISTS (SELECT 1 FROM comments x \
                     WHERE x.target_kind = d.kind AND x.target_id = d.entity_id AND {c})) \
                     OR (d.kind = 'asset' AND EXISTS (SELECT 1 FROM versions x \
                     WHERE x.asset_id = d.entity_id AND {a})) \
                     OR (d.kind = 'version' AND EXISTS (SELECT 1 FROM versions x \
                     WHERE x.id = d.entity_id AND {v}))"
                )
            }
            Field::Project => {
                let m = self.matches("x.name", value, false);
                format!("EXISTS (SELECT 1 FROM projects x WHERE x.id = d.project_id AND {m})")
            }
            Field::Seq => {
                let q = self.matches("x.name", value, false);
                let a = self.matches("q.name", value, false);
                format!(
                    "EXISTS (SELECT 1 FROM sequences x WHERE x.id = d.sequence_id AND {q}) \
                     OR (d.kind = 'asset' AND EXISTS (SELECT 1 FROM links l \
                     JOIN shots s ON s.id = l.src_id JOIN sequences q ON q.id = s.sequence_id \
                     WHERE l.dst_kind = 'asset' AND l.dst_id = d.entity_id \
                     AND l.src_kind = 'shot' AND {a}))"
                )
            }
            Field::Dept | Field::Assignee => {
                let column = if *field == Field::Dept {
                    "x.department"
                } else {
                    "x.assignee"
                };
                let m = self.matches(column, value, false);
                format!(
                    "d.kind IN ('asset', 'shot') AND EXISTS (SELECT 1 FROM tasks x \
                     WHERE x.entity_kind = d.kind AND x.entity_id = d.entity_id AND {m})"
                )
            }
            Field::Created | Field::Version | Field::Meta(_) => unreachable!("handled above"),
        };
        Ok(match op {
            // Columns and bound values are never NULL here (a NULL assignee only fails to
            // match inside its EXISTS), so neither is `matched`.
            CmpOp::Eq => (matched, false),
            _ => (format!("{} AND NOT ({matched})", applies_to(field)), false),
        })
    }

    fn created(&mut self, op: CmpOp, value: &Value) -> Result<String> {
        let Value::Date(date) = value else {
            return Err(invalid(format!(
                "`created` takes a date written YYYY-MM-DD, not `{}`",
                value_text(value)
            )));
        };
        let start = day_start(*date);
        let end = day_start(
            date.checked_add_days(Days::new(1))
                .ok_or_else(|| invalid("that date is out of range"))?,
        );
        Ok(match op {
            CmpOp::Eq | CmpOp::Ne => {
                let a = self.param(Bind::Time(start));
                let b = self.param(Bind::Time(end));
                let within = format!("d.created_at >= {a} AND d.created_at < {b}");
                if op == CmpOp::Eq {
                    within
                } else {
                    format!("NOT ({within})")
                }
            }
            CmpOp::Lt => format!("d.created_at < {}", self.param(Bind::Time(start))),
            CmpOp::Le => format!("d.created_at < {}", self.param(Bind::Time(end))),
            CmpOp::Gt => format!("d.created_at >= {}", self.param(Bind::Time(end))),
            CmpOp::Ge => format!("d.created_at >= {}", self.param(Bind::Time(start))),
        })
    }

    fn version(&mut self, op: CmpOp, value: &Value) -> Result<String> {
        let Value::Number(n) = value else {
            return Err(invalid(format!(
                "`version` takes a number (3 or v3), not `{}`",
                value_text(value)
            )));
        };
        let p = self.param(Bind::Float(*n));
        Ok(format!(
            "(CASE WHEN d.kind = 'asset' THEN \
             (SELECT MAX(x.number) FROM versions x WHERE x.asset_id = d.entity_id) \
             WHEN d.kind = 'version' THEN \
             (SELECT x.number FROM versions x WHERE x.id = d.entity_id) END) {} {p}",
            op_sql(op)
        ))
    }

    /// `meta.PATH` compared with a value, on the metadata of every kind of document.
    fn meta(&mut self, path: &[String], op: CmpOp, value: &Value) -> Result<String> {
        if path.is_empty() {
            return Err(invalid("write a metadata key after `meta.`"));
        }
        for key in path {
            if key.is_empty() || key.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
                return Err(invalid(format!(
                    "metadata key `{key}` cannot be searched; keys are letters, digits, `_` and `-`"
                )));
            }
        }
        let mut parts = Vec::with_capacity(4);
        for (kind, table) in [
            ("asset", "assets"),
            ("sequence", "sequences"),
            ("shot", "shots"),
            ("version", "versions"),
        ] {
            let condition = self.meta_condition("x.metadata", path, op, value)?;
            parts.push(format!(
                "(d.kind = '{kind}' AND EXISTS (SELECT 1 FROM {table} x \
                 WHERE x.id = d.entity_id AND {condition}))"
            ));
        }
        Ok(parts.join(" OR "))
    }

    /// The JSON path of `path` as an SQLite path (`$."a"."b"`), bound.
    fn sqlite_path(&mut self, path: &[String]) -> String {
        let mut text = String::from("$");
        for key in path {
            text.push_str(".\"");
            text.push_str(key);
            text.push('"');
        }
        self.param(Bind::Text(text))
    }

    /// The JSON path of `path` as a PostgreSQL text array (`ARRAY[$1, $2]`), each key bound.
    fn pg_path(&mut self, path: &[String]) -> String {
        let keys: Vec<String> = path
            .iter()
            .map(|key| self.param(Bind::Text(key.clone())))
            .collect();
        format!("ARRAY[{}]::text[]", keys.join(", "))
    }

    fn meta_condition(
        &mut self,
        column: &str,
        path: &[String],
        op: CmpOp,
        value: &Value,
    ) -> Result<String> {
        // (typed value expression, guard) per backend.
        let typed = |c: &mut Compiler, json_kind: &str| -> String {
            if IS_POSTGRES {
                let p1 = c.pg_path(path);
                let p2 = c.pg_path(path);
                let extract = if json_kind == "number" {
                    format!("CAST({column} #>> {p2} AS DOUBLE PRECISION)")
                } else {
                    format!("({column} #>> {p2})")
                };
                format!(
                    "(CASE WHEN jsonb_typeof({column} #> {p1}) = '{json_kind}' THEN {extract} END)"
                )
            } else {
                let p1 = c.sqlite_path(path);
                let p2 = c.sqlite_path(path);
                let types = if json_kind == "number" {
                    "('integer', 'real')"
                } else {
                    "('text')"
                };
                format!(
                    "(CASE WHEN json_type({column}, {p1}) IN {types} THEN json_extract({column}, {p2}) END)"
                )
            }
        };
        match value {
            Value::Number(n) => {
                let expr = typed(self, "number");
                let p = self.param(Bind::Float(*n));
                Ok(format!("{expr} {} {p}", op_sql(op)))
            }
            Value::Bool(b) => {
                let wanted = match op {
                    CmpOp::Eq => *b,
                    CmpOp::Ne => !*b,
                    _ => {
                        return Err(invalid(
                            "true and false can only be compared with `:` or `!=`",
                        ));
                    }
                };
                if IS_POSTGRES {
                    let p1 = self.pg_path(path);
                    let p2 = self.pg_path(path);
                    let v = self.param(Bind::Text(wanted.to_string()));
                    Ok(format!(
                        "jsonb_typeof({column} #> {p1}) = 'boolean' AND ({column} #>> {p2}) = {v}"
                    ))
                } else {
                    let p = self.sqlite_path(path);
                    let v = self.param(Bind::Text(wanted.to_string()));
                    Ok(format!("json_type({column}, {p}) = {v}"))
                }
            }
            Value::Pattern(_) => {
                let expr = typed(self, "string");
                let m = self.matches(&expr, value, false);
                Ok(match op {
                    CmpOp::Eq => m,
                    CmpOp::Ne => format!("{expr} IS NOT NULL AND NOT ({m})"),
                    _ => return Err(invalid("patterns can only be compared with `:` or `!=`")),
                })
            }
            Value::Text(_) | Value::Date(_) => {
                let expr = typed(self, "string");
                // Byte-wise ordering on both backends.
                let expr = if IS_POSTGRES && op != CmpOp::Eq && op != CmpOp::Ne {
                    format!("{expr} COLLATE \"C\"")
                } else {
                    expr
                };
                let p = self.param(Bind::Text(value_text(value)));
                Ok(format!("{expr} {} {p}", op_sql(op)))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Drivers
//
// Walking the documents of a project in result order and testing each against the query is
// right when many documents match (the first page fills after a few rows) and ruinous when few
// do (it reads every document of the project). A *driver* is a set of rows that one clause of
// the query selects through an index (a word's FTS postings, the assets of a type or with a
// tag, the shots in a status or a sequence…): a superset of the documents satisfying that
// clause. `search` counts each driver's rows up to `DRIVER_CAP` in one statement and, when
// the smallest stays under it, runs the query over that driver's documents only (then sorts
// them), so a search costs what its most selective clause selects, never a whole project.
//
// Drivers join with `JOIN_IN_ORDER`: SQLite plans without statistics (the catalog never runs
// ANALYZE, so plans stay predictable) and would otherwise sometimes start from the wide side of
// a join; `CROSS JOIN` makes it keep the written order. PostgreSQL plans with statistics.

/// `CROSS JOIN` on SQLite (the join order as written), `JOIN` on PostgreSQL.
const JOIN_IN_ORDER: &str = if IS_POSTGRES { "JOIN" } else { "CROSS JOIN" };

/// The most rows a driver may select and still drive a search: beyond it the ordered walk
/// fills a page of results sooner than a sort of the driver's documents would.
const DRIVER_CAP: i64 = 20_000;

/// Rows one clause selects through an index: exactly the documents that satisfy the clause
/// (within the project, when the search has one), so that the search need not test it again.
#[derive(Debug, Clone)]
enum Driver {
    /// A `SELECT` of search document ids (column `id`).
    Docs(String),
    /// A `SELECT` of asset ids (column `id`): the asset documents of those assets.
    Assets(String),
}

impl Driver {
    /// The `SELECT` of its rows (document or asset ids): what a count counts.
    fn select(&self) -> &str {
        match self {
            Driver::Docs(sql) | Driver::Assets(sql) => sql,
        }
    }

    /// The `SELECT` of the search document ids.
    fn docs(self) -> String {
        match self {
            Driver::Docs(sql) => sql,
            Driver::Assets(sql) => format!(
                "SELECT sd.id FROM ({sql}) e {JOIN_IN_ORDER} search_docs sd \
                 ON sd.kind = 'asset' AND sd.entity_id = e.id"
            ),
        }
    }
}

impl Compiler {
    /// `AND x.project_id = $N` when the search is within one project.
    fn project_scope(&mut self, column: &str, project: Option<i64>) -> String {
        match project {
            Some(id) => format!(" AND {column} = {}", self.param(Bind::Int(id))),
            None => String::new(),
        }
    }

    /// The driver of a clause: each alternative's rows, when every alternative has some.
    fn clause_driver(&mut self, clause: &Clause, project: Option<i64>) -> Option<Driver> {
        let mut parts = Vec::with_capacity(clause.alternatives.len());
        for term in &clause.alternatives {
            parts.push(self.term_driver(term, project)?);
        }
        if parts.len() == 1 {
            return parts.pop();
        }
        let selects: Vec<String> = parts.into_iter().map(Driver::docs).collect();
        Some(Driver::Docs(selects.join(" UNION ")))
    }

    /// The rows a positive term selects through an index, if it has such rows. Equality
    /// only: patterns, ranges and negations select through no index.
    fn term_driver(&mut self, term: &Term, project: Option<i64>) -> Option<Driver> {
        if term.negated {
            return None;
        }
        let (field, value) = match &term.kind {
            TermKind::Text {
                text,
                phrase,
                prefix,
            } => {
                let term = TextTerm::new(text, *phrase, *prefix);
                if term.tokens.is_empty() {
                    return None;
                }
                return Some(Driver::Docs(if IS_POSTGRES {
                    let p = self.param(Bind::Text(term.tsquery_text()));
                    format!("SELECT id FROM search_docs WHERE tsv @@ to_tsquery('simple', {p})")
                } else {
                    let p = self.param(Bind::Text(term.fts5_expression()));
                    format!("SELECT rowid AS id FROM search_fts WHERE search_fts MATCH {p}")
                }));
            }
            TermKind::Filter {
                field,
                op: CmpOp::Eq,
                value,
            } if !matches!(value, Value::Pattern(_)) => (field, value),
            TermKind::Filter { .. } => return None,
        };
        let text = value_text(value);
        Some(match field {
            Field::Name => {
                let p = self.param(Bind::Text(text.to_lowercase()));
                let scope = self.project_scope("project_id", project);
                Driver::Docs(format!(
                    "SELECT id FROM search_docs WHERE name_key = {p}{scope}"
                ))
            }
            Field::Type => {
                let p = self.param(Bind::Text(text));
                let scope = self.project_scope("x.project_id", project);
                Driver::Assets(format!(
                    "SELECT x.id FROM assets x WHERE x.asset_type = {p}{scope}"
                ))
            }
            Field::Tag => {
                let p = self.param(Bind::Text(text));
                Driver::Assets(format!(
                    "SELECT x.asset_id AS id FROM asset_tags x WHERE x.tag = {p}"
                ))
            }
            Field::Status => {
                let mut selects = Vec::with_capacity(3);
                for (kind, table) in [("asset", "assets"), ("shot", "shots")] {
                    let p = self.param(Bind::Text(text.clone()));
                    let scope = self.project_scope("x.project_id", project);
                    selects.push(format!(
                        "SELECT sd.id FROM {table} x {JOIN_IN_ORDER} search_docs sd \
                         ON sd.kind = '{kind}' AND sd.entity_id = x.id \
                         WHERE x.status = {p}{scope}"
                    ));
                }
                // Versions' review statuses are a fixed set (a CHECK constraint): a status
                // outside it selects no version, and only the reviewed ones are indexed (the
                // literal lets the planner use that partial index).
                match text.parse::<ReviewStatus>() {
                    Ok(ReviewStatus::Pending) => return None,
                    Ok(status) => selects.push(format!(
                        "SELECT sd.id FROM versions x {JOIN_IN_ORDER} search_docs sd \
                         ON sd.kind = 'version' AND sd.entity_id = x.id \
                         WHERE x.review_status = '{}'",
                        status.as_str()
                    )),
                    Err(_) => {}
                }
                Driver::Docs(selects.join(" UNION ALL "))
            }
            Field::Seq => {
                let mut selects = Vec::with_capacity(3);
                let j = JOIN_IN_ORDER;
                let from = [
                    format!("{j} search_docs sd ON sd.kind = 'sequence' AND sd.entity_id = q.id"),
                    format!(
                        "{j} shots s ON s.sequence_id = q.id \
                         {j} search_docs sd ON sd.kind = 'shot' AND sd.entity_id = s.id"
                    ),
                    // Assets cast in the sequence's shots.
                    format!(
                        "{j} shots s ON s.sequence_id = q.id \
                         {j} links l ON l.src_kind = 'shot' AND l.src_id = s.id \
                         AND l.dst_kind = 'asset' \
                         {j} search_docs sd ON sd.kind = 'asset' AND sd.entity_id = l.dst_id"
                    ),
                ];
                for joins in from {
                    let p = self.param(Bind::Text(text.clone()));
                    let scope = self.project_scope("q.project_id", project);
                    selects.push(format!(
                        "SELECT sd.id FROM sequences q {joins} WHERE q.name = {p}{scope}"
                    ));
                }
                Driver::Docs(selects.join(" UNION "))
            }
            // The task indexes lead with the project.
            Field::Dept | Field::Assignee if project.is_some() => {
                let column = if *field == Field::Dept {
                    "department"
                } else {
                    "assignee"
                };
                let scope = self.project_scope("x.project_id", project);
                let p = self.param(Bind::Text(text));
                Driver::Docs(format!(
                    "SELECT sd.id FROM tasks x {JOIN_IN_ORDER} search_docs sd \
                     ON sd.kind = x.entity_kind AND sd.entity_id = x.entity_id \
                     WHERE x.{column} = {p}{scope}"
                ))
            }
            _ => return None,
        })
    }
}

impl Compiler {
    /// The `SELECT` of the document ids of clause `driving`'s driver. An asset driver also
    /// tests its assets against the query's other clauses that concern only assets (a type,
    /// a tag, a metadata comparison), so that only the assets that pass reach their documents.
    fn driver_docs(
        &mut self,
        query: &Query,
        driving: usize,
        project: Option<i64>,
    ) -> Option<String> {
        let driver = self.clause_driver(&query.clauses[driving], project)?;
        let Driver::Assets(assets) = driver else {
            return Some(driver.docs());
        };
        let mut checks = Vec::new();
        let mut on_row = false;
        for (i, clause) in query.clauses.iter().enumerate() {
            if let ([term], false) = (clause.alternatives.as_slice(), i == driving)
                && let Some((check, reads_row)) = self.asset_check(term)
            {
                checks.push(check);
                on_row |= reads_row;
            }
        }
        let j = JOIN_IN_ORDER;
        // Joined in this order (and the checks on the asset row written as conditions on `ax`,
        // not as EXISTS subqueries that the planner may move after the joins), an asset that
        // fails a check costs one row lookup and never reaches the search documents.
        let row = if on_row {
            format!(" {j} assets ax ON ax.id = e.id")
        } else {
            String::new()
        };
        let filter = if checks.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", checks.join(" AND "))
        };
        Some(format!(
            "SELECT sd.id FROM ({assets}) e{row} {j} search_docs sd \
             ON sd.kind = 'asset' AND sd.entity_id = e.id{filter}"
        ))
    }

    /// A positive term that an asset must pass for its document to match, when the term
    /// concerns assets alone: never more selective than the term itself. With `true`, the
    /// condition reads the asset's row (`ax`); otherwise it tests the asset id `e.id`.
    fn asset_check(&mut self, term: &Term) -> Option<(String, bool)> {
        let TermKind::Filter { field, op, value } = &term.kind else {
            return None;
        };
        if term.negated {
            return None;
        }
        match (field, op) {
            (Field::Type, CmpOp::Eq) => Some((self.matches("ax.asset_type", value, false), true)),
            (Field::Tag, CmpOp::Eq) => {
                let m = self.matches("x.tag", value, false);
                Some((
                    format!("EXISTS (SELECT 1 FROM asset_tags x WHERE x.asset_id = e.id AND {m})"),
                    false,
                ))
            }
            (Field::Meta(path), _) => {
                let condition = self.meta_condition("ax.metadata", path, *op, value).ok()?;
                // NULL (the key is missing or of another type) fails, as in the query.
                Some((format!("COALESCE(({condition}), FALSE)"), true))
            }
            _ => None,
        }
    }
}

/// Binds a compiler's values to a statement, in order.
fn bind_all(sql: String, binds: Vec<Bind>) -> super::imp::Query {
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for bind in binds {
        q = match bind {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
            Bind::Float(f) => q.bind(f),
            Bind::Time(t) => q.bind(t),
        };
    }
    q
}

/// The clause whose driver selects the fewest rows, if one selects at most [`DRIVER_CAP`]:
/// one statement counts every driver's rows (each count stops at the cap).
async fn pick_driver(
    conn: &mut Conn,
    query: &Query,
    project: Option<i64>,
) -> Result<Option<usize>> {
    let mut c = Compiler::default();
    let mut counts = Vec::new();
    for (i, clause) in query.clauses.iter().enumerate() {
        if let Some(driver) = c.clause_driver(clause, project) {
            counts.push((
                i,
                format!(
                    "(SELECT COUNT(*) FROM ({} LIMIT {}) t{i}) AS n{i}",
                    driver.select(),
                    DRIVER_CAP + 1
                ),
            ));
        }
    }
    if counts.is_empty() {
        return Ok(None);
    }
    let columns: Vec<&str> = counts.iter().map(|(_, sql)| sql.as_str()).collect();
    let row = bind_all(format!("SELECT {}", columns.join(", ")), c.binds)
        .fetch_one(&mut *conn)
        .await?;
    let mut best: Option<(i64, usize)> = None;
    for (column, (clause, _)) in counts.iter().enumerate() {
        let n: i64 = row.try_get(column)?;
        if n <= DRIVER_CAP && best.is_none_or(|(m, _)| n < m) {
            best = Some((n, *clause));
        }
    }
    Ok(best.map(|(_, clause)| clause))
}

/// Checks that a query can be compiled (field/operator/value combinations, metadata keys).
pub(crate) fn check_query(query: &Query) -> Result<()> {
    Compiler::default().query(query).map(|_| ())
}

/// The text terms of a query that are not negated (what snippets show).
fn positive_text_terms(query: &Query) -> Vec<TextTerm> {
    query
        .clauses
        .iter()
        .flat_map(|c| &c.alternatives)
        .filter(|t| !t.negated)
        .filter_map(|t| match &t.kind {
            TermKind::Text {
                text,
                phrase,
                prefix,
            } => Some(TextTerm::new(text, *phrase, *prefix)),
            TermKind::Filter { .. } => None,
        })
        .filter(|t| !t.tokens.is_empty())
        .collect()
}

/// Runs a search; with `walk_only`, never from a driver (what tests compare plans with).
pub(crate) async fn search(
    pool: &Pool,
    project: Option<&str>,
    query: &Query,
    limit: u64,
    offset: u64,
    walk_only: bool,
) -> Result<Vec<SearchHit>> {
    let mut conn = pool.acquire().await?;
    let project_id = match project {
        Some(name) => Some(project_id(&mut conn, name).await?),
        None => None,
    };
    // Checked before any statement runs, so that a bad query is an error, never a count.
    check_query(query)?;
    let driver = if walk_only {
        None
    } else {
        pick_driver(&mut conn, query, project_id).await?
    };
    let mut c = Compiler::default();
    // With a driver, the documents come from its rows (`CROSS JOIN` keeps SQLite's planner
    // from reordering the join; PostgreSQL plans with statistics and takes a plain join).
    let from = match driver {
        Some(clause) => {
            let docs = c.driver_docs(query, clause, project_id).ok_or_else(|| {
                corrupt("a search driver vanished between two compilations".to_owned())
            })?;
            format!("({docs}) c {JOIN_IN_ORDER} search_docs d ON d.id = c.id")
        }
        None => "search_docs d".to_owned(),
    };
    let mut conditions = Vec::new();
    if let Some(id) = project_id {
        conditions.push(format!("d.project_id = {}", c.param(Bind::Int(id))));
    }
    conditions.push(c.query_except(query, driver)?);
    let limit = c.param(Bind::Int(i64::try_from(limit).unwrap_or(i64::MAX)));
    let offset = c.param(Bind::Int(i64::try_from(offset).unwrap_or(i64::MAX)));
    // The page is chosen on the narrow columns first; the wide ones (the document's text) and
    // the statuses are read for the page's rows only.
    let sql = format!(
        "SELECT d.kind, pg.project, d.name, d.content, ha.status AS asset_status, \
         ha.asset_type AS asset_type, hs.status AS shot_status, \
         hv.review_status AS review_status, hva.asset_type AS version_type \
         FROM (SELECT d.id, p.name AS project FROM {from} \
         JOIN projects p ON p.id = d.project_id WHERE {} \
         ORDER BY d.kind, d.name, p.name LIMIT {limit} OFFSET {offset}) pg \
         {JOIN_IN_ORDER} search_docs d ON d.id = pg.id \
         LEFT JOIN assets ha ON d.kind = 'asset' AND ha.id = d.entity_id \
         LEFT JOIN shots hs ON d.kind = 'shot' AND hs.id = d.entity_id \
         LEFT JOIN versions hv ON d.kind = 'version' AND hv.id = d.entity_id \
         LEFT JOIN assets hva ON d.kind = 'version' AND hva.id = d.asset_id \
         ORDER BY d.kind, d.name, pg.project",
        conditions.join(" AND ")
    );
    let q = bind_all(sql, c.binds);
    let rows = q.fetch_all(&mut *conn).await?;
    let terms = positive_text_terms(query);
    rows.iter()
        .map(|row| {
            let kind: String = row.try_get("kind")?;
            let kind: EntityKind = kind
                .parse()
                .map_err(|e| corrupt(format!("a search document has an unknown kind: {e}")))?;
            let status: Option<String> = match kind {
                EntityKind::Asset => row.try_get("asset_status")?,
                EntityKind::Shot => row.try_get("shot_status")?,
                EntityKind::Version => row.try_get("review_status")?,
                EntityKind::Sequence => None,
            };
            let asset_type: Option<String> = match kind {
                EntityKind::Asset => row.try_get("asset_type")?,
                EntityKind::Version => row.try_get("version_type")?,
                _ => None,
            };
            let content: String = row.try_get("content")?;
            Ok(SearchHit {
                kind,
                project: row.try_get("project")?,
                name: row.try_get("name")?,
                status,
                asset_type,
                snippet: if terms.is_empty() {
                    None
                } else {
                    snippet(&content, &terms)
                },
            })
        })
        .collect()
}

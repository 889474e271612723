//! The PostgreSQL sink: each batch is one `INSERT … SELECT FROM unnest(…)` in a transaction,
//! taken once it committed. Rows are keyed by (id, ts) with `ON CONFLICT DO NOTHING`, so a
//! batch sent twice (a lost commit answer) leaves one row per point. The table is created on
//! first connect; where the TimescaleDB extension is available it becomes a hypertable on `ts`,
//! otherwise a plain table (PostgreSQL 15 from Debian has no TimescaleDB).

use serde::Deserialize;
use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{Sink, SinkError};
use crate::error::{BridgeError, Result};
use crate::point::Point;

/// `type = "postgres"` in the gateway file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// `postgres://user@host:5432/db`.
    pub url: String,
    /// Table name (letters, digits, underscores; optionally `schema.table`).
    #[serde(default = "default_table")]
    pub table: String,
}

fn default_table() -> String {
    "bifrost_points".into()
}

/// Whether the table ended up a TimescaleDB hypertable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    Plain,
    Hypertable,
}

/// A PostgreSQL sink.
#[derive(Debug)]
pub struct PostgresSink {
    config: PostgresConfig,
    pool: Option<PgPool>,
    kind: Option<TableKind>,
}

fn valid_table(name: &str) -> bool {
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !p.starts_with(|c: char| c.is_ascii_digit())
        })
}

/// Data and integrity errors (SQLSTATE classes 22 and 23) are the batch's fault.
fn classify(e: sqlx::Error) -> SinkError {
    if let sqlx::Error::Database(db) = &e
        && let Some(code) = db.code()
        && (code.starts_with("22") || code.starts_with("23"))
    {
        return SinkError::Refused(format!("PostgreSQL {code}: {}", db.message()));
    }
    SinkError::Transient(format!("PostgreSQL: {e}"))
}

impl PostgresSink {
    pub fn new(name: &str, config: PostgresConfig) -> Result<PostgresSink> {
        if !valid_table(&config.table) {
            return Err(BridgeError::SinkSetup {
                sink: name.to_owned(),
                message: format!(
                    "table {:?}: use letters, digits and underscores (schema.table allowed)",
                    config.table
                ),
            });
        }
        Ok(PostgresSink {
            config,
            pool: None,
            kind: None,
        })
    }

    /// Plain table or hypertable (known after the first successful send).
    pub fn table_kind(&self) -> Option<TableKind> {
        self.kind
    }

    async fn connect(&mut self) -> Result<PgPool, SinkError> {
        if let Some(pool) = &self.pool {
            return Ok(pool.clone());
        }
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&self.config.url)
            .await
            .map_err(classify)?;
        let table = &self.config.table;
        sqlx::query(AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {table} (
                id text NOT NULL,
                series text NOT NULL,
                ts timestamptz NOT NULL,
                value double precision NOT NULL,
                raw jsonb,
                PRIMARY KEY (id, ts))"
        )))
        .execute(&pool)
        .await
        .map_err(classify)?;
        let timescale: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')",
        )
        .fetch_one(&pool)
        .await
        .map_err(classify)?;
        let kind = if timescale {
            sqlx::query("CREATE EXTENSION IF NOT EXISTS timescaledb")
                .execute(&pool)
                .await
                .map_err(classify)?;
            sqlx::query(
                "SELECT create_hypertable($1, 'ts', if_not_exists => TRUE, migrate_data => TRUE)",
            )
            .bind(table)
            .execute(&pool)
            .await
            .map_err(classify)?;
            TableKind::Hypertable
        } else {
            TableKind::Plain
        };
        self.kind = Some(kind);
        self.pool = Some(pool.clone());
        Ok(pool)
    }
}

impl Sink for PostgresSink {
    fn describe(&self) -> String {
        format!("postgres table {}", self.config.table)
    }

    async fn send(&mut self, points: &[Point]) -> Result<(), SinkError> {
        let pool = self.connect().await?;
        let ids: Vec<String> = points.iter().map(|p| p.id.to_string()).collect();
        let series: Vec<&str> = points.iter().map(|p| p.series.as_str()).collect();
        // Microseconds: PostgreSQL's timestamp resolution.
        let micros: Vec<i64> = points.iter().map(|p| p.ts.div_euclid(1000)).collect();
        let values: Vec<f64> = points.iter().map(|p| p.value).collect();
        let raws: Vec<Option<String>> = points
            .iter()
            .map(|p| {
                p.raw
                    .as_ref()
                    .map(|r| serde_json::to_string(r).expect("words"))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {} (id, series, ts, value, raw)
             SELECT i, s, timestamptz 'epoch' + u * interval '1 microsecond', v, r::jsonb
             FROM unnest($1::text[], $2::text[], $3::int8[], $4::float8[], $5::text[]) AS t(i, s, u, v, r)
             ON CONFLICT (id, ts) DO NOTHING",
            self.config.table
        );
        let mut tx = pool.begin().await.map_err(|e| {
            self.pool = None;
            classify(e)
        })?;
        sqlx::query(AssertSqlSafe(sql))
            .bind(&ids)
            .bind(&series)
            .bind(&micros)
            .bind(&values)
            .bind(&raws)
            .execute(&mut *tx)
            .await
            .map_err(classify)?;
        tx.commit().await.map_err(classify)?;
        Ok(())
    }
}

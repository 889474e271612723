//! Opening a catalog: reading the URL, creating the database if asked, migrating the schema.

use std::path::PathBuf;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Connection};

use crate::CatalogError;

/// How long a database server gets to answer a connection attempt.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged again before
/// use (sqlx pinged it when it came back to the pool).
pub(crate) const PING_IDLE_AFTER: Duration = Duration::from_secs(5);

/// How long SQLite waits for another writer to release the database.
pub(crate) const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a catalog URL points.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// An SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL database (the URL is handed to sqlx as is).
    Postgres,
}

/// Reads `sqlite:PATH`, `sqlite://PATH`, a bare path, or `postgres://…` / `postgresql://…`.
pub(crate) fn parse_target(url: &str) -> Result<Target, CatalogError> {
    let invalid = |reason: &str| CatalogError::InvalidUrl {
        url: redact(url),
        reason: reason.to_owned(),
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres);
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if let Some((scheme, _)) = url.split_once("://") {
        return Err(invalid(&format!(
            "`{scheme}` databases are not supported (only SQLite and PostgreSQL)"
        )));
    } else {
        url
    };
    if path.is_empty() {
        return Err(invalid("the database file path is empty"));
    }
    Ok(Target::Sqlite(PathBuf::from(path)))
}

/// `url` with any password replaced by `***`, fit for messages and logs.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_owned();
    };
    let authority_start = scheme_end + 3;
    let authority_end = url[authority_start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| authority_start + i);
    let authority = &url[authority_start..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &authority[..at];
    let Some(colon) = userinfo.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:***{}",
        &url[..authority_start],
        &userinfo[..colon],
        &url[authority_start + at..]
    )
}

/// Opens (and with `create`, creates) an SQLite catalog and migrates it.
pub(crate) async fn sqlite(
    url: &str,
    path: PathBuf,
    create: bool,
) -> Result<SqlitePool, CatalogError> {
    if !create && !path.exists() {
        return Err(CatalogError::NotFound { url: redact(url) });
    }
    if create
        && let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|e| CatalogError::Database {
            source: sqlx::Error::Io(e),
        })?;
    }
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(create)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT)
        .synchronous(SqliteSynchronous::Normal)
        // Reads through a memory map and a larger page cache: a search or a dependency walk
        // touches thousands of pages, and a read() per page outside the default 2 MiB cache
        // costs more than the query's own work. SQLite only reads through the map (writes go
        // through the WAL as usual), so durability is unchanged.
        .pragma("mmap_size", "1073741824")
        .pragma("cache_size", "-32768");
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // No ping before handing out a connection: an SQLite connection is a file opened in
        // this process, nothing can hang up on it, and the ping is a round trip to its worker
        // thread (two context switches) before every statement run on the pool.
        .test_before_acquire(false)
        // Longer than the busy timeout: a connection may legitimately wait that long.
        .acquire_timeout(SQLITE_BUSY_TIMEOUT * 2)
        .connect_with(options)
        .await?;
    crate::sqlite::MIGRATOR.run(&pool).await?;
    crate::sqlite::search::run_pending_jobs(&pool).await?;
    tracing::debug!(path = %path.display(), "sqlite catalog open");
    Ok(pool)
}

/// Why a first PostgreSQL connection failed.
enum Probe {
    /// The server answered that the database does not exist.
    MissingDatabase,
    /// Anything else, already phrased.
    Failed(CatalogError),
}

/// Classifies a connection error.
fn connect_error(shown: &str, source: sqlx::Error) -> CatalogError {
    match source {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut => CatalogError::Unreachable {
            url: shown.to_owned(),
            source,
        },
        sqlx::Error::Database(_) => CatalogError::ConnectionRefused {
            url: shown.to_owned(),
            source,
        },
        sqlx::Error::Configuration(e) => CatalogError::InvalidUrl {
            url: shown.to_owned(),
            reason: e.to_string(),
        },
        source => CatalogError::Database { source },
    }
}

/// One connection, given [`CONNECT_TIMEOUT`] to be established.
async fn open(options: &PgConnectOptions, shown: &str) -> Result<PgConnection, Probe> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Err(_) => Err(Probe::Failed(CatalogError::Unreachable {
            url: shown.to_owned(),
            source: sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
            )),
        })),
        Ok(Err(sqlx::Error::Database(e))) if e.code().as_deref() == Some("3D000") => {
            Err(Probe::MissingDatabase)
        }
        Ok(Err(e)) => Err(Probe::Failed(connect_error(shown, e))),
        Ok(Ok(conn)) => Ok(conn),
    }
}

/// Double-quotes an SQL identifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Creates the database `options` names, through the `postgres` maintenance database.
async fn create_database(options: &PgConnectOptions, shown: &str) -> Result<(), CatalogError> {
    let name = options
        .get_database()
        .unwrap_or_else(|| options.get_username())
        .to_owned();
    let maintenance = options.clone().database("postgres");
    let mut conn = match open(&maintenance, shown).await {
        Ok(conn) => conn,
        Err(Probe::Failed(e)) => return Err(e),
        Err(Probe::MissingDatabase) => {
            return Err(CatalogError::CreateDatabase {
                url: shown.to_owned(),
                name,
                source: sqlx::Error::Configuration(
                    "the server has no `postgres` maintenance database".into(),
                ),
            });
        }
    };
    let sql = format!("CREATE DATABASE {}", quote_ident(&name));
    match sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await {
        Ok(_) => {}
        // Created meanwhile by another process: just as good.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
        Err(source) => {
            return Err(CatalogError::CreateDatabase {
                url: shown.to_owned(),
                name,
                source,
            });
        }
    }
    let _ = conn.close().await;
    tracing::info!(database = %name, "created catalog database");
    Ok(())
}

/// Opens (and with `create`, creates) a PostgreSQL catalog and migrates it.
pub(crate) async fn postgres(url: &str, create: bool) -> Result<PgPool, CatalogError> {
    let shown = redact(url);
    let options: PgConnectOptions = url
        .parse::<PgConnectOptions>()
        .map_err(|e| CatalogError::InvalidUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?
        .application_name("bifrost")
        // Catalog queries are short index lookups. JIT compilation (PostgreSQL's default once a
        // plan's estimated cost is high, as recursive walks' estimates are) costs hundreds of
        // milliseconds on a first call, and parallel workers cost more to start than these
        // queries take.
        .options([("jit", "off"), ("max_parallel_workers_per_gather", "0")]);
    match open(&options, &shown).await {
        Ok(conn) => {
            let _ = conn.close().await;
        }
        Err(Probe::MissingDatabase) if create => create_database(&options, &shown).await?,
        Err(Probe::MissingDatabase) => return Err(CatalogError::NotFound { url: shown }),
        Err(Probe::Failed(e)) => return Err(e),
    }
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings every connection when it returns to the pool; pinging it again before
        // handing it out (`test_before_acquire`, a round trip before every statement run on the
        // pool) only finds something when it sat idle meanwhile (a server restart, an idle
        // timeout), so only a connection idle for `PING_IDLE_AFTER` is pinged.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| connect_error(&shown, e))?;
    crate::postgres::MIGRATOR.run(&pool).await?;
    crate::postgres::search::run_pending_jobs(&pool).await?;
    tracing::debug!(url = %shown, "postgres catalog open");
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_urls() {
        assert_eq!(
            parse_target("sqlite:/a/b.db").unwrap(),
            Target::Sqlite("/a/b.db".into())
        );
        assert_eq!(
            parse_target("sqlite:///a/b.db").unwrap(),
            Target::Sqlite("/a/b.db".into())
        );
        assert_eq!(
            parse_target("sqlite://rel/b.db").unwrap(),
            Target::Sqlite("rel/b.db".into())
        );
        assert_eq!(
            parse_target("repo/catalog.db").unwrap(),
            Target::Sqlite("repo/catalog.db".into())
        );
        assert_eq!(parse_target("postgres://h/db").unwrap(), Target::Postgres);
        assert_eq!(parse_target("postgresql://h/db").unwrap(), Target::Postgres);
        assert!(matches!(
            parse_target("mysql://h/db"),
            Err(CatalogError::InvalidUrl { .. })
        ));
        assert!(parse_target("sqlite:").is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://bob:s3cr@t@host:5432/db?x=1"),
            "postgres://bob:***@host:5432/db?x=1"
        );
        assert_eq!(redact("postgres://bob@host/db"), "postgres://bob@host/db");
        assert_eq!(redact("postgres://host/db"), "postgres://host/db");
        assert_eq!(redact("/plain/path.db"), "/plain/path.db");
    }

    #[test]
    fn quotes_identifiers() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}

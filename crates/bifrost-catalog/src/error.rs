//! Everything the catalog can refuse or fail at, phrased for the person who has to act on it.

use bifrost_core::{ChunkId, ContentId, NameError};

/// Why a catalog operation failed. Each message says what went wrong and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A project, asset, type or tag name breaks the naming rules.
    #[error(transparent)]
    InvalidName(#[from] NameError),

    /// The catalog URL cannot be understood.
    #[error(
        "`{url}` is not a catalog URL: {reason}; use sqlite:PATH, a plain file path, or postgres://USER@HOST/DATABASE"
    )]
    InvalidUrl {
        /// The URL as given (password redacted).
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// There is no catalog at that location and it was not asked to create one.
    #[error(
        "no catalog at `{url}`; check the path or URL, or create the repository first (`bifrost init`)"
    )]
    NotFound {
        /// Where the catalog was looked for (password redacted).
        url: String,
    },

    /// The database server did not answer.
    #[error(
        "cannot reach the catalog database at `{url}`: {source}; check that the server is running and that the URL (host, port) is right"
    )]
    Unreachable {
        /// The URL (password redacted).
        url: String,
        /// What the connection attempt reported.
        #[source]
        source: sqlx::Error,
    },

    /// The server answered but refused the connection (authentication, permissions…).
    #[error(
        "the catalog database at `{url}` refused the connection: {source}; check the user name, password and permissions in the URL"
    )]
    ConnectionRefused {
        /// The URL (password redacted).
        url: String,
        /// What the server said.
        #[source]
        source: sqlx::Error,
    },

    /// The catalog database was missing and could not be created.
    #[error(
        "cannot create the catalog database `{name}` on `{url}`: {source}; create it by hand (createdb) or connect as a user allowed to create databases"
    )]
    CreateDatabase {
        /// The server URL (password redacted).
        url: String,
        /// The database that was to be created.
        name: String,
        /// What the server said.
        #[source]
        source: sqlx::Error,
    },

    /// The schema could not be brought up to date.
    #[error(
        "cannot prepare the catalog schema: {source}; if the catalog was created by a newer bifrost, upgrade this one"
    )]
    Migrate {
        /// What the migrator reported.
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// `create_project` with a name already taken.
    #[error("project `{name}` already exists; pick another name or use the existing project")]
    ProjectExists {
        /// The taken name.
        name: String,
    },

    /// No project by that name.
    #[error("project `{name}` does not exist; see `bifrost project list` or create it first")]
    ProjectNotFound {
        /// The name looked for.
        name: String,
    },

    /// `create_asset` with a name already taken in the project.
    #[error(
        "asset `{name}` already exists in project `{project}`; pick another name or publish a new version of it"
    )]
    AssetExists {
        /// The project.
        project: String,
        /// The taken name.
        name: String,
    },

    /// No asset by that name in the project.
    #[error(
        "asset `{name}` does not exist in project `{project}`; see `bifrost asset list` or create it with `bifrost asset create`"
    )]
    AssetNotFound {
        /// The project.
        project: String,
        /// The name looked for.
        name: String,
    },

    /// The asset has no version with that number.
    #[error("version v{number} of `{asset}` does not exist ({}); see `bifrost log {asset}`", latest_phrase(*.latest))]
    VersionNotFound {
        /// The asset.
        asset: String,
        /// The number asked for.
        number: i64,
        /// The newest version number, if any.
        latest: Option<i64>,
    },

    /// The latest version was asked for but none was published.
    #[error("asset `{asset}` has no version yet; publish one first (`bifrost publish`)")]
    NoVersions {
        /// The asset.
        asset: String,
    },

    /// Chunks a content needs are not (or no longer) recorded in the store index.
    #[error(
        "{} chunk(s) are missing from the store (first: {}); they probably vanished in a concurrent garbage collection: publish again (if this persists, run `bifrost fsck`)",
        .missing.len(),
        first_chunk(.missing)
    )]
    MissingChunks {
        /// The chunks that are missing.
        missing: Vec<ChunkId>,
    },

    /// A content id the catalog does not know.
    #[error(
        "content {content} is not in the catalog; its chunks must be stored and the content described when publishing (run `bifrost fsck` if a version names it)"
    )]
    UnknownContent {
        /// The unknown content.
        content: ContentId,
    },

    /// A file path of a new version is unsafe or repeated.
    #[error("file path `{path}` cannot be published: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A value does not fit what the catalog can store (a size beyond 2^63, …).
    #[error(
        "{what} is out of range; the catalog stores sizes and offsets as signed 64-bit integers"
    )]
    OutOfRange {
        /// What was out of range.
        what: String,
    },

    /// The catalog holds a row it cannot read back: damaged or edited by hand.
    #[error(
        "the catalog is damaged: {what}; run `bifrost fsck` and restore the catalog from a backup if needed"
    )]
    Corrupt {
        /// What was found.
        what: String,
    },

    /// SQLite stayed locked by another writer for longer than the busy timeout.
    #[error(
        "the catalog stayed locked by another bifrost process for over a minute; retry when it has finished ({source})"
    )]
    Busy {
        /// The database error.
        #[source]
        source: sqlx::Error,
    },

    /// An unexpected database error.
    #[error("catalog database error: {source}")]
    Database {
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
}

fn latest_phrase(latest: Option<i64>) -> String {
    match latest {
        Some(n) => format!("latest is v{n}"),
        None => "no version has been published yet".to_owned(),
    }
}

fn first_chunk(missing: &[ChunkId]) -> String {
    missing
        .first()
        .map_or_else(|| "none".to_owned(), ChunkId::to_hex)
}

impl From<sqlx::Error> for CatalogError {
    fn from(source: sqlx::Error) -> Self {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6), possibly as extended codes (low byte).
        let busy = match &source {
            sqlx::Error::Database(db) => {
                db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                    && db
                        .code()
                        .and_then(|code| code.parse::<i32>().ok())
                        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
            }
            _ => false,
        };
        if busy {
            CatalogError::Busy { source }
        } else {
            CatalogError::Database { source }
        }
    }
}

impl From<sqlx::migrate::MigrateError> for CatalogError {
    fn from(source: sqlx::migrate::MigrateError) -> Self {
        CatalogError::Migrate { source }
    }
}

/// Whether `err` is a unique-constraint violation (a name already taken).
pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = CatalogError::VersionNotFound {
            asset: "hero".into(),
            number: 9,
            latest: Some(3),
        };
        assert_eq!(
            e.to_string(),
            "version v9 of `hero` does not exist (latest is v3); see `bifrost log hero`"
        );
        let e = CatalogError::AssetExists {
            project: "film".into(),
            name: "hero".into(),
        };
        assert_eq!(
            e.to_string(),
            "asset `hero` already exists in project `film`; pick another name or publish a new version of it"
        );
        let e = CatalogError::MissingChunks {
            missing: vec![ChunkId([0xab; 32])],
        };
        assert!(e.to_string().contains("publish again"), "{e}");
        assert!(e.to_string().contains(&"ab".repeat(32)), "{e}");
    }
}

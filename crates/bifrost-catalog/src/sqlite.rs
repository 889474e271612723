//! The SQLite backend: a file next to the repository, WAL journal, `BEGIN IMMEDIATE` writes.

/// The sqlx database type [`imp`] is compiled for here.
pub(crate) type DB = sqlx::Sqlite;

/// Lets [`imp`] branch where the SQL must differ.
pub(crate) const IS_POSTGRES: bool = false;

/// The SQLite schema migrations.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

// Deliberately the same file as the other backend's `imp`: one implementation, compiled once per
// backend with `DB` bound to that backend's database type.
#[allow(clippy::duplicate_mod)]
#[path = "imp.rs"]
pub(crate) mod imp;

// The production model, search and bulk import: more of the same single implementation.
#[allow(clippy::duplicate_mod)]
#[path = "access.rs"]
pub(crate) mod access;
#[allow(clippy::duplicate_mod)]
#[path = "bulk.rs"]
pub(crate) mod bulk;
#[allow(clippy::duplicate_mod)]
#[path = "custody.rs"]
pub(crate) mod custody;
#[allow(clippy::duplicate_mod)]
#[path = "integrity.rs"]
pub(crate) mod integrity;
#[allow(clippy::duplicate_mod)]
#[path = "production.rs"]
pub(crate) mod production;
#[allow(clippy::duplicate_mod)]
#[path = "search.rs"]
pub(crate) mod search;
#[allow(clippy::duplicate_mod)]
#[path = "signin.rs"]
pub(crate) mod signin;

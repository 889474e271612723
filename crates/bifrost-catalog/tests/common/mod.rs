//! Shared by the catalog test suites: a catalog per test on SQLite (a temporary directory) and
//! on PostgreSQL (a fresh database `bifrost_test_<random>` on the server named by
//! `BIFROST_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`), the
//! `both_backends!` macro that runs each scenario on both, and small fixtures.
//! PostgreSQL tests fail, never skip, when the server cannot be reached.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bifrost_catalog::{Catalog, Journal};
use bifrost_core::{
    ChunkId, Codec, ContentId, FileEntry, NewAsset, NewContent, NewVersion, PackEntry, PackId,
    PackRecord, Version,
};
use rand::Rng;
use sqlx::{AssertSqlSafe, Connection};

// ---------------------------------------------------------------------------------------------
// Harness

pub const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub fn pg_base() -> String {
    std::env::var("BIFROST_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned())
}

/// A URL on the same server as `base` naming database `name`.
pub fn pg_url(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("BIFROST_TEST_POSTGRES_URL is not a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Drops the test database when the test ends, even if it panicked.
pub struct PgDatabase {
    pub base: String,
    pub name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let base = self.base.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&base).await {
                    let _ = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

pub enum Backing {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres {
        _db: PgDatabase,
        url: String,
    },
}

pub struct Ctx {
    pub cat: Catalog,
    pub url: String,
    pub backing: Backing,
}

impl Ctx {
    pub async fn sqlite() -> Ctx {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo").join("catalog.db");
        let url = format!("sqlite:{}", path.display());
        let cat = Catalog::connect(&url, true).await.unwrap();
        assert_eq!(cat.backend(), "sqlite");
        Ctx {
            cat,
            url,
            backing: Backing::Sqlite { _dir: dir, path },
        }
    }

    pub async fn postgres() -> Ctx {
        let base = pg_base();
        let name = format!("bifrost_test_{:016x}", rand::rng().random::<u64>());
        let db = PgDatabase {
            base: base.clone(),
            name: name.clone(),
        };
        let url = pg_url(&base, &name);
        let cat = match Catalog::connect(&url, true).await {
            Ok(cat) => cat,
            Err(e) => panic!(
                "these tests need PostgreSQL at {base} (set BIFROST_TEST_POSTGRES_URL to use \
                 another server): {e}"
            ),
        };
        assert_eq!(cat.backend(), "postgres");
        Ctx {
            cat,
            url: url.clone(),
            backing: Backing::Postgres { _db: db, url },
        }
    }

    /// Runs one statement behind the catalog's back, with foreign keys off, to simulate damage.
    pub async fn tamper(&self, sql: &str, id: &[u8]) {
        let sql = AssertSqlSafe(sql.to_owned());
        match &self.backing {
            Backing::Sqlite { path, .. } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .foreign_keys(false);
                let mut conn = sqlx::SqliteConnection::connect_with(&options)
                    .await
                    .unwrap();
                sqlx::query(sql).bind(id).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Backing::Postgres { url, .. } => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql("SET session_replication_role = replica")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                sqlx::query(sql).bind(id).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    /// A second, independent connection to the same catalog.
    pub async fn reopen(&self) -> Catalog {
        Catalog::connect(&self.url, false).await.unwrap()
    }
}

/// Generates, for each scenario `async fn NAME(ctx: Ctx)`, a test per backend.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let ctx = super::Ctx::sqlite().await;
                    super::$name(&ctx).await;
                    ctx.cat.close().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let ctx = super::Ctx::postgres().await;
                    super::$name(&ctx).await;
                    ctx.cat.close().await;
                }
            )*
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Fixtures

pub fn chunk(name: &str) -> ChunkId {
    ChunkId::of(name.as_bytes())
}

/// A pack holding `chunks` back to back, 100 stored bytes each.
pub fn pack_of(name: &str, chunks: &[ChunkId]) -> PackRecord {
    let entries: Vec<PackEntry> = (0u32..)
        .zip(chunks)
        .map(|(i, c)| PackEntry {
            chunk: *c,
            offset: i * 100,
            stored_len: 100,
            raw_len: 200,
            codec: if i % 2 == 0 { Codec::Zstd } else { Codec::Raw },
        })
        .collect();
    PackRecord {
        id: PackId::of(name.as_bytes()),
        size: 100 * entries.len() as u64 + 40,
        entries,
    }
}

pub fn content_of(name: &str, chunks: &[ChunkId]) -> NewContent {
    NewContent {
        id: ContentId::of(name.as_bytes()),
        size: 200 * chunks.len() as u64,
        chunks: chunks.to_vec(),
    }
}

pub fn file(path: &str, content: &NewContent) -> FileEntry {
    FileEntry {
        path: path.to_owned(),
        size: content.size,
        mode: 0o644,
        content: content.id,
    }
}

pub fn new_version(files: Vec<FileEntry>, contents: Vec<NewContent>) -> NewVersion {
    NewVersion {
        author: "ana".to_owned(),
        note: "wip".to_owned(),
        files,
        contents,
    }
}

pub fn new_asset(name: &str, asset_type: &str, tags: &[&str]) -> NewAsset {
    NewAsset {
        name: name.to_owned(),
        asset_type: asset_type.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        metadata: BTreeMap::new(),
        department: None,
    }
}

/// Project `film` with asset `hero`.
pub async fn film_hero(cat: &Catalog) {
    cat.create_project("film", &mut Journal::none())
        .await
        .unwrap();
    cat.create_asset(
        "film",
        &new_asset("hero", "character", &[]),
        &mut Journal::none(),
    )
    .await
    .unwrap();
}

/// Commits to `film/<asset>` a version of `files` (path, content), every content new in it.
pub async fn commit_new(cat: &Catalog, asset: &str, files: &[(&str, &NewContent)]) -> Version {
    let entries = files.iter().map(|(path, c)| file(path, c)).collect();
    let contents = files.iter().map(|(_, c)| (*c).clone()).collect();
    cat.commit_version(
        "film",
        asset,
        &new_version(entries, contents),
        &mut Journal::none(),
    )
    .await
    .unwrap()
}

/// The ids of the catalog's packs, in `list_packs` order.
pub async fn pack_ids(cat: &Catalog) -> Vec<PackId> {
    cat.list_packs()
        .await
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect()
}

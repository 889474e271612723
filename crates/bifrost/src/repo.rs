//! Finding, creating and opening repositories; projects and assets.

use std::path::{Path, PathBuf};

use bifrost_catalog::{Catalog, CatalogError, Journal};
use bifrost_core::{Asset, AssetFilter, NewAsset, Project, Version, VersionRef};
use bifrost_store::{Store, StoreConfig, StoreLocation};

use crate::access::{Access, Actor};
use crate::config::{FORMAT_VERSION, RepoConfig};
use crate::error::{Error, Result};

/// Name of the directory that marks a repository (shared with publish inputs, which skip it).
pub use bifrost_files::DOT_DIR;
/// Environment variable that names the repository to use.
pub const REPO_ENV: &str = "BIFROST_REPO";
/// Project created by `init`.
pub const DEFAULT_PROJECT: &str = "main";

/// Where `init` puts the catalog and the store.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// Catalog URL; default: SQLite at `.bifrost/catalog.db`.
    pub catalog: Option<String>,
    /// Store URL; default: `.bifrost/store`.
    pub store: Option<String>,
}

/// An open repository: its config, catalog and store.
#[derive(Debug, Clone)]
pub struct Repository {
    root: PathBuf,
    pub(crate) config: RepoConfig,
    pub(crate) catalog: Catalog,
    pub(crate) store: Store,
    pub(crate) actor: Actor,
    pub(crate) access: Access,
    /// The catalog mark this process last wrote or read (see `watermark.rs`), shared by clones.
    pub(crate) mark: std::sync::Arc<std::sync::atomic::AtomicI64>,
    /// The sign-in policy and the bound on concurrent password checks, shared by clones.
    pub(crate) sign_in: std::sync::Arc<crate::signin::SignInGuard>,
}

impl Repository {
    /// Creates a repository in `path` (created if missing) and opens it.
    pub async fn init(path: &Path, options: InitOptions) -> Result<Self> {
        std::fs::create_dir_all(path).map_err(Error::output(path))?;
        let root = path.canonicalize().map_err(Error::output(path))?;
        let dot = root.join(DOT_DIR);
        if dot.join("config.toml").exists() {
            return Err(Error::AlreadyInitialized { path: root });
        }
        std::fs::create_dir_all(dot.join("tmp")).map_err(Error::output(&dot))?;
        let store_default = StoreConfig::default();
        let config = RepoConfig {
            format_version: FORMAT_VERSION,
            catalog: options.catalog.unwrap_or_else(|| "catalog.db".into()),
            store: options.store.unwrap_or_else(|| "store".into()),
            project: DEFAULT_PROJECT.into(),
            chunking: store_default.chunking,
            pack_target: store_default.pack_target,
            zstd_level: store_default.zstd_level,
        };
        let result = async {
            let catalog = Catalog::connect(&config.catalog_url(&dot), true).await?;
            let store = Store::create(
                StoreLocation::parse(&config.store, &dot)?,
                store_config(&config),
            )
            .await?;
            // The default project is part of a new repository, not a change anyone made.
            match catalog
                .create_project(DEFAULT_PROJECT, &mut Journal::none())
                .await
            {
                Ok(_) | Err(CatalogError::ProjectExists { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            // The config is written last: a repository is visible only once it is usable.
            config.save(&dot.join("config.toml"))?;
            Ok(Self {
                root: root.clone(),
                config: config.clone(),
                catalog,
                store,
                actor: Actor::local(),
                access: Access::Full,
                mark: std::sync::Arc::default(),
                sign_in: std::sync::Arc::default(),
            })
        }
        .await;
        if result.is_err() {
            // Leave nothing half-made behind, but never touch a catalog or store elsewhere.
            let _ = std::fs::remove_dir_all(&dot);
        }
        result
    }

    /// Finds the repository containing `start` (walking up like git), unless `BIFROST_REPO` is set.
    pub fn find_root(start: &Path) -> Result<PathBuf> {
        if let Some(env) = std::env::var_os(REPO_ENV).filter(|v| !v.is_empty()) {
            let p = PathBuf::from(env);
            return if p.join(DOT_DIR).join("config.toml").is_file() {
                Ok(p)
            } else {
                Err(Error::NotARepository { start: p })
            };
        }
        let start_abs = std::path::absolute(start).unwrap_or_else(|_| start.to_owned());
        let mut dir = Some(start_abs.as_path());
        while let Some(d) = dir {
            if d.join(DOT_DIR).join("config.toml").is_file() {
                return Ok(d.to_owned());
            }
            dir = d.parent();
        }
        Err(Error::NotARepository { start: start_abs })
    }

    /// Finds and opens the repository containing `start`.
    pub async fn discover(start: &Path) -> Result<Self> {
        Self::open(&Self::find_root(start)?).await
    }

    /// Opens the repository whose root (the directory holding `.bifrost`) is `root`.
    pub async fn open(root: &Path) -> Result<Self> {
        let dot = root.join(DOT_DIR);
        let config_path = dot.join("config.toml");
        if !config_path.is_file() {
            return Err(Error::NotARepository {
                start: root.to_owned(),
            });
        }
        let config = RepoConfig::load(&config_path)?;
        let catalog = Catalog::connect(&config.catalog_url(&dot), false).await?;
        let store = Store::open(
            StoreLocation::parse(&config.store, &dot)?,
            store_config(&config),
        )?;
        Ok(Self {
            root: root.to_owned(),
            config,
            catalog,
            store,
            actor: Actor::local(),
            access: Access::Full,
            mark: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
                crate::watermark::read_mark(&dot),
            )),
            sign_in: std::sync::Arc::default(),
        })
    }

    /// The directory holding `.bifrost`.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository's configuration.
    pub fn config(&self) -> &RepoConfig {
        &self.config
    }

    /// Which catalog backend is in use (`sqlite` or `postgres`).
    pub fn catalog_backend(&self) -> &'static str {
        self.catalog.backend()
    }

    /// The store URL without secrets.
    pub fn store_url(&self) -> String {
        self.store.location().display_url()
    }

    /// The current project's name.
    pub fn project(&self) -> &str {
        &self.config.project
    }

    /// Acts on another project for the rest of this handle's life (does not change the config).
    pub async fn with_project(mut self, name: &str) -> Result<Self> {
        self.catalog.get_project(name).await?;
        self.config.project = name.to_owned();
        Ok(self)
    }

    /// Makes `name` the current project, saved in the config.
    pub async fn use_project(&mut self, name: &str) -> Result<Project> {
        let project = self.catalog.get_project(name).await?;
        let mut config = self.config.clone();
        config.project = project.name.clone();
        config.save(&self.root.join(DOT_DIR).join("config.toml"))?;
        self.config = config;
        Ok(project)
    }

    /// Creates a project.
    pub async fn create_project(&self, name: &str) -> Result<Project> {
        self.require(bifrost_core::access::Permission::Admin)?;
        let mut journal = self.journal_global("project.created", name, None::<&()>);
        let project = self.catalog.create_project(name, &mut journal).await?;
        self.journaled(&journal);
        Ok(project)
    }

    /// Lists projects.
    pub async fn list_projects(&self) -> Result<Vec<Project>> {
        Ok(self.catalog.list_projects().await?)
    }

    /// Creates an asset in the current project.
    pub async fn create_asset(&self, asset: &NewAsset) -> Result<Asset> {
        self.require_department(
            bifrost_core::access::Permission::Edit,
            asset.department.as_deref(),
        )?;
        let mut journal = self.journal("asset.created", asset.name.clone(), None::<&()>);
        let created = self
            .catalog
            .create_asset(self.project(), asset, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(created)
    }

    /// Lists assets of the current project.
    pub async fn list_assets(&self, filter: &AssetFilter) -> Result<Vec<Asset>> {
        Ok(self.catalog.list_assets(self.project(), filter).await?)
    }

    /// One asset of the current project.
    pub async fn asset(&self, name: &str) -> Result<Asset> {
        Ok(self.catalog.get_asset(self.project(), name).await?)
    }

    /// One asset of the current project with its workflow status (one catalog statement).
    pub async fn asset_with_status(&self, name: &str) -> Result<(Asset, String)> {
        Ok(self.catalog.asset_with_status(self.project(), name).await?)
    }

    /// Version history of an asset, oldest first.
    pub async fn log(&self, asset: &str) -> Result<Vec<Version>> {
        self.catalog.get_asset(self.project(), asset).await?;
        Ok(self.catalog.list_versions(self.project(), asset).await?)
    }

    /// Resolves `NAME[@vN]` to a version.
    pub async fn resolve(&self, reference: &VersionRef) -> Result<Version> {
        Ok(self
            .catalog
            .get_version(self.project(), &reference.asset, reference.version)
            .await?)
    }

    /// The files of a version.
    pub async fn version_files(&self, version: &Version) -> Result<Vec<bifrost_core::FileEntry>> {
        Ok(self.catalog.version_files(version.id).await?)
    }

    /// Closes the catalog connections (lets SQLite checkpoint its WAL).
    pub async fn close(&self) {
        self.catalog.close().await;
    }
}

pub(crate) fn store_config(config: &RepoConfig) -> StoreConfig {
    StoreConfig {
        chunking: config.chunking,
        pack_target: config.pack_target,
        zstd_level: config.zstd_level,
    }
}

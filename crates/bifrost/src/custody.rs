//! Custody of packs in flight: every writer leases the packs it writes, so that a garbage
//! collection running at the same time never deletes them, however long the writer waits.
//!
//! A writer takes a [`PackLease`] before it ingests, passes its [`CatalogIndex`] to the store
//! (which leases each sealed pack before writing its object, and records it under the lease
//! once durable), commits, then releases the lease. While it works, a heartbeat renews the
//! lease; a writer killed with -9 stops renewing and its leases expire after
//! [`lease_ttl`]. gc removes an expired lease before it deletes an unrecorded pack, and a pack
//! is recorded only under a lease that still exists, so a writer suspended past its lease fails
//! with [`CatalogError::LeaseLost`](bifrost_catalog::CatalogError::LeaseLost) instead of
//! committing bytes that are gone.

use std::sync::Arc;
use std::time::Duration;

use bifrost_api::ApiError;
use bifrost_catalog::Catalog;
use bifrost_core::{ChunkId, PackRecord};
use bifrost_store::KnownChunks;
use futures::future::BoxFuture;

use crate::Repository;

/// Environment variable overriding [`DEFAULT_LEASE_TTL`] (whole seconds, at least 1): for
/// repositories on storage so slow that a pack takes longer to write, and for tests.
pub const LEASE_TTL_ENV: &str = "BIFROST_PACK_LEASE_SECS";

/// The longest lease [`LEASE_TTL_ENV`] may ask for (a day).
const MAX_LEASE_TTL: Duration = Duration::from_secs(24 * 3600);

/// How long a pack lease lasts without renewal.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(600);

/// The lease duration in force ([`LEASE_TTL_ENV`] or [`DEFAULT_LEASE_TTL`]).
pub fn lease_ttl() -> Duration {
    std::env::var(LEASE_TTL_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(DEFAULT_LEASE_TTL, |s| {
            Duration::from_secs(s.min(MAX_LEASE_TTL.as_secs()))
        })
}

fn expiry(ttl: Duration) -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::TimeDelta::from_std(ttl)
        .ok()
        .and_then(|ttl| now.checked_add_signed(ttl))
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// The catalog as the store's chunk index, for one lease holder: every pack the store writes
/// through it is leased before its object is written and recorded under that lease after.
pub(crate) struct CatalogIndex {
    pub(crate) catalog: Catalog,
    pub(crate) runtime: tokio::runtime::Handle,
    holder: String,
    ttl: Duration,
}

impl KnownChunks for CatalogIndex {
    fn known(&self, ids: &[ChunkId]) -> std::result::Result<Vec<bool>, ApiError> {
        self.runtime
            .block_on(self.catalog.known_chunks(ids))
            .map_err(ApiError::from)
    }

    fn pack_sealed<'a>(
        &'a self,
        pack: &'a PackRecord,
    ) -> BoxFuture<'a, std::result::Result<(), ApiError>> {
        Box::pin(async move {
            self.catalog
                .lease_packs(&[pack.id], &self.holder, expiry(self.ttl))
                .await
                .map_err(ApiError::from)
        })
    }

    fn pack_written<'a>(
        &'a self,
        pack: &'a PackRecord,
    ) -> BoxFuture<'a, std::result::Result<(), ApiError>> {
        Box::pin(async move {
            self.catalog
                .record_leased_packs(std::slice::from_ref(pack), &self.holder)
                .await
                .map_err(ApiError::from)
        })
    }
}

/// One writer's claim on the packs it writes until its commit. Release it with
/// [`PackLease::release`] once the commit is done (or failed); dropped, it stops renewing and
/// its leases expire.
pub(crate) struct PackLease {
    catalog: Catalog,
    holder: String,
    ttl: Duration,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

impl PackLease {
    /// The index the store writes this writer's packs through.
    pub(crate) fn index(&self) -> Arc<CatalogIndex> {
        Arc::new(CatalogIndex {
            catalog: self.catalog.clone(),
            runtime: tokio::runtime::Handle::current(),
            holder: self.holder.clone(),
            ttl: self.ttl,
        })
    }

    /// Extends the leases this holder still has (a remote upload does at every request).
    pub(crate) async fn renew(&self) -> crate::Result<()> {
        self.catalog
            .renew_leases(&self.holder, expiry(self.ttl))
            .await?;
        Ok(())
    }

    /// Drops every lease of the holder. A failure only leaves the leases to expire.
    pub(crate) async fn release(mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
        if let Err(e) = self.catalog.release_leases(&self.holder).await {
            tracing::warn!(holder = %self.holder, error = %e, "pack leases left to expire");
        }
    }
}

impl Drop for PackLease {
    fn drop(&mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
    }
}

impl Repository {
    /// A lease for one local write (publish, import, ingest), renewed by a heartbeat every
    /// quarter of its duration until released.
    pub(crate) fn pack_lease(&self) -> PackLease {
        let holder = format!(
            "{}:{}:{:016x}",
            self.actor().user,
            std::process::id(),
            rand::random::<u64>()
        );
        let ttl = lease_ttl();
        let catalog = self.catalog.clone();
        let beat_holder = holder.clone();
        let heartbeat = tokio::spawn(async move {
            let mut every = tokio::time::interval(ttl / 4);
            every.tick().await;
            loop {
                every.tick().await;
                if let Err(e) = catalog.renew_leases(&beat_holder, expiry(ttl)).await {
                    tracing::warn!(holder = %beat_holder, error = %e, "pack lease not renewed");
                }
            }
        });
        PackLease {
            catalog: self.catalog.clone(),
            holder,
            ttl,
            heartbeat: Some(heartbeat),
        }
    }

    /// The lease a remote client's uploads to the current project hold until its commit: one
    /// per user and project, renewed by each of its transfer requests (no heartbeat: between
    /// requests the client is the one at work).
    pub(crate) fn upload_lease(&self) -> PackLease {
        PackLease {
            catalog: self.catalog.clone(),
            holder: format!("upload:{}:{}", self.project(), self.actor().user),
            ttl: lease_ttl(),
            heartbeat: None,
        }
    }
}

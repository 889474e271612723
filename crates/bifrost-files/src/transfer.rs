//! [`Transfer`]: moving files into and out of a hub, local or remote.
//!
//! Everything else a front end asks of a hub is an operation of the table, run with
//! [`bifrost_api::Hub::call`]; publishing and checking out move files between the local disk
//! and the hub, so they are methods of their own. The facade's `Repository` implements both
//! traits on the local store; `bifrost-client`'s `Client` implements them over HTTP.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::VersionRef;

use crate::{CheckoutOptions, CheckoutOutcome, Progress, PublishOutcome};

/// Publishing and checking out, besides the table's operations.
pub trait Transfer: bifrost_api::Hub {
    /// Publishes files and directories as the next version of an asset, for the hub's actor.
    fn publish(
        &self,
        asset: &str,
        paths: &[PathBuf],
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> impl Future<Output = Result<PublishOutcome, Self::Error>> + Send;

    /// Materialises a version into a directory.
    fn checkout(
        &self,
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>,
    ) -> impl Future<Output = Result<CheckoutOutcome, Self::Error>> + Send;
}

//! [`Transfer`] for [`Repository`]: publishing and checking out on the local store (the trait
//! lives in `bifrost-files`, so the HTTP client implements it without the facade).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_core::VersionRef;

use crate::{CheckoutOptions, CheckoutOutcome, Progress, PublishOutcome, Repository, Transfer};

impl Transfer for Repository {
    async fn publish(
        &self,
        asset: &str,
        paths: &[PathBuf],
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> crate::Result<PublishOutcome> {
        Repository::publish(self, asset, paths, note, progress).await
    }

    async fn checkout(
        &self,
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>,
    ) -> crate::Result<CheckoutOutcome> {
        Repository::checkout(self, reference, dest, options, progress).await
    }
}

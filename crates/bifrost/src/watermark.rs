//! The catalog's high-water mark: the newest journal entry this repository saw committed,
//! kept beside the catalog in `.bifrost/catalog.mark`, so that a catalog which lost committed
//! changes (a deleted SQLite WAL, an older copy restored over it) is noticed by `fsck` and
//! refused by every version commit, instead of handing out the lost version numbers again.
//!
//! The mark is written after the journal entry commits and only ever raised, so it never runs
//! ahead of the catalog: racing writers may leave it a little behind (which only makes the
//! check less sharp), never ahead (which would be a false alarm). It is replaced atomically and
//! not synced: after a power cut it can only be older.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use bifrost_catalog::CatalogError;

use crate::Repository;

/// The mark's file name under `.bifrost/`.
pub const MARK_FILE: &str = "catalog.mark";

/// The mark recorded in the `.bifrost` directory `dot` (0 when none or unreadable).
pub(crate) fn read_mark(dot: &Path) -> i64 {
    std::fs::read_to_string(dot.join(MARK_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

impl Repository {
    fn mark_path(&self) -> PathBuf {
        self.root().join(crate::DOT_DIR).join(MARK_FILE)
    }

    /// The recorded mark (0 when none or unreadable: the check is then skipped).
    pub(crate) fn recorded_mark(&self) -> i64 {
        read_mark(&self.root().join(crate::DOT_DIR))
    }

    /// Raises the mark to journal entry `id` if it is above the one this process last saw (read
    /// when the repository was opened, then kept in memory: no file read per change). Failing
    /// to write it only weakens the check, so failures are logged.
    pub(crate) fn raise_mark(&self, id: i64) {
        if self.mark.fetch_max(id, Ordering::AcqRel) >= id {
            return;
        }
        let path = self.mark_path();
        let Some(dir) = path.parent() else { return };
        let written = tempfile::NamedTempFile::new_in(dir).and_then(|mut tmp| {
            std::io::Write::write_all(&mut tmp, format!("{id}\n").as_bytes())?;
            tmp.persist(&path).map(|_| ()).map_err(|e| e.error)
        });
        if let Err(e) = written {
            tracing::warn!(path = %path.display(), error = %e, "catalog mark not written");
        }
    }

    /// Fails with [`CatalogError::CatalogBehind`] if the catalog's journal ends before the mark.
    pub(crate) async fn check_catalog_not_behind(&self) -> Result<(), CatalogError> {
        let recorded = self.recorded_mark();
        if recorded == 0 {
            return Ok(());
        }
        let found = self.catalog.last_journal_id().await?;
        if found < recorded {
            return Err(CatalogError::CatalogBehind { recorded, found });
        }
        Ok(())
    }

    /// Accepts the catalog as it is now (after recovering it, or on purpose restoring an older
    /// copy): the mark is set to its newest journal entry.
    pub async fn accept_catalog(&self) -> crate::Result<i64> {
        let found = self.catalog.last_journal_id().await?;
        let path = self.mark_path();
        let dir = path.parent().expect("the mark lives in .bifrost");
        tempfile::NamedTempFile::new_in(dir)
            .and_then(|mut tmp| {
                std::io::Write::write_all(&mut tmp, format!("{found}\n").as_bytes())?;
                tmp.persist(&path).map(|_| ()).map_err(|e| e.error)
            })
            .map_err(crate::Error::output(&path))?;
        self.mark.store(found, Ordering::Release);
        Ok(found)
    }
}

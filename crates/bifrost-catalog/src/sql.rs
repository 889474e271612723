//! Backend-neutral helpers: placeholder lists, id and number conversions, timestamps.
//!
//! Both SQLite and PostgreSQL accept `$N` placeholders, so every statement text is shared.

use chrono::{DateTime, SubsecRound, Utc};

use std::collections::HashSet;

use bifrost_core::{ChunkId, Codec, ContentId, FileEntry, PackEntry, PackId};

use crate::CatalogError;

/// Ids per batched `IN (…)` lookup. Short lists are padded up to one of these sizes (repeating
/// the last id) so that only a handful of distinct statements reach each connection's cache.
pub(crate) const LOOKUP_SIZES: [usize; 4] = [1, 16, 128, 500];

/// Rows per multi-row `INSERT`. At six columns that is 3,000 parameters: well under SQLite's
/// 32,766 and PostgreSQL's 65,535.
pub(crate) const INSERT_ROWS: usize = 500;

/// `$start, $start+1, …` (`n` placeholders).
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            out.push_str(", ");
        }
        out.push('$');
        out.push_str(&(start + i).to_string());
    }
    out
}

/// `($start, …), (…), …`: `rows` tuples of `cols` placeholders each.
pub(crate) fn value_rows(start: usize, rows: usize, cols: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 6);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        out.push_str(&placeholders(start + r * cols, cols));
        out.push(')');
    }
    out
}

/// `(?, ?), (?, ?), …`: `rows` tuples of `cols` anonymous placeholders each. SQLite binds these
/// by position; with `$N` names, sqlx looks every name up with `sqlite3_bind_parameter_name`,
/// a linear search, so a statement of a few thousand `$N` placeholders spends most of its time
/// binding (about 40 times longer than the insert itself).
pub(crate) fn anonymous_rows(rows: usize, cols: usize) -> String {
    let mut tuple = String::with_capacity(cols * 3 + 2);
    tuple.push('(');
    for c in 0..cols {
        if c > 0 {
            tuple.push_str(", ");
        }
        tuple.push('?');
    }
    tuple.push(')');
    let mut out = String::with_capacity(rows * (tuple.len() + 2));
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push_str(&tuple);
    }
    out
}

/// Splits `ids` into batches for `IN (…)` lookups, each padded to one of [`LOOKUP_SIZES`].
pub(crate) fn lookup_batches<T: Copy>(ids: &[T]) -> Vec<Vec<T>> {
    let max = LOOKUP_SIZES[LOOKUP_SIZES.len() - 1];
    ids.chunks(max)
        .map(|batch| {
            let size = LOOKUP_SIZES
                .iter()
                .copied()
                .find(|&s| s >= batch.len())
                .unwrap_or(max);
            let mut padded = batch.to_vec();
            let last = batch[batch.len() - 1];
            padded.resize(size, last);
            padded
        })
        .collect()
}

/// The current time, truncated to microseconds: what PostgreSQL keeps, so that a value read back
/// equals the value written on both backends.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Converts an unsigned size for storage.
pub(crate) fn to_i64(value: u64, what: impl FnOnce() -> String) -> Result<i64, CatalogError> {
    i64::try_from(value).map_err(|_| CatalogError::OutOfRange { what: what() })
}

/// Reads back a stored non-negative integer.
pub(crate) fn to_u64(value: i64, what: &str) -> Result<u64, CatalogError> {
    u64::try_from(value).map_err(|_| corrupt(format!("{what} is negative ({value})")))
}

/// Reads back a stored 32-bit field.
pub(crate) fn to_u32(value: i64, what: &str) -> Result<u32, CatalogError> {
    u32::try_from(value).map_err(|_| corrupt(format!("{what} {value} does not fit 32 bits")))
}

pub(crate) fn corrupt(what: String) -> CatalogError {
    CatalogError::Corrupt { what }
}

pub(crate) fn chunk_id(bytes: &[u8]) -> Result<ChunkId, CatalogError> {
    ChunkId::from_slice(bytes)
        .ok_or_else(|| corrupt(format!("a chunk id is {} bytes long", bytes.len())))
}

pub(crate) fn content_id(bytes: &[u8]) -> Result<ContentId, CatalogError> {
    ContentId::from_slice(bytes)
        .ok_or_else(|| corrupt(format!("a content id is {} bytes long", bytes.len())))
}

pub(crate) fn pack_id(bytes: &[u8]) -> Result<PackId, CatalogError> {
    PackId::from_slice(bytes)
        .ok_or_else(|| corrupt(format!("a pack id is {} bytes long", bytes.len())))
}

/// Rebuilds a pack entry from the columns of a `chunks` row.
pub(crate) fn pack_entry(
    chunk: &[u8],
    offset: i64,
    stored_len: i64,
    raw_len: i64,
    codec: i64,
) -> Result<PackEntry, CatalogError> {
    let chunk = chunk_id(chunk)?;
    let codec = u8::try_from(codec)
        .ok()
        .and_then(Codec::from_code)
        .ok_or_else(|| corrupt(format!("chunk {chunk} has unknown codec {codec}")))?;
    Ok(PackEntry {
        chunk,
        offset: to_u32(offset, "a chunk offset")?,
        stored_len: to_u32(stored_len, "a chunk stored length")?,
        raw_len: to_u32(raw_len, "a chunk length")?,
        codec,
    })
}

/// Refuses unsafe paths, repeated paths, and a path that is both a file and a directory
/// (`a` and `a/b`), which no checkout could materialise.
pub(crate) fn check_paths(files: &[FileEntry]) -> Result<(), CatalogError> {
    let invalid = |path: &str, reason: &str| CatalogError::InvalidPath {
        path: path.to_owned(),
        reason: reason.to_owned(),
    };
    let mut paths: HashSet<&str> = HashSet::with_capacity(files.len());
    for file in files {
        if !FileEntry::is_safe_path(&file.path) {
            return Err(invalid(
                &file.path,
                "paths must be relative, use `/` separators, and contain no empty, `.` or `..` \
                 components, backslashes or NUL bytes",
            ));
        }
        if !paths.insert(&file.path) {
            return Err(invalid(&file.path, "the version lists it twice"));
        }
    }
    for file in files {
        for (i, _) in file.path.match_indices('/') {
            let dir = &file.path[..i];
            if paths.contains(dir) {
                return Err(invalid(
                    dir,
                    &format!("it is a file but `{}` puts a file under it", file.path),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> FileEntry {
        FileEntry {
            path: path.to_owned(),
            size: 0,
            mode: 0o644,
            content: ContentId::of(b""),
        }
    }

    #[test]
    fn paths_are_checked() {
        check_paths(&[file("a/b"), file("a/c"), file("ab")]).unwrap();
        for bad in [
            vec![file("../x")],
            vec![file("a"), file("a")],
            vec![file("a"), file("a/b")],
            vec![file("a/b/c"), file("a/b")],
        ] {
            assert!(matches!(
                check_paths(&bad),
                Err(CatalogError::InvalidPath { .. })
            ));
        }
    }

    #[test]
    fn placeholder_lists() {
        assert_eq!(placeholders(1, 3), "$1, $2, $3");
        assert_eq!(placeholders(4, 1), "$4");
        assert_eq!(value_rows(2, 2, 2), "($2, $3), ($4, $5)");
        assert_eq!(anonymous_rows(2, 3), "(?, ?, ?), (?, ?, ?)");
    }

    #[test]
    fn batches_are_padded_to_few_sizes() {
        let ids: Vec<u32> = (0..1203).collect();
        let batches = lookup_batches(&ids);
        let sizes: Vec<usize> = batches.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![500, 500, 500]);
        assert_eq!(*batches[2].last().unwrap(), 1202);
        assert_eq!(batches[2][202], 1202);
        assert_eq!(lookup_batches(&[7u8])[0], vec![7]);
        assert_eq!(lookup_batches(&[1u8, 2])[0].len(), 16);
        assert!(lookup_batches::<u8>(&[]).is_empty());
    }
}

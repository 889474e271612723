//! Errors of the time-series engine. Each message says what happened and what to do; each
//! variant has a stable machine code ([`SeriesError::code`]) that never changes once published.

use std::path::PathBuf;

/// Everything that can go wrong appending to, sealing or querying an engine.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// A point is older than the newest point already stored for its series.
    #[error(
        "series {series}: point at {ts} ms is older than the newest stored point ({last} ms); \
         points of one series must arrive in time order"
    )]
    OutOfOrder {
        /// The series.
        series: String,
        /// The refused timestamp (ms since the Unix epoch).
        ts: i64,
        /// The newest stored timestamp.
        last: i64,
    },
    /// A series name is empty, too long or holds control characters.
    #[error("invalid series name {name:?}: {reason}")]
    BadSeriesName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// No series of that name is stored.
    #[error("no series named {0:?}; `bifrost edge series list` shows the stored series")]
    UnknownSeries(String),
    /// Writing a segment would leave less free space than the configured floor.
    #[error(
        "disk space floor reached in {dir}: {free} bytes free, {needed} needed and {floor} must \
         stay free; free space, lower `disk_floor` or shorten retention ({refused} points refused \
         so far)"
    )]
    DiskFloor {
        /// The engine directory.
        dir: PathBuf,
        /// Free bytes on its file system.
        free: u64,
        /// Bytes the segment needs.
        needed: u64,
        /// The configured floor.
        floor: u64,
        /// Points refused for this reason since the engine opened.
        refused: u64,
    },
    /// The in-memory buffers are full and could not be sealed to disk.
    #[error(
        "memory cap of {cap} bytes reached and the buffers could not be sealed: {reason} \
         ({refused} points refused so far)"
    )]
    MemoryFull {
        /// The configured cap.
        cap: usize,
        /// Why sealing failed.
        reason: String,
        /// Points refused for this reason since the engine opened.
        refused: u64,
    },
    /// Another engine already writes to this directory.
    #[error("{0} is in use by another engine (a running gateway?); stop it, or query it read-only")]
    Locked(PathBuf),
    /// The engine was opened read-only.
    #[error("this engine was opened read-only; open it with `Engine::open` to append")]
    ReadOnly,
    /// A segment or block failed its checksum or does not parse.
    #[error("corrupt segment {path}: {reason}")]
    Corrupt {
        /// The segment file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A configuration value or analytics specification is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A file-system operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl SeriesError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SeriesError::OutOfOrder { .. } => "series_out_of_order",
            SeriesError::BadSeriesName { .. } => "bad_series_name",
            SeriesError::UnknownSeries(_) => "unknown_series",
            SeriesError::DiskFloor { .. } => "disk_floor_reached",
            SeriesError::MemoryFull { .. } => "series_memory_full",
            SeriesError::Locked(_) => "series_dir_locked",
            SeriesError::ReadOnly => "series_read_only",
            SeriesError::Corrupt { .. } => "corrupt_segment",
            SeriesError::Config(_) => "bad_series_config",
            SeriesError::Io { .. } => "series_io",
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        SeriesError::Io {
            context: context.into(),
            source,
        }
    }
}

/// Result of engine operations.
pub type Result<T, E = SeriesError> = std::result::Result<T, E>;

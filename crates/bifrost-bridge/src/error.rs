//! The bridge's errors: each names what failed in the gateway's terms and has a stable machine
//! code (`BridgeError::code`), the way the hub's errors do, without depending on a hub crate.

use std::path::PathBuf;

/// Anything the bridge or the gateway can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The disk log could not be read or written.
    #[error("disk log {path}: {source}")]
    LogIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A log holds bytes that are not a record (not a torn tail, which is repaired quietly).
    #[error("disk log {path}: {message}")]
    LogCorrupt { path: PathBuf, message: String },
    /// The gateway file cannot be used; the message names the line and column.
    #[error("{path}:{line}:{column}: {message}")]
    Config {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// A gateway file could not be read at all.
    #[error("cannot read the gateway file {path}: {source}")]
    ConfigRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A sink could not be set up (bad certificate file, bad URL).
    #[error("sink {sink}: {message}")]
    SinkSetup { sink: String, message: String },
    /// A Modbus source failed to start.
    #[error("source {source_name}: {source}")]
    Source {
        source_name: String,
        #[source]
        source: bifrost_edge::EdgeError,
    },
    /// The health/metrics port could not be opened.
    #[error("cannot listen on {address} for /healthz and /metrics: {source}")]
    Listen {
        address: String,
        #[source]
        source: std::io::Error,
    },
}

impl BridgeError {
    /// A stable machine code, one per variant.
    pub fn code(&self) -> &'static str {
        match self {
            BridgeError::LogIo { .. } => "log_io",
            BridgeError::LogCorrupt { .. } => "log_corrupt",
            BridgeError::Config { .. } => "bad_gateway_file",
            BridgeError::ConfigRead { .. } => "gateway_file_unreadable",
            BridgeError::SinkSetup { .. } => "bad_sink",
            BridgeError::Source { .. } => "source_failed",
            BridgeError::Listen { .. } => "listen_failed",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> BridgeError {
        let path = path.into();
        move |source| BridgeError::LogIo { path, source }
    }
}

/// The bridge's result type.
pub type Result<T, E = BridgeError> = std::result::Result<T, E>;

//! Errors of the edge bridge. Each message says what happened and, where it can, what to do.

use std::time::Duration;

use crate::frame::{ExceptionCode, FunctionCode};

/// Everything that can go wrong talking to a device, reading a tag file or running the simulator.
#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    /// The device answered with a Modbus exception response.
    #[error(
        "device answered function {function} with exception {code} ({name}){hint}",
        code = code.0,
        name = code.name(),
        hint = code.hint()
    )]
    Exception {
        /// The function of the request.
        function: FunctionCode,
        /// The exception code (1 = illegal function, 2 = illegal data address, …).
        code: ExceptionCode,
    },
    /// No answer within the per-request timeout.
    #[error(
        "no answer from {device} within {timeout:?}; check that the device is up and the unit id \
         is right, or raise the timeout"
    )]
    Timeout {
        /// Address of the device.
        device: String,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// The device could not be reached.
    #[error(
        "cannot connect to {device}: {source}; check the address and port (Modbus TCP is usually \
         port 502) and that the device or `bifrost edge simulate` is running"
    )]
    Connect {
        /// Address of the device.
        device: String,
        /// The last connection error.
        source: std::io::Error,
    },
    /// The connection broke while the request was in flight.
    #[error("connection to {device} lost: {reason}; the next request reconnects")]
    Disconnected {
        /// Address of the device.
        device: String,
        /// What ended it.
        reason: String,
    },
    /// The peer sent bytes that are not a valid Modbus frame or response.
    #[error("garbled answer from the device: {0}")]
    Protocol(String),
    /// The request itself is invalid (count out of range, address overflow…).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A device address string could not be parsed.
    #[error(
        "invalid device address {0:?}: use HOST:PORT, tcp://HOST:PORT[?unit=N], \
         rtu+tcp://HOST:PORT or rtu:///dev/ttyUSB0?baud=9600&unit=1"
    )]
    BadDeviceAddress(String),
    /// A tag file could not be read or is invalid.
    #[error("tag file {path}: {message}")]
    TagFile {
        /// The file.
        path: String,
        /// What is wrong and where.
        message: String,
    },
    /// A value does not fit its tag (wrong kind, out of range, string too long).
    #[error("tag {tag}: {message}")]
    TagValue {
        /// The tag.
        tag: String,
        /// What is wrong.
        message: String,
    },
    /// A serial port could not be opened.
    #[error(
        "cannot open serial port {path}: {message}; check the path and permissions (dialout group)"
    )]
    Serial {
        /// The port.
        path: String,
        /// The driver's message.
        message: String,
    },
    /// I/O error of the simulator (binding its port, for instance).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

impl Clone for EdgeError {
    /// One failed request can fail several tags; each gets its own copy of the error.
    fn clone(&self) -> Self {
        let io = |e: &std::io::Error| std::io::Error::new(e.kind(), e.to_string());
        match self {
            EdgeError::Exception { function, code } => EdgeError::Exception {
                function: *function,
                code: *code,
            },
            EdgeError::Timeout { device, timeout } => EdgeError::Timeout {
                device: device.clone(),
                timeout: *timeout,
            },
            EdgeError::Connect { device, source } => EdgeError::Connect {
                device: device.clone(),
                source: io(source),
            },
            EdgeError::Disconnected { device, reason } => EdgeError::Disconnected {
                device: device.clone(),
                reason: reason.clone(),
            },
            EdgeError::Protocol(m) => EdgeError::Protocol(m.clone()),
            EdgeError::InvalidRequest(m) => EdgeError::InvalidRequest(m.clone()),
            EdgeError::BadDeviceAddress(m) => EdgeError::BadDeviceAddress(m.clone()),
            EdgeError::TagFile { path, message } => EdgeError::TagFile {
                path: path.clone(),
                message: message.clone(),
            },
            EdgeError::TagValue { tag, message } => EdgeError::TagValue {
                tag: tag.clone(),
                message: message.clone(),
            },
            EdgeError::Serial { path, message } => EdgeError::Serial {
                path: path.clone(),
                message: message.clone(),
            },
            EdgeError::Io { context, source } => EdgeError::Io {
                context: context.clone(),
                source: io(source),
            },
        }
    }
}

impl EdgeError {
    /// The Modbus exception code when the device answered with one.
    pub fn exception_code(&self) -> Option<ExceptionCode> {
        match self {
            EdgeError::Exception { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// Result of edge operations.
pub type Result<T, E = EdgeError> = std::result::Result<T, E>;

//! The operation table of the Bifrost hub.
//!
//! Every hub operation is defined here once: its typed request (which also carries the path
//! parameters), its typed response, its HTTP method and route, the permission it needs and the
//! journal action it records. Every front end is generated from or dispatched through these
//! definitions: the facade executes them, the server routes and documents them, the HTTP client
//! sends them, the CLI and the Python package build them.
//!
//! This crate does no I/O and knows nothing of SQL, HTTP libraries or terminals: it depends on
//! `bifrost-core` only (plus serde and utoipa for the wire shapes and their schemas).

pub mod error;
pub mod hub;
pub mod listing;
pub mod openapi;
pub mod operation;
pub mod ops;
pub mod wire;

pub use error::{ApiError, ErrorBody, ErrorCode, ErrorDetail, ErrorKind, UnknownCode};
pub use hub::{Hub, Paged, all_pages};
pub use listing::Listing;
pub use operation::{Carrier, Method, OpSpec, Operation};
pub use ops::{ALL, Request, Response};

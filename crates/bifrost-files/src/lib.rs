//! Local file work both ends of a transfer share: content-defined chunking of streams, publish
//! inputs, atomic checkout targets, progress reporting; no catalog, no store backend, no HTTP.
//!
//! A local publish (the store's ingest) and a remote one (the HTTP client) list their inputs
//! with [`publish_inputs`] and cut bytes where [`cut_points`] cuts them, so both store the same
//! paths and the same chunks, and deduplicate against each other. A local checkout (reading the
//! store) and a remote one (downloading) write through the same [`CheckoutTarget`], so both
//! keep the same all-or-nothing guarantees at the destination.
//!
//! Invariants:
//! - [`stream_chunks`] and [`describe_reader`] cut a stream exactly where [`cut_points`] cuts the
//!   same bytes held in memory (property-tested), whatever sizes the reader's reads return.
//! - A [`CheckoutTarget`] never shows wrong or partial bytes, and one that fails (or is dropped
//!   before [`CheckoutTarget::finish`]) changes nothing at its destination: a new destination is
//!   filled as a hidden staging directory beside it and renamed into place at the end; in an
//!   existing directory every file is written under a temporary name, and only when all are
//!   written are they renamed into place together.
//! - [`publish_inputs`] never lists a repository's own [`DOT_DIR`].

mod checkout;
mod chunking;
mod error;
mod progress;
mod publish;
mod transfer;

pub use checkout::{
    CheckoutFile, CheckoutOptions, CheckoutOutcome, CheckoutTarget, CheckoutWriter,
    file_permissions,
};
pub use chunking::{FileDescription, cut_points, describe_content, describe_reader, stream_chunks};
pub use error::{FilesError, Result, write_hint};
pub use progress::{NoProgress, Progress};
pub use publish::{DOT_DIR, Manifest, PublishInput, PublishOutcome, publish_inputs};
pub use transfer::Transfer;

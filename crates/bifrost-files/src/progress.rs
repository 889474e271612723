//! Progress reporting: the code at work says how far it got; front ends decide how to show it.

/// Receives progress of long operations. Implementations must be cheap: `advance` is called
/// often, from any thread (the store's ingest calls it from its blocking workers, and only it).
pub trait Progress: Send + Sync {
    /// A phase begins; `total` is in bytes (or items, as the phase says).
    fn start(&self, phase: &str, total: u64);
    /// `n` more units are done.
    fn advance(&self, n: u64);
    /// The phase ended.
    fn finish(&self);
}

/// Shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

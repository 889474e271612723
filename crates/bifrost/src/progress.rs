//! Progress reporting: the facade says how far it got; front ends decide how to show it.

/// Receives progress of long operations. Implementations must be cheap: `advance` is called often.
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

/// Adapts a facade progress to the store's.
pub(crate) struct StoreProgress(pub(crate) std::sync::Arc<dyn Progress>);

impl bifrost_store::Progress for StoreProgress {
    fn advance(&self, bytes: u64) {
        self.0.advance(bytes);
    }
}

//! [`Hub`]: what a front end can ask of a repository, wherever it is.
//!
//! The facade's `Repository` implements it by executing operations directly; the HTTP client
//! implements it by sending them to a server. Front ends (the CLI, the Python package) are
//! written against it, so the same code runs locally and remotely.

use std::future::Future;

use crate::Listing;
use crate::operation::Operation;

/// Runs operations of the table.
pub trait Hub: Send + Sync {
    /// What goes wrong.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The project operations act on when they name none.
    fn project(&self) -> &str;

    /// Runs one operation.
    fn call<O: Operation>(
        &self,
        op: O,
    ) -> impl Future<Output = Result<O::Response, Self::Error>> + Send;
}

/// Operations whose answer is one page of a [`Listing`].
pub trait Paged: Operation<Response = Listing<Self::Item>> {
    /// What the listing holds.
    type Item;

    /// The same request for the page starting at `offset`, `limit` items long.
    fn page(&self, offset: u64, limit: u64) -> Self;
}

/// Every item of a paged listing, following pages to the end.
pub async fn all_pages<H: Hub, O: Paged>(hub: &H, op: O) -> Result<Vec<O::Item>, H::Error> {
    let limit = crate::listing::MAX_LIMIT;
    let mut items = Vec::new();
    loop {
        let page = hub.call(op.page(items.len() as u64, limit)).await?;
        let more = page.has_more() && !page.items.is_empty();
        items.extend(page.items);
        if !more {
            return Ok(items);
        }
    }
}

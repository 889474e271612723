//! The journal entries a change records, handed to the catalog method that makes the change and
//! written in that method's own transaction, just before it commits: the journal and the data
//! can never disagree, whatever crashes when.
//!
//! Every catalog method that makes a journaled change takes a `&mut Journal<T>` (`T` its
//! result): the caller cannot call it without saying what to record (or, for setup work and
//! tests, [`Journal::none`] in plain sight). The entries are built from the method's result
//! (a journal entry's `after` is usually the record the change produced), so the caller gives a
//! builder, run once inside the transaction; the method ends with the backend's one commit
//! helper (`imp::commit_journaled`), which inserts the entries under the repository write lock
//! and commits. Afterwards [`Journal::last_id`] is the id of the last entry committed, which the
//! facade raises its high-water mark to.

use bifrost_core::access::NewEvent;

/// Builds the entries of a change from its result.
type Builder<T> = Box<dyn FnOnce(&T) -> Vec<NewEvent> + Send>;

/// What a change records in the journal, given to the catalog method that makes it.
#[must_use = "a journal records nothing until a catalog write commits with it"]
pub struct Journal<T> {
    build: Option<Builder<T>>,
    mark: i64,
    last_id: Option<i64>,
}

impl<T: 'static> Journal<T> {
    /// One entry, built from the change's result.
    pub fn entry(build: impl FnOnce(&T) -> NewEvent + Send + 'static) -> Self {
        Journal::entries(move |result| vec![build(result)])
    }

    /// Any number of entries (a batch: one per asset or version), built from the change's
    /// result and committed in order.
    pub fn entries(build: impl FnOnce(&T) -> Vec<NewEvent> + Send + 'static) -> Self {
        Journal {
            build: Some(Box::new(build)),
            mark: 0,
            last_id: None,
        }
    }

    /// Records nothing: for changes that are not journaled (a repository's default project
    /// made at `init`, a template's skeleton, the catalog's own tests).
    pub fn none() -> Self {
        Journal {
            build: None,
            mark: 0,
            last_id: None,
        }
    }
}

impl<T> Journal<T> {
    /// Refuses the change ([`crate::CatalogError::CatalogBehind`], nothing written) if its
    /// first entry's id is not above `mark`, the newest entry the caller saw committed: the
    /// catalog then lost committed changes (a deleted SQLite WAL, an older copy restored), and
    /// writing would hand out their ids, and their version numbers, again. The check costs
    /// nothing: entry ids only grow, so it compares the id the insert returned.
    pub fn expecting_after(mut self, mark: i64) -> Self {
        self.mark = mark;
        self
    }

    /// The newest entry the caller saw committed (0: no check).
    pub(crate) fn mark(&self) -> i64 {
        self.mark
    }

    /// The id of the last entry committed with the change; `None` before the change committed
    /// or when it recorded nothing.
    pub fn last_id(&self) -> Option<i64> {
        self.last_id
    }

    /// Whether entries are still to be recorded (a method may skip building what only the
    /// entries need when there are none).
    pub(crate) fn is_pending(&self) -> bool {
        self.build.is_some()
    }

    /// The entries to record for `result` (once: a second call yields none).
    pub(crate) fn take_entries(&mut self, result: &T) -> Vec<NewEvent> {
        self.build
            .take()
            .map(|build| build(result))
            .unwrap_or_default()
    }

    /// Notes that the entries committed, the last with `id`.
    pub(crate) fn committed(&mut self, id: i64) {
        self.last_id = Some(id);
    }
}

impl<T> std::fmt::Debug for Journal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("pending", &self.build.is_some())
            .field("last_id", &self.last_id)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str, entity: &str) -> NewEvent {
        NewEvent {
            project: None,
            actor: "ana".into(),
            origin: "local".into(),
            request_id: None,
            action: action.into(),
            entity: entity.into(),
            before: None,
            after: None,
        }
    }

    #[test]
    fn entries_are_built_once_from_the_result() {
        let mut journal = Journal::entry(|n: &i64| event("thing.made", &n.to_string()));
        let entries = journal.take_entries(&7);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].entity, "7");
        assert!(journal.take_entries(&8).is_empty());
        assert_eq!(journal.last_id(), None);
        journal.committed(42);
        assert_eq!(journal.last_id(), Some(42));
        assert!(Journal::<i64>::none().take_entries(&1).is_empty());
    }
}

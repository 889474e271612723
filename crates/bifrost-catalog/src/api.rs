//! The production model's part of [`Catalog`]: workflow, departments, sequences and shots,
//! statuses and history, tasks, links and dependencies, review, comments, search, saved
//! searches, collections, reports and bulk import. Each method runs the backend's
//! implementation (`production.rs`, `search.rs`, `bulk.rs`, compiled once per backend).
//!
//! Entities are named as users type them: an asset by its name, a shot as `SEQ/SHOT`
//! ([`EntityRef`]); comments and history may also target a version (`NAME@vN`, [`Target`]).

use bifrost_core::production::{
    Collection, Comment, Dependency, EntityRef, HistoryEntry, ImportSummary, Link, LinkKind,
    Metadata, MetadataUpdate, NewShot, ProductionBatch, ProductionNameKind, ReviewStatus,
    SavedSearch, SearchHit, Sequence, Shot, ShotUpdate, StatusReport, Target, Task, TaskFilter,
    TaskUpdate, VersionDetails, Workflow, favourites_collection, validate_production_name,
};
use bifrost_core::{Query, VersionSelector};

use crate::{Catalog, CatalogError, DeletedAsset, DeletedSequence, DeletedShot, Journal};
use bifrost_core::Asset;

impl Catalog {
    // -- Workflow and departments ----------------------------------------------------------

    /// The statuses (in order; the first is the initial one) and allowed changes of `project`.
    /// Every project starts with [`Workflow::default`].
    pub async fn workflow(&self, project: &str) -> Result<Workflow, CatalogError> {
        dispatch!(production, self.workflow(project))
    }

    /// Appends a status to the workflow ([`CatalogError::StatusExists`] if it has it); returns
    /// the new workflow. Add transitions to make it reachable.
    pub async fn add_status(
        &self,
        project: &str,
        status: &str,
        journal: &mut Journal<Workflow>,
    ) -> Result<Workflow, CatalogError> {
        dispatch!(production, self.add_status(project, status, journal))
    }

    /// Allows changing from `from` (a status, or `*` for any) to `to`.
    pub async fn add_transition(
        &self,
        project: &str,
        from: &str,
        to: &str,
        journal: &mut Journal<Workflow>,
    ) -> Result<Workflow, CatalogError> {
        dispatch!(production, self.add_transition(project, from, to, journal))
    }

    /// Stops allowing the change from `from` to `to`
    /// ([`CatalogError::TransitionNotFound`] if it was not allowed).
    pub async fn remove_transition(
        &self,
        project: &str,
        from: &str,
        to: &str,
        journal: &mut Journal<Workflow>,
    ) -> Result<Workflow, CatalogError> {
        dispatch!(
            production,
            self.remove_transition(project, from, to, journal)
        )
    }

    /// Removes a status from the workflow, with every transition to or from it; returns the new
    /// workflow. Refused with [`CatalogError::StatusInUse`] while an asset, shot or task of the
    /// project is in it (history rows keep naming it), [`CatalogError::UnknownStatus`] if the
    /// workflow lacks it, and [`CatalogError::InvalidValue`] for the last status (a workflow
    /// needs one). Removing the first status makes the next one the initial status.
    pub async fn remove_status(
        &self,
        project: &str,
        status: &str,
        journal: &mut Journal<Workflow>,
    ) -> Result<Workflow, CatalogError> {
        dispatch!(production, self.remove_status(project, status, journal))
    }

    /// Moves a status to `position` in the workflow order, counting from 1 (position 1 is the
    /// initial status new assets, shots and tasks start in); the others keep their relative
    /// order. Returns the new workflow. A position past the last is
    /// [`CatalogError::InvalidValue`].
    pub async fn move_status(
        &self,
        project: &str,
        status: &str,
        position: u32,
        journal: &mut Journal<Workflow>,
    ) -> Result<Workflow, CatalogError> {
        dispatch!(
            production,
            self.move_status(project, status, position, journal)
        )
    }

    /// The departments of `project`, in order.
    pub async fn departments(&self, project: &str) -> Result<Vec<String>, CatalogError> {
        dispatch!(production, self.departments(project))
    }

    /// Appends a department; returns the new list.
    pub async fn add_department(
        &self,
        project: &str,
        department: &str,
        journal: &mut Journal<Vec<String>>,
    ) -> Result<Vec<String>, CatalogError> {
        dispatch!(
            production,
            self.add_department(project, department, journal)
        )
    }

    /// Removes a department that no task uses ([`CatalogError::DepartmentInUse`] otherwise);
    /// returns the new list.
    pub async fn remove_department(
        &self,
        project: &str,
        department: &str,
        journal: &mut Journal<Vec<String>>,
    ) -> Result<Vec<String>, CatalogError> {
        dispatch!(
            production,
            self.remove_department(project, department, journal)
        )
    }

    // -- Sequences and shots ---------------------------------------------------------------

    /// Creates a sequence ([`CatalogError::SequenceExists`] if the name is taken).
    pub async fn create_sequence(
        &self,
        project: &str,
        name: &str,
        metadata: &Metadata,
        journal: &mut Journal<Sequence>,
    ) -> Result<Sequence, CatalogError> {
        dispatch!(
            production,
            self.create_sequence(project, name, metadata, journal)
        )
    }

    /// The sequences of `project`, by name.
    pub async fn list_sequences(&self, project: &str) -> Result<Vec<Sequence>, CatalogError> {
        dispatch!(production, self.list_sequences(project))
    }

    /// One sequence, or [`CatalogError::SequenceNotFound`].
    pub async fn get_sequence(&self, project: &str, name: &str) -> Result<Sequence, CatalogError> {
        dispatch!(production, self.get_sequence(project, name))
    }

    /// Renames a sequence ([`CatalogError::SequenceExists`] if the new name is taken); its shots
    /// follow (`NEW/SHOT`), and the search documents of the sequence and of every shot are
    /// rewritten in the same transaction. Renaming to the current name changes nothing.
    pub async fn rename_sequence(
        &self,
        project: &str,
        name: &str,
        new_name: &str,
        journal: &mut Journal<Sequence>,
    ) -> Result<Sequence, CatalogError> {
        dispatch!(
            production,
            self.rename_sequence(project, name, new_name, journal)
        )
    }

    /// Deletes a sequence. One that still has shots is refused with
    /// [`CatalogError::SequenceHasShots`] unless `force`, which deletes every shot as
    /// [`Catalog::delete_shot`] with `force` does, in the same transaction.
    pub async fn delete_sequence(
        &self,
        project: &str,
        name: &str,
        force: bool,
        journal: &mut Journal<DeletedSequence>,
    ) -> Result<DeletedSequence, CatalogError> {
        dispatch!(
            production,
            self.delete_sequence(project, name, force, journal)
        )
    }

    /// Creates a shot in an existing sequence, in the workflow's initial status. Frames must be
    /// `0 <= start <= end` ([`CatalogError::InvalidFrameRange`]); the rate defaults to 24.
    pub async fn create_shot(
        &self,
        project: &str,
        shot: &NewShot,
        journal: &mut Journal<Shot>,
    ) -> Result<Shot, CatalogError> {
        dispatch!(production, self.create_shot(project, shot, journal))
    }

    /// The shots of one sequence (by name) or of the whole project (by sequence, then name).
    pub async fn list_shots(
        &self,
        project: &str,
        sequence: Option<&str>,
    ) -> Result<Vec<Shot>, CatalogError> {
        dispatch!(production, self.list_shots(project, sequence))
    }

    /// One shot, or [`CatalogError::ShotNotFound`].
    pub async fn get_shot(
        &self,
        project: &str,
        sequence: &str,
        shot: &str,
    ) -> Result<Shot, CatalogError> {
        dispatch!(production, self.get_shot(project, sequence, shot))
    }

    /// Changes a shot's frames, rate or metadata (merged or replaced); returns the shot.
    pub async fn update_shot(
        &self,
        project: &str,
        sequence: &str,
        shot: &str,
        update: &ShotUpdate,
        journal: &mut Journal<Shot>,
    ) -> Result<Shot, CatalogError> {
        dispatch!(
            production,
            self.update_shot(project, sequence, shot, update, journal)
        )
    }

    /// Renames a shot within its sequence ([`CatalogError::ShotExists`] if the sequence has a
    /// shot by the new name), records the change in its history (field
    /// [`bifrost_core::production::FIELD_NAME`]) and rewrites its search document; returns the
    /// shot. Renaming to the current name changes nothing.
    pub async fn rename_shot(
        &self,
        project: &str,
        sequence: &str,
        shot: &str,
        new_name: &str,
        author: &str,
        journal: &mut Journal<Shot>,
    ) -> Result<Shot, CatalogError> {
        dispatch!(
            production,
            self.rename_shot(project, sequence, shot, new_name, author, journal)
        )
    }

    /// Deletes a shot with its tasks, history, comments, collection memberships, search document
    /// and links (its own, to what it uses, and those of anything using it), in one
    /// transaction. Refused with [`CatalogError::ShotHasDependants`] while something uses it,
    /// unless `force`.
    pub async fn delete_shot(
        &self,
        project: &str,
        sequence: &str,
        shot: &str,
        force: bool,
        journal: &mut Journal<DeletedShot>,
    ) -> Result<DeletedShot, CatalogError> {
        dispatch!(
            production,
            self.delete_shot(project, sequence, shot, force, journal)
        )
    }

    /// Changes an asset's metadata (merged or replaced); returns the new metadata.
    pub async fn update_asset_metadata(
        &self,
        project: &str,
        asset: &str,
        update: &MetadataUpdate,
        journal: &mut Journal<Metadata>,
    ) -> Result<Metadata, CatalogError> {
        dispatch!(
            production,
            self.update_asset_metadata(project, asset, update, journal)
        )
    }

    /// Changes a sequence's metadata (merged or replaced); returns the sequence.
    pub async fn update_sequence_metadata(
        &self,
        project: &str,
        name: &str,
        update: &MetadataUpdate,
        journal: &mut Journal<Sequence>,
    ) -> Result<Sequence, CatalogError> {
        dispatch!(
            production,
            self.update_sequence_metadata(project, name, update, journal)
        )
    }

    // -- Statuses and history --------------------------------------------------------------

    /// The workflow status of an asset or shot.
    pub async fn entity_status(
        &self,
        project: &str,
        entity: &EntityRef,
    ) -> Result<String, CatalogError> {
        dispatch!(production, self.entity_status(project, entity))
    }

    /// Changes the status of an asset or shot as the workflow allows
    /// ([`CatalogError::UnknownStatus`], [`CatalogError::IllegalTransition`]) and records it in
    /// the history, which it returns.
    pub async fn set_status(
        &self,
        project: &str,
        entity: &EntityRef,
        status: &str,
        author: &str,
        journal: &mut Journal<HistoryEntry>,
    ) -> Result<HistoryEntry, CatalogError> {
        dispatch!(
            production,
            self.set_status(project, entity, status, author, journal)
        )
    }

    /// The recorded changes of an asset (its status, its versions' reviews, its tasks), a shot
    /// (status, tasks) or a version (reviews), newest first.
    pub async fn history(
        &self,
        project: &str,
        target: &Target,
    ) -> Result<Vec<HistoryEntry>, CatalogError> {
        dispatch!(production, self.history(project, target))
    }

    // -- Tasks -----------------------------------------------------------------------------

    /// Creates the task of `department` on an asset or shot, in the initial status. The
    /// department must exist in the project; one task per entity and department.
    pub async fn create_task(
        &self,
        project: &str,
        entity: &EntityRef,
        department: &str,
        assignee: Option<&str>,
        journal: &mut Journal<Task>,
    ) -> Result<Task, CatalogError> {
        dispatch!(
            production,
            self.create_task(project, entity, department, assignee, journal)
        )
    }

    /// Reassigns a task or changes its status (as the workflow allows), recording each change
    /// in the entity's history.
    pub async fn update_task(
        &self,
        project: &str,
        entity: &EntityRef,
        department: &str,
        update: &TaskUpdate,
        author: &str,
        journal: &mut Journal<Task>,
    ) -> Result<Task, CatalogError> {
        dispatch!(
            production,
            self.update_task(project, entity, department, update, author, journal)
        )
    }

    /// Deletes the task of `department` on an entity.
    pub async fn delete_task(
        &self,
        project: &str,
        entity: &EntityRef,
        department: &str,
        journal: &mut Journal<()>,
    ) -> Result<(), CatalogError> {
        dispatch!(
            production,
            self.delete_task(project, entity, department, journal)
        )
    }

    /// The tasks matching every part of the filter, by entity then department order.
    pub async fn list_tasks(
        &self,
        project: &str,
        filter: &TaskFilter,
    ) -> Result<Vec<Task>, CatalogError> {
        dispatch!(production, self.list_tasks(project, filter))
    }

    // -- Links and dependencies ------------------------------------------------------------

    /// Records that `link.src` uses `link.dst`. Refuses unknown entities, links to self,
    /// duplicates, pins that name no version of `dst`, and links that would close a cycle
    /// (over links of every kind; [`CatalogError::LinkCycle`] shows it).
    pub async fn link(
        &self,
        project: &str,
        link: &Link,
        journal: &mut Journal<()>,
    ) -> Result<(), CatalogError> {
        dispatch!(production, self.link(project, link, journal))
    }

    /// Removes a link.
    pub async fn unlink(
        &self,
        project: &str,
        src: &EntityRef,
        dst: &EntityRef,
        kind: LinkKind,
        journal: &mut Journal<()>,
    ) -> Result<(), CatalogError> {
        dispatch!(production, self.unlink(project, src, dst, kind, journal))
    }

    /// What `entity` uses: its links (depth 1), or with `transitive` everything reachable,
    /// each at its smallest depth; sorted by depth, then entity.
    pub async fn deps(
        &self,
        project: &str,
        entity: &EntityRef,
        transitive: bool,
    ) -> Result<Vec<Dependency>, CatalogError> {
        dispatch!(production, self.deps(project, entity, transitive))
    }

    /// What uses `entity` (directly, or with `transitive` through other entities): the impact
    /// of changing it.
    pub async fn used_by(
        &self,
        project: &str,
        entity: &EntityRef,
        transitive: bool,
    ) -> Result<Vec<Dependency>, CatalogError> {
        dispatch!(production, self.used_by(project, entity, transitive))
    }

    /// Deletes an asset with its versions, files list, tags, tasks, comments, history,
    /// collection memberships, search documents and links. Refused with
    /// [`CatalogError::HasDependants`] while something uses it, unless `force`. Its contents
    /// stay in the store until a garbage collection finds them unreferenced.
    pub async fn delete_asset(
        &self,
        project: &str,
        name: &str,
        force: bool,
        journal: &mut Journal<DeletedAsset>,
    ) -> Result<DeletedAsset, CatalogError> {
        dispatch!(production, self.delete_asset(project, name, force, journal))
    }

    // -- Versions: review and metadata -----------------------------------------------------

    /// The metadata a version was committed with (empty for an unknown id).
    pub async fn version_metadata(&self, version_id: i64) -> Result<Metadata, CatalogError> {
        dispatch!(production, self.version_metadata(version_id))
    }

    /// A version with its review status and metadata.
    pub async fn version_details(
        &self,
        project: &str,
        asset: &str,
        selector: VersionSelector,
    ) -> Result<VersionDetails, CatalogError> {
        dispatch!(production, self.version_details(project, asset, selector))
    }

    /// Every version of an asset with its review status and metadata, oldest first.
    pub async fn list_version_details(
        &self,
        project: &str,
        asset: &str,
    ) -> Result<Vec<VersionDetails>, CatalogError> {
        dispatch!(production, self.list_version_details(project, asset))
    }

    /// Sets the review status of version `number` of `asset`, recording it in the history.
    pub async fn set_review_status(
        &self,
        project: &str,
        asset: &str,
        number: i64,
        status: ReviewStatus,
        author: &str,
        journal: &mut Journal<HistoryEntry>,
    ) -> Result<HistoryEntry, CatalogError> {
        dispatch!(
            production,
            self.set_review_status(project, asset, number, status, author, journal)
        )
    }

    // -- Comments --------------------------------------------------------------------------

    /// Adds a comment to an asset, a shot or a version (comments are searchable).
    pub async fn add_comment(
        &self,
        project: &str,
        target: &Target,
        author: &str,
        body: &str,
        journal: &mut Journal<Comment>,
    ) -> Result<Comment, CatalogError> {
        dispatch!(
            production,
            self.add_comment(project, target, author, body, journal)
        )
    }

    /// The comments on a target, oldest first.
    pub async fn list_comments(
        &self,
        project: &str,
        target: &Target,
    ) -> Result<Vec<Comment>, CatalogError> {
        dispatch!(production, self.list_comments(project, target))
    }

    // -- Search ----------------------------------------------------------------------------

    /// Runs a parsed query (see [`bifrost_core::query`]) over one project or all, returning
    /// hits ordered by kind, then name, then project (not by relevance, so that both backends
    /// answer the same list), `limit` at most, after skipping `offset`.
    pub async fn search(
        &self,
        project: Option<&str>,
        query: &Query,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SearchHit>, CatalogError> {
        dispatch!(search, self.search(project, query, limit, offset, false))
    }

    /// [`Catalog::search`] without drivers: always the walk over the documents in result
    /// order. Same results, other costs; for tests and benchmarks that compare the two plans.
    #[doc(hidden)]
    pub async fn search_walking(
        &self,
        project: Option<&str>,
        query: &Query,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SearchHit>, CatalogError> {
        dispatch!(search, self.search(project, query, limit, offset, true))
    }

    /// Rebuilds the search documents of a project (or of all); how many it wrote. Never needed
    /// in normal use (documents follow every write); for repairs.
    pub async fn reindex_search(&self, project: Option<&str>) -> Result<u64, CatalogError> {
        dispatch!(search, self.reindex_search(project))
    }

    /// Saves (or replaces) a search under a name; the query must parse.
    pub async fn save_search(
        &self,
        project: &str,
        name: &str,
        query: &str,
        journal: &mut Journal<SavedSearch>,
    ) -> Result<SavedSearch, CatalogError> {
        dispatch!(production, self.save_search(project, name, query, journal))
    }

    /// The saved searches of a project, by name.
    pub async fn saved_searches(&self, project: &str) -> Result<Vec<SavedSearch>, CatalogError> {
        dispatch!(production, self.saved_searches(project))
    }

    /// One saved search, or [`CatalogError::SavedSearchNotFound`].
    pub async fn get_saved_search(
        &self,
        project: &str,
        name: &str,
    ) -> Result<SavedSearch, CatalogError> {
        dispatch!(production, self.get_saved_search(project, name))
    }

    /// Deletes a saved search.
    pub async fn delete_saved_search(
        &self,
        project: &str,
        name: &str,
        journal: &mut Journal<()>,
    ) -> Result<(), CatalogError> {
        dispatch!(production, self.delete_saved_search(project, name, journal))
    }

    /// Runs a saved search within its project.
    pub async fn run_saved_search(
        &self,
        project: &str,
        name: &str,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SearchHit>, CatalogError> {
        let saved = self.get_saved_search(project, name).await?;
        let query =
            bifrost_core::query::parse(&saved.query).map_err(|e| CatalogError::InvalidQuery {
                reason: e.to_string(),
            })?;
        self.search(Some(project), &query, limit, offset).await
    }

    // -- Collections -----------------------------------------------------------------------

    /// Creates an empty collection ([`CatalogError::CollectionExists`] if the name is taken).
    pub async fn create_collection(
        &self,
        project: &str,
        name: &str,
        journal: &mut Journal<Collection>,
    ) -> Result<Collection, CatalogError> {
        dispatch!(production, self.create_collection(project, name, journal))
    }

    /// Deletes a collection (not its members).
    pub async fn delete_collection(
        &self,
        project: &str,
        name: &str,
        journal: &mut Journal<()>,
    ) -> Result<(), CatalogError> {
        dispatch!(production, self.delete_collection(project, name, journal))
    }

    /// The collections of a project with their sizes, by name.
    pub async fn collections(&self, project: &str) -> Result<Vec<Collection>, CatalogError> {
        dispatch!(production, self.collections(project))
    }

    /// Adds an asset or shot to an existing collection; false if it was already there.
    pub async fn add_to_collection(
        &self,
        project: &str,
        name: &str,
        entity: &EntityRef,
        journal: &mut Journal<bool>,
    ) -> Result<bool, CatalogError> {
        dispatch!(
            production,
            self.add_to_collection(project, name, entity, false, journal)
        )
    }

    /// Removes an asset or shot from a collection; false if it was not there.
    pub async fn remove_from_collection(
        &self,
        project: &str,
        name: &str,
        entity: &EntityRef,
        journal: &mut Journal<bool>,
    ) -> Result<bool, CatalogError> {
        dispatch!(
            production,
            self.remove_from_collection(project, name, entity, false, journal)
        )
    }

    /// The members of a collection: assets first, then shots, each by name.
    pub async fn collection_members(
        &self,
        project: &str,
        name: &str,
    ) -> Result<Vec<EntityRef>, CatalogError> {
        dispatch!(production, self.collection_members(project, name, false))
    }

    /// Adds an entity to `user`'s favourites (the collection `favourites:USER`, created on
    /// first use); false if it was already there.
    pub async fn add_favourite(
        &self,
        project: &str,
        user: &str,
        entity: &EntityRef,
        journal: &mut Journal<bool>,
    ) -> Result<bool, CatalogError> {
        validate_production_name(ProductionNameKind::User, user)?;
        let name = favourites_collection(user);
        dispatch!(
            production,
            self.add_to_collection(project, &name, entity, true, journal)
        )
    }

    /// Removes an entity from `user`'s favourites; false if it was not there.
    pub async fn remove_favourite(
        &self,
        project: &str,
        user: &str,
        entity: &EntityRef,
        journal: &mut Journal<bool>,
    ) -> Result<bool, CatalogError> {
        let name = favourites_collection(user);
        dispatch!(
            production,
            self.remove_from_collection(project, &name, entity, true, journal)
        )
    }

    /// `user`'s favourites (empty if none were added).
    pub async fn favourites(
        &self,
        project: &str,
        user: &str,
    ) -> Result<Vec<EntityRef>, CatalogError> {
        let name = favourites_collection(user);
        dispatch!(production, self.collection_members(project, &name, true))
    }

    // -- Reports and bulk import -----------------------------------------------------------

    /// Counts for a project status report.
    pub async fn report_status(&self, project: &str) -> Result<StatusReport, CatalogError> {
        dispatch!(production, self.report_status(project))
    }

    /// Adds assets, shots (creating missing sequences), versions (figures only, no files) and
    /// links to a project in one transaction with multi-row inserts, search documents included.
    /// Everything is checked first; a refused batch changes nothing.
    pub async fn bulk_import(
        &self,
        project: &str,
        batch: &ProductionBatch,
        journal: &mut Journal<Vec<Asset>>,
    ) -> Result<ImportSummary, CatalogError> {
        dispatch!(bulk, self.bulk_import(project, batch, journal))
    }
}

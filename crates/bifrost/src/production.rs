//! Production tracking on the current project: workflow, sequences, shots, tasks, links, reviews,
//! comments, search, collections and reports. These are catalog operations scoped to the
//! repository's current project; the facade adds the project so front ends never pass it.

use bifrost_catalog::{DeletedAsset, DeletedSequence, DeletedShot};
use bifrost_core::access::Permission;
use bifrost_core::production::{
    Collection, Comment, Dependency, EntityRef, HistoryEntry, Link, LinkKind, Metadata,
    MetadataUpdate, NewShot, ReviewStatus, SavedSearch, SearchHit, Sequence, Shot, ShotUpdate,
    StatusReport, Target, Task, TaskFilter, TaskUpdate, VersionDetails, Workflow,
};
use bifrost_core::{Query, VersionSelector};

use crate::Repository;
use crate::access::Work;
use crate::error::Result;

/// Generates methods that call the catalog method of the same name with the current project.
///
/// A method marked `=> PERMISSION "kind.verb" [ENTITY] in(WORK)` changes something: it first
/// requires the permission on `WORK` (a [`Work`]: whose department's work it is, so that
/// members restricted to departments may change only theirs; every mutating method must say),
/// then reads the record as it was (`before GETTER(ARGS)`) and hands the catalog method the
/// journal entry of the action, with the record before and, as after, the method's result:
/// the catalog writes it in the change's own transaction.
macro_rules! scoped {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident : $ty:ty),*) $(by $actor:ident)? -> $ret:ty
        $( => $perm:ident $action:literal [$entity:expr] in($work:expr)
            $(before $getter:ident($($garg:expr),*))? )?;
    )*) => {
        impl Repository {
            $(
                $(#[$doc])*
                pub async fn $name(&self, $($arg: $ty),*) -> Result<$ret> {
                    scoped_body!(self, $name($($arg),*) $(by $actor)?
                        $( => $perm $action [$entity] in($work)
                            $(before $getter($($garg),*))? )?)
                }
            )*
        }
    };
}

/// The body of one [`scoped!`] method: a plain call for a reading method; for a changing one,
/// the permission check, the record before, and the call with its journal entry.
macro_rules! scoped_body {
    ($self:ident, $name:ident($($arg:ident),*) $(by $actor:ident)?) => {
        Ok($self
            .catalog
            .$name($self.project(), $($arg,)* $(&$self.$actor.user)?)
            .await?)
    };
    ($self:ident, $name:ident($($arg:ident),*) $(by $actor:ident)?
        => $perm:ident $action:literal [$entity:expr] in($work:expr)
        $(before $getter:ident($($garg:expr),*))?) => {{
        $self.require_work(Permission::$perm, $work).await?;
        let before = None::<serde_json::Value>
            $( .or(serde_json::to_value(
                $self.catalog.$getter($self.project(), $($garg),*).await?,
            ).ok()) )?;
        let mut journal = $self.journal($action, ($entity).to_string(), before.as_ref());
        let result = $self
            .catalog
            .$name($self.project(), $($arg,)* $(&$self.$actor.user,)? &mut journal)
            .await?;
        $self.journaled(&journal);
        Ok(result)
    }};
}

scoped! {
    /// The status workflow of the project.
    fn workflow() -> Workflow;
    /// Adds a status to the workflow.
    fn add_status(status: &str) -> Workflow
        => Manage "workflow.status_added" [status] in(Work::Unassigned) before workflow();
    /// Allows a status change.
    fn add_transition(from: &str, to: &str) -> Workflow
        => Manage "workflow.transition_added" [format!("{from} -> {to}")]
            in(Work::Unassigned) before workflow();
    /// Forbids a status change.
    fn remove_transition(from: &str, to: &str) -> Workflow
        => Manage "workflow.transition_removed" [format!("{from} -> {to}")]
            in(Work::Unassigned) before workflow();
    /// Removes a status and its transitions (refused while assets, shots or tasks are in it).
    fn remove_status(status: &str) -> Workflow
        => Manage "workflow.status_removed" [status] in(Work::Unassigned) before workflow();
    /// Moves a status to a position in the workflow order (1 = the initial status).
    fn move_status(status: &str, position: u32) -> Workflow
        => Manage "workflow.status_moved" [status] in(Work::Unassigned) before workflow();
    /// Departments, in order.
    fn departments() -> Vec<String>;
    /// Adds a department.
    fn add_department(department: &str) -> Vec<String>
        => Manage "department.added" [department] in(Work::Unassigned) before departments();
    /// Removes a department (refused while tasks use it).
    fn remove_department(department: &str) -> Vec<String>
        => Manage "department.removed" [department] in(Work::Unassigned) before departments();
    /// Creates a sequence.
    fn create_sequence(name: &str, metadata: &Metadata) -> Sequence
        => Edit "sequence.created" [name] in(Work::Unassigned);
    /// Lists sequences.
    fn list_sequences() -> Vec<Sequence>;
    /// One sequence.
    fn get_sequence(name: &str) -> Sequence;
    /// Renames a sequence; its shots follow (`NEW/SHOT`).
    fn rename_sequence(name: &str, new_name: &str) -> Sequence
        => Edit "sequence.renamed" [name] in(Work::Unassigned) before get_sequence(name);
    /// Deletes a sequence (refused while it has shots, unless forced: then they go too).
    fn delete_sequence(name: &str, force: bool) -> DeletedSequence
        => Manage "sequence.deleted" [name] in(Work::Unassigned) before get_sequence(name);
    /// Creates a shot.
    fn create_shot(shot: &NewShot) -> Shot
        => Edit "shot.created" [format!("{}/{}", shot.sequence, shot.name)] in(Work::Unassigned);
    /// Lists shots, of one sequence or all.
    fn list_shots(sequence: Option<&str>) -> Vec<Shot>;
    /// One shot.
    fn get_shot(sequence: &str, shot: &str) -> Shot;
    /// Changes a shot's frames, fps or metadata.
    fn update_shot(sequence: &str, shot: &str, update: &ShotUpdate) -> Shot
        => Edit "shot.updated" [format!("{sequence}/{shot}")]
            in(Work::Unassigned) before get_shot(sequence, shot);
    /// Renames a shot within its sequence, recording it in the shot's history.
    fn rename_shot(sequence: &str, shot: &str, new_name: &str) by actor -> Shot
        => Edit "shot.renamed" [format!("{sequence}/{shot}")]
            in(Work::Unassigned) before get_shot(sequence, shot);
    /// Deletes a shot with its tasks, links, comments and history (refused while others use
    /// it, unless forced).
    fn delete_shot(sequence: &str, shot: &str, force: bool) -> DeletedShot
        => Manage "shot.deleted" [format!("{sequence}/{shot}")]
            in(Work::Unassigned) before get_shot(sequence, shot);
    /// Changes a sequence's metadata.
    fn update_sequence_metadata(name: &str, update: &MetadataUpdate) -> Sequence
        => Edit "sequence.updated" [name] in(Work::Unassigned) before get_sequence(name);
    /// The workflow status of an asset or shot.
    fn entity_status(entity: &EntityRef) -> String;
    /// Moves an asset or shot to another status, if the workflow allows it.
    fn set_status(entity: &EntityRef, status: &str) by actor -> HistoryEntry
        => Edit "status.changed" [entity] in(Work::Entity(entity)) before entity_status(entity);
    /// Status and review changes of an entity or version, newest first.
    fn history(target: &Target) -> Vec<HistoryEntry>;
    /// Creates a department task on an asset or shot.
    fn create_task(entity: &EntityRef, department: &str, assignee: Option<&str>) -> Task
        => Edit "task.created" [format!("{entity} [{department}]")]
            in(Work::Department(department));
    /// Changes a task's assignee or status.
    fn update_task(entity: &EntityRef, department: &str, update: &TaskUpdate) by actor -> Task
        => Edit "task.updated" [format!("{entity} [{department}]")]
            in(Work::Department(department));
    /// Deletes a task.
    fn delete_task(entity: &EntityRef, department: &str) -> ()
        => Edit "task.deleted" [format!("{entity} [{department}]")]
            in(Work::Department(department));
    /// Lists tasks.
    fn list_tasks(filter: &TaskFilter) -> Vec<Task>;
    /// Links two entities (refusing cycles).
    fn link(link: &Link) -> ()
        => Edit "link.created" [format!("{} -> {} ({})", link.src, link.dst, link.kind)]
            in(Work::Entity(&link.src));
    /// Removes a link.
    fn unlink(src: &EntityRef, dst: &EntityRef, kind: LinkKind) -> ()
        => Edit "link.removed" [format!("{src} -> {dst} ({kind})")] in(Work::Entity(src));
    /// What an entity uses.
    fn deps(entity: &EntityRef, transitive: bool) -> Vec<Dependency>;
    /// What uses an entity: the impact of changing it.
    fn used_by(entity: &EntityRef, transitive: bool) -> Vec<Dependency>;
    /// Deletes an asset (refused while others depend on it, unless forced). Its stored bytes
    /// become garbage for `gc`.
    fn delete_asset(name: &str, force: bool) -> DeletedAsset
        => Manage "asset.deleted" [name] in(Work::Asset(name)) before get_asset(name);
    /// A version with its review status and metadata.
    fn version_details(asset: &str, selector: VersionSelector) -> VersionDetails;
    /// Every version of an asset with review status and metadata.
    fn list_version_details(asset: &str) -> Vec<VersionDetails>;
    /// Sets the review status of a version.
    fn set_review_status(asset: &str, number: i64, status: ReviewStatus) by actor -> HistoryEntry
        => Review "version.reviewed" [format!("{asset}@v{number}")]
            in(Work::Asset(asset)) before version_details(asset, VersionSelector::Number(number));
    /// Comments, oldest first.
    fn list_comments(target: &Target) -> Vec<Comment>;
    /// Saves a search under a name.
    fn save_search(name: &str, query: &str) -> SavedSearch
        => Edit "search.saved" [name] in(Work::Shared);
    /// Saved searches.
    fn saved_searches() -> Vec<SavedSearch>;
    /// Deletes a saved search.
    fn delete_saved_search(name: &str) -> ()
        => Edit "search.deleted" [name] in(Work::Shared);
    /// Runs a saved search.
    fn run_saved_search(name: &str, limit: u64, offset: u64) -> Vec<SearchHit>;
    /// Creates a collection.
    fn create_collection(name: &str) -> Collection
        => Edit "collection.created" [name] in(Work::Shared);
    /// Deletes a collection.
    fn delete_collection(name: &str) -> ()
        => Edit "collection.deleted" [name] in(Work::Shared);
    /// Collections.
    fn collections() -> Vec<Collection>;
    /// Adds an entity to a collection.
    fn add_to_collection(name: &str, entity: &EntityRef) -> bool
        => Edit "collection.added" [format!("{name}: {entity}")] in(Work::Shared);
    /// Removes an entity from a collection.
    fn remove_from_collection(name: &str, entity: &EntityRef) -> bool
        => Edit "collection.removed" [format!("{name}: {entity}")] in(Work::Shared);
    /// Members of a collection.
    fn collection_members(name: &str) -> Vec<EntityRef>;
    /// Marks an entity as a favourite of `user`.
    fn add_favourite(user: &str, entity: &EntityRef) -> bool
        => Comment "favourite.added" [format!("{user}: {entity}")] in(Work::Shared);
    /// Unmarks a favourite.
    fn remove_favourite(user: &str, entity: &EntityRef) -> bool
        => Comment "favourite.removed" [format!("{user}: {entity}")] in(Work::Shared);
    /// A user's favourites.
    fn favourites(user: &str) -> Vec<EntityRef>;
    /// Shots per status, tasks per department and status, assets per type, versions per week.
    fn report_status() -> StatusReport;
}

impl Repository {
    /// Comments on an asset, shot or version, as the handle's actor.
    pub async fn add_comment(&self, target: &Target, body: &str) -> Result<Comment> {
        self.require_work(Permission::Comment, Work::Shared).await?;
        let mut journal = self.journal("comment.added", target.to_string(), None::<&()>);
        let comment = self
            .catalog
            .add_comment(self.project(), target, &self.actor.user, body, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(comment)
    }
    /// Changes an asset's metadata (on its department's work).
    pub async fn update_asset_metadata(
        &self,
        asset: &str,
        update: &MetadataUpdate,
    ) -> Result<Metadata> {
        self.require_work(Permission::Edit, Work::Asset(asset))
            .await?;
        let before = self.catalog.get_asset(self.project(), asset).await?;
        let mut journal = self.journal("asset.updated", asset, Some(&before.metadata));
        let after = self
            .catalog
            .update_asset_metadata(self.project(), asset, update, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(after)
    }

    /// Full-text and filtered search in the current project (`all_projects`: every project
    /// the caller can see; for a non-admin user hits in other projects are left out, so such a
    /// page may hold fewer than `limit` hits).
    pub async fn search(
        &self,
        query: &Query,
        all_projects: bool,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SearchHit>> {
        let project = (!all_projects).then(|| self.project());
        let hits = self.catalog.search(project, query, limit, offset).await?;
        if !all_projects || self.require(Permission::Admin).is_ok() {
            return Ok(hits);
        }
        let visible: std::collections::BTreeSet<String> = self
            .visible_projects()
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok(hits
            .into_iter()
            .filter(|h| visible.contains(&h.project))
            .collect())
    }
}

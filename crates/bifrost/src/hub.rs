//! [`Hub`]: what a front end can ask of a repository, wherever it is.
//!
//! The CLI is written against this trait, so the same command runs on a local [`Repository`]
//! (the catalog and store opened directly) or on a remote server (`bifrost-client`, which answers
//! each method with requests to `bifrost serve`). Local-only work (init, fsck, gc, serve) stays
//! an inherent method of [`Repository`].
//!
//! One list of signatures below generates both the trait and the local implementation, which
//! calls the inherent method of the same name: a method added to the list is available to both
//! kinds of front end, and the two cannot drift apart.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost_catalog::{DeletedAsset, DeletedSequence, DeletedShot};
use bifrost_core::access::{AssetLock, DeadLetter, Event, EventFilter, Member, Role, TokenInfo};
use bifrost_core::access::{TokenKind, User, Webhook};
use bifrost_core::production::{
    Collection, Comment, Dependency, EntityRef, HistoryEntry, Link, LinkKind, Metadata,
    MetadataUpdate, NewShot, ReviewStatus, SavedSearch, SearchHit, Sequence, Shot, ShotUpdate,
    StatusReport, Target, Task, TaskFilter, TaskUpdate, VersionDetails, Workflow,
};
use bifrost_core::{
    Asset, AssetFilter, FileEntry, NewAsset, Project, Query, RepoStats, Version, VersionRef,
    VersionSelector,
};

use crate::{
    CheckoutOptions, CheckoutOutcome, NewToken, Progress, PublishOutcome, Repository, VersionDiff,
};

macro_rules! hub {
    ($(
        $(#[$doc:meta])*
        fn $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty;
    )*) => {
        /// What a front end can ask of a repository, local or remote (see the module docs).
        pub trait Hub: Send + Sync {
            /// What goes wrong.
            type Error: std::error::Error + Send + Sync + 'static;

            /// The project commands act on.
            fn project(&self) -> &str;

            $(
                $(#[$doc])*
                fn $name(&self, $($arg: $ty),*)
                    -> impl Future<Output = std::result::Result<$ret, Self::Error>> + Send;
            )*
        }

        impl Hub for Repository {
            type Error = crate::Error;

            fn project(&self) -> &str {
                Repository::project(self)
            }

            $(
                fn $name(&self, $($arg: $ty),*)
                    -> impl Future<Output = crate::Result<$ret>> + Send {
                    Repository::$name(self, $($arg),*)
                }
            )*
        }
    };
}

hub! {
    /// Creates a project.
    fn create_project(name: &str) -> Project;
    /// Projects.
    fn list_projects() -> Vec<Project>;
    /// Creates an asset in the current project.
    fn create_asset(asset: &NewAsset) -> Asset;
    /// Assets of the current project.
    fn list_assets(filter: &AssetFilter) -> Vec<Asset>;
    /// One asset.
    fn asset(name: &str) -> Asset;
    /// Versions of an asset, oldest first.
    fn log(asset: &str) -> Vec<Version>;
    /// The version a reference names.
    fn resolve(reference: &VersionRef) -> Version;
    /// The files of a version.
    fn version_files(version: &Version) -> Vec<FileEntry>;
    /// Repository-wide figures.
    fn stats() -> RepoStats;
    /// Publishes files and directories as the next version of an asset.
    fn publish(
        asset: &str,
        paths: &[PathBuf],
        author: &str,
        note: &str,
        progress: Arc<dyn Progress>
    ) -> PublishOutcome;
    /// Materialises a version into a directory.
    fn checkout(
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>
    ) -> CheckoutOutcome;
    /// Compares two versions.
    fn diff(from: &VersionRef, to: &VersionRef) -> VersionDiff;
    /// Publishes a new version equal to an old one.
    fn rollback(asset: &str, number: i64, author: &str, note: Option<&str>) -> Version;
    /// Changes an asset's metadata.
    fn update_asset_metadata(asset: &str, update: &MetadataUpdate) -> Metadata;
    /// Searches the current project (or every project).
    fn search(query: &Query, all_projects: bool, limit: u64, offset: u64) -> Vec<SearchHit>;
    /// The status workflow.
    fn workflow() -> Workflow;
    /// Adds a status to the workflow.
    fn add_status(status: &str) -> Workflow;
    /// Allows a status change.
    fn add_transition(from: &str, to: &str) -> Workflow;
    /// Forbids a status change.
    fn remove_transition(from: &str, to: &str) -> Workflow;
    /// Removes a status.
    fn remove_status(status: &str) -> Workflow;
    /// Moves a status in the workflow order.
    fn move_status(status: &str, position: u32) -> Workflow;
    /// Departments.
    fn departments() -> Vec<String>;
    /// Adds a department.
    fn add_department(department: &str) -> Vec<String>;
    /// Removes a department.
    fn remove_department(department: &str) -> Vec<String>;
    /// Creates a sequence.
    fn create_sequence(name: &str, metadata: &Metadata) -> Sequence;
    /// Sequences.
    fn list_sequences() -> Vec<Sequence>;
    /// One sequence.
    fn get_sequence(name: &str) -> Sequence;
    /// Renames a sequence.
    fn rename_sequence(name: &str, new_name: &str) -> Sequence;
    /// Deletes a sequence.
    fn delete_sequence(name: &str, force: bool) -> DeletedSequence;
    /// Creates a shot.
    fn create_shot(shot: &NewShot) -> Shot;
    /// Shots, of one sequence or all.
    fn list_shots(sequence: Option<&str>) -> Vec<Shot>;
    /// One shot.
    fn get_shot(sequence: &str, shot: &str) -> Shot;
    /// Changes a shot.
    fn update_shot(sequence: &str, shot: &str, update: &ShotUpdate) -> Shot;
    /// Renames a shot.
    fn rename_shot(sequence: &str, shot: &str, new_name: &str, author: &str) -> Shot;
    /// Deletes a shot.
    fn delete_shot(sequence: &str, shot: &str, force: bool) -> DeletedShot;
    /// Changes a sequence's metadata.
    fn update_sequence_metadata(name: &str, update: &MetadataUpdate) -> Sequence;
    /// The workflow status of an asset or shot.
    fn entity_status(entity: &EntityRef) -> String;
    /// Moves an asset or shot to another status.
    fn set_status(entity: &EntityRef, status: &str, author: &str) -> HistoryEntry;
    /// Status and review changes, newest first.
    fn history(target: &Target) -> Vec<HistoryEntry>;
    /// Creates a task.
    fn create_task(entity: &EntityRef, department: &str, assignee: Option<&str>) -> Task;
    /// Changes a task.
    fn update_task(
        entity: &EntityRef,
        department: &str,
        update: &TaskUpdate,
        author: &str
    ) -> Task;
    /// Deletes a task.
    fn delete_task(entity: &EntityRef, department: &str) -> ();
    /// Tasks.
    fn list_tasks(filter: &TaskFilter) -> Vec<Task>;
    /// Links two entities.
    fn link(link: &Link) -> ();
    /// Removes a link.
    fn unlink(src: &EntityRef, dst: &EntityRef, kind: LinkKind) -> ();
    /// What an entity uses.
    fn deps(entity: &EntityRef, transitive: bool) -> Vec<Dependency>;
    /// What uses an entity.
    fn used_by(entity: &EntityRef, transitive: bool) -> Vec<Dependency>;
    /// Deletes an asset.
    fn delete_asset(name: &str, force: bool) -> DeletedAsset;
    /// A version with review status and metadata.
    fn version_details(asset: &str, selector: VersionSelector) -> VersionDetails;
    /// Every version of an asset with review status and metadata.
    fn list_version_details(asset: &str) -> Vec<VersionDetails>;
    /// Sets a version's review status.
    fn set_review_status(
        asset: &str,
        number: i64,
        status: ReviewStatus,
        author: &str
    ) -> HistoryEntry;
    /// Comments on an asset, shot or version.
    fn add_comment(target: &Target, author: &str, body: &str) -> Comment;
    /// Comments, oldest first.
    fn list_comments(target: &Target) -> Vec<Comment>;
    /// Saves a search.
    fn save_search(name: &str, query: &str) -> SavedSearch;
    /// Saved searches.
    fn saved_searches() -> Vec<SavedSearch>;
    /// Deletes a saved search.
    fn delete_saved_search(name: &str) -> ();
    /// Runs a saved search.
    fn run_saved_search(name: &str, limit: u64, offset: u64) -> Vec<SearchHit>;
    /// Creates a collection.
    fn create_collection(name: &str) -> Collection;
    /// Deletes a collection.
    fn delete_collection(name: &str) -> ();
    /// Collections.
    fn collections() -> Vec<Collection>;
    /// Adds to a collection.
    fn add_to_collection(name: &str, entity: &EntityRef) -> bool;
    /// Removes from a collection.
    fn remove_from_collection(name: &str, entity: &EntityRef) -> bool;
    /// Members of a collection.
    fn collection_members(name: &str) -> Vec<EntityRef>;
    /// Marks a favourite.
    fn add_favourite(user: &str, entity: &EntityRef) -> bool;
    /// Unmarks a favourite.
    fn remove_favourite(user: &str, entity: &EntityRef) -> bool;
    /// A user's favourites.
    fn favourites(user: &str) -> Vec<EntityRef>;
    /// The status report.
    fn report_status() -> StatusReport;
    /// Adds a user.
    fn add_user(
        name: &str,
        display_name: Option<&str>,
        role: &str,
        password: Option<&str>
    ) -> User;
    /// Users.
    fn list_users() -> Vec<User>;
    /// Changes a user.
    fn update_user(
        name: &str,
        role: Option<&str>,
        disabled: Option<bool>,
        password: Option<&str>
    ) -> User;
    /// Creates a token (its text is shown once).
    fn create_token(
        user: &str,
        name: &str,
        kind: TokenKind,
        expires_in: Option<std::time::Duration>
    ) -> NewToken;
    /// Tokens, of one user or all.
    fn list_tokens(user: Option<&str>) -> Vec<TokenInfo>;
    /// Revokes a token.
    fn revoke_token(id: &str) -> TokenInfo;
    /// Roles.
    fn roles() -> Vec<Role>;
    /// Creates or changes a role.
    fn set_role(role: &Role) -> Role;
    /// Members of the current project.
    fn members() -> Vec<Member>;
    /// Adds or changes a member.
    fn set_member(user: &str, role: &str, departments: &[String]) -> Member;
    /// Removes a member.
    fn remove_member(user: &str) -> Member;
    /// The audit log.
    fn audit(filter: &EventFilter) -> Vec<Event>;
    /// Takes or renews an asset's lock.
    fn lock(asset: &str, ttl: std::time::Duration, have: Option<i64>) -> AssetLock;
    /// Releases (or breaks) a lock.
    fn unlock(asset: &str, force: bool) -> AssetLock;
    /// Locks held in the current project.
    fn locks() -> Vec<AssetLock>;
    /// Adds a webhook.
    fn add_webhook(
        url: &str,
        secret: &str,
        project: Option<&str>,
        actions: &[String]
    ) -> Webhook;
    /// Webhooks.
    fn webhooks() -> Vec<Webhook>;
    /// Deletes a webhook.
    fn delete_webhook(id: i64) -> Webhook;
    /// Deliveries that failed for good.
    fn dead_letters(webhook: i64) -> Vec<DeadLetter>;
}

//! Requests of production tracking: workflow and departments, sequences, shots, statuses,
//! tasks, links, comments, history, search, saved searches, collections, favourites, reports.
//! Entities travel as users type them (an asset `NAME`, a shot `SEQ/SHOT`, a version
//! `NAME@vN`), in query strings or bodies, never in paths: a shot's name holds a `/`.

use bifrost_core::production::{EntityRef, LinkKind, Metadata, Target};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Declares request structs whose only field is the project.
macro_rules! project_only {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// The project.
            pub project: String,
        }
    )*};
}

project_only! {
    /// The project's workflow.
    GetWorkflow;
    /// The project's departments.
    ListDepartments;
    /// The project's sequences.
    ListSequences;
    /// The status report of a project.
    ReportStatus;
    /// The project's saved searches.
    ListSavedSearches;
    /// The project's collections.
    ListCollections;
    /// The caller's favourites.
    ListFavourites;
}

/// A status to append to the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddStatus {
    /// The project.
    pub project: String,
    /// The status.
    pub name: String,
}

/// A status to remove from the workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveStatus {
    /// The project.
    pub project: String,
    /// The status.
    pub status: String,
}

/// A new place for a status in the workflow order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStatus {
    /// The project.
    pub project: String,
    /// The status.
    pub status: String,
    /// Its new position (1 is first: the initial status).
    pub position: u32,
}

/// A status change to allow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddTransition {
    /// The project.
    pub project: String,
    /// From this status (`*`: any).
    pub from: String,
    /// To this status.
    pub to: String,
}

/// A status change to forbid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveTransition {
    /// The project.
    pub project: String,
    /// From this status (`*`: any).
    pub from: String,
    /// To this status.
    pub to: String,
}

/// A department to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDepartment {
    /// The project.
    pub project: String,
    /// The department.
    pub name: String,
}

/// A department to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveDepartment {
    /// The project.
    pub project: String,
    /// The department.
    pub department: String,
}

/// A new sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSequence {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
    /// Free JSON metadata.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Metadata,
}

/// One sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetSequence {
    /// The project.
    pub project: String,
    /// The sequence.
    pub sequence: String,
}

/// A change to a sequence: a new name, metadata, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSequence {
    /// The project.
    pub project: String,
    /// The sequence.
    pub sequence: String,
    /// A new name (its shots follow).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Metadata keys to set (merged; `null` removes a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
    /// Replace the whole metadata instead of merging.
    #[serde(default)]
    pub replace_metadata: bool,
}

/// A sequence to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSequence {
    /// The project.
    pub project: String,
    /// The sequence.
    pub sequence: String,
    /// Also its shots and whatever uses them.
    #[serde(default)]
    pub force: bool,
}

/// Which shots to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListShots {
    /// The project.
    pub project: String,
    /// Only this sequence's shots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<String>,
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A new shot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShot {
    /// The project.
    pub project: String,
    /// Its sequence.
    pub sequence: String,
    /// Its name in the sequence.
    pub name: String,
    /// First frame.
    pub frame_start: i64,
    /// Last frame (inclusive).
    pub frame_end: i64,
    /// Frames per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Free JSON metadata.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Metadata,
}

/// One shot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetShot {
    /// The project.
    pub project: String,
    /// The sequence.
    pub sequence: String,
    /// The shot.
    pub shot: String,
}

/// A change to a shot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateShot {
    /// The project.
    pub project: String,
    /// The sequence.
    pub sequence: String,
    /// The shot.
    pub shot: String,
    /// A new name in the same sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New first frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_start: Option<i64>,
    /// New last frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_end: Option<i64>,
    /// New frame rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Metadata keys to set (merged; `null` removes a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata>,
    /// Replace the whole metadata instead of merging.
    #[serde(default)]
    pub replace_metadata: bool,
}

/// A shot to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteShot {
    /// The project.
    pub project: String,
    /// The sequence.
    pub sequence: String,
    /// The shot.
    pub shot: String,
    /// Also when something uses it.
    #[serde(default)]
    pub force: bool,
}

/// An entity whose status to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetStatus {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
}

/// An entity's workflow status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EntityStatus {
    /// The entity.
    pub entity: EntityRef,
    /// Its status.
    pub status: String,
}

/// A status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
    /// The new status (the workflow must allow the change).
    pub status: String,
}

/// Which tasks to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasks {
    /// The project.
    pub project: String,
    /// Only the tasks of this asset `NAME` or shot `SEQ/SHOT`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<EntityRef>,
    /// Only this department's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Only this user's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// A new task: one department's work on an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTask {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
    /// The department.
    pub department: String,
    /// Who does it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// A change to a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
    /// The department.
    pub department: String,
    /// A new assignee; `null` unassigns; absent leaves it.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
    /// A new status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// A field that is present (maybe `null`) is `Some`; an absent one stays `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// A task to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteTask {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
    /// The department.
    pub department: String,
}

/// A link between two entities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// The project.
    pub project: String,
    /// What uses (an asset `NAME` or a shot `SEQ/SHOT`).
    pub src: EntityRef,
    /// What is used.
    pub dst: EntityRef,
    /// `reference` (default), `derived-from` or `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<LinkKind>,
    /// Pin the link to this version of `dst` (default: floating, the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<i64>,
}

/// A link to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteLink {
    /// The project.
    pub project: String,
    /// What uses.
    pub src: EntityRef,
    /// What is used.
    pub dst: EntityRef,
    /// `reference` (default), `derived-from` or `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<LinkKind>,
}

/// What an entity uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Deps {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
    /// Follow links to the end.
    #[serde(default)]
    pub transitive: bool,
}

/// What uses an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsedBy {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
    /// Follow links to the end.
    #[serde(default)]
    pub transitive: bool,
}

/// Comments on something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListComments {
    /// The project.
    pub project: String,
    /// An asset `NAME`, a shot `SEQ/SHOT` or a version `NAME@vN`.
    pub target: Target,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddComment {
    /// The project.
    pub project: String,
    /// An asset `NAME`, a shot `SEQ/SHOT` or a version `NAME@vN`.
    pub target: Target,
    /// The text.
    pub body: String,
}

/// Status and review history of something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// The project.
    pub project: String,
    /// An asset `NAME`, a shot `SEQ/SHOT` or a version `NAME@vN`.
    pub target: Target,
}

/// A search in the query language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// The project.
    pub project: String,
    /// The query (`type:prop tag:hero status:approved meta.poly<10000 "red barrel"`).
    pub q: String,
    /// Search every project the caller can see.
    #[serde(default)]
    pub all: bool,
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A search to save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveSearch {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
    /// The query.
    pub query: String,
}

/// A saved search to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteSavedSearch {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
}

/// A saved search to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSavedSearch {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A new collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCollection {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
}

/// A collection to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteCollection {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
}

/// The members of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CollectionMembers {
    /// The project.
    pub project: String,
    /// Its name.
    pub name: String,
}

/// An entity to add to a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddToCollection {
    /// The project.
    pub project: String,
    /// The collection.
    pub name: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
}

/// An entity to take out of a collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveFromCollection {
    /// The project.
    pub project: String,
    /// The collection.
    pub name: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
}

/// An entity to mark as one of the caller's favourites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFavourite {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
}

/// An entity to unmark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveFavourite {
    /// The project.
    pub project: String,
    /// An asset `NAME` or a shot `SEQ/SHOT`.
    pub entity: EntityRef,
}

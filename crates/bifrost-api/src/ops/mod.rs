//! The table: every hub operation, once.
//!
//! Each entry names the request type (defined with its fields and their docs in the group
//! module: [`assets`], [`production`], [`access`]), the HTTP method and route, where the other
//! fields travel, the success status and response type, its OpenAPI tag, whether it acts in a
//! project, the permission it needs and the journal actions a success records. From these the
//! table generates the [`Operation`] impls, the [`Request`] and [`Response`] enums, [`ALL`],
//! and `for_each_operation!`, which front ends use to generate what they need per operation
//! (the facade's dispatch, the server's routes).

pub mod access;
pub mod assets;
pub mod production;
pub mod results;
pub mod transfer;

use bifrost_core::access::Permission;
use bifrost_core::access::{AssetLock, DeadLetter, Event, Member, NewToken, Role, TokenInfo, User};
use bifrost_core::production::{
    Collection, Comment, DeletedAsset, DeletedSequence, DeletedShot, Dependency, EntityRef,
    HistoryEntry, Link, SavedSearch, SearchHit, Sequence, Shot, StatusReport, Task, VersionDetails,
    Workflow,
};
use bifrost_core::{FileEntry, Project, RepoStats, Version, VersionDiff};

use crate::hub::Paged;
use crate::listing::Listing;
use crate::operation::{Carrier, Method, OpSpec, Operation};
use results::{Added, Deleted, MetadataObject, Removed};

/// `Some(&self.project)` for operations in a project.
macro_rules! project_of {
    (project, $op:ident) => {
        Some($op.project.as_str())
    };
    (global, $op:ident) => {
        None
    };
}

/// `Anyone` (any signed-in caller) or a [`Permission`] variant.
macro_rules! permission {
    (Anyone) => {
        None
    };
    ($p:ident) => {
        Some(Permission::$p)
    };
}

macro_rules! table {
    ($d:tt $(
        $(#[doc = $doc:literal])+
        $group:ident :: $name:ident : $method:ident $path:literal $carrier:ident
            => $status:literal $resp:ty,
            $tag:literal, $scope:ident, $perm:ident, [$($action:literal),*];
    )*) => {
        $(pub use $group::$name;)*

        /// Any operation of the table, as a value.
        #[derive(Debug, Clone)]
        #[allow(clippy::large_enum_variant)]
        pub enum Request {
            $(
                #[doc = concat!("[`", stringify!($name), "`]")]
                $name($name),
            )*
        }

        /// The response of any operation of the table.
        #[derive(Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum Response {
            $(
                #[doc = concat!("What [`", stringify!($name), "`] returns.")]
                $name($resp),
            )*
        }

        $(
            impl Operation for $name {
                type Response = $resp;
                const SPEC: OpSpec = OpSpec {
                    name: stringify!($name),
                    summary: [$($doc),+][0].trim_ascii(),
                    tag: $tag,
                    method: Method::$method,
                    path: $path,
                    carrier: Carrier::$carrier,
                    success: $status,
                    permission: permission!($perm),
                    actions: &[$($action),*],
                };

                fn project(&self) -> Option<&str> {
                    project_of!($scope, self)
                }

                fn into_request(self) -> Request {
                    Request::$name(self)
                }

                fn from_response(response: Response) -> Option<$resp> {
                    match response {
                        Response::$name(r) => Some(r),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )*

        /// Adds every operation to an OpenAPI document.
        pub(crate) fn describe_all(builder: &mut crate::openapi::Builder) {
            $(builder.add::<$name>();)*
        }

        /// Every operation's spec, in table order.
        pub const ALL: &[OpSpec] = &[$(<$name as Operation>::SPEC),*];

        impl Request {
            /// The spec of the operation inside.
            pub fn spec(&self) -> &'static OpSpec {
                match self {
                    $(Request::$name(_) => &<$name as Operation>::SPEC,)*
                }
            }

            /// The project the operation acts on, if it acts in one.
            pub fn project(&self) -> Option<&str> {
                match self {
                    $(Request::$name(op) => op.project(),)*
                }
            }

            /// Builds an operation from its name (`CreateAsset` or `create_asset`) and its
            /// fields as JSON: how dynamic front ends (Python) call the table.
            pub fn from_json(
                name: &str,
                fields: serde_json::Value,
            ) -> Result<Request, crate::ApiError> {
                $(
                    if name == stringify!($name)
                        || name == <$name as Operation>::SPEC.snake_name()
                    {
                        return serde_path_to_error::deserialize::<_, $name>(fields)
                            .map(Request::$name)
                            .map_err(|e| crate::wire::field_error::<$name>(e));
                    }
                )*
                Err(crate::ApiError::new(
                    crate::ErrorCode::BadRequest,
                    format!("there is no operation `{name}`"),
                ))
            }
        }

        impl Response {
            /// The response as JSON, as the server sends it.
            pub fn to_json(&self) -> Result<serde_json::Value, serde_json::Error> {
                match self {
                    $(Response::$name(r) => serde_json::to_value(r),)*
                }
            }
        }

        /// Calls `$m! { Name, Name, … }` with every operation of the table: front ends generate
        /// per-operation code (dispatch arms, routes) from it, so none can miss one.
        #[macro_export]
        macro_rules! for_each_operation {
            ($d m:ident) => {
                $d m! { $($name),* }
            };
        }
    };
}

table! { $
    // -- Projects, assets, versions, locks ---------------------------------------------------
    /// Projects the caller can see.
    assets::ListProjects: Get "/projects" Query
        => 200 Listing<Project>, "assets", global, Anyone, [];
    /// Creates a project (admins).
    assets::CreateProject: Post "/projects" Body
        => 201 Project, "assets", global, Admin, ["project.created"];
    /// Repository-wide figures (admins): logical and stored bytes, chunks, versions…
    assets::Stats: Get "/stats" Query
        => 200 RepoStats, "assets", global, Admin, [];
    /// Assets of a project, by name.
    assets::ListAssets: Get "/projects/{project}/assets" Query
        => 200 Listing<bifrost_core::Asset>, "assets", project, Read, [];
    /// Creates an asset (needs `edit`, on its department's work).
    assets::CreateAsset: Post "/projects/{project}/assets" Body
        => 201 bifrost_core::Asset, "assets", project, Edit, ["asset.created"];
    /// One asset with its tags, metadata, status and latest version.
    assets::GetAsset: Get "/projects/{project}/assets/{asset}" Query
        => 200 assets::AssetWithStatus, "assets", project, Read, [];
    /// Changes an asset's metadata (needs `edit`).
    assets::UpdateAsset: Patch "/projects/{project}/assets/{asset}" Body
        => 200 MetadataObject, "assets", project, Edit, ["asset.updated"];
    /// Deletes an asset (needs `manage`; refused while others depend on it unless forced).
    assets::DeleteAsset: Delete "/projects/{project}/assets/{asset}" Query
        => 200 DeletedAsset, "assets", project, Manage, ["asset.deleted"];
    /// Every version of an asset with review status and metadata, oldest first.
    assets::ListVersions: Get "/projects/{project}/assets/{asset}/versions" Query
        => 200 Listing<VersionDetails>, "assets", project, Read, [];
    /// One version (a number, `v3`, or `latest`) with review status and metadata.
    assets::GetVersion: Get "/projects/{project}/assets/{asset}/versions/{version}" Query
        => 200 VersionDetails, "assets", project, Read, [];
    /// The files of a version: path, size, mode and content id (BLAKE3).
    assets::ListFiles: Get "/projects/{project}/assets/{asset}/versions/{version}/files" Query
        => 200 Listing<FileEntry>, "assets", project, Read, [];
    /// Sets the review status of a version (needs `review`).
    assets::ReviewVersion:
        Put "/projects/{project}/assets/{asset}/versions/{version}/review" Body
        => 200 HistoryEntry, "assets", project, Review, ["version.reviewed"];
    /// Publishes a new version equal to an older one (needs `publish`).
    assets::Rollback: Post "/projects/{project}/assets/{asset}/rollback" Body
        => 201 Version, "assets", project, Publish, ["version.published"];
    /// Files and metadata that differ between two versions.
    assets::Diff: Get "/projects/{project}/assets/{asset}/diff" Query
        => 200 VersionDiff, "assets", project, Read, [];
    /// The live lock on an asset (`null` when unlocked).
    assets::GetLock: Get "/projects/{project}/assets/{asset}/lock" Query
        => 200 Option<AssetLock>, "locks", project, Read, [];
    /// Takes (or renews) the exclusive lock on an asset (needs `publish`).
    assets::Lock: Post "/projects/{project}/assets/{asset}/lock" Body
        => 200 AssetLock, "locks", project, Publish, ["lock.acquired"];
    /// Releases your lock, or with `force` breaks anyone's (needs `manage`).
    assets::Unlock: Delete "/projects/{project}/assets/{asset}/lock" Query
        => 200 AssetLock, "locks", project, Publish, ["lock.released", "lock.broken"];
    /// Extends your lock (the heartbeat).
    assets::Heartbeat: Post "/projects/{project}/assets/{asset}/lock/heartbeat" Body
        => 200 AssetLock, "locks", project, Publish, [];
    /// Live locks of a project.
    assets::ListLocks: Get "/projects/{project}/locks" Query
        => 200 Vec<AssetLock>, "locks", project, Read, [];

    // -- Content transfer (the chunk upload itself is a binary route outside the table) ------
    /// How clients must cut files (FastCDC parameters) for deduplication to work.
    transfer::GetChunking: Get "/projects/{project}/chunking" Query
        => 200 bifrost_core::ChunkingParams, "transfer", project, Read, [];
    /// Which of the given chunks a publish of `asset` must upload (needs `publish` on the
    /// asset). Answered for the project alone: a chunk only another project holds is missing.
    transfer::MissingChunks: Post "/projects/{project}/chunks/missing" Body
        => 200 transfer::Missing, "transfer", project, Publish, [];
    /// Commits the next version of an asset from a manifest whose chunks are uploaded (needs
    /// `publish`; refused while someone else holds the asset's lock).
    transfer::CommitVersion: Post "/projects/{project}/assets/{asset}/versions" Body
        => 201 Version, "transfer", project, Publish, ["version.published"];

    // -- Workflow and departments ------------------------------------------------------------
    /// The project's statuses (in order; the first is the initial one) and allowed changes.
    production::GetWorkflow: Get "/projects/{project}/workflow" Query
        => 200 Workflow, "production", project, Read, [];
    /// Appends a status to the workflow (needs `manage`).
    production::AddStatus: Post "/projects/{project}/workflow/statuses" Body
        => 201 Workflow, "production", project, Manage, ["workflow.status_added"];
    /// Removes a status not in use (needs `manage`).
    production::RemoveStatus: Delete "/projects/{project}/workflow/statuses/{status}" Query
        => 200 Workflow, "production", project, Manage, ["workflow.status_removed"];
    /// Moves a status in the workflow order (needs `manage`).
    production::MoveStatus:
        Put "/projects/{project}/workflow/statuses/{status}/position" Body
        => 200 Workflow, "production", project, Manage, ["workflow.status_moved"];
    /// Allows a status change (needs `manage`).
    production::AddTransition: Post "/projects/{project}/workflow/transitions" Body
        => 201 Workflow, "production", project, Manage, ["workflow.transition_added"];
    /// Forbids a status change (needs `manage`).
    production::RemoveTransition: Delete "/projects/{project}/workflow/transitions" Body
        => 200 Workflow, "production", project, Manage,
        ["workflow.transition_removed"];
    /// Departments, in order.
    production::ListDepartments: Get "/projects/{project}/departments" Query
        => 200 Vec<String>, "production", project, Read, [];
    /// Adds a department (needs `manage`).
    production::AddDepartment: Post "/projects/{project}/departments" Body
        => 201 Vec<String>, "production", project, Manage, ["department.added"];
    /// Removes a department no task or asset uses (needs `manage`).
    production::RemoveDepartment: Delete "/projects/{project}/departments/{department}" Query
        => 200 Vec<String>, "production", project, Manage, ["department.removed"];

    // -- Sequences and shots -----------------------------------------------------------------
    /// Sequences of a project.
    production::ListSequences: Get "/projects/{project}/sequences" Query
        => 200 Vec<Sequence>, "production", project, Read, [];
    /// Creates a sequence (needs `edit`).
    production::CreateSequence: Post "/projects/{project}/sequences" Body
        => 201 Sequence, "production", project, Edit, ["sequence.created"];
    /// One sequence.
    production::GetSequence: Get "/projects/{project}/sequences/{sequence}" Query
        => 200 Sequence, "production", project, Read, [];
    /// Renames a sequence (its shots follow) and/or changes its metadata (needs `edit`).
    production::UpdateSequence: Patch "/projects/{project}/sequences/{sequence}" Body
        => 200 Sequence, "production", project, Edit,
        ["sequence.updated", "sequence.renamed"];
    /// Deletes a sequence (needs `manage`; with `force` its shots too).
    production::DeleteSequence: Delete "/projects/{project}/sequences/{sequence}" Query
        => 200 DeletedSequence, "production", project, Manage, ["sequence.deleted"];
    /// Shots, of one sequence or all.
    production::ListShots: Get "/projects/{project}/shots" Query
        => 200 Listing<Shot>, "production", project, Read, [];
    /// Creates a shot (needs `edit`).
    production::CreateShot: Post "/projects/{project}/shots" Body
        => 201 Shot, "production", project, Edit, ["shot.created"];
    /// One shot.
    production::GetShot: Get "/projects/{project}/shots/{sequence}/{shot}" Query
        => 200 Shot, "production", project, Read, [];
    /// Changes a shot's frames, fps, metadata or name (needs `edit`).
    production::UpdateShot: Patch "/projects/{project}/shots/{sequence}/{shot}" Body
        => 200 Shot, "production", project, Edit, ["shot.updated", "shot.renamed"];
    /// Deletes a shot (needs `manage`; refused while others use it unless forced).
    production::DeleteShot: Delete "/projects/{project}/shots/{sequence}/{shot}" Query
        => 200 DeletedShot, "production", project, Manage, ["shot.deleted"];

    // -- Statuses and tasks ------------------------------------------------------------------
    /// The workflow status of an asset or shot.
    production::GetStatus: Get "/projects/{project}/status" Query
        => 200 production::EntityStatus, "production", project, Read, [];
    /// Moves an asset or shot to another status (the workflow must allow it; needs `edit`).
    production::SetStatus: Put "/projects/{project}/status" Body
        => 200 HistoryEntry, "production", project, Edit, ["status.changed"];
    /// Tasks, filtered by entity, department or assignee.
    production::ListTasks: Get "/projects/{project}/tasks" Query
        => 200 Vec<Task>, "production", project, Read, [];
    /// Creates a task (needs `edit`).
    production::CreateTask: Post "/projects/{project}/tasks" Body
        => 201 Task, "production", project, Edit, ["task.created"];
    /// Changes a task's assignee or status (needs `edit`).
    production::UpdateTask: Patch "/projects/{project}/tasks" Body
        => 200 Task, "production", project, Edit, ["task.updated"];
    /// Deletes a task (needs `edit`).
    production::DeleteTask: Delete "/projects/{project}/tasks" Query
        => 200 Deleted, "production", project, Edit, ["task.deleted"];

    // -- Links -------------------------------------------------------------------------------
    /// Links two entities (cycles are refused; needs `edit`).
    production::CreateLink: Post "/projects/{project}/links" Body
        => 201 Link, "production", project, Edit, ["link.created"];
    /// Removes a link (needs `edit`).
    production::DeleteLink: Delete "/projects/{project}/links" Query
        => 200 Deleted, "production", project, Edit, ["link.removed"];
    /// What an entity uses.
    production::Deps: Get "/projects/{project}/deps" Query
        => 200 Vec<Dependency>, "production", project, Read, [];
    /// What uses an entity.
    production::UsedBy: Get "/projects/{project}/used-by" Query
        => 200 Vec<Dependency>, "production", project, Read, [];

    // -- Comments, history, search, reports --------------------------------------------------
    /// Comments on an asset, shot or version, oldest first.
    production::ListComments: Get "/projects/{project}/comments" Query
        => 200 Vec<Comment>, "production", project, Read, [];
    /// Comments on an asset, shot or version (needs `comment`).
    production::AddComment: Post "/projects/{project}/comments" Body
        => 201 Comment, "production", project, Comment, ["comment.added"];
    /// Status and review changes of an asset, shot or version, newest first.
    production::History: Get "/projects/{project}/history" Query
        => 200 Vec<HistoryEntry>, "production", project, Read, [];
    /// Searches the project (or, with `all`, every project the caller can see).
    production::Search: Get "/projects/{project}/search" Query
        => 200 Listing<SearchHit>, "production", project, Read, [];
    /// Shots and assets per status and department.
    production::ReportStatus: Get "/projects/{project}/reports/status" Query
        => 200 StatusReport, "production", project, Read, [];

    // -- Saved searches, collections, favourites ---------------------------------------------
    /// Saved searches of a project.
    production::ListSavedSearches: Get "/projects/{project}/saved-searches" Query
        => 200 Vec<SavedSearch>, "production", project, Read, [];
    /// Saves a search under a name (needs `edit`).
    production::SaveSearch: Post "/projects/{project}/saved-searches" Body
        => 201 SavedSearch, "production", project, Edit, ["search.saved"];
    /// Deletes a saved search (needs `edit`).
    production::DeleteSavedSearch: Delete "/projects/{project}/saved-searches/{name}" Query
        => 200 Deleted, "production", project, Edit, ["search.deleted"];
    /// Runs a saved search.
    production::RunSavedSearch: Get "/projects/{project}/saved-searches/{name}/results" Query
        => 200 Listing<SearchHit>, "production", project, Read, [];
    /// Collections of a project.
    production::ListCollections: Get "/projects/{project}/collections" Query
        => 200 Vec<Collection>, "production", project, Read, [];
    /// Creates a collection (needs `edit`).
    production::CreateCollection: Post "/projects/{project}/collections" Body
        => 201 Collection, "production", project, Edit, ["collection.created"];
    /// Deletes a collection (needs `edit`).
    production::DeleteCollection: Delete "/projects/{project}/collections/{name}" Query
        => 200 Deleted, "production", project, Edit, ["collection.deleted"];
    /// The members of a collection.
    production::CollectionMembers: Get "/projects/{project}/collections/{name}/members" Query
        => 200 Vec<EntityRef>, "production", project, Read, [];
    /// Adds an entity to a collection (needs `edit`).
    production::AddToCollection: Post "/projects/{project}/collections/{name}/members" Body
        => 200 Added, "production", project, Edit, ["collection.added"];
    /// Takes an entity out of a collection (needs `edit`).
    production::RemoveFromCollection:
        Delete "/projects/{project}/collections/{name}/members" Query
        => 200 Removed, "production", project, Edit, ["collection.removed"];
    /// The caller's favourites.
    production::ListFavourites: Get "/projects/{project}/favourites" Query
        => 200 Vec<EntityRef>, "production", project, Read, [];
    /// Marks an entity as one of the caller's favourites (needs `comment`).
    production::AddFavourite: Post "/projects/{project}/favourites" Body
        => 200 Added, "production", project, Comment, ["favourite.added"];
    /// Unmarks a favourite (needs `comment`).
    production::RemoveFavourite: Delete "/projects/{project}/favourites" Query
        => 200 Removed, "production", project, Comment, ["favourite.removed"];

    // -- Sign-in, users, tokens, roles, members, audit, webhooks -----------------------------
    /// Exchanges a user name and password for a personal token (no token needed).
    access::Login: Post "/auth/login" Body
        => 200 NewToken, "access", global, Anyone,
        ["token.created", "signin.succeeded", "signin.failed", "signin.refused"];
    /// The signed-in user and the projects they can see.
    access::Me: Get "/me" Query
        => 200 access::WhoAmI, "access", global, Anyone, [];
    /// Users (admins).
    access::ListUsers: Get "/users" Query
        => 200 Listing<User>, "access", global, Admin, [];
    /// Adds a user (admins).
    access::AddUser: Post "/users" Body
        => 201 User, "access", global, Admin, ["user.created"];
    /// One user (yourself, or anyone for admins).
    access::GetUser: Get "/users/{name}" Query
        => 200 User, "access", global, Anyone, [];
    /// Changes a user's role, password or whether they may sign in (admins; your own
    /// password for yourself).
    access::UpdateUser: Patch "/users/{name}" Body
        => 200 User, "access", global, Anyone, ["user.updated", "user.disabled", "user.enabled"];
    /// Lifts a user's sign-in lockout after failed passwords (admins).
    access::UnlockUser: Post "/users/{name}/unlock" Body
        => 200 User, "access", global, Admin, ["user.unlocked"];
    /// Tokens: yours, a user's or (`*`) everyone's (admins for others').
    access::ListTokens: Get "/tokens" Query
        => 200 Vec<TokenInfo>, "access", global, Anyone, [];
    /// Creates a token; its text is in the answer, once (admins for others').
    access::CreateToken: Post "/tokens" Body
        => 201 NewToken, "access", global, Anyone, ["token.created"];
    /// Revokes a token (yours, or anyone's for admins).
    access::RevokeToken: Delete "/tokens/{id}" Query
        => 200 TokenInfo, "access", global, Anyone, ["token.revoked"];
    /// Roles and their permissions.
    access::ListRoles: Get "/roles" Query
        => 200 Vec<Role>, "access", global, Anyone, [];
    /// Creates or changes a role (admins).
    access::SetRole: Put "/roles/{name}" Body
        => 200 Role, "access", global, Admin, ["role.set"];
    /// Members of a project with their roles and departments.
    access::ListMembers: Get "/projects/{project}/members" Query
        => 200 Vec<Member>, "access", project, Read, [];
    /// Adds or changes a member (needs `manage`; nobody grants more than they hold).
    access::SetMember: Put "/projects/{project}/members/{user}" Body
        => 200 Member, "access", project, Manage, ["member.set"];
    /// Removes a member (needs `manage`).
    access::RemoveMember: Delete "/projects/{project}/members/{user}" Query
        => 200 Member, "access", project, Manage, ["member.removed"];
    /// The audit log: who changed what, with the record before and after (needs `audit`).
    access::Audit: Get "/audit" Query
        => 200 Vec<Event>, "access", global, Audit, [];
    /// Webhooks (admins).
    access::ListWebhooks: Get "/webhooks" Query
        => 200 Vec<bifrost_core::access::Webhook>, "events", global, Admin, [];
    /// Adds a webhook (admins): events are POSTed to it, signed with HMAC-SHA256.
    access::AddWebhook: Post "/webhooks" Body
        => 201 bifrost_core::access::Webhook, "events", global, Admin,
        ["webhook.created"];
    /// Deletes a webhook (admins).
    access::DeleteWebhook: Delete "/webhooks/{id}" Query
        => 200 bifrost_core::access::Webhook, "events", global, Admin,
        ["webhook.deleted"];
    /// Events after an id, oldest first, of the projects the caller is a member of.
    access::ListEvents: Get "/events" Query
        => 200 access::EventPage, "events", global, Anyone, [];
    /// Deliveries that failed for good (admins).
    access::DeadLetters: Get "/webhooks/{id}/dead-letters" Query
        => 200 Vec<DeadLetter>, "events", global, Admin, [];
}

/// Implements [`Paged`] for listings with `limit` and `offset` fields.
macro_rules! paged {
    ($($name:ident => $item:ty),* $(,)?) => {$(
        impl Paged for $name {
            type Item = $item;

            fn page(&self, offset: u64, limit: u64) -> Self {
                let mut op = self.clone();
                op.offset = Some(offset);
                op.limit = Some(limit);
                op
            }
        }
    )*};
}

paged! {
    ListProjects => Project,
    ListAssets => bifrost_core::Asset,
    ListVersions => VersionDetails,
    ListFiles => FileEntry,
    ListShots => Shot,
    Search => SearchHit,
    RunSavedSearch => SearchHit,
    ListUsers => User,
}

//! Everything the catalog can refuse or fail at, phrased for the person who has to act on it,
//! in the domain's words (no front end's commands: the CLI adds those as hints), and the
//! stable [`ErrorCode`] of each (`CatalogError::code`, an exhaustive match).

use bifrost_api::{ApiError, ErrorCode};
use bifrost_core::production::ProductionNameError;
use bifrost_core::{ChunkId, ContentId, NameError, PackId};

/// Why a catalog operation failed. Each message says what went wrong and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A project, asset, type or tag name breaks the naming rules.
    #[error(transparent)]
    InvalidName(#[from] NameError),

    /// A sequence, shot, status, department, collection or user name breaks the naming rules.
    #[error(transparent)]
    InvalidProductionName(#[from] ProductionNameError),

    /// The catalog URL cannot be understood.
    #[error(
        "`{url}` is not a catalog URL: {reason}; use sqlite:PATH, a plain file path, or postgres://USER@HOST/DATABASE"
    )]
    InvalidUrl {
        /// The URL as given (password redacted).
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// There is no catalog at that location and it was not asked to create one.
    #[error("no catalog at `{url}`; check the path or URL, or create the repository first")]
    NotFound {
        /// Where the catalog was looked for (password redacted).
        url: String,
    },

    /// The database server did not answer.
    #[error(
        "cannot reach the catalog database at `{url}`: {source}; check that the server is running and that the URL (host, port) is right"
    )]
    Unreachable {
        /// The URL (password redacted).
        url: String,
        /// What the connection attempt reported.
        #[source]
        source: sqlx::Error,
    },

    /// The server answered but refused the connection (authentication, permissions…).
    #[error(
        "the catalog database at `{url}` refused the connection: {source}; check the user name, password and permissions in the URL"
    )]
    ConnectionRefused {
        /// The URL (password redacted).
        url: String,
        /// What the server said.
        #[source]
        source: sqlx::Error,
    },

    /// The catalog database was missing and could not be created.
    #[error(
        "cannot create the catalog database `{name}` on `{url}`: {source}; create it by hand (createdb) or connect as a user allowed to create databases"
    )]
    CreateDatabase {
        /// The server URL (password redacted).
        url: String,
        /// The database that was to be created.
        name: String,
        /// What the server said.
        #[source]
        source: sqlx::Error,
    },

    /// The schema could not be brought up to date.
    #[error(
        "cannot prepare the catalog schema: {source}; if the catalog was created by a newer bifrost, upgrade this one"
    )]
    Migrate {
        /// What the migrator reported.
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// `create_project` with a name already taken.
    #[error("project `{name}` already exists; pick another name or use the existing project")]
    ProjectExists {
        /// The taken name.
        name: String,
    },

    /// No project by that name.
    #[error("project `{name}` does not exist")]
    ProjectNotFound {
        /// The name looked for.
        name: String,
    },

    /// `create_asset` with a name already taken in the project.
    #[error(
        "asset `{name}` already exists in project `{project}`; pick another name or publish a new version of it"
    )]
    AssetExists {
        /// The project.
        project: String,
        /// The taken name.
        name: String,
    },

    /// No asset by that name in the project.
    #[error("asset `{name}` does not exist in project `{project}`")]
    AssetNotFound {
        /// The project.
        project: String,
        /// The name looked for.
        name: String,
    },

    /// The asset has no version with that number.
    #[error("version v{number} of `{asset}` does not exist ({})", latest_phrase(*.latest))]
    VersionNotFound {
        /// The asset.
        asset: String,
        /// The number asked for.
        number: i64,
        /// The newest version number, if any.
        latest: Option<i64>,
    },

    /// The latest version was asked for but none was published.
    #[error("asset `{asset}` has no version yet; publish one first")]
    NoVersions {
        /// The asset.
        asset: String,
    },

    /// Chunks a content needs are not (or no longer) recorded in the store index.
    #[error(
        "{} chunk(s) are missing from the store (first: {}); they probably vanished in a concurrent garbage collection: publish again (if this persists, check the repository)",
        .missing.len(),
        first_chunk(.missing)
    )]
    MissingChunks {
        /// The chunks that are missing.
        missing: Vec<ChunkId>,
    },

    /// A writer's lease on a pack it wrote expired and gc removed it (the writer was suspended
    /// or stalled longer than the lease): the pack may be gone, so it is not recorded.
    #[error(
        "the lease on pack {pack} expired while this publish was stalled, and a garbage collection may have deleted the pack; nothing was recorded: publish again"
    )]
    LeaseLost {
        /// The pack.
        pack: PackId,
    },

    /// The catalog's history ends before changes this repository saw committed: it lost
    /// committed work (a deleted SQLite WAL, an older copy restored). Writing now could reuse
    /// version numbers that were already handed out.
    #[error(
        "the catalog has lost committed changes: its journal ends at entry {found}, but entry {recorded} was committed through this repository (was the SQLite WAL deleted, or an older copy of the catalog restored?); nothing was written: check the repository and recover the catalog"
    )]
    CatalogBehind {
        /// The newest journal entry this repository saw committed.
        recorded: i64,
        /// The newest journal entry the catalog holds.
        found: i64,
    },

    /// A content id the catalog does not know.
    #[error(
        "content {content} is not in the catalog; its chunks must be stored and the content described when publishing (if a version names it, the catalog is damaged)"
    )]
    UnknownContent {
        /// The unknown content.
        content: ContentId,
    },

    /// A file path of a new version is unsafe or repeated.
    #[error("file path `{path}` cannot be published: {reason}")]
    InvalidPath {
        /// The path as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A value given to a production operation is not acceptable (an empty comment, …).
    #[error("invalid {what} `{value}`: {reason}")]
    InvalidValue {
        /// What the value is for.
        what: String,
        /// The value as given.
        value: String,
        /// What is wrong with it, phrased as advice.
        reason: String,
    },

    /// `create_sequence` with a name already taken in the project.
    #[error(
        "sequence `{name}` already exists in project `{project}`; pick another name or add shots to it"
    )]
    SequenceExists {
        /// The project.
        project: String,
        /// The taken name.
        name: String,
    },

    /// No sequence by that name in the project.
    #[error("sequence `{name}` does not exist in project `{project}`")]
    SequenceNotFound {
        /// The project.
        project: String,
        /// The name looked for.
        name: String,
    },

    /// `create_shot` with a name already taken in the sequence.
    #[error("shot `{shot}` already exists in project `{project}`; pick another name")]
    ShotExists {
        /// The project.
        project: String,
        /// The shot, `SEQ/SHOT`.
        shot: String,
    },

    /// No shot by that name in the project.
    #[error("shot `{shot}` does not exist in project `{project}`")]
    ShotNotFound {
        /// The project.
        project: String,
        /// The shot, `SEQ/SHOT`.
        shot: String,
    },

    /// A shot's frame range is reversed or negative.
    #[error(
        "frame range {start}-{end} of shot `{shot}` is invalid: frames cannot be negative and the first frame must not come after the last; give FIRST-LAST such as 1001-1100"
    )]
    InvalidFrameRange {
        /// The shot, `SEQ/SHOT`.
        shot: String,
        /// First frame given.
        start: i64,
        /// Last frame given.
        end: i64,
    },

    /// A shot's frame rate is not a positive number.
    #[error(
        "frame rate {fps} of shot `{shot}` is invalid; give a positive number such as 24 or 23.976"
    )]
    InvalidFps {
        /// The shot, `SEQ/SHOT`.
        shot: String,
        /// The rate given.
        fps: f64,
    },

    /// A status that the project's workflow does not have.
    #[error(
        "status `{status}` is not in the workflow of project `{project}`; known statuses: {}", .known.join(", ")
    )]
    UnknownStatus {
        /// The project.
        project: String,
        /// The status given.
        status: String,
        /// The workflow's statuses, in order.
        known: Vec<String>,
    },

    /// A status change the workflow does not allow.
    #[error("illegal status change `{from} → {to}` for {entity}; allowed next: {}", allowed_phrase(.allowed))]
    IllegalTransition {
        /// The asset, shot, or `ENTITY [department]` for a task.
        entity: String,
        /// Its current status.
        from: String,
        /// The status asked for.
        to: String,
        /// The statuses it may change to, in workflow order.
        allowed: Vec<String>,
    },

    /// `add_status` with a status the workflow already has.
    #[error("status `{status}` is already in the workflow of project `{project}`")]
    StatusExists {
        /// The project.
        project: String,
        /// The status.
        status: String,
    },

    /// `add_transition` with a transition the workflow already has.
    #[error("the workflow of project `{project}` already allows `{from} → {to}`")]
    TransitionExists {
        /// The project.
        project: String,
        /// From (`*` = any).
        from: String,
        /// To.
        to: String,
    },

    /// `remove_transition` with a transition the workflow does not have.
    #[error("the workflow of project `{project}` has no transition `{from} → {to}`")]
    TransitionNotFound {
        /// The project.
        project: String,
        /// From (`*` = any).
        from: String,
        /// To.
        to: String,
    },

    /// `add_department` with a department the project already has.
    #[error("department `{department}` already exists in project `{project}`")]
    DepartmentExists {
        /// The project.
        project: String,
        /// The department.
        department: String,
    },

    /// A department the project does not have.
    #[error(
        "department `{department}` does not exist in project `{project}`; known departments: {}; add it first", .known.join(", ")
    )]
    DepartmentNotFound {
        /// The project.
        project: String,
        /// The department given.
        department: String,
        /// The project's departments, in order.
        known: Vec<String>,
    },

    /// `remove_department` while tasks still belong to it.
    #[error(
        "department `{department}` of project `{project}` still has {tasks} task(s) or asset(s); delete or move them first"
    )]
    DepartmentInUse {
        /// The project.
        project: String,
        /// The department.
        department: String,
        /// How many tasks and assets it has.
        tasks: u64,
    },

    /// `create_task` for an entity that already has a task in that department.
    #[error("{entity} already has a task in department `{department}`; update it instead")]
    TaskExists {
        /// The asset or shot.
        entity: String,
        /// The department.
        department: String,
    },

    /// No task of that department on the entity.
    #[error("{entity} has no task in department `{department}`; create it first")]
    TaskNotFound {
        /// The asset or shot.
        entity: String,
        /// The department.
        department: String,
    },

    /// `link` from an entity to itself.
    #[error("cannot link {entity} to itself")]
    SelfLink {
        /// The entity.
        entity: String,
    },

    /// `link` with a link that already exists.
    #[error("{src} already has a {kind} link to {dst}; unlink it first to change its pin")]
    LinkExists {
        /// The user.
        src: String,
        /// What it uses.
        dst: String,
        /// The link kind.
        kind: String,
    },

    /// `unlink` with a link that does not exist.
    #[error("{src} has no {kind} link to {dst}")]
    LinkNotFound {
        /// The user.
        src: String,
        /// What it would use.
        dst: String,
        /// The link kind.
        kind: String,
    },

    /// `link` that would make a dependency cycle.
    #[error("cannot link: it would create a cycle {}; remove one of these links first", .cycle.join(" → "))]
    LinkCycle {
        /// The entities around the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },

    /// A pin on a link to something that has no versions (a shot).
    #[error("cannot pin {dst} to v{pin}: only links to assets can be pinned to a version")]
    InvalidPin {
        /// What the link points to.
        dst: String,
        /// The pin given.
        pin: i64,
    },

    /// `delete_asset` of an asset other entities use, without force.
    #[error(
        "asset `{asset}` is used by {}; unlink them first, or force the deletion (which removes those links too)", .dependants.join(", ")
    )]
    HasDependants {
        /// The asset.
        asset: String,
        /// What uses it (`NAME` or `SEQ/SHOT`), sorted.
        dependants: Vec<String>,
    },

    /// `delete_shot` of a shot other entities use, without force.
    #[error(
        "shot `{shot}` is used by {}; unlink them first, or force the deletion (which removes those links too)", .dependants.join(", ")
    )]
    ShotHasDependants {
        /// The shot, `SEQ/SHOT`.
        shot: String,
        /// What uses it (`NAME` or `SEQ/SHOT`), sorted.
        dependants: Vec<String>,
    },

    /// `delete_sequence` of a sequence that still has shots, without force.
    #[error(
        "sequence `{sequence}` of project `{project}` still has {} shot(s) ({}); delete them first, or force the deletion of the sequence (which deletes its shots with their tasks, links, comments and history)",
        .shots.len(),
        name_list(.shots)
    )]
    SequenceHasShots {
        /// The project.
        project: String,
        /// The sequence.
        sequence: String,
        /// Its shots (short names), sorted.
        shots: Vec<String>,
    },

    /// `remove_status` of a status that assets, shots or tasks are in.
    #[error(
        "status `{status}` of project `{project}` is still used by {}; move them to another status first",
        usage_phrase(*.assets, *.shots, *.tasks)
    )]
    StatusInUse {
        /// The project.
        project: String,
        /// The status.
        status: String,
        /// Assets in that status.
        assets: u64,
        /// Shots in that status.
        shots: u64,
        /// Tasks in that status.
        tasks: u64,
    },

    /// A search query the catalog cannot run.
    #[error("invalid search: {reason}")]
    InvalidQuery {
        /// What is wrong, phrased as advice.
        reason: String,
    },

    /// No saved search by that name.
    #[error("there is no saved search `{name}` in project `{project}`")]
    SavedSearchNotFound {
        /// The project.
        project: String,
        /// The name looked for.
        name: String,
    },

    /// `create_collection` with a name already taken.
    #[error("collection `{name}` already exists in project `{project}`; add to it instead")]
    CollectionExists {
        /// The project.
        project: String,
        /// The taken name.
        name: String,
    },

    /// No collection by that name.
    #[error("collection `{name}` does not exist in project `{project}`")]
    CollectionNotFound {
        /// The project.
        project: String,
        /// The name looked for.
        name: String,
    },

    /// A bulk import whose data contradicts itself or the catalog.
    #[error("cannot import: {reason}; nothing was imported")]
    InvalidBatch {
        /// What is wrong, phrased as advice.
        reason: String,
    },

    /// A value does not fit what the catalog can store (a size beyond 2^63, …).
    #[error(
        "{what} is out of range; the catalog stores sizes and offsets as signed 64-bit integers"
    )]
    OutOfRange {
        /// What was out of range.
        what: String,
    },

    /// The catalog holds a row it cannot read back: damaged or edited by hand.
    #[error(
        "the catalog is damaged: {what}; check the repository and restore the catalog from a backup if needed"
    )]
    Corrupt {
        /// What was found.
        what: String,
    },

    /// `create_user` with a name that is taken.
    #[error("user `{name}` already exists; pick another name or change the existing user")]
    UserExists {
        /// The name.
        name: String,
    },

    /// A user the catalog does not have.
    #[error("user `{name}` does not exist")]
    UserNotFound {
        /// The name.
        name: String,
    },

    /// A role the catalog does not have.
    #[error("role `{name}` does not exist; known roles: {}", .known.join(", "))]
    RoleNotFound {
        /// The name.
        name: String,
        /// The roles there are.
        known: Vec<String>,
    },

    /// A token id the catalog does not have.
    #[error("token `{id}` does not exist")]
    TokenNotFound {
        /// The public id.
        id: String,
    },

    /// A user who is not a member of the project.
    #[error("user `{user}` is not a member of project `{project}`")]
    MemberNotFound {
        /// The project.
        project: String,
        /// The user.
        user: String,
    },

    /// Someone else holds the asset's lock.
    #[error(
        "asset `{asset}` is locked by {holder} since {since} (until {until} unless renewed); ask them to publish or unlock it, or an admin to break the lock"
    )]
    AssetLocked {
        /// The asset.
        asset: String,
        /// Who holds the lock.
        holder: String,
        /// Since when (RFC 3339).
        since: String,
        /// When it lapses (RFC 3339).
        until: String,
    },

    /// A lock asked for with an older version than the newest.
    #[error(
        "asset `{asset}` cannot be locked from v{have}: the latest is v{latest}; check out the latest version first"
    )]
    NotLatestVersion {
        /// The asset.
        asset: String,
        /// The version the caller holds.
        have: i64,
        /// The newest version.
        latest: i64,
    },

    /// Renewing or releasing a lock nobody (or someone else) holds.
    #[error("asset `{asset}` is not locked{}", .holder.as_ref().map(|h| format!(" by you (holder: {h})")).unwrap_or_default())]
    LockNotHeld {
        /// The asset.
        asset: String,
        /// Who holds it, if anyone.
        holder: Option<String>,
    },

    /// A webhook id the catalog does not have.
    #[error("webhook {id} does not exist")]
    WebhookNotFound {
        /// The id.
        id: i64,
    },

    /// SQLite stayed locked by another writer for longer than the busy timeout.
    #[error(
        "the catalog stayed locked by another Bifrost process for over a minute; retry when it has finished ({source})"
    )]
    Busy {
        /// The database error.
        #[source]
        source: sqlx::Error,
    },

    /// The catalog database's file is damaged: SQLite found a malformed page, a file that is
    /// not a database (a zeroed or overwritten header), or one shorter than it should be (a
    /// truncated copy).
    #[error(
        "the catalog database is damaged: {damage}; restore the catalog from a backup, then check the repository"
    )]
    Damaged {
        /// What is damaged, in words (never the database's own message or SQL).
        damage: String,
        /// What the database reported: kept for logs and debugging, not shown (it is not a
        /// cause a user can act on beyond what `damage` says).
        error: sqlx::Error,
    },

    /// The connection to the catalog database broke during the command: the server stopped or
    /// restarted, or an administrator ended the session.
    #[error(
        "the catalog database went away during the command ({reason}); whatever the command had not committed was rolled back: check that the database server is running, then run the command again"
    )]
    ConnectionLost {
        /// What happened, in words.
        reason: String,
        /// What the driver reported (kept for logs and debugging, not shown).
        error: sqlx::Error,
    },

    /// An unexpected database error.
    #[error("catalog database error: {source}")]
    Database {
        /// The database error.
        #[source]
        source: sqlx::Error,
    },
}

impl CatalogError {
    /// The stable code of this error: its HTTP status, kind and whether retrying may help. An
    /// exhaustive match, so that a new variant must choose its code.
    pub fn code(&self) -> ErrorCode {
        use CatalogError as E;
        match self {
            E::ProjectNotFound { .. } => ErrorCode::ProjectNotFound,
            E::AssetNotFound { .. } => ErrorCode::AssetNotFound,
            E::VersionNotFound { .. } | E::NoVersions { .. } => ErrorCode::VersionNotFound,
            E::SequenceNotFound { .. } => ErrorCode::SequenceNotFound,
            E::ShotNotFound { .. } => ErrorCode::ShotNotFound,
            E::TaskNotFound { .. } => ErrorCode::TaskNotFound,
            E::LinkNotFound { .. } => ErrorCode::LinkNotFound,
            E::TransitionNotFound { .. } => ErrorCode::TransitionNotFound,
            E::SavedSearchNotFound { .. } => ErrorCode::SavedSearchNotFound,
            E::CollectionNotFound { .. } => ErrorCode::CollectionNotFound,
            E::UserNotFound { .. } => ErrorCode::UserNotFound,
            E::TokenNotFound { .. } => ErrorCode::TokenNotFound,
            E::MemberNotFound { .. } => ErrorCode::MemberNotFound,
            E::WebhookNotFound { .. } => ErrorCode::WebhookNotFound,
            E::UnknownContent { .. } => ErrorCode::ContentNotFound,
            E::ProjectExists { .. }
            | E::AssetExists { .. }
            | E::SequenceExists { .. }
            | E::ShotExists { .. }
            | E::StatusExists { .. }
            | E::TransitionExists { .. }
            | E::DepartmentExists { .. }
            | E::TaskExists { .. }
            | E::LinkExists { .. }
            | E::CollectionExists { .. }
            | E::UserExists { .. } => ErrorCode::Exists,
            E::AssetLocked { .. } => ErrorCode::Locked,
            E::NotLatestVersion { .. } => ErrorCode::NotLatestVersion,
            E::LockNotHeld { .. } => ErrorCode::LockNotHeld,
            E::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            E::LinkCycle { .. } => ErrorCode::LinkCycle,
            E::HasDependants { .. } | E::ShotHasDependants { .. } | E::SequenceHasShots { .. } => {
                ErrorCode::HasDependants
            }
            E::StatusInUse { .. } | E::DepartmentInUse { .. } => ErrorCode::InUse,
            E::MissingChunks { .. } => ErrorCode::MissingChunks,
            E::LeaseLost { .. } => ErrorCode::LeaseLost,
            E::CatalogBehind { .. } => ErrorCode::CatalogBehind,
            E::InvalidName(_)
            | E::InvalidProductionName(_)
            | E::InvalidPath { .. }
            | E::InvalidValue { .. }
            | E::InvalidFrameRange { .. }
            | E::InvalidFps { .. }
            | E::UnknownStatus { .. }
            | E::DepartmentNotFound { .. }
            | E::RoleNotFound { .. }
            | E::SelfLink { .. }
            | E::InvalidPin { .. }
            | E::InvalidQuery { .. }
            | E::InvalidBatch { .. }
            | E::OutOfRange { .. } => ErrorCode::Invalid,
            E::InvalidUrl { .. } => ErrorCode::BadUrl,
            E::Busy { .. } => ErrorCode::Busy,
            // The database server is down, restarting, or ended the session: a later try may
            // reach it.
            E::Unreachable { .. } | E::ConnectionLost { .. } => ErrorCode::CatalogUnavailable,
            E::Database { source } if is_transient(source) => ErrorCode::Busy,
            E::Damaged { .. } | E::Corrupt { .. } => ErrorCode::CatalogDamaged,
            E::Database { .. }
            | E::NotFound { .. }
            | E::ConnectionRefused { .. }
            | E::CreateDatabase { .. }
            | E::Migrate { .. } => ErrorCode::Catalog,
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        ApiError::new(e.code(), e.to_string())
    }
}

/// Whether a database error is momentary, so that the same operation may succeed later: SQLite
/// busy or locked; no free pooled connection; a PostgreSQL serialization failure, deadlock,
/// lock timeout, shutdown, connection limit or connection exception; a connection that broke.
/// Anything else (a failing disk included) is a fault, not a reason to retry.
pub fn is_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        sqlx::Error::Io(io) => matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::ConnectionRefused
                | std::io::ErrorKind::NotConnected
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::TimedOut
        ),
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                is_sqlite_busy(code)
            } else if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                code.starts_with("08")
                    || matches!(
                        code,
                        "40001" | "40P01" | "55P03" | "57P01" | "57P02" | "57P03" | "53300"
                    )
            } else {
                false
            }
        }
        _ => false,
    }
}

/// SQLITE_BUSY (5) and SQLITE_LOCKED (6), possibly as extended codes (low byte).
fn is_sqlite_busy(code: &str) -> bool {
    code.parse::<i32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

fn latest_phrase(latest: Option<i64>) -> String {
    match latest {
        Some(n) => format!("latest is v{n}"),
        None => "no version has been published yet".to_owned(),
    }
}

fn allowed_phrase(allowed: &[String]) -> String {
    if allowed.is_empty() {
        "none (the workflow has no transition out of this status)".to_owned()
    } else {
        allowed.join(", ")
    }
}

/// At most ten names, then how many more.
fn name_list(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut text = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

/// `2 asset(s), 1 shot(s) and 3 task(s)`, leaving out the zeros.
fn usage_phrase(assets: u64, shots: u64, tasks: u64) -> String {
    let parts: Vec<String> = [(assets, "asset(s)"), (shots, "shot(s)"), (tasks, "task(s)")]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    match parts.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn first_chunk(missing: &[ChunkId]) -> String {
    missing
        .first()
        .map_or_else(|| "none".to_owned(), ChunkId::to_hex)
}

/// What a database error says is damaged, if it says so: SQLite's `SQLITE_CORRUPT` (11),
/// `SQLITE_NOTADB` (26) and a short read (`SQLITE_IOERR_SHORT_READ`, 522: the file ends
/// early). Phrased here, so that no message shows the database's own text.
fn damage(e: &sqlx::Error) -> Option<&'static str> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    db.try_downcast_ref::<sqlx::sqlite::SqliteError>()?;
    let code: i32 = db.code()?.parse().ok()?;
    match (code & 0xff, code) {
        (11, _) => Some("pages of the database file are corrupted"),
        (26, _) => Some(
            "the database file does not start with an SQLite header (it was overwritten, \
             zeroed or replaced)",
        ),
        (10, 522) => Some("the database file is shorter than its header says (a truncated file)"),
        _ => None,
    }
}

/// What a database error says about a connection that broke mid-command, if it does: the
/// socket closed or reset, or PostgreSQL ended the session (`57P01` an administrator
/// terminated it or the server is shutting down, `57P02` a crash shutdown, `57P03` the server
/// is starting, class `08` connection exceptions).
fn lost_connection(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
            | std::io::ErrorKind::UnexpectedEof
            | std::io::ErrorKind::NotConnected => Some("the connection to the server broke"),
            // A new connection of the pool, opened mid-command, was turned away.
            std::io::ErrorKind::ConnectionRefused => {
                Some("the server stopped accepting connections")
            }
            _ => None,
        },
        sqlx::Error::Database(db) => {
            db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
            match db.code()?.as_ref() {
                "57P01" => Some(
                    "the server ended the session: an administrator terminated it or the server \
                     is shutting down",
                ),
                "57P02" => Some("the server is shutting down after a crash"),
                "57P03" => Some("the server is still starting up"),
                code if code.starts_with("08") => Some("the connection to the server failed"),
                _ => None,
            }
        }
        _ => None,
    }
}

impl From<sqlx::Error> for CatalogError {
    fn from(source: sqlx::Error) -> Self {
        if let Some(damage) = damage(&source) {
            return CatalogError::Damaged {
                damage: damage.to_owned(),
                error: source,
            };
        }
        if let Some(reason) = lost_connection(&source) {
            return CatalogError::ConnectionLost {
                reason: reason.to_owned(),
                error: source,
            };
        }
        let busy = match &source {
            sqlx::Error::Database(db) => {
                db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some()
                    && db.code().is_some_and(|code| is_sqlite_busy(&code))
            }
            _ => false,
        };
        // PostgreSQL cannot store U+0000 in text (22021) or in JSON (22P05); SQLite can. Say so
        // plainly rather than as a database failure, whichever front end sent it.
        let nul = match &source {
            sqlx::Error::Database(db) => {
                db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                    .is_some()
                    && matches!(db.code().as_deref(), Some("22021" | "22P05"))
            }
            _ => false,
        };
        if busy {
            CatalogError::Busy { source }
        } else if nul {
            CatalogError::InvalidValue {
                what: "text".into(),
                value: "\\u0000".into(),
                reason: "the NUL character (U+0000) cannot be stored in a PostgreSQL catalog; \
                         remove it"
                    .into(),
            }
        } else {
            CatalogError::Database { source }
        }
    }
}

impl From<sqlx::migrate::MigrateError> for CatalogError {
    fn from(source: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        match source {
            // The schema could not even be read or written: say what the database said, the
            // way every other statement's failure is said (a damaged file, a lost server).
            M::Execute(e) | M::ExecuteMigration(e, _)
                if damage(&e).is_some() || lost_connection(&e).is_some() =>
            {
                e.into()
            }
            source => CatalogError::Migrate { source },
        }
    }
}

/// Whether `err` is a unique-constraint violation (a name already taken).
fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Turns the unique-constraint violation of an insert or rename into the error that says which
/// name is taken, so each call site states only that error.
pub(crate) trait OnUniqueViolation<T> {
    /// `exists()` for a unique-constraint violation; any other database error converts as `?`
    /// would.
    fn on_unique_violation(self, exists: impl FnOnce() -> CatalogError) -> Result<T, CatalogError>;
}

impl<T> OnUniqueViolation<T> for Result<T, sqlx::Error> {
    fn on_unique_violation(self, exists: impl FnOnce() -> CatalogError) -> Result<T, CatalogError> {
        match self {
            Ok(value) => Ok(value),
            Err(e) if is_unique_violation(&e) => Err(exists()),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let e = CatalogError::VersionNotFound {
            asset: "hero".into(),
            number: 9,
            latest: Some(3),
        };
        assert_eq!(
            e.to_string(),
            "version v9 of `hero` does not exist (latest is v3)"
        );
        let e = CatalogError::AssetExists {
            project: "film".into(),
            name: "hero".into(),
        };
        assert_eq!(
            e.to_string(),
            "asset `hero` already exists in project `film`; pick another name or publish a new version of it"
        );
        let e = CatalogError::MissingChunks {
            missing: vec![ChunkId([0xab; 32])],
        };
        assert!(e.to_string().contains("publish again"), "{e}");
        assert!(e.to_string().contains(&"ab".repeat(32)), "{e}");
        let e = CatalogError::StatusInUse {
            project: "film".into(),
            status: "ip".into(),
            assets: 2,
            shots: 0,
            tasks: 3,
        };
        assert!(
            e.to_string().starts_with(
                "status `ip` of project `film` is still used by 2 asset(s) and 3 task(s); move them"
            ),
            "{e}"
        );
        let e = CatalogError::SequenceHasShots {
            project: "film".into(),
            sequence: "SQ".into(),
            shots: (0..12).map(|i| format!("SH{i:02}")).collect(),
        };
        assert!(
            e.to_string()
                .contains("still has 12 shot(s) (SH00, SH01, SH02, SH03, SH04, SH05, SH06, SH07, SH08, SH09 and 2 more)"),
            "{e}"
        );
    }

    #[test]
    fn not_found_is_404_and_not_retryable() {
        let e = CatalogError::AssetNotFound {
            project: "film".into(),
            name: "hero".into(),
        };
        assert_eq!(e.code(), ErrorCode::AssetNotFound);
        assert_eq!(e.code().http_status(), 404);
        assert!(!e.code().retryable());
        let api = ApiError::from(e);
        assert_eq!(api.code.as_str(), "asset_not_found");
        assert_eq!(api.message, "asset `hero` does not exist in project `film`");
    }

    /// A pool with no free connection, a broken connection and a serialization failure are
    /// momentary: `busy`, 503, retryable. A disk that fails is not.
    #[test]
    fn momentary_database_failures_are_busy() {
        for source in [sqlx::Error::PoolTimedOut, sqlx::Error::PoolClosed] {
            let e = CatalogError::from(source);
            assert_eq!(e.code(), ErrorCode::Busy, "{e}");
            assert_eq!(e.code().http_status(), 503);
            assert!(e.code().retryable());
        }
        // A connection that broke mid-command is said as such, without the driver's text.
        for source in [
            sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
            sqlx::Error::Io(std::io::ErrorKind::UnexpectedEof.into()),
        ] {
            let e = CatalogError::from(source);
            assert!(matches!(e, CatalogError::ConnectionLost { .. }), "{e:?}");
            assert_eq!(e.code(), ErrorCode::CatalogUnavailable, "{e}");
            assert_eq!(e.code().http_status(), 503);
            assert!(e.code().retryable());
            assert!(
                e.to_string().contains("went away during the command"),
                "{e}"
            );
        }
        for source in [
            sqlx::Error::Io(std::io::Error::other("disk I/O error")),
            sqlx::Error::RowNotFound,
            sqlx::Error::Protocol("garbled".into()),
        ] {
            let e = CatalogError::from(source);
            assert_eq!(e.code(), ErrorCode::Catalog, "{e}");
            assert_eq!(e.code().http_status(), 500);
            assert!(!e.code().retryable());
        }
    }

    /// A real SQLite `database is locked` (a second writer, no busy timeout) and a real pool
    /// timeout both answer `busy`.
    #[test]
    fn sqlite_lock_and_pool_timeout_are_busy() {
        use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let dir = tempfile::tempdir().unwrap();
                let options = SqliteConnectOptions::new()
                    .filename(dir.path().join("busy.db"))
                    .create_if_missing(true)
                    .busy_timeout(std::time::Duration::ZERO);
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(std::time::Duration::from_millis(200))
                    .connect_with(options)
                    .await
                    .unwrap();
                let mut first = pool.acquire().await.unwrap();
                let mut second = pool.acquire().await.unwrap();
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut *first)
                    .await
                    .unwrap();
                let locked = sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut *second)
                    .await
                    .unwrap_err();
                let e = CatalogError::from(locked);
                assert!(matches!(e, CatalogError::Busy { .. }), "{e:?}");
                assert_eq!(e.code(), ErrorCode::Busy);
                assert!(e.code().retryable());

                let timed_out = pool.acquire().await.unwrap_err();
                let e = CatalogError::from(timed_out);
                assert_eq!(e.code(), ErrorCode::Busy, "{e}");
                assert_eq!(ApiError::from(e).code.http_status(), 503);
            });
    }
}

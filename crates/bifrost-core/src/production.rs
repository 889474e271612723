//! The production model: sequences, shots, per-department tasks, the status workflow, links
//! between assets and shots, history, comments, search hits and reports.
//!
//! Pure records and rules (no I/O): the catalog stores them, every front end shows them, and the
//! workflow rules ([`Workflow::allows`]) are decided here so that all front ends agree.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{NameKind, validate_name, validate_tag};

/// Free JSON metadata, as on assets.
pub type Metadata = BTreeMap<String, serde_json::Value>;

// ---------------------------------------------------------------------------------------------
// Names

/// What a production name is for, to phrase errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductionNameKind {
    /// A sequence name (`SQ010`).
    Sequence,
    /// A shot name (`SH010`), unique within its sequence.
    Shot,
    /// A workflow status (`wtg`, `on-hold`).
    Status,
    /// A department (`animation`).
    Department,
    /// A collection name (may contain `:`, as in `favourites:ana`).
    Collection,
    /// The name of a saved search.
    SavedSearch,
    /// A user name (favourites belong to one).
    User,
}

impl fmt::Display for ProductionNameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProductionNameKind::Sequence => "sequence name",
            ProductionNameKind::Shot => "shot name",
            ProductionNameKind::Status => "status",
            ProductionNameKind::Department => "department",
            ProductionNameKind::Collection => "collection name",
            ProductionNameKind::SavedSearch => "saved search name",
            ProductionNameKind::User => "user name",
        })
    }
}

/// A production name that breaks the naming rules, with the rule it breaks.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid {kind} `{name}`: {reason}")]
pub struct ProductionNameError {
    /// What the name was for.
    pub kind: ProductionNameKind,
    /// The rejected name.
    pub name: String,
    /// Which rule it breaks, phrased as advice.
    pub reason: String,
}

/// Checks a production name with the same rules as asset names ([`validate_name`]); collection
/// names follow the tag rules ([`validate_tag`]: `:` is allowed too).
pub fn validate_production_name(
    kind: ProductionNameKind,
    name: &str,
) -> Result<(), ProductionNameError> {
    let checked = match kind {
        ProductionNameKind::Collection => validate_tag(name),
        _ => validate_name(NameKind::Asset, name),
    };
    checked.map_err(|e| ProductionNameError {
        kind,
        name: name.to_owned(),
        reason: e.reason,
    })
}

/// A keyword (entity kind, link kind, review status…) that is not one of the known ones.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a {what}; use one of: {expected}")]
pub struct KeywordError {
    /// What the keyword was for.
    pub what: &'static str,
    /// The text given.
    pub input: String,
    /// The accepted keywords, comma separated.
    pub expected: &'static str,
}

/// Implements `as_str`, `Display`, `FromStr` and string serde for a keyword enum.
macro_rules! keyword_enum {
    ($ty:ident, $what:literal, { $($variant:ident => $text:literal),* $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),*];

            /// The keyword as stored and typed.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),*
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $ty {
            type Err = KeywordError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($ty::$variant),)*
                    _ => Err(KeywordError {
                        what: $what,
                        input: s.to_owned(),
                        expected: concat!($($text, ", "),*).trim_end_matches(", "),
                    }),
                }
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        crate::schema::string_schema!($ty, [$($text),*]);
    };
}

// ---------------------------------------------------------------------------------------------
// Entities

/// The kinds of things the production model tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// An asset.
    Asset,
    /// A sequence of shots.
    Sequence,
    /// A shot of a sequence.
    Shot,
    /// A published version of an asset.
    Version,
}

keyword_enum!(EntityKind, "kind", {
    Asset => "asset",
    Sequence => "sequence",
    Shot => "shot",
    Version => "version",
});

/// An asset or a shot of a project, as typed by a user: `NAME` (an asset) or `SEQ/SHOT`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityRef {
    /// An asset, by name.
    Asset(String),
    /// A shot, by sequence and shot name.
    Shot {
        /// The sequence name.
        sequence: String,
        /// The shot name (unique within the sequence).
        shot: String,
    },
}

/// Why an entity or target reference could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a valid reference: {reason}")]
pub struct EntityRefError {
    /// The text given.
    pub input: String,
    /// What is wrong with it, phrased as advice.
    pub reason: String,
}

impl EntityRef {
    /// An asset reference.
    pub fn asset(name: impl Into<String>) -> EntityRef {
        EntityRef::Asset(name.into())
    }

    /// A shot reference.
    pub fn shot(sequence: impl Into<String>, shot: impl Into<String>) -> EntityRef {
        EntityRef::Shot {
            sequence: sequence.into(),
            shot: shot.into(),
        }
    }

    /// [`EntityKind::Asset`] or [`EntityKind::Shot`].
    pub fn kind(&self) -> EntityKind {
        match self {
            EntityRef::Asset(_) => EntityKind::Asset,
            EntityRef::Shot { .. } => EntityKind::Shot,
        }
    }
}

impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityRef::Asset(name) => f.write_str(name),
            EntityRef::Shot { sequence, shot } => write!(f, "{sequence}/{shot}"),
        }
    }
}

impl FromStr for EntityRef {
    type Err = EntityRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| EntityRefError {
            input: s.to_owned(),
            reason,
        };
        let entity = match s.split_once('/') {
            None => EntityRef::Asset(s.to_owned()),
            Some((sequence, shot)) => EntityRef::Shot {
                sequence: sequence.to_owned(),
                shot: shot.to_owned(),
            },
        };
        match &entity {
            EntityRef::Asset(name) => validate_name(NameKind::Asset, name)
                .map_err(|e| fail(format!("write an asset NAME or SEQ/SHOT ({})", e.reason)))?,
            EntityRef::Shot { sequence, shot } => {
                validate_production_name(ProductionNameKind::Sequence, sequence)
                    .and_then(|()| validate_production_name(ProductionNameKind::Shot, shot))
                    .map_err(|e| fail(format!("write SEQ/SHOT ({e})")))?;
            }
        }
        Ok(entity)
    }
}

impl Serialize for EntityRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

crate::schema::string_schema!(EntityRef, "An asset `NAME` or a shot `SEQ/SHOT`.");

impl<'de> Deserialize<'de> for EntityRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What comments and history are attached to: an asset, a shot, or one version of an asset
/// (`NAME@vN`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// An asset or a shot.
    Entity(EntityRef),
    /// A version of an asset.
    Version {
        /// The asset name.
        asset: String,
        /// The version number.
        number: i64,
    },
}

impl Target {
    /// A version target.
    pub fn version(asset: impl Into<String>, number: i64) -> Target {
        Target::Version {
            asset: asset.into(),
            number,
        }
    }

    /// The kind of thing targeted.
    pub fn kind(&self) -> EntityKind {
        match self {
            Target::Entity(entity) => entity.kind(),
            Target::Version { .. } => EntityKind::Version,
        }
    }
}

impl From<EntityRef> for Target {
    fn from(entity: EntityRef) -> Self {
        Target::Entity(entity)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Entity(entity) => entity.fmt(f),
            Target::Version { asset, number } => write!(f, "{asset}@v{number}"),
        }
    }
}

impl FromStr for Target {
    type Err = EntityRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((asset, version)) = s.rsplit_once('@') else {
            return Ok(Target::Entity(s.parse()?));
        };
        let fail = || EntityRefError {
            input: s.to_owned(),
            reason: "write NAME, SEQ/SHOT or NAME@vN (for example hero@v3)".to_owned(),
        };
        let number: i64 = version
            .strip_prefix('v')
            .unwrap_or(version)
            .parse()
            .map_err(|_| fail())?;
        if number < 1 || validate_name(NameKind::Asset, asset).is_err() {
            return Err(fail());
        }
        Ok(Target::Version {
            asset: asset.to_owned(),
            number,
        })
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

crate::schema::string_schema!(
    Target,
    "An asset `NAME`, a shot `SEQ/SHOT` or a version `NAME@vN`."
);

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Workflow

/// In a [`Transition`], the `from` that stands for every status.
pub const ANY_STATUS: &str = "*";

/// The statuses every new project starts with, in order; the first is the initial status.
pub const DEFAULT_STATUSES: [&str; 7] = [
    "wtg", "ip", "review", "approved", "final", "on-hold", "omit",
];

/// The transitions every new project starts with (`*` = from any status).
pub const DEFAULT_TRANSITIONS: [(&str, &str); 12] = [
    ("wtg", "ip"),
    ("ip", "review"),
    ("review", "approved"),
    ("approved", "final"),
    ("review", "ip"),
    ("approved", "ip"),
    (ANY_STATUS, "on-hold"),
    (ANY_STATUS, "omit"),
    ("on-hold", "wtg"),
    ("on-hold", "ip"),
    ("on-hold", "review"),
    ("omit", "wtg"),
];

/// The departments every new project starts with, in order.
pub const DEFAULT_DEPARTMENTS: [&str; 5] = ["layout", "animation", "fx", "lighting", "comp"];

/// An allowed status change.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Transition {
    /// The status changed from, or [`ANY_STATUS`].
    pub from: String,
    /// The status changed to.
    pub to: String,
}

impl Transition {
    /// A transition from `from` (or [`ANY_STATUS`]) to `to`.
    pub fn new(from: impl Into<String>, to: impl Into<String>) -> Transition {
        Transition {
            from: from.into(),
            to: to.into(),
        }
    }
}

impl fmt::Display for Transition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {}", self.from, self.to)
    }
}

/// A project's statuses (ordered; the first is what new shots, assets and tasks start in) and
/// the status changes it allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Workflow {
    /// Statuses in display order.
    pub statuses: Vec<String>,
    /// Allowed changes, sorted.
    pub transitions: Vec<Transition>,
}

impl Default for Workflow {
    /// `wtg → ip → review → approved → final`, `review → ip`, `approved → ip`, any → `on-hold`,
    /// any → `omit`, `on-hold → wtg | ip | review`, `omit → wtg`.
    fn default() -> Self {
        let mut transitions: Vec<Transition> = DEFAULT_TRANSITIONS
            .iter()
            .map(|(from, to)| Transition::new(*from, *to))
            .collect();
        transitions.sort();
        Workflow {
            statuses: DEFAULT_STATUSES.iter().map(|s| (*s).to_owned()).collect(),
            transitions,
        }
    }
}

impl Workflow {
    /// The status new entities and tasks start in.
    pub fn initial(&self) -> Option<&str> {
        self.statuses.first().map(String::as_str)
    }

    /// Whether `status` is one of the workflow's statuses.
    pub fn has(&self, status: &str) -> bool {
        self.statuses.iter().any(|s| s == status)
    }

    /// Whether changing from `from` to `to` is allowed (never to the same status).
    pub fn allows(&self, from: &str, to: &str) -> bool {
        from != to
            && self.has(to)
            && self
                .transitions
                .iter()
                .any(|t| t.to == to && (t.from == from || t.from == ANY_STATUS))
    }

    /// The statuses reachable from `from` in one change, in workflow order.
    pub fn allowed_next(&self, from: &str) -> Vec<String> {
        self.statuses
            .iter()
            .filter(|to| self.allows(from, to))
            .cloned()
            .collect()
    }

    /// Position of `status` in the workflow order (unknown statuses sort last).
    pub fn position(&self, status: &str) -> usize {
        self.statuses
            .iter()
            .position(|s| s == status)
            .unwrap_or(usize::MAX)
    }
}

// ---------------------------------------------------------------------------------------------
// Sequences and shots

/// The frame rate a shot gets when none is given.
pub const DEFAULT_FPS: f64 = 24.0;

/// A sequence: a named group of shots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Sequence {
    /// Catalog row id.
    pub id: i64,
    /// The project.
    pub project: String,
    /// Name, unique within the project.
    pub name: String,
    /// Free JSON metadata.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A shot of a sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shot {
    /// Catalog row id.
    pub id: i64,
    /// The project.
    pub project: String,
    /// The sequence name.
    pub sequence: String,
    /// Name, unique within the sequence.
    pub name: String,
    /// First frame (inclusive, >= 0).
    pub frame_start: i64,
    /// Last frame (inclusive, >= `frame_start`).
    pub frame_end: i64,
    /// Frames per second.
    pub fps: f64,
    /// Workflow status.
    pub status: String,
    /// Free JSON metadata.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Shot {
    /// `SEQ/SHOT`.
    pub fn reference(&self) -> EntityRef {
        EntityRef::shot(&self.sequence, &self.name)
    }

    /// Number of frames (both ends included).
    pub fn frame_count(&self) -> i64 {
        self.frame_end - self.frame_start + 1
    }
}

/// What is needed to create a shot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewShot {
    /// The sequence (created by bulk imports if missing; must exist otherwise).
    pub sequence: String,
    /// Name, unique within the sequence.
    pub name: String,
    /// First frame.
    pub frame_start: i64,
    /// Last frame.
    pub frame_end: i64,
    /// Frames per second ([`DEFAULT_FPS`] if `None`).
    pub fps: Option<f64>,
    /// Free JSON metadata.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
}

impl NewShot {
    /// A shot of `sequence` from `frame_start` to `frame_end` at the default rate, no metadata.
    pub fn new(
        sequence: impl Into<String>,
        name: impl Into<String>,
        frame_start: i64,
        frame_end: i64,
    ) -> NewShot {
        NewShot {
            sequence: sequence.into(),
            name: name.into(),
            frame_start,
            frame_end,
            fps: None,
            metadata: Metadata::new(),
        }
    }
}

/// Whether a frame range is acceptable: both ends >= 0, start <= end.
pub fn valid_frame_range(frame_start: i64, frame_end: i64) -> bool {
    frame_start >= 0 && frame_end >= frame_start
}

/// Whether a frame rate is acceptable: finite and positive.
pub fn valid_fps(fps: f64) -> bool {
    fps.is_finite() && fps > 0.0
}

/// How to change metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MetadataUpdate {
    /// JSON merge patch (RFC 7396): keys are set, `null` removes a key, objects merge
    /// recursively.
    Merge(Metadata),
    /// Replace everything.
    Replace(Metadata),
}

impl MetadataUpdate {
    /// Applies the update to `current`.
    pub fn apply(&self, current: &mut Metadata) {
        match self {
            MetadataUpdate::Replace(new) => *current = new.clone(),
            MetadataUpdate::Merge(patch) => {
                for (key, value) in patch {
                    merge_value(current, key, value);
                }
            }
        }
    }
}

fn merge_value(target: &mut Metadata, key: &str, patch: &serde_json::Value) {
    use serde_json::Value;
    match patch {
        Value::Null => {
            target.remove(key);
        }
        Value::Object(fields) => {
            let mut inner: Metadata = match target.remove(key) {
                Some(Value::Object(existing)) => existing.into_iter().collect(),
                _ => Metadata::new(),
            };
            for (k, v) in fields {
                merge_value(&mut inner, k, v);
            }
            target.insert(key.to_owned(), Value::Object(inner.into_iter().collect()));
        }
        other => {
            target.insert(key.to_owned(), other.clone());
        }
    }
}

/// Changes to a shot; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShotUpdate {
    /// New first frame.
    pub frame_start: Option<i64>,
    /// New last frame.
    pub frame_end: Option<i64>,
    /// New frame rate.
    pub fps: Option<f64>,
    /// Metadata change.
    pub metadata: Option<MetadataUpdate>,
}

// ---------------------------------------------------------------------------------------------
// Tasks

/// The work of one department on a shot or an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Task {
    /// Catalog row id.
    pub id: i64,
    /// The project.
    pub project: String,
    /// What the task is on.
    pub entity: EntityRef,
    /// The department (one task per entity and department).
    pub department: String,
    /// Who it is assigned to, if anyone.
    pub assignee: Option<String>,
    /// Workflow status.
    pub status: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Changes to a task; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TaskUpdate {
    /// `Some(Some(user))` assigns, `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
    /// A new status (the change must be allowed by the workflow).
    pub status: Option<String>,
}

/// Which tasks to list; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only the tasks of this entity.
    pub entity: Option<EntityRef>,
    /// Only the tasks of this department.
    pub department: Option<String>,
    /// Only the tasks assigned to this user.
    pub assignee: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Links

/// How one entity uses another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkKind {
    /// `src` references `dst` (a shot uses a character).
    Reference,
    /// `src` was derived from `dst` (a variant of a prop).
    DerivedFrom,
    /// `src` has `dst` as a member (a set dresses a prop).
    Member,
}

keyword_enum!(LinkKind, "link kind", {
    Reference => "reference",
    DerivedFrom => "derived-from",
    Member => "member",
});

/// A dependency: `src` uses `dst`, floating (`pin: None`, the latest version) or pinned to a
/// version of `dst` (an asset).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Link {
    /// The user.
    pub src: EntityRef,
    /// What is used.
    pub dst: EntityRef,
    /// How.
    pub kind: LinkKind,
    /// The version of `dst` used, if pinned.
    pub pin: Option<i64>,
}

/// One entity reached by walking links (what something uses, or what uses it).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
pub struct Dependency {
    /// Steps from the entity asked about: 1 for direct links (the smallest, when reached by
    /// several paths).
    pub depth: u32,
    /// The entity reached.
    pub entity: EntityRef,
    /// The kind of the link that reached it.
    pub kind: LinkKind,
    /// The pin of that link.
    pub pin: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Versions, history, comments

/// Where a version stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReviewStatus {
    /// Not reviewed yet (every version starts here).
    Pending,
    /// Approved.
    Approved,
    /// Sent back with changes requested.
    ChangesRequested,
}

keyword_enum!(ReviewStatus, "review status", {
    Pending => "pending",
    Approved => "approved",
    ChangesRequested => "changes-requested",
});

/// A version with its review status and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionDetails {
    /// The version.
    pub version: crate::Version,
    /// Its review status.
    pub review_status: ReviewStatus,
    /// Its metadata (given when it was committed).
    #[schema(value_type = Object)]
    pub metadata: Metadata,
}

/// `field` of a [`HistoryEntry`] for a status change of an asset or shot.
pub const FIELD_STATUS: &str = "status";
/// `field` of a [`HistoryEntry`] for a review status change of a version.
pub const FIELD_REVIEW_STATUS: &str = "review_status";
/// `field` of a [`HistoryEntry`] for a task status change.
pub const FIELD_TASK_STATUS: &str = "task_status";
/// `field` of a [`HistoryEntry`] for a task (re)assignment.
pub const FIELD_TASK_ASSIGNEE: &str = "task_assignee";
/// `field` of a [`HistoryEntry`] for a rename of a shot (old and new short names, without the
/// sequence).
pub const FIELD_NAME: &str = "name";

/// A recorded change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    /// Catalog row id (increasing: newer changes have larger ids).
    pub id: i64,
    /// What changed: the asset or shot, or a version for review changes.
    pub target: Target,
    /// For task changes, the task's department.
    pub department: Option<String>,
    /// Which field: [`FIELD_STATUS`], [`FIELD_REVIEW_STATUS`], [`FIELD_TASK_STATUS`],
    /// [`FIELD_TASK_ASSIGNEE`] or [`FIELD_NAME`].
    pub field: String,
    /// The value before.
    pub old: Option<String>,
    /// The value after.
    pub new: Option<String>,
    /// Who changed it.
    pub author: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A comment on an asset, a shot or a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Comment {
    /// Catalog row id.
    pub id: i64,
    /// What it is about.
    pub target: Target,
    /// Who wrote it.
    pub author: String,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Search, saved searches, collections

/// One search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// What was found.
    pub kind: EntityKind,
    /// Its project.
    pub project: String,
    /// Its name: `NAME`, `SEQ/SHOT`, `SEQ` or `NAME@vN`.
    pub name: String,
    /// Workflow status (assets, shots) or review status (versions).
    pub status: Option<String>,
    /// The asset type (assets and versions).
    #[serde(rename = "type")]
    pub asset_type: Option<String>,
    /// The indexed text that matched the first text term, if the query had one.
    pub snippet: Option<String>,
}

/// A search kept under a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedSearch {
    /// The project.
    pub project: String,
    /// Name, unique within the project.
    pub name: String,
    /// The query text.
    pub query: String,
    /// When it was (last) saved.
    pub saved_at: DateTime<Utc>,
}

/// A named set of assets and shots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Collection {
    /// The project.
    pub project: String,
    /// Name, unique within the project.
    pub name: String,
    /// How many members it has.
    pub size: u64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The name of `user`'s favourites collection.
pub fn favourites_collection(user: &str) -> String {
    format!("favourites:{user}")
}

// ---------------------------------------------------------------------------------------------
// Reports

/// Counts for a project's status report. Every list is sorted: statuses and departments in
/// workflow order, types and weeks by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusReport {
    /// Shots per status (statuses without shots left out).
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub shots_by_status: Vec<(String, u64)>,
    /// Tasks per department and status.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub tasks_by_department_status: Vec<(String, String, u64)>,
    /// Assets per type.
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub assets_by_type: Vec<(String, u64)>,
    /// Versions published per ISO week (`YYYY-Www`, UTC).
    #[schema(value_type = Vec<Vec<serde_json::Value>>)]
    pub versions_by_week: Vec<(String, u64)>,
}

/// The ISO week of `date`: `2025-W01`.
pub fn iso_week_label(date: NaiveDate) -> String {
    let week = date.iso_week();
    format!("{:04}-W{:02}", week.year(), week.week())
}

// ---------------------------------------------------------------------------------------------
// Bulk import

/// A version as a bulk import records it: figures only, no files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchVersion {
    /// The asset (in the batch or already in the project).
    pub asset: String,
    /// Its number: an asset's numbers must continue its latest without gaps.
    pub number: i64,
    /// Who published it.
    pub author: String,
    /// Publish note.
    pub note: String,
    /// When it was published.
    pub created_at: DateTime<Utc>,
    /// Number of files.
    pub file_count: i64,
    /// Sum of file sizes.
    pub total_bytes: i64,
}

/// Everything a bulk import adds to a project, in one transaction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProductionBatch {
    /// New assets.
    pub assets: Vec<crate::NewAsset>,
    /// New shots (their sequences are created when missing).
    pub shots: Vec<NewShot>,
    /// New versions.
    pub versions: Vec<BatchVersion>,
    /// New links.
    pub links: Vec<Link>,
}

/// What a bulk import added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// Assets created.
    pub assets: u64,
    /// Sequences created.
    pub sequences: u64,
    /// Shots created.
    pub shots: u64,
    /// Versions recorded.
    pub versions: u64,
    /// Links recorded.
    pub links: u64,
}

/// What deleting an asset removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeletedAsset {
    /// Versions deleted (their contents are left for garbage collection).
    pub versions: u64,
    /// Links removed (to and from the asset).
    pub links: u64,
    /// What used the asset (`NAME` or `SEQ/SHOT`), sorted: empty unless forced.
    pub dependants: Vec<String>,
}

/// What deleting a shot removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeletedShot {
    /// Links removed (its casting and what used it).
    pub links: u64,
    /// Tasks removed.
    pub tasks: u64,
    /// What used the shot (`NAME` or `SEQ/SHOT`), sorted: empty unless forced.
    pub dependants: Vec<String>,
}

/// What deleting a sequence removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeletedSequence {
    /// Its shots that were deleted (short names), sorted: empty unless forced.
    pub shots: Vec<String>,
    /// Links removed (to and from those shots).
    pub links: u64,
    /// Tasks removed (of those shots).
    pub tasks: u64,
    /// What outside the sequence used its shots (`NAME` or `SEQ/SHOT`), sorted.
    pub dependants: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_workflow() {
        let wf = Workflow::default();
        assert_eq!(wf.initial(), Some("wtg"));
        assert_eq!(wf.allowed_next("wtg"), vec!["ip", "on-hold", "omit"]);
        assert_eq!(
            wf.allowed_next("review"),
            vec!["ip", "approved", "on-hold", "omit"]
        );
        assert_eq!(wf.allowed_next("omit"), vec!["wtg", "on-hold"]);
        assert_eq!(
            wf.allowed_next("on-hold"),
            vec!["wtg", "ip", "review", "omit"]
        );
        assert!(!wf.allows("wtg", "approved"));
        assert!(!wf.allows("omit", "omit"));
        assert!(!wf.allows("wtg", "nope"));
        assert!(wf.allows("final", "omit"));
    }

    #[test]
    fn references() {
        assert_eq!(
            "hero".parse::<EntityRef>().unwrap(),
            EntityRef::asset("hero")
        );
        let shot: EntityRef = "シーン/カット010".parse().unwrap();
        assert_eq!(shot, EntityRef::shot("シーン", "カット010"));
        assert_eq!(shot.to_string(), "シーン/カット010");
        for bad in ["", "a/b/c", "/x", "x/", "a b", "a@v1"] {
            assert!(bad.parse::<EntityRef>().is_err(), "{bad}");
        }
        assert_eq!(
            "hero@v3".parse::<Target>().unwrap(),
            Target::version("hero", 3)
        );
        assert_eq!(
            "SQ/SH".parse::<Target>().unwrap(),
            Target::Entity(EntityRef::shot("SQ", "SH"))
        );
        assert!("hero@v0".parse::<Target>().is_err());
        assert!("hero@latest".parse::<Target>().is_err());
        assert_eq!(Target::version("a", 2).to_string(), "a@v2");
        let json = serde_json::to_string(&EntityRef::shot("A", "B")).unwrap();
        assert_eq!(json, "\"A/B\"");
        assert_eq!(
            serde_json::from_str::<EntityRef>(&json).unwrap(),
            EntityRef::shot("A", "B")
        );
    }

    #[test]
    fn keywords() {
        assert_eq!(
            "derived-from".parse::<LinkKind>(),
            Ok(LinkKind::DerivedFrom)
        );
        let err = "uses".parse::<LinkKind>().unwrap_err().to_string();
        assert_eq!(
            err,
            "`uses` is not a link kind; use one of: reference, derived-from, member"
        );
        assert_eq!(
            "changes-requested".parse::<ReviewStatus>(),
            Ok(ReviewStatus::ChangesRequested)
        );
        assert_eq!(EntityKind::Version.to_string(), "version");
    }

    #[test]
    fn metadata_updates() {
        let mut meta: Metadata =
            serde_json::from_str(r#"{"a":1,"b":{"c":2,"d":3},"e":4}"#).unwrap();
        let patch: Metadata = serde_json::from_str(r#"{"a":null,"b":{"c":9},"f":"x"}"#).unwrap();
        MetadataUpdate::Merge(patch).apply(&mut meta);
        assert_eq!(
            serde_json::to_string(&meta).unwrap(),
            r#"{"b":{"c":9,"d":3},"e":4,"f":"x"}"#
        );
        MetadataUpdate::Replace(Metadata::new()).apply(&mut meta);
        assert!(meta.is_empty());
    }

    #[test]
    fn names_and_weeks() {
        validate_production_name(ProductionNameKind::Collection, "favourites:ana").unwrap();
        let err = validate_production_name(ProductionNameKind::Shot, "a b").unwrap_err();
        assert!(
            err.to_string().starts_with("invalid shot name `a b`"),
            "{err}"
        );
        assert!(valid_frame_range(0, 0));
        assert!(!valid_frame_range(10, 9));
        assert!(!valid_frame_range(-1, 9));
        assert!(!valid_fps(0.0) && !valid_fps(f64::NAN) && valid_fps(23.976));
        let d = NaiveDate::from_ymd_opt(2021, 1, 3).unwrap();
        assert_eq!(iso_week_label(d), "2020-W53");
        let d = NaiveDate::from_ymd_opt(2024, 12, 30).unwrap();
        assert_eq!(iso_week_label(d), "2025-W01");
    }
}

//! Requests of projects, assets, versions, review, rollback, diff and locks.

use bifrost_core::production::Metadata;
use bifrost_core::{Asset, VersionSelector};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Projects the caller can see, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListProjects {
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A new project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// Name (letters, digits, `_ - .`).
    pub name: String,
}

/// Repository-wide figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Stats {}

/// Which assets to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListAssets {
    /// The project.
    pub project: String,
    /// Only assets of this type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub asset_type: Option<String>,
    /// Only assets with this tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A new asset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAsset {
    /// The project.
    pub project: String,
    /// Name, unique in the project.
    pub name: String,
    /// Type such as `prop` (default `asset`).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub asset_type: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free JSON metadata.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// The department whose work it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

/// One asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetAsset {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
}

/// An asset with its workflow status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssetWithStatus {
    /// The asset.
    #[serde(flatten)]
    pub asset: Asset,
    /// Its workflow status.
    pub status: String,
}

/// A metadata change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAsset {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// Keys to set (merged as RFC 7396: `null` removes a key).
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// Replace the whole metadata instead of merging.
    #[serde(default)]
    pub replace: bool,
}

/// An asset to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAsset {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// Also when others depend on it (their links go too).
    #[serde(default)]
    pub force: bool,
}

/// Every version of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListVersions {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// One version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetVersion {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// A number (`3`, `v3`) or `latest`.
    pub version: VersionSelector,
}

/// The files of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListFiles {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// A number (`3`, `v3`) or `latest`.
    pub version: VersionSelector,
    /// At most this many (1–1000, default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Skip this many first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
}

/// A review status for a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewVersion {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// A number (`3`, `v3`) or `latest`.
    pub version: VersionSelector,
    /// `pending`, `approved`, `changes-requested` or `rejected`.
    pub status: bifrost_core::production::ReviewStatus,
}

/// A rollback: a new version with an older version's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollback {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// The version whose files the new version gets.
    pub version: i64,
    /// Note (default `rollback to vN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Two versions to compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Diff {
    /// The project.
    pub project: String,
    /// The asset of the older version.
    pub asset: String,
    /// The older version.
    pub from: VersionSelector,
    /// The newer version.
    pub to: VersionSelector,
    /// The asset of the newer version, when comparing two assets (default: the same one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_asset: Option<String>,
}

/// An asset whose lock to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GetLock {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
}

/// A lock request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// Lease length in seconds (default 3600, 1 to 7 days); renew with the heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u64>,
    /// The version the caller has: the lock is refused unless it is the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub have: Option<i64>,
}

/// A lock to release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Unlock {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// Break another user's lock (needs `manage`).
    #[serde(default)]
    pub force: bool,
}

/// A lock heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Heartbeat {
    /// The project.
    pub project: String,
    /// The asset's name.
    pub asset: String,
    /// New lease length from now, in seconds (default 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u64>,
}

/// The live locks of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListLocks {
    /// The project.
    pub project: String,
}

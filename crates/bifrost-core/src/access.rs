//! Who may do what: users, roles and their permissions, project membership, API tokens, the
//! audit/event journal, asset locks and webhooks. Plain records and rules; the catalog stores
//! them, the facade enforces them, the server and the CLI show them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::name::validate_user_name;

/// Something a role allows. Every project operation needs one of these; reading needs only
/// membership of the project.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// See the project: assets, versions, shots, search, reports, downloads.
    Read,
    /// Comment, keep favourites.
    Comment,
    /// Create and change assets, sequences, shots, tasks, links, collections, statuses.
    Edit,
    /// Publish versions, roll back, lock assets.
    Publish,
    /// Set the review status of versions.
    Review,
    /// Change the workflow and departments, delete things, manage members, break locks.
    Manage,
    /// Read the audit log.
    Audit,
    /// Everything, on every project: users, tokens of others, projects, webhooks, roles.
    Admin,
}

impl Permission {
    /// Every permission, in order.
    pub const ALL: [Permission; 8] = [
        Permission::Read,
        Permission::Comment,
        Permission::Edit,
        Permission::Publish,
        Permission::Review,
        Permission::Manage,
        Permission::Audit,
        Permission::Admin,
    ];

    /// The lowercase name used in role definitions and error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Comment => "comment",
            Permission::Edit => "edit",
            Permission::Publish => "publish",
            Permission::Review => "review",
            Permission::Manage => "manage",
            Permission::Audit => "audit",
            Permission::Admin => "admin",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permission name that is not one of [`Permission::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown permission '{0}': use one of read, comment, edit, publish, review, manage, audit, admin"
)]
pub struct UnknownPermission(pub String);

impl FromStr for Permission {
    type Err = UnknownPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Permission::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPermission(s.to_owned()))
    }
}

/// A named set of permissions. Roles are configurable; [`default_roles`] seeds every catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Role {
    /// Name such as `artist`.
    pub name: String,
    /// What it allows.
    pub permissions: BTreeSet<Permission>,
}

impl Role {
    /// Whether the role allows `permission` (`admin` allows everything).
    pub fn allows(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission) || self.permissions.contains(&Permission::Admin)
    }
}

/// The roles every catalog starts with: `admin` (everything), `supervisor` (everything on the
/// projects they belong to but users and webhooks), `artist` (edit and publish) and `vendor`
/// (read-only).
pub fn default_roles() -> Vec<Role> {
    use Permission::*;
    let role = |name: &str, permissions: &[Permission]| Role {
        name: name.to_owned(),
        permissions: permissions.iter().copied().collect(),
    };
    vec![
        role("admin", &Permission::ALL),
        role(
            "supervisor",
            &[Read, Comment, Edit, Publish, Review, Manage, Audit],
        ),
        role("artist", &[Read, Comment, Edit, Publish]),
        role("vendor", &[Read]),
    ]
}

/// A person or service that signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    /// Login name.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
    /// The role used on projects whose membership does not name another, and for global
    /// rights (`admin`).
    pub role: String,
    /// Disabled users cannot sign in and their tokens stop working.
    pub disabled: bool,
    /// When the user was added.
    pub created_at: DateTime<Utc>,
}

/// What an API token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A person's own token (`bifrost login` creates one).
    Personal,
    /// A render farm's or script's token, not tied to a person's session.
    Service,
}

impl TokenKind {
    /// The lowercase name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal",
            TokenKind::Service => "service",
        }
    }
}

impl FromStr for TokenKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "personal" => Ok(TokenKind::Personal),
            "service" => Ok(TokenKind::Service),
            other => Err(format!(
                "unknown token kind '{other}': use personal or service"
            )),
        }
    }
}

/// An API token as listed (the secret is shown once, when it is created, and never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Public id: the part of the token between `bft_` and the second `_`.
    pub id: String,
    /// What the owner called it.
    pub name: String,
    /// Whose it is.
    pub user: String,
    /// Personal or service.
    pub kind: TokenKind,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working by itself, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token's text: `bft_<16 hex: public id>_<64 hex: secret>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSecret {
    /// Public id (looked up).
    pub id: String,
    /// The secret (compared by hash).
    pub secret: String,
}

impl TokenSecret {
    /// Prefix of every token, so that secret scanners can find leaked ones.
    pub const PREFIX: &'static str = "bft_";

    /// Parses a token's text; `None` if it is not shaped like a Bifrost token.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(Self::PREFIX)?;
        let (id, secret) = rest.split_once('_')?;
        let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        (hex(id, 16) && hex(secret, 64)).then(|| TokenSecret {
            id: id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// BLAKE3 of the secret: what the catalog stores. Tokens are 256 random bits, so a fast
    /// hash is enough (passwords, which people choose, get argon2).
    pub fn secret_hash(&self) -> String {
        blake3::hash(self.secret.as_bytes()).to_hex().to_string()
    }
}

impl fmt::Display for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}_{}", Self::PREFIX, self.id, self.secret)
    }
}

/// A user's membership of a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Member {
    /// The project.
    pub project: String,
    /// The user.
    pub user: String,
    /// The role on this project.
    pub role: String,
    /// Departments whose work the member may change; empty means every department.
    pub departments: Vec<String>,
}

/// One entry of the journal: every change, who made it, when, from where, and the changed
/// record before and after. The journal is both the audit log and the event stream; entries
/// are numbered in commit order and never change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// Position in the journal (increasing in commit order).
    pub id: i64,
    /// When it was recorded.
    pub at: DateTime<Utc>,
    /// The project it happened in (none for users, tokens, roles, projects themselves).
    pub project: Option<String>,
    /// Who: a user name (local commands: the operating system user).
    pub actor: String,
    /// From where: a client address, or `local`.
    pub origin: String,
    /// The request that made it, when it came through the server.
    pub request_id: Option<String>,
    /// What happened, `KIND.VERB` (`asset.created`, `version.published`, `lock.broken`…).
    pub action: String,
    /// What it happened to: `asset`, `shot`, `version`, `user`…
    pub entity_kind: String,
    /// Its name as users type it (`barrel`, `SQ010/SH010`, `barrel@v3`).
    pub entity: String,
    /// The record before the change (none for creations).
    #[schema(value_type = serde_json::Value)]
    pub before: Option<serde_json::Value>,
    /// The record after the change (none for deletions).
    #[schema(value_type = serde_json::Value)]
    pub after: Option<serde_json::Value>,
}

/// A change about to be journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewEvent {
    /// See [`Event::project`].
    pub project: Option<String>,
    /// See [`Event::actor`].
    pub actor: String,
    /// See [`Event::origin`].
    pub origin: String,
    /// See [`Event::request_id`].
    pub request_id: Option<String>,
    /// See [`Event::action`].
    pub action: String,
    /// See [`Event::entity`].
    pub entity: String,
    /// See [`Event::before`].
    #[schema(value_type = serde_json::Value)]
    pub before: Option<serde_json::Value>,
    /// See [`Event::after`].
    #[schema(value_type = serde_json::Value)]
    pub after: Option<serde_json::Value>,
}

impl NewEvent {
    /// The entity kind: the part of the action before the dot.
    pub fn entity_kind(&self) -> &str {
        self.action.split('.').next().unwrap_or("")
    }
}

/// Which journal entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventFilter {
    /// Only entries after this id (for following the stream without gaps).
    pub after_id: Option<i64>,
    /// Only entries recorded at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only entries by this user.
    pub actor: Option<String>,
    /// Only entries of these projects (none: every project and the global entries).
    pub projects: Option<Vec<String>>,
    /// Only actions starting with this (`asset.` or `version.published`).
    pub action_prefix: Option<String>,
    /// At most this many, oldest first.
    pub limit: u64,
}

/// An exclusive check-out lease on an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssetLock {
    /// The project.
    pub project: String,
    /// The asset.
    pub asset: String,
    /// Who holds it.
    pub holder: String,
    /// Since when.
    pub acquired_at: DateTime<Utc>,
    /// The last heartbeat (or the acquisition).
    pub renewed_at: DateTime<Utc>,
    /// When the lease lapses unless renewed.
    pub expires_at: DateTime<Utc>,
    /// The asset's newest version when it was locked.
    pub version: Option<i64>,
}

/// A subscription that POSTs journal entries to a URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Webhook {
    /// Catalog id.
    pub id: i64,
    /// Where entries are POSTed.
    pub url: String,
    /// Only entries of this project (none: all).
    pub project: Option<String>,
    /// Only actions starting with one of these (empty: all).
    pub actions: Vec<String>,
    /// The last journal entry handled (delivered or dead-lettered).
    pub cursor: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Webhook {
    /// Whether `event` is one this webhook wants.
    pub fn wants(&self, event: &Event) -> bool {
        self.project
            .as_ref()
            .is_none_or(|p| event.project.as_ref() == Some(p))
            && (self.actions.is_empty() || self.actions.iter().any(|a| event.action.starts_with(a)))
    }
}

/// A journal entry a webhook could not deliver after every retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeadLetter {
    /// Catalog id.
    pub id: i64,
    /// The webhook.
    pub webhook: i64,
    /// The journal entry.
    pub event: i64,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub error: String,
    /// When it was given up.
    pub at: DateTime<Utc>,
}

/// A new token: its record and its text (shown once).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewToken {
    /// The record as listed later.
    #[serde(flatten)]
    pub info: TokenInfo,
    /// The token to give to clients (`bft_…`); it is not stored and cannot be shown again.
    pub token: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_text_round_trips_and_rejects_lookalikes() {
        let t = TokenSecret {
            id: "0123456789abcdef".into(),
            secret: "ab".repeat(32),
        };
        assert_eq!(TokenSecret::parse(&t.to_string()), Some(t.clone()));
        for bad in [
            "",
            "bft_",
            "bft_0123456789abcdef",
            "xyz_0123456789abcdef_00",
            &format!("bft_0123456789abcdeg_{}", "ab".repeat(32)),
            &format!("bft_0123456789abcdef_{}", "ab".repeat(31)),
            "' OR 1=1 --",
        ] {
            assert_eq!(TokenSecret::parse(bad), None, "{bad}");
        }
        assert_ne!(t.secret_hash(), t.secret);
    }

    #[test]
    fn roles_and_permissions() {
        let roles = default_roles();
        let get = |n: &str| roles.iter().find(|r| r.name == n).unwrap();
        assert!(get("admin").allows(Permission::Admin));
        assert!(get("artist").allows(Permission::Publish));
        assert!(!get("artist").allows(Permission::Review));
        assert!(!get("vendor").allows(Permission::Comment));
        assert!(get("vendor").allows(Permission::Read));
        assert!(!get("supervisor").allows(Permission::Admin));
        for p in Permission::ALL {
            assert_eq!(p.as_str().parse::<Permission>(), Ok(p));
        }
        assert!("root".parse::<Permission>().is_err());
    }

    #[test]
    fn webhook_filters() {
        let hook = Webhook {
            id: 1,
            url: "http://x".into(),
            project: Some("show".into()),
            actions: vec!["version.".into()],
            cursor: 0,
            created_at: Utc::now(),
        };
        let mut event = Event {
            id: 1,
            at: Utc::now(),
            project: Some("show".into()),
            actor: "ana".into(),
            origin: "local".into(),
            request_id: None,
            action: "version.published".into(),
            entity_kind: "version".into(),
            entity: "barrel@v1".into(),
            before: None,
            after: None,
        };
        assert!(hook.wants(&event));
        event.action = "asset.created".into();
        assert!(!hook.wants(&event));
        event.action = "version.reviewed".into();
        event.project = Some("other".into());
        assert!(!hook.wants(&event));
    }
}

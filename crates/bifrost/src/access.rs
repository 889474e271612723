//! Who is acting and what they may do: users and passwords, tokens, roles, membership, the
//! journal every change is recorded in, asset locks and webhooks.
//!
//! A [`Repository`] always acts for an [`Actor`] with some [`Access`]. Opened directly (the
//! local CLI, which can read the catalog database anyway) it has [`Access::Full`]; the server
//! scopes one to the signed-in user with [`Repository::for_user`], and every operation then
//! checks the user's role on the project (and their departments) before it changes anything.

use std::collections::BTreeSet;

use bifrost_core::access::{
    AssetLock, DeadLetter, Event, EventFilter, Member, NewEvent, Permission, Role, TokenInfo,
    TokenKind, TokenSecret, User, Webhook,
};
use bifrost_core::production::EntityRef;
use serde::Serialize;

use bifrost_catalog::Journal;

use crate::Repository;
use crate::error::{Error, Result};

/// Who is acting, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A user name (locally: the operating-system user).
    pub user: String,
    /// A client address, or `local`.
    pub origin: String,
    /// The server request, if any.
    pub request_id: Option<String>,
}

impl Actor {
    /// The local operating-system user (`$USER`), acting from `local`.
    pub fn local() -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        Actor {
            user,
            origin: "local".to_owned(),
            request_id: None,
        }
    }
}

/// What the actor may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anything: direct access to the catalog (whoever can open its database could change it).
    Full,
    /// A signed-in user's rights on the current project (or, for global operations, their
    /// global role).
    User {
        /// Their role here.
        role: Role,
        /// Departments whose work they may change (empty: all).
        departments: Vec<String>,
    },
}

/// Hashes a password with argon2id and a random salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String> {
    use argon2::PasswordHasher;
    use argon2::password_hash::SaltString;
    if password.chars().count() < 8 {
        return Err(Error::WeakPassword);
    }
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Password(e.to_string()))?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| Error::Password(e.to_string()))?
        .to_string())
}

pub(crate) fn password_matches(password: &str, hash: &str) -> bool {
    use argon2::PasswordVerifier;
    argon2::password_hash::PasswordHash::new(hash).is_ok_and(|parsed| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// The longest token lifetime and lock lease: ten years. Longer ones are refused rather than
/// stored (and lifetimes of many thousand years would overflow the date arithmetic).
pub const MAX_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3650 * 24 * 3600);

/// `now + length` for a token lifetime or a lock lease (`what`, with a `hint` on what else to
/// do), refused unless `length` is between one second and [`MAX_LIFETIME`].
fn expiry(
    what: &str,
    hint: &str,
    length: std::time::Duration,
) -> Result<chrono::DateTime<chrono::Utc>> {
    let out_of_range = || Error::DurationOutOfRange {
        what: what.to_owned(),
        given: format!("{}s", length.as_secs()),
        allowed: format!(
            "between 1 second and {} days (10 years){hint}",
            MAX_LIFETIME.as_secs() / 86_400
        ),
    };
    if length < std::time::Duration::from_secs(1) || length > MAX_LIFETIME {
        return Err(out_of_range());
    }
    bifrost_core::duration::checked_after(chrono::Utc::now(), length).ok_or_else(out_of_range)
}

/// A lock lease length as the catalog takes it (in the range [`expiry`] accepts).
fn lease(ttl: std::time::Duration) -> Result<chrono::Duration> {
    const WHAT: &str = "a lock lease";
    const HINT: &str = "; renew a lock to keep it longer";
    expiry(WHAT, HINT, ttl)?;
    // In range, so this cannot fail; still an error, never a panic.
    chrono::Duration::from_std(ttl).map_err(|_| Error::DurationOutOfRange {
        what: WHAT.to_owned(),
        given: format!("{}s", ttl.as_secs()),
        allowed: format!("at most {} days{HINT}", MAX_LIFETIME.as_secs() / 86_400),
    })
}

/// Whose work a change is, for [`Repository::require_work`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Work<'a> {
    /// A department's own work: its tasks (on an asset or a shot).
    Department(&'a str),
    /// An asset's work, with its versions, reviews, lock and the links from it: its
    /// department's, or no department's when it has none.
    Asset(&'a str),
    /// An asset's (as [`Work::Asset`]) or a shot's. A shot itself (status, frames, metadata,
    /// name, links from it) is no department's work; its tasks are their departments'.
    Entity(&'a EntityRef),
    /// Work of no department: the workflow and the department list, membership, sequences,
    /// shots themselves. Members restricted to departments may not change it.
    Unassigned,
    /// Nobody's production work: comments, favourites, collections, saved searches. The role's
    /// permission alone decides, whatever the member's departments.
    Shared,
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Option<serde_json::Value> {
    serde_json::to_value(value).ok().filter(|v| !v.is_null())
}

/// Who records a change, and in which project: a journal entry but for what changed. Cloned
/// into the builders of [`Journal`]s, which run inside the catalog's transaction.
#[derive(Debug, Clone)]
pub(crate) struct Recorder {
    project: Option<String>,
    actor: Actor,
    /// The newest journal entry this repository saw committed: a change whose entry would not
    /// come after it is refused (the catalog lost committed changes, see `watermark.rs`).
    mark: i64,
}

impl Recorder {
    /// An entry `action` on `entity`, with the record before and after the change.
    pub(crate) fn event<B: Serialize + ?Sized, A: Serialize + ?Sized>(
        &self,
        action: &str,
        entity: impl Into<String>,
        before: Option<&B>,
        after: Option<&A>,
    ) -> NewEvent {
        NewEvent {
            project: self.project.clone(),
            actor: self.actor.user.clone(),
            origin: self.actor.origin.clone(),
            request_id: self.actor.request_id.clone(),
            action: action.to_owned(),
            entity: entity.into(),
            before: before.and_then(to_json),
            after: after.and_then(to_json),
        }
    }

    /// One entry `action` on `entity`: `before` as given, `after` the change's result.
    pub(crate) fn journal<T: Serialize + 'static, B: Serialize>(
        self,
        action: &str,
        entity: impl Into<String>,
        before: Option<&B>,
    ) -> Journal<T> {
        let action = action.to_owned();
        let entity = entity.into();
        let before = before.and_then(to_json);
        self.entry(move |recorder, after: &T| {
            let mut event = recorder.event(&action, entity, None::<&()>, Some(after));
            event.before = before;
            event
        })
    }

    /// One entry built from the change's result by `build` (given this recorder).
    pub(crate) fn entry<T: 'static>(
        self,
        build: impl FnOnce(&Recorder, &T) -> NewEvent + Send + 'static,
    ) -> Journal<T> {
        let mark = self.mark;
        Journal::entry(move |result: &T| build(&self, result)).expecting_after(mark)
    }

    /// Entries built from the change's result by `build` (a batch), committed in order.
    pub(crate) fn entries<T: 'static>(
        self,
        build: impl FnOnce(&Recorder, &T) -> Vec<NewEvent> + Send + 'static,
    ) -> Journal<T> {
        let mark = self.mark;
        Journal::entries(move |result: &T| build(&self, result)).expecting_after(mark)
    }
}

/// A user who proved who they are (token or password), with their global role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The user.
    pub user: User,
    /// Their role (`User::role`) with its permissions.
    pub role: Role,
}

/// A user who proved who they are with a token, and their standing in one project, as
/// [`Repository::authenticate_in`] read them; [`Repository::for_signed_in`] scopes a handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInProject {
    /// The user and their global role.
    pub who: SignedIn,
    /// The project.
    project: String,
    /// What they may do there; `None`: they may not see it (missing, or not a member).
    access: Option<Access>,
}

/// What `who` may do on a project (`exists`: whether it exists) given their membership of it:
/// admins what their role allows on every existing project, others what their membership's
/// role allows, restricted to its departments. `None`: the project is missing, or they are not
/// a member, which callers report alike.
fn project_access(
    who: &SignedIn,
    exists: bool,
    membership: Option<(Member, Role)>,
) -> Option<Access> {
    if who.role.allows(Permission::Admin) {
        return exists.then(|| Access::User {
            role: who.role.clone(),
            departments: Vec::new(),
        });
    }
    membership.map(|(member, role)| Access::User {
        role,
        departments: member.departments,
    })
}

fn project_not_found(project: &str) -> Error {
    bifrost_catalog::CatalogError::ProjectNotFound {
        name: project.to_owned(),
    }
    .into()
}

pub use bifrost_core::access::NewToken;

impl Repository {
    /// Who this handle acts for.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// What this handle may do.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// The same repository acting for `actor` with full access (the local CLI's identity).
    pub fn acting_as(mut self, actor: Actor) -> Self {
        self.actor = actor;
        self
    }

    /// A handle acting for a signed-in user on `project` (or, with `None`, on nothing but
    /// global operations). A project the user is not a member of is reported as not found, so
    /// that its existence does not leak; admins are members of every project. Reads one row
    /// (the project for admins, the membership for others); [`Repository::authenticate_in`]
    /// reads it with the token instead.
    pub async fn for_user(
        &self,
        who: &SignedIn,
        actor: Actor,
        project: Option<&str>,
    ) -> Result<Self> {
        let Some(project) = project else {
            let access = Access::User {
                role: who.role.clone(),
                departments: Vec::new(),
            };
            return Ok(self.scoped(actor, None, access));
        };
        let access = if who.role.allows(Permission::Admin) {
            self.catalog.get_project(project).await?;
            project_access(who, true, None)
        } else {
            let membership = self.catalog.membership(project, &who.user.name).await?;
            project_access(who, membership.is_some(), membership)
        };
        let access = access.ok_or_else(|| project_not_found(project))?;
        Ok(self.scoped(actor, Some(project), access))
    }

    /// The user a token's text belongs to (as [`Repository::authenticate`]) with their standing
    /// in `project`, read together in one catalog statement: what a request on a project needs
    /// before anything else. `None`: the token is not valid (whatever the project).
    pub async fn authenticate_in(
        &self,
        token: &str,
        project: &str,
    ) -> Result<Option<SignedInProject>> {
        let Some(secret) = TokenSecret::parse(token) else {
            return Ok(None);
        };
        let Some(found) = self
            .catalog
            .authenticate_token_in_project(&secret.id, &secret.secret_hash(), project)
            .await?
        else {
            return Ok(None);
        };
        let who = SignedIn {
            user: found.user,
            role: found.role,
        };
        let access = project_access(&who, found.project_exists, found.membership);
        Ok(Some(SignedInProject {
            who,
            project: project.to_owned(),
            access,
        }))
    }

    /// The handle [`Repository::for_user`] gives for the user and project of `signed`, from
    /// what [`Repository::authenticate_in`] read: nothing more is read. A project they may not
    /// see is [`bifrost_catalog::CatalogError::ProjectNotFound`], exactly like a missing one.
    pub fn for_signed_in(&self, signed: SignedInProject, actor: Actor) -> Result<Self> {
        let access = signed
            .access
            .ok_or_else(|| project_not_found(&signed.project))?;
        Ok(self.scoped(actor, Some(&signed.project), access))
    }

    /// This repository acting for `actor` with `access`, on `project` if given.
    fn scoped(&self, actor: Actor, project: Option<&str>, access: Access) -> Self {
        let mut scoped = self.clone();
        scoped.actor = actor;
        scoped.access = access;
        if let Some(project) = project {
            project.clone_into(&mut scoped.config.project);
        }
        scoped
    }

    /// Refuses unless the actor's role allows `permission` here.
    pub fn require(&self, permission: Permission) -> Result<()> {
        match &self.access {
            Access::Full => Ok(()),
            Access::User { role, .. } if role.allows(permission) => Ok(()),
            Access::User { role, .. } => Err(Error::Forbidden {
                user: self.actor.user.clone(),
                reason: format!(
                    "role `{}` does not allow `{permission}` on project `{}`",
                    role.name,
                    self.project()
                ),
            }),
        }
    }

    /// Refuses unless the actor may `permission` on work of `department` (`None`: work of no
    /// particular department, which members restricted to departments may not change).
    pub fn require_department(
        &self,
        permission: Permission,
        department: Option<&str>,
    ) -> Result<()> {
        self.require(permission)?;
        let Access::User { role, departments } = &self.access else {
            return Ok(());
        };
        if departments.is_empty()
            || role.allows(Permission::Admin)
            || department.is_some_and(|d| departments.iter().any(|m| m == d))
        {
            return Ok(());
        }
        Err(Error::Forbidden {
            user: self.actor.user.clone(),
            reason: format!(
                "on project `{}` they may change only {} work, and this is {}",
                self.project(),
                departments.join(", "),
                department.map_or("no department's".to_owned(), |d| format!("{d}'s"))
            ),
        })
    }

    /// Whether the actor may change only some departments' work.
    fn restricted(&self) -> bool {
        matches!(&self.access, Access::User { role, departments }
            if !departments.is_empty() && !role.allows(Permission::Admin))
    }

    /// Refuses unless the actor may `permission` on `work`: the role first (before anything is
    /// read), then, for members restricted to departments, the department of the work (reading
    /// an asset's department when the work is an asset's). Every mutating operation of the
    /// current project calls this (or [`Repository::require_department`]) before it writes.
    pub(crate) async fn require_work(&self, permission: Permission, work: Work<'_>) -> Result<()> {
        self.require(permission)?;
        if !self.restricted() {
            return Ok(());
        }
        let department = match work {
            Work::Shared => return Ok(()),
            Work::Department(department) => Some(department.to_owned()),
            Work::Entity(EntityRef::Shot { .. }) | Work::Unassigned => None,
            Work::Asset(asset) => self.asset_department(asset).await?,
            Work::Entity(EntityRef::Asset(asset)) => self.asset_department(asset).await?,
        };
        self.require_department(permission, department.as_deref())
    }

    async fn asset_department(&self, asset: &str) -> Result<Option<String>> {
        Ok(self
            .catalog
            .get_asset(self.project(), asset)
            .await?
            .department)
    }

    /// Who records changes of the current project.
    pub(crate) fn recorder(&self) -> Recorder {
        Recorder {
            project: Some(self.project().to_owned()),
            actor: self.actor.clone(),
            mark: self.mark.load(std::sync::atomic::Ordering::Acquire),
        }
    }

    /// Who records changes that belong to no project (users, tokens, roles, webhooks).
    pub(crate) fn global_recorder(&self) -> Recorder {
        Recorder {
            project: None,
            actor: self.actor.clone(),
            mark: self.mark.load(std::sync::atomic::Ordering::Acquire),
        }
    }

    /// The journal of a change of the current project: one entry `action` on `entity` with the
    /// record as it was (`before`) and, as `after`, the change's result. The catalog writes it
    /// in the change's own transaction.
    pub(crate) fn journal<T: Serialize + 'static, B: Serialize>(
        &self,
        action: &str,
        entity: impl Into<String>,
        before: Option<&B>,
    ) -> Journal<T> {
        self.recorder().journal(action, entity, before)
    }

    /// [`Repository::journal`] for a change that belongs to no project.
    pub(crate) fn journal_global<T: Serialize + 'static, B: Serialize>(
        &self,
        action: &str,
        entity: impl Into<String>,
        before: Option<&B>,
    ) -> Journal<T> {
        self.global_recorder().journal(action, entity, before)
    }

    /// Once a journaled change committed: raises the catalog's high-water mark to its last entry.
    pub(crate) fn journaled<T>(&self, journal: &Journal<T>) {
        if let Some(id) = journal.last_id() {
            self.raise_mark(id);
        }
    }

    // -- Users, passwords, tokens -----------------------------------------------------------

    /// Adds a user (admins only). `password`: none for service accounts (tokens only).
    pub async fn add_user(
        &self,
        name: &str,
        display_name: Option<&str>,
        role: &str,
        password: Option<&str>,
    ) -> Result<User> {
        self.require(Permission::Admin)?;
        let hash = password.map(hash_password).transpose()?;
        let mut journal = self.journal_global("user.created", name, None::<&()>);
        let user = self
            .catalog
            .create_user(
                name,
                display_name.unwrap_or(name),
                role,
                hash.as_deref(),
                &mut journal,
            )
            .await?;
        self.journaled(&journal);
        Ok(user)
    }

    /// Every user.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        self.require(Permission::Admin)?;
        Ok(self.catalog.list_users().await?)
    }

    /// One user (yourself, or anyone for admins).
    pub async fn user(&self, name: &str) -> Result<User> {
        if name != self.actor.user {
            self.require(Permission::Admin)?;
        }
        Ok(self.catalog.get_user(name).await?)
    }

    /// Changes a user's role, disabled flag or password (admins; users may change their own
    /// password).
    pub async fn update_user(
        &self,
        name: &str,
        role: Option<&str>,
        disabled: Option<bool>,
        password: Option<&str>,
    ) -> Result<User> {
        if name != self.actor.user || role.is_some() || disabled.is_some() {
            self.require(Permission::Admin)?;
        }
        let before = self.catalog.get_user(name).await?;
        let hash = password.map(hash_password).transpose()?;
        let action = match disabled {
            Some(true) => "user.disabled",
            Some(false) => "user.enabled",
            None => "user.updated",
        };
        let mut journal = self.journal_global(action, name, Some(&before));
        let after = self
            .catalog
            .update_user(name, role, disabled, hash.as_deref(), &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(after)
    }

    /// Creates a token for `user` (yourself, or anyone for admins) that expires after
    /// `expires_in` (1 second to [`MAX_LIFETIME`]; `None`: when revoked). The returned text is
    /// the only copy.
    pub async fn create_token(
        &self,
        user: &str,
        name: &str,
        kind: TokenKind,
        expires_in: Option<std::time::Duration>,
    ) -> Result<NewToken> {
        if user != self.actor.user {
            self.require(Permission::Admin)?;
        }
        let secret = TokenSecret {
            id: hex::encode(rand::random::<[u8; 8]>()),
            secret: hex::encode(rand::random::<[u8; 32]>()),
        };
        let expires_at = expires_in
            .map(|d| {
                expiry(
                    "a token lifetime",
                    "; give none for a token that lasts until revoked",
                    d,
                )
            })
            .transpose()?;
        let mut journal = self.global_recorder().entry(|r, info: &TokenInfo| {
            r.event("token.created", info.id.clone(), None::<&()>, Some(info))
        });
        let info = self
            .catalog
            .create_token(
                user,
                &secret.id,
                name,
                kind,
                &secret.secret_hash(),
                expires_at,
                &mut journal,
            )
            .await?;
        self.journaled(&journal);
        Ok(NewToken {
            info,
            token: secret.to_string(),
        })
    }

    /// Tokens of `user` (yourself, or anyone for admins; `None`: everyone's, admins only).
    pub async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>> {
        if user != Some(self.actor.user.as_str()) {
            self.require(Permission::Admin)?;
        }
        Ok(self.catalog.list_tokens(user).await?)
    }

    /// Revokes a token (your own, or anyone's for admins).
    pub async fn revoke_token(&self, id: &str) -> Result<TokenInfo> {
        let before = self.catalog.get_token(id).await?;
        if before.user != self.actor.user {
            self.require(Permission::Admin)?;
        }
        let mut journal = self.journal_global("token.revoked", id, Some(&before));
        let after = self.catalog.revoke_token(id, &mut journal).await?;
        self.journaled(&journal);
        Ok(after)
    }

    /// The user a token's text belongs to, if it is valid (well-formed, known, secret
    /// matching, not revoked or expired, user enabled).
    pub async fn authenticate(&self, token: &str) -> Result<Option<SignedIn>> {
        let Some(secret) = TokenSecret::parse(token) else {
            return Ok(None);
        };
        Ok(self
            .catalog
            .authenticate_token(&secret.id, &secret.secret_hash())
            .await?
            .map(|(user, role)| SignedIn { user, role }))
    }

    // -- Roles and membership ---------------------------------------------------------------

    /// Every role.
    pub async fn roles(&self) -> Result<Vec<Role>> {
        Ok(self.catalog.list_roles().await?)
    }

    /// Creates a role or changes its permissions (admins only).
    pub async fn set_role(&self, role: &Role) -> Result<Role> {
        self.require(Permission::Admin)?;
        let before = self
            .catalog
            .list_roles()
            .await?
            .into_iter()
            .find(|r| r.name == role.name);
        let mut journal = self.journal_global("role.set", role.name.clone(), before.as_ref());
        let after = self.catalog.set_role(role, &mut journal).await?;
        self.journaled(&journal);
        Ok(after)
    }

    /// Members of the current project.
    pub async fn members(&self) -> Result<Vec<Member>> {
        Ok(self.catalog.list_members(self.project()).await?)
    }

    /// Adds `user` to the current project or changes their role and departments.
    pub async fn set_member(
        &self,
        user: &str,
        role: &str,
        departments: &[String],
    ) -> Result<Member> {
        // Membership decides departments: only members who may change every department's work
        // may change it (a restricted supervisor could otherwise lift their own restriction).
        self.require_work(Permission::Manage, Work::Unassigned)
            .await?;
        let before = self.catalog.membership(self.project(), user).await?;
        // Nobody hands out (or takes away) more than they hold themselves.
        self.require_within_own_role(&self.catalog.get_role(role).await?)?;
        if let Some((_, current)) = &before {
            self.require_within_own_role(current)?;
        }
        let mut journal = self.journal("member.set", user, before.as_ref().map(|(m, _)| m));
        let after = self
            .catalog
            .set_member(self.project(), user, role, departments, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(after)
    }

    /// Refuses to grant or change a membership whose role allows what the actor's own role does
    /// not (a supervisor making someone, or themselves, an admin).
    fn require_within_own_role(&self, granted: &Role) -> Result<()> {
        let Access::User { role: own, .. } = &self.access else {
            return Ok(());
        };
        if let Some(beyond) = granted.permissions.iter().find(|p| !own.allows(**p)) {
            return Err(Error::Forbidden {
                user: self.actor.user.clone(),
                reason: format!(
                    "role `{}` allows `{beyond}`, which your role `{}` does not: only someone \
                     whose role allows everything a role allows may grant it or change a member \
                     who holds it",
                    granted.name, own.name
                ),
            });
        }
        Ok(())
    }

    /// Removes `user` from the current project.
    pub async fn remove_member(&self, user: &str) -> Result<Member> {
        self.require_work(Permission::Manage, Work::Unassigned)
            .await?;
        if let Some((_, current)) = self.catalog.membership(self.project(), user).await? {
            self.require_within_own_role(&current)?;
        }
        let name = user.to_owned();
        let mut journal = self.recorder().entry(move |r, before: &Member| {
            r.event("member.removed", name, Some(before), None::<&()>)
        });
        let before = self
            .catalog
            .remove_member(self.project(), user, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(before)
    }

    /// Projects the actor can see: all with full access or for admins, else their memberships.
    pub async fn visible_projects(&self) -> Result<Vec<bifrost_core::Project>> {
        let all = self.catalog.list_projects().await?;
        match &self.access {
            Access::User { role, .. } if !role.allows(Permission::Admin) => {
                let mine: BTreeSet<String> = self
                    .catalog
                    .user_memberships(&self.actor.user)
                    .await?
                    .into_iter()
                    .map(|m| m.project)
                    .collect();
                Ok(all.into_iter().filter(|p| mine.contains(&p.name)).collect())
            }
            _ => Ok(all),
        }
    }

    // -- Journal ----------------------------------------------------------------------------

    /// Journal entries (the audit log), oldest first. Needs `audit`; non-admins see only the
    /// projects they are members of.
    pub async fn audit(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        self.require(Permission::Audit)?;
        self.events(filter).await
    }

    /// Journal entries as an event stream: what the actor can see (every project for full
    /// access and admins, their projects' entries otherwise), oldest first.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        let mut filter = filter.clone();
        if let Access::User { role, .. } = &self.access
            && !role.allows(Permission::Admin)
        {
            let mine: Vec<String> = self
                .catalog
                .user_memberships(&self.actor.user)
                .await?
                .into_iter()
                .map(|m| m.project)
                .collect();
            filter.projects = Some(match filter.projects.take() {
                Some(asked) => asked.into_iter().filter(|p| mine.contains(p)).collect(),
                None => mine,
            });
        }
        Ok(self.catalog.events(&filter).await?)
    }

    /// The newest journal entry's id (0 when empty).
    pub async fn last_event_id(&self) -> Result<i64> {
        Ok(self.catalog.last_event_id().await?)
    }

    // -- Locks ------------------------------------------------------------------------------

    /// Takes (or renews) the exclusive check-out lease on an asset for the actor. With `have`,
    /// refused unless it is the newest version ("lock only if you hold the latest").
    pub async fn lock(
        &self,
        asset: &str,
        ttl: std::time::Duration,
        have: Option<i64>,
    ) -> Result<AssetLock> {
        self.require_work(Permission::Publish, Work::Asset(asset))
            .await?;
        let ttl = lease(ttl)?;
        let mut journal = self.journal("lock.acquired", asset, None::<&()>);
        let lock = self
            .catalog
            .lock_asset(
                self.project(),
                asset,
                &self.actor.user,
                ttl,
                have,
                &mut journal,
            )
            .await?;
        self.journaled(&journal);
        Ok(lock)
    }

    /// Extends the actor's lease (the heartbeat). Not journaled: it changes only a deadline.
    pub async fn renew_lock(&self, asset: &str, ttl: std::time::Duration) -> Result<AssetLock> {
        self.require_work(Permission::Publish, Work::Asset(asset))
            .await?;
        let ttl = lease(ttl)?;
        Ok(self
            .catalog
            .renew_lock(self.project(), asset, &self.actor.user, ttl)
            .await?)
    }

    /// Releases the actor's lock, or with `force` breaks anyone's (needs `manage`).
    pub async fn unlock(&self, asset: &str, force: bool) -> Result<AssetLock> {
        let permission = if force {
            Permission::Manage
        } else {
            Permission::Publish
        };
        self.require_work(permission, Work::Asset(asset)).await?;
        let name = asset.to_owned();
        let mut journal = self.recorder().entry(move |r, lock: &AssetLock| {
            let action = if lock.holder == r.actor.user {
                "lock.released"
            } else {
                "lock.broken"
            };
            r.event(action, name, Some(lock), None::<&()>)
        });
        let lock = self
            .catalog
            .unlock_asset(self.project(), asset, &self.actor.user, force, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(lock)
    }

    /// The live lock on an asset, if any.
    pub async fn lock_of(&self, asset: &str) -> Result<Option<AssetLock>> {
        Ok(self.catalog.get_lock(self.project(), asset).await?)
    }

    /// Live locks of the current project.
    pub async fn locks(&self) -> Result<Vec<AssetLock>> {
        Ok(self.catalog.list_locks(self.project()).await?)
    }

    // -- Webhooks ---------------------------------------------------------------------------

    /// Subscribes `url` to changes (of `project`, of actions starting with one of `actions`)
    /// from now on; payloads are signed with HMAC-SHA256 of `secret`. Admins only.
    pub async fn add_webhook(
        &self,
        url: &str,
        secret: &str,
        project: Option<&str>,
        actions: &[String],
    ) -> Result<Webhook> {
        self.require(Permission::Admin)?;
        let parsed = url::Url::parse(url).map_err(|e| Error::BadUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::BadUrl {
                url: url.to_owned(),
                reason: "a webhook URL must be http:// or https://".into(),
            });
        }
        if secret.len() < 16 {
            return Err(Error::BadUrl {
                url: url.to_owned(),
                reason: "the signing secret must be at least 16 characters".into(),
            });
        }
        let mut journal = self.global_recorder().entry(|r, hook: &Webhook| {
            r.event(
                "webhook.created",
                hook.id.to_string(),
                None::<&()>,
                Some(hook),
            )
        });
        let hook = self
            .catalog
            .create_webhook(url, secret, project, actions, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(hook)
    }

    /// Every webhook (admins only).
    pub async fn webhooks(&self) -> Result<Vec<Webhook>> {
        self.require(Permission::Admin)?;
        Ok(self
            .catalog
            .webhooks()
            .await?
            .into_iter()
            .map(|(h, _)| h)
            .collect())
    }

    /// Every webhook with its secret: for the dispatcher only.
    pub async fn webhooks_with_secrets(&self) -> Result<Vec<(Webhook, String)>> {
        self.require(Permission::Admin)?;
        Ok(self.catalog.webhooks().await?)
    }

    /// Deletes a webhook (admins only).
    pub async fn delete_webhook(&self, id: i64) -> Result<Webhook> {
        self.require(Permission::Admin)?;
        let mut journal = self.global_recorder().entry(move |r, hook: &Webhook| {
            r.event("webhook.deleted", id.to_string(), Some(hook), None::<&()>)
        });
        let hook = self.catalog.delete_webhook(id, &mut journal).await?;
        self.journaled(&journal);
        Ok(hook)
    }

    /// Records that a webhook handled `event` (delivered, or dead after `failure`).
    pub async fn advance_webhook(
        &self,
        id: i64,
        event: i64,
        failure: Option<(u32, &str)>,
    ) -> Result<()> {
        self.require(Permission::Admin)?;
        Ok(self.catalog.advance_webhook(id, event, failure).await?)
    }

    /// Entries a webhook gave up on.
    pub async fn dead_letters(&self, webhook: i64) -> Result<Vec<DeadLetter>> {
        self.require(Permission::Admin)?;
        Ok(self.catalog.dead_letters(webhook).await?)
    }
}

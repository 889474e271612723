//! The access part of [`Catalog`]: roles, users, tokens, membership, the journal, asset locks
//! and webhooks. Each method runs the backend's implementation (`access.rs`, compiled once per
//! backend). The catalog stores and checks records; deciding who may do what is the facade's.

use bifrost_core::access::{
    AssetLock, DeadLetter, Event, EventFilter, Member, NewEvent, Role, TokenInfo, TokenKind, User,
    Webhook,
};
use chrono::{DateTime, Utc};

use crate::{Catalog, CatalogError, Journal};

type Result<T> = std::result::Result<T, CatalogError>;

/// A token's user and their standing in one project, read together by
/// [`Catalog::authenticate_token_in_project`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInProject {
    /// The token's user (enabled).
    pub user: User,
    /// Their global role.
    pub role: Role,
    /// Whether the project exists.
    pub project_exists: bool,
    /// Their membership of the project, with the membership's role.
    pub membership: Option<(Member, Role)>,
}

impl Catalog {
    /// Every role, by name.
    pub async fn list_roles(&self) -> Result<Vec<Role>> {
        dispatch!(access, self.list_roles())
    }

    /// One role ([`CatalogError::RoleNotFound`]).
    pub async fn get_role(&self, name: &str) -> Result<Role> {
        dispatch!(access, self.get_role(name))
    }

    /// Creates a role or replaces its permissions.
    pub async fn set_role(&self, role: &Role, journal: &mut Journal<Role>) -> Result<Role> {
        dispatch!(access, self.set_role(role, journal))
    }

    /// Adds a user ([`CatalogError::UserExists`], [`CatalogError::RoleNotFound`]). Service
    /// accounts have no password and sign in with tokens only.
    pub async fn create_user(
        &self,
        name: &str,
        display_name: &str,
        role: &str,
        password_hash: Option<&str>,
        journal: &mut Journal<User>,
    ) -> Result<User> {
        dispatch!(
            access,
            self.create_user(name, display_name, role, password_hash, journal)
        )
    }

    /// Every user, by name.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        dispatch!(access, self.list_users())
    }

    /// One user ([`CatalogError::UserNotFound`]).
    pub async fn get_user(&self, name: &str) -> Result<User> {
        dispatch!(access, self.get_user(name))
    }

    /// A user with the stored argon2 hash of their password, if they have one.
    pub async fn user_password_hash(&self, name: &str) -> Result<(User, Option<String>)> {
        dispatch!(access, self.user_password_hash(name))
    }

    /// Changes a user's role, disabled flag or password hash (each only when given).
    pub async fn update_user(
        &self,
        name: &str,
        role: Option<&str>,
        disabled: Option<bool>,
        password_hash: Option<&str>,
        journal: &mut Journal<User>,
    ) -> Result<User> {
        dispatch!(
            access,
            self.update_user(name, role, disabled, password_hash, journal)
        )
    }

    /// Records a token (only the hash of its secret is kept).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_token(
        &self,
        user: &str,
        id: &str,
        name: &str,
        kind: TokenKind,
        secret_hash: &str,
        expires_at: Option<DateTime<Utc>>,
        journal: &mut Journal<TokenInfo>,
    ) -> Result<TokenInfo> {
        dispatch!(
            access,
            self.create_token(user, id, name, kind, secret_hash, expires_at, journal)
        )
    }

    /// Tokens of one user, or of everyone.
    pub async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>> {
        dispatch!(access, self.list_tokens(user))
    }

    /// One token ([`CatalogError::TokenNotFound`]).
    pub async fn get_token(&self, id: &str) -> Result<TokenInfo> {
        dispatch!(access, self.get_token(id))
    }

    /// Revokes a token (revoking twice keeps the first time); returns it.
    pub async fn revoke_token(
        &self,
        id: &str,
        journal: &mut Journal<TokenInfo>,
    ) -> Result<TokenInfo> {
        dispatch!(access, self.revoke_token(id, journal))
    }

    /// The enabled user of a valid, unrevoked, unexpired token whose secret hashes to
    /// `secret_hash`, with their role; `None` otherwise (the caller answers 401 without
    /// saying why).
    pub async fn authenticate_token(
        &self,
        id: &str,
        secret_hash: &str,
    ) -> Result<Option<(User, Role)>> {
        dispatch!(access, self.authenticate_token(id, secret_hash))
    }

    /// [`Catalog::authenticate_token`] and, in the same statement, the user's standing in
    /// `project`: whether it exists and their membership of it (with the membership's role).
    /// `None` when the token is not usable, whatever the project.
    pub async fn authenticate_token_in_project(
        &self,
        id: &str,
        secret_hash: &str,
        project: &str,
    ) -> Result<Option<TokenInProject>> {
        dispatch!(
            access,
            self.authenticate_token_in_project(id, secret_hash, project)
        )
    }

    /// Makes `user` a member of `project` with `role`, restricted to `departments` (empty: all).
    pub async fn set_member(
        &self,
        project: &str,
        user: &str,
        role: &str,
        departments: &[String],
        journal: &mut Journal<Member>,
    ) -> Result<Member> {
        dispatch!(
            access,
            self.set_member(project, user, role, departments, journal)
        )
    }

    /// Removes a membership; returns it.
    pub async fn remove_member(
        &self,
        project: &str,
        user: &str,
        journal: &mut Journal<Member>,
    ) -> Result<Member> {
        dispatch!(access, self.remove_member(project, user, journal))
    }

    /// Members of a project, by user name.
    pub async fn list_members(&self, project: &str) -> Result<Vec<Member>> {
        dispatch!(access, self.list_members(project))
    }

    /// A user's membership of a project with its role, if any.
    pub async fn membership(&self, project: &str, user: &str) -> Result<Option<(Member, Role)>> {
        dispatch!(access, self.membership(project, user))
    }

    /// Every membership of a user, by project.
    pub async fn user_memberships(&self, user: &str) -> Result<Vec<Member>> {
        dispatch!(access, self.user_memberships(user))
    }

    /// Appends a journal entry on its own (entries commit in id order): only for entries that
    /// record no catalog change. A change's entries go with the change, through its
    /// [`Journal`] argument.
    pub async fn append_event(&self, event: &NewEvent) -> Result<Event> {
        dispatch!(access, self.append_event(event))
    }

    /// Appends several journal entries in one transaction, in order; returns the last one's id
    /// (0 when `events` is empty).
    pub async fn append_events(&self, events: &[NewEvent]) -> Result<i64> {
        dispatch!(access, self.append_events(events))
    }

    /// Journal entries, oldest first.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        dispatch!(access, self.events(filter))
    }

    /// The id of the newest journal entry (0 when empty).
    pub async fn last_event_id(&self) -> Result<i64> {
        dispatch!(access, self.last_event_id())
    }

    /// Locks an asset for `holder` for `ttl` (renewing their own lock). Refused with
    /// [`CatalogError::AssetLocked`] while another holds it and with
    /// [`CatalogError::NotLatestVersion`] when `have` is not the newest version.
    pub async fn lock_asset(
        &self,
        project: &str,
        asset: &str,
        holder: &str,
        ttl: chrono::Duration,
        have: Option<i64>,
        journal: &mut Journal<AssetLock>,
    ) -> Result<AssetLock> {
        dispatch!(
            access,
            self.lock_asset(project, asset, holder, ttl, have, journal)
        )
    }

    /// Extends the holder's lock by `ttl` from now (the heartbeat).
    pub async fn renew_lock(
        &self,
        project: &str,
        asset: &str,
        holder: &str,
        ttl: chrono::Duration,
    ) -> Result<AssetLock> {
        dispatch!(access, self.renew_lock(project, asset, holder, ttl))
    }

    /// Releases the holder's lock, or anyone's with `force`; returns the released lock.
    pub async fn unlock_asset(
        &self,
        project: &str,
        asset: &str,
        holder: &str,
        force: bool,
        journal: &mut Journal<AssetLock>,
    ) -> Result<AssetLock> {
        dispatch!(
            access,
            self.unlock_asset(project, asset, holder, force, journal)
        )
    }

    /// The live lock on an asset, if any.
    pub async fn get_lock(&self, project: &str, asset: &str) -> Result<Option<AssetLock>> {
        dispatch!(access, self.get_lock(project, asset))
    }

    /// Live locks of a project, by asset.
    pub async fn list_locks(&self, project: &str) -> Result<Vec<AssetLock>> {
        dispatch!(access, self.list_locks(project))
    }

    /// Subscribes `url` to journal entries from now on.
    pub async fn create_webhook(
        &self,
        url: &str,
        secret: &str,
        project: Option<&str>,
        actions: &[String],
        journal: &mut Journal<Webhook>,
    ) -> Result<Webhook> {
        dispatch!(
            access,
            self.create_webhook(url, secret, project, actions, journal)
        )
    }

    /// Every webhook with its signing secret.
    pub async fn webhooks(&self) -> Result<Vec<(Webhook, String)>> {
        dispatch!(access, self.webhooks())
    }

    /// Deletes a webhook and its dead letters.
    pub async fn delete_webhook(&self, id: i64, journal: &mut Journal<Webhook>) -> Result<Webhook> {
        dispatch!(access, self.delete_webhook(id, journal))
    }

    /// Marks `event` handled by a webhook, as a dead letter when `failure` is given.
    pub async fn advance_webhook(
        &self,
        id: i64,
        event: i64,
        failure: Option<(u32, &str)>,
    ) -> Result<()> {
        dispatch!(access, self.advance_webhook(id, event, failure))
    }

    /// The journal entries a webhook gave up on.
    pub async fn dead_letters(&self, webhook: i64) -> Result<Vec<DeadLetter>> {
        dispatch!(access, self.dead_letters(webhook))
    }
}

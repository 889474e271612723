//! Users, roles, membership, tokens, the journal, asset locks and webhooks: written once,
//! compiled once per backend (see `imp.rs`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};

use bifrost_core::access::{
    AssetLock, DeadLetter, Event, EventFilter, Member, NewEvent, Permission, Role, TokenInfo,
    TokenKind, User, Webhook, validate_user_name,
};

use super::imp::{
    Conn, DbRow, Pool, Result, asset_id, begin_journaled, begin_locked, begin_write,
    commit_journaled, project_id,
};
use crate::error::OnUniqueViolation;
use crate::sql::{corrupt, now, to_u32};
use crate::{CatalogError, TokenInProject};

// ---------------------------------------------------------------------------------------------
// Roles

/// A role from a row's `role_name` and `permissions` columns.
fn role_from_row(row: &DbRow) -> Result<Role> {
    let Json(names): Json<Vec<String>> = row.try_get("permissions")?;
    role_from_parts(row.try_get("role_name")?, &names)
}

/// A role from its name and stored permission names.
fn role_from_parts(name: String, permissions: &[String]) -> Result<Role> {
    let permissions = permissions
        .iter()
        .map(|n| n.parse::<Permission>())
        .collect::<std::result::Result<BTreeSet<_>, _>>()
        .map_err(|e| corrupt(format!("a role's permissions: {e}")))?;
    Ok(Role { name, permissions })
}

pub(crate) async fn list_roles(pool: &Pool) -> Result<Vec<Role>> {
    sqlx::query("SELECT name AS role_name, permissions FROM roles ORDER BY name")
        .fetch_all(pool)
        .await?
        .iter()
        .map(role_from_row)
        .collect()
}

async fn role_exists(conn: &mut Conn, name: &str) -> Result<()> {
    let found: Option<String> = sqlx::query_scalar("SELECT name FROM roles WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await?;
    if found.is_some() {
        return Ok(());
    }
    let known = sqlx::query_scalar("SELECT name FROM roles ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    Err(CatalogError::RoleNotFound {
        name: name.to_owned(),
        known,
    })
}

pub(crate) async fn get_role(pool: &Pool, name: &str) -> Result<Role> {
    let mut conn = pool.acquire().await?;
    role_exists(&mut conn, name).await?;
    let row = sqlx::query("SELECT name AS role_name, permissions FROM roles WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    role_from_row(&row)
}

pub(crate) async fn set_role(
    pool: &Pool,
    role: &Role,
    journal: &mut crate::Journal<Role>,
) -> Result<Role> {
    validate_user_name(&role.name)?;
    let names: Vec<&str> = role.permissions.iter().map(|p| p.as_str()).collect();
    let mut tx = begin_journaled(pool).await?;
    sqlx::query(
        "INSERT INTO roles (name, permissions) VALUES ($1, $2) \
         ON CONFLICT (name) DO UPDATE SET permissions = excluded.permissions",
    )
    .bind(&role.name)
    .bind(Json(&names))
    .execute(&mut *tx)
    .await?;
    let result = role.clone();
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

// ---------------------------------------------------------------------------------------------
// Users

const USER_SELECT: &str = "SELECT name, display_name, role, disabled, created_at FROM users";

fn user_from_row(row: &DbRow) -> Result<User> {
    Ok(User {
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        role: row.try_get("role")?,
        disabled: row.try_get("disabled")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(crate) async fn create_user(
    pool: &Pool,
    name: &str,
    display_name: &str,
    role: &str,
    password_hash: Option<&str>,
    journal: &mut crate::Journal<User>,
) -> Result<User> {
    validate_user_name(name)?;
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    role_exists(&mut tx, role).await?;
    sqlx::query(
        "INSERT INTO users (name, display_name, role, password_hash, disabled, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(name)
    .bind(display_name)
    .bind(role)
    .bind(password_hash)
    .bind(false)
    .bind(created_at)
    .execute(&mut *tx)
    .await
    .on_unique_violation(|| CatalogError::UserExists {
        name: name.to_owned(),
    })?;
    let result = User {
        name: name.to_owned(),
        display_name: display_name.to_owned(),
        role: role.to_owned(),
        disabled: false,
        created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn list_users(pool: &Pool) -> Result<Vec<User>> {
    sqlx::query(AssertSqlSafe(format!("{USER_SELECT} ORDER BY name")))
        .fetch_all(pool)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
}

async fn user_row(conn: &mut Conn, name: &str) -> Result<(i64, User, Option<String>)> {
    let row = sqlx::query(
        "SELECT id, name, display_name, role, disabled, created_at, password_hash \
         FROM users WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| CatalogError::UserNotFound {
        name: name.to_owned(),
    })?;
    Ok((
        row.try_get("id")?,
        user_from_row(&row)?,
        row.try_get("password_hash")?,
    ))
}

pub(crate) async fn get_user(pool: &Pool, name: &str) -> Result<User> {
    let mut conn = pool.acquire().await?;
    Ok(user_row(&mut conn, name).await?.1)
}

pub(crate) async fn user_password_hash(pool: &Pool, name: &str) -> Result<(User, Option<String>)> {
    let mut conn = pool.acquire().await?;
    let (_, user, hash) = user_row(&mut conn, name).await?;
    Ok((user, hash))
}

pub(crate) async fn update_user(
    pool: &Pool,
    name: &str,
    role: Option<&str>,
    disabled: Option<bool>,
    password_hash: Option<&str>,
    journal: &mut crate::Journal<User>,
) -> Result<User> {
    let mut tx = begin_journaled(pool).await?;
    let (id, mut user, _) = user_row(&mut tx, name).await?;
    if let Some(role) = role {
        role_exists(&mut tx, role).await?;
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        user.role = role.to_owned();
    }
    if let Some(disabled) = disabled {
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        user.disabled = disabled;
    }
    if let Some(hash) = password_hash {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    commit_journaled(tx, journal, &user).await?;
    Ok(user)
}

// ---------------------------------------------------------------------------------------------
// Tokens

fn token_from_row(row: &DbRow) -> Result<TokenInfo> {
    let kind: String = row.try_get("kind")?;
    Ok(TokenInfo {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        user: row.try_get("user_name")?,
        kind: kind.parse().map_err(corrupt)?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

const TOKEN_SELECT: &str = "SELECT t.id, t.name, u.name AS user_name, t.kind, t.created_at, \
     t.expires_at, t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id";

#[allow(clippy::too_many_arguments)]
pub(crate) async fn create_token(
    pool: &Pool,
    user: &str,
    id: &str,
    name: &str,
    kind: TokenKind,
    secret_hash: &str,
    expires_at: Option<DateTime<Utc>>,
    journal: &mut crate::Journal<TokenInfo>,
) -> Result<TokenInfo> {
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    let (user_id, _, _) = user_row(&mut tx, user).await?;
    sqlx::query(
        "INSERT INTO tokens (id, user_id, name, kind, secret_hash, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(user_id)
    .bind(name)
    .bind(kind.as_str())
    .bind(secret_hash)
    .bind(created_at)
    .bind(expires_at)
    .execute(&mut *tx)
    .await?;
    let result = TokenInfo {
        id: id.to_owned(),
        name: name.to_owned(),
        user: user.to_owned(),
        kind,
        created_at,
        expires_at,
        revoked_at: None,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn list_tokens(pool: &Pool, user: Option<&str>) -> Result<Vec<TokenInfo>> {
    let rows = match user {
        Some(user) => {
            sqlx::query(AssertSqlSafe(format!(
                "{TOKEN_SELECT} WHERE u.name = $1 ORDER BY t.created_at, t.id"
            )))
            .bind(user)
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query(AssertSqlSafe(format!(
                "{TOKEN_SELECT} ORDER BY u.name, t.created_at, t.id"
            )))
            .fetch_all(pool)
            .await?
        }
    };
    rows.iter().map(token_from_row).collect()
}

pub(crate) async fn get_token(pool: &Pool, id: &str) -> Result<TokenInfo> {
    read_token(&mut *pool.acquire().await?, id).await
}

async fn read_token(conn: &mut Conn, id: &str) -> Result<TokenInfo> {
    let row = sqlx::query(AssertSqlSafe(format!("{TOKEN_SELECT} WHERE t.id = $1")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| CatalogError::TokenNotFound { id: id.to_owned() })?;
    token_from_row(&row)
}

pub(crate) async fn revoke_token(
    pool: &Pool,
    id: &str,
    journal: &mut crate::Journal<TokenInfo>,
) -> Result<TokenInfo> {
    let at = now();
    let mut tx = begin_journaled(pool).await?;
    sqlx::query("UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let result = read_token(&mut tx, id).await?;
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

/// The columns and joins that read a token with its user and the user's role.
macro_rules! token_user_select {
    () => {
        "SELECT t.secret_hash, t.expires_at, t.revoked_at, u.name, u.display_name, u.role, \
         u.disabled, u.created_at, r.name AS role_name, r.permissions"
    };
}

macro_rules! token_user_from {
    () => {
        " FROM tokens t JOIN users u ON u.id = t.user_id JOIN roles r ON r.name = u.role"
    };
}

/// The user and role of a row read with `token_user_select!`, if the token's secret hashes to
/// `secret_hash`, it is neither revoked nor expired and its user is enabled.
fn usable_token(row: &DbRow, secret_hash: &str) -> Result<Option<(User, Role)>> {
    let stored: String = row.try_get("secret_hash")?;
    // Both are hex BLAKE3 digests of the same length; compare without an early exit.
    let same = stored.len() == secret_hash.len()
        && stored
            .bytes()
            .zip(secret_hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    let expires_at: Option<DateTime<Utc>> = row.try_get("expires_at")?;
    let revoked_at: Option<DateTime<Utc>> = row.try_get("revoked_at")?;
    let user = user_from_row(row)?;
    let usable = same
        && revoked_at.is_none()
        && expires_at.is_none_or(|at| at > Utc::now())
        && !user.disabled;
    Ok(if usable {
        Some((user, role_from_row(row)?))
    } else {
        None
    })
}

/// The user a token belongs to, with their role, if the token exists, its secret matches, it
/// is neither revoked nor expired and its user is enabled. One indexed lookup.
pub(crate) async fn authenticate_token(
    pool: &Pool,
    id: &str,
    secret_hash: &str,
) -> Result<Option<(User, Role)>> {
    let row = sqlx::query(concat!(
        token_user_select!(),
        token_user_from!(),
        " WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(row) => usable_token(&row, secret_hash),
        None => Ok(None),
    }
}

/// [`authenticate_token`] and, in the same statement, whether `project` exists and the user's
/// membership of it with the membership's role: what every API request on a project reads
/// before it does anything (one row, by the token's primary key, the project's unique name
/// and the membership's primary key).
pub(crate) async fn authenticate_token_in_project(
    pool: &Pool,
    id: &str,
    secret_hash: &str,
    project: &str,
) -> Result<Option<TokenInProject>> {
    let row = sqlx::query(concat!(
        token_user_select!(),
        ", p.id AS project_id, m.role AS member_role, m.departments, \
         mr.permissions AS member_permissions",
        token_user_from!(),
        " LEFT JOIN projects p ON p.name = $2 \
         LEFT JOIN members m ON m.project_id = p.id AND m.user_id = u.id \
         LEFT JOIN roles mr ON mr.name = m.role \
         WHERE t.id = $1"
    ))
    .bind(id)
    .bind(project)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let Some((user, role)) = usable_token(&row, secret_hash)? else {
        return Ok(None);
    };
    let project_id: Option<i64> = row.try_get("project_id")?;
    let member_role: Option<String> = row.try_get("member_role")?;
    let membership = match member_role {
        Some(member_role) => {
            let Json(departments): Json<Vec<String>> = row.try_get("departments")?;
            let Json(permissions): Json<Vec<String>> = row.try_get("member_permissions")?;
            let member = Member {
                project: project.to_owned(),
                user: user.name.clone(),
                role: member_role.clone(),
                departments,
            };
            Some((member, role_from_parts(member_role, &permissions)?))
        }
        None => None,
    };
    Ok(Some(TokenInProject {
        user,
        role,
        project_exists: project_id.is_some(),
        membership,
    }))
}

// ---------------------------------------------------------------------------------------------
// Membership

fn member_from_row(row: &DbRow) -> Result<Member> {
    let Json(departments): Json<Vec<String>> = row.try_get("departments")?;
    Ok(Member {
        project: row.try_get("project")?,
        user: row.try_get("user_name")?,
        role: row.try_get("role")?,
        departments,
    })
}

const MEMBER_SELECT: &str = "SELECT p.name AS project, u.name AS user_name, m.role, \
     m.departments FROM members m JOIN projects p ON p.id = m.project_id \
     JOIN users u ON u.id = m.user_id";

pub(crate) async fn set_member(
    pool: &Pool,
    project: &str,
    user: &str,
    role: &str,
    departments: &[String],
    journal: &mut crate::Journal<Member>,
) -> Result<Member> {
    let mut tx = begin_journaled(pool).await?;
    let project_id = project_id(&mut tx, project).await?;
    let (user_id, _, _) = user_row(&mut tx, user).await?;
    role_exists(&mut tx, role).await?;
    for department in departments {
        super::production::check_department(&mut tx, project_id, project, department).await?;
    }
    let mut departments = departments.to_vec();
    departments.sort();
    departments.dedup();
    sqlx::query(
        "INSERT INTO members (project_id, user_id, role, departments) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project_id, user_id) DO UPDATE \
         SET role = excluded.role, departments = excluded.departments",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(role)
    .bind(Json(&departments))
    .execute(&mut *tx)
    .await?;
    let result = Member {
        project: project.to_owned(),
        user: user.to_owned(),
        role: role.to_owned(),
        departments,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn remove_member(
    pool: &Pool,
    project: &str,
    user: &str,
    journal: &mut crate::Journal<Member>,
) -> Result<Member> {
    let mut tx = begin_journaled(pool).await?;
    let member = membership_in(&mut tx, project, user)
        .await?
        .ok_or_else(|| CatalogError::MemberNotFound {
            project: project.to_owned(),
            user: user.to_owned(),
        })?;
    sqlx::query(
        "DELETE FROM members WHERE project_id = (SELECT id FROM projects WHERE name = $1) \
         AND user_id = (SELECT id FROM users WHERE name = $2)",
    )
    .bind(project)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    commit_journaled(tx, journal, &member).await?;
    Ok(member)
}

pub(crate) async fn list_members(pool: &Pool, project: &str) -> Result<Vec<Member>> {
    let mut conn = pool.acquire().await?;
    project_id(&mut conn, project).await?;
    sqlx::query(AssertSqlSafe(format!(
        "{MEMBER_SELECT} WHERE p.name = $1 ORDER BY u.name"
    )))
    .bind(project)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(member_from_row)
    .collect()
}

async fn membership_in(conn: &mut Conn, project: &str, user: &str) -> Result<Option<Member>> {
    sqlx::query(AssertSqlSafe(format!(
        "{MEMBER_SELECT} WHERE p.name = $1 AND u.name = $2"
    )))
    .bind(project)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(member_from_row)
    .transpose()
}

/// A user's membership of a project with the permissions of its role, in one query.
pub(crate) async fn membership(
    pool: &Pool,
    project: &str,
    user: &str,
) -> Result<Option<(Member, Role)>> {
    let row = sqlx::query(
        "SELECT p.name AS project, u.name AS user_name, m.role, m.departments, \
         r.name AS role_name, r.permissions FROM members m JOIN projects p ON p.id = m.project_id \
         JOIN users u ON u.id = m.user_id JOIN roles r ON r.name = m.role \
         WHERE p.name = $1 AND u.name = $2",
    )
    .bind(project)
    .bind(user)
    .fetch_optional(pool)
    .await?;
    row.map(|row| Ok((member_from_row(&row)?, role_from_row(&row)?)))
        .transpose()
}

pub(crate) async fn user_memberships(pool: &Pool, user: &str) -> Result<Vec<Member>> {
    sqlx::query(AssertSqlSafe(format!(
        "{MEMBER_SELECT} WHERE u.name = $1 ORDER BY p.name"
    )))
    .bind(user)
    .fetch_all(pool)
    .await?
    .iter()
    .map(member_from_row)
    .collect()
}

// ---------------------------------------------------------------------------------------------
// Journal

const EVENT_SELECT: &str = "SELECT id, at, project, actor, origin, request_id, action, \
     entity_kind, entity, before, after FROM journal";

fn event_from_row(row: &DbRow) -> Result<Event> {
    let before: Option<Json<serde_json::Value>> = row.try_get("before")?;
    let after: Option<Json<serde_json::Value>> = row.try_get("after")?;
    Ok(Event {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        project: row.try_get("project")?,
        actor: row.try_get("actor")?,
        origin: row.try_get("origin")?,
        request_id: row.try_get("request_id")?,
        action: row.try_get("action")?,
        entity_kind: row.try_get("entity_kind")?,
        entity: row.try_get("entity")?,
        before: before.map(|j| j.0),
        after: after.map(|j| j.0),
    })
}

/// Appends an entry. It takes the repository write lock so that entries commit in id order:
/// a reader following the journal by id never sees a later id before an earlier one.
pub(crate) async fn append_event(pool: &Pool, event: &NewEvent) -> Result<Event> {
    let at = now();
    let mut tx = begin_locked(pool).await?;
    let id = insert_event(&mut tx, at, event).await?;
    tx.commit().await?;
    Ok(Event {
        id,
        at,
        project: event.project.clone(),
        actor: event.actor.clone(),
        origin: event.origin.clone(),
        request_id: event.request_id.clone(),
        action: event.action.clone(),
        entity_kind: event.entity_kind().to_owned(),
        entity: event.entity.clone(),
        before: event.before.clone(),
        after: event.after.clone(),
    })
}

/// Appends several entries in one transaction, in order; the last one's id (0 for none).
pub(crate) async fn append_events(pool: &Pool, events: &[NewEvent]) -> Result<i64> {
    let at = now();
    let mut tx = begin_locked(pool).await?;
    let mut last = 0;
    for event in events {
        last = insert_event(&mut tx, at, event).await?;
    }
    tx.commit().await?;
    Ok(last)
}

/// Inserts one journal entry inside the caller's locked transaction; returns its id.
pub(super) async fn insert_event(
    conn: &mut Conn,
    at: DateTime<Utc>,
    event: &NewEvent,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO journal (at, project, actor, origin, request_id, action, entity_kind, \
         entity, before, after) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(at)
    .bind(&event.project)
    .bind(&event.actor)
    .bind(&event.origin)
    .bind(&event.request_id)
    .bind(&event.action)
    .bind(event.entity_kind())
    .bind(&event.entity)
    .bind(event.before.as_ref().map(Json))
    .bind(event.after.as_ref().map(Json))
    .fetch_one(&mut *conn)
    .await?)
}

pub(crate) async fn events(pool: &Pool, filter: &EventFilter) -> Result<Vec<Event>> {
    let mut sql = format!("{EVENT_SELECT} WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    if filter.after_id.is_some() {
        sql += &format!(" AND id > ${}", next());
    }
    if filter.since.is_some() {
        sql += &format!(" AND at >= ${}", next());
    }
    if filter.actor.is_some() {
        sql += &format!(" AND actor = ${}", next());
    }
    if filter.action_prefix.is_some() {
        // A prefix match without LIKE, so that `_` and `%` in the filter mean themselves.
        sql += &format!(" AND substr(action, 1, length(${0})) = ${0}", next());
    }
    if let Some(projects) = &filter.projects {
        let list: Vec<String> = projects.iter().map(|_| format!("${}", next())).collect();
        if list.is_empty() {
            sql += " AND 1 = 0";
        } else {
            sql += &format!(" AND project IN ({})", list.join(", "));
        }
    }
    sql += &format!(" ORDER BY id LIMIT ${}", next());
    let mut query = sqlx::query(AssertSqlSafe(sql));
    if let Some(after) = filter.after_id {
        query = query.bind(after);
    }
    if let Some(since) = filter.since {
        query = query.bind(since);
    }
    if let Some(actor) = &filter.actor {
        query = query.bind(actor.clone());
    }
    if let Some(prefix) = &filter.action_prefix {
        query = query.bind(prefix.clone());
    }
    for project in filter.projects.iter().flatten() {
        query = query.bind(project.clone());
    }
    let limit = i64::try_from(filter.limit.clamp(1, 10_000)).unwrap_or(10_000);
    query
        .bind(limit)
        .fetch_all(pool)
        .await?
        .iter()
        .map(event_from_row)
        .collect()
}

pub(crate) async fn last_event_id(pool: &Pool) -> Result<i64> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM journal")
            .fetch_one(pool)
            .await?
            .unwrap_or(0),
    )
}

// ---------------------------------------------------------------------------------------------
// Locks

fn lock_from_row(row: &DbRow) -> Result<AssetLock> {
    Ok(AssetLock {
        project: row.try_get("project")?,
        asset: row.try_get("asset")?,
        holder: row.try_get("holder")?,
        acquired_at: row.try_get("acquired_at")?,
        renewed_at: row.try_get("renewed_at")?,
        expires_at: row.try_get("expires_at")?,
        version: row.try_get("version")?,
    })
}

const LOCK_SELECT: &str = "SELECT p.name AS project, a.name AS asset, l.holder, l.acquired_at, \
     l.renewed_at, l.expires_at, l.version FROM asset_locks l \
     JOIN assets a ON a.id = l.asset_id JOIN projects p ON p.id = a.project_id";

/// The lock on an asset, if one is held and has not lapsed.
pub(super) async fn current_lock(conn: &mut Conn, asset_id: i64) -> Result<Option<AssetLock>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "{LOCK_SELECT} WHERE l.asset_id = $1"
    )))
    .bind(asset_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row
        .as_ref()
        .map(lock_from_row)
        .transpose()?
        .filter(|l| l.expires_at > Utc::now()))
}

pub(super) fn locked_error(lock: &AssetLock) -> CatalogError {
    CatalogError::AssetLocked {
        asset: lock.asset.clone(),
        holder: lock.holder.clone(),
        since: lock.acquired_at.to_rfc3339(),
        until: lock.expires_at.to_rfc3339(),
    }
}

/// Refuses a change of `asset_id` by `author` while someone else holds its lock; returns the
/// author's own lock, if held.
pub(super) async fn check_lock(
    conn: &mut Conn,
    asset_id: i64,
    author: &str,
) -> Result<Option<AssetLock>> {
    match current_lock(conn, asset_id).await? {
        Some(lock) if lock.holder != author => Err(locked_error(&lock)),
        held => Ok(held),
    }
}

pub(crate) async fn lock_asset(
    pool: &Pool,
    project: &str,
    asset: &str,
    holder: &str,
    ttl: chrono::Duration,
    have: Option<i64>,
    journal: &mut crate::Journal<AssetLock>,
) -> Result<AssetLock> {
    let mut tx = begin_journaled(pool).await?;
    let asset_id = asset_id(&mut tx, project, asset, true).await?;
    let previous = check_lock(&mut tx, asset_id, holder).await?;
    let latest: Option<i64> =
        sqlx::query_scalar("SELECT MAX(number) FROM versions WHERE asset_id = $1")
            .bind(asset_id)
            .fetch_one(&mut *tx)
            .await?;
    if let Some(have) = have
        && Some(have) != latest
    {
        return Err(CatalogError::NotLatestVersion {
            asset: asset.to_owned(),
            have,
            latest: latest.unwrap_or(0),
        });
    }
    let at = now();
    let acquired_at = previous.map_or(at, |p| p.acquired_at);
    sqlx::query(
        "INSERT INTO asset_locks (asset_id, holder, acquired_at, renewed_at, expires_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (asset_id) DO UPDATE SET \
         holder = excluded.holder, acquired_at = excluded.acquired_at, \
         renewed_at = excluded.renewed_at, expires_at = excluded.expires_at, \
         version = excluded.version",
    )
    .bind(asset_id)
    .bind(holder)
    .bind(acquired_at)
    .bind(at)
    .bind(at + ttl)
    .bind(latest)
    .execute(&mut *tx)
    .await?;
    let result = AssetLock {
        project: project.to_owned(),
        asset: asset.to_owned(),
        holder: holder.to_owned(),
        acquired_at,
        renewed_at: at,
        expires_at: at + ttl,
        version: latest,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

pub(crate) async fn renew_lock(
    pool: &Pool,
    project: &str,
    asset: &str,
    holder: &str,
    ttl: chrono::Duration,
) -> Result<AssetLock> {
    let mut tx = begin_locked(pool).await?;
    let asset_id = asset_id(&mut tx, project, asset, true).await?;
    let Some(mut lock) = current_lock(&mut tx, asset_id).await? else {
        return Err(CatalogError::LockNotHeld {
            asset: asset.to_owned(),
            holder: None,
        });
    };
    if lock.holder != holder {
        return Err(CatalogError::LockNotHeld {
            asset: asset.to_owned(),
            holder: Some(lock.holder),
        });
    }
    let at = now();
    sqlx::query("UPDATE asset_locks SET renewed_at = $1, expires_at = $2 WHERE asset_id = $3")
        .bind(at)
        .bind(at + ttl)
        .bind(asset_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    lock.renewed_at = at;
    lock.expires_at = at + ttl;
    Ok(lock)
}

/// Releases the lock on an asset: the holder's own, or anyone's with `force` (an admin break).
pub(crate) async fn unlock_asset(
    pool: &Pool,
    project: &str,
    asset: &str,
    holder: &str,
    force: bool,
    journal: &mut crate::Journal<AssetLock>,
) -> Result<AssetLock> {
    let mut tx = begin_journaled(pool).await?;
    let asset_id = asset_id(&mut tx, project, asset, true).await?;
    let Some(lock) = current_lock(&mut tx, asset_id).await? else {
        return Err(CatalogError::LockNotHeld {
            asset: asset.to_owned(),
            holder: None,
        });
    };
    if lock.holder != holder && !force {
        return Err(locked_error(&lock));
    }
    sqlx::query("DELETE FROM asset_locks WHERE asset_id = $1")
        .bind(asset_id)
        .execute(&mut *tx)
        .await?;
    commit_journaled(tx, journal, &lock).await?;
    Ok(lock)
}

pub(crate) async fn get_lock(pool: &Pool, project: &str, asset: &str) -> Result<Option<AssetLock>> {
    let mut conn = pool.acquire().await?;
    let asset_id = asset_id(&mut conn, project, asset, false).await?;
    current_lock(&mut conn, asset_id).await
}

pub(crate) async fn list_locks(pool: &Pool, project: &str) -> Result<Vec<AssetLock>> {
    let mut conn = pool.acquire().await?;
    project_id(&mut conn, project).await?;
    let now = Utc::now();
    Ok(sqlx::query(AssertSqlSafe(format!(
        "{LOCK_SELECT} WHERE p.name = $1 ORDER BY a.name"
    )))
    .bind(project)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(lock_from_row)
    .collect::<Result<Vec<_>>>()?
    .into_iter()
    .filter(|l| l.expires_at > now)
    .collect())
}

// ---------------------------------------------------------------------------------------------
// Webhooks

const WEBHOOK_SELECT: &str =
    "SELECT id, url, secret, project, actions, cursor, created_at FROM webhooks";

fn webhook_from_row(row: &DbRow) -> Result<(Webhook, String)> {
    let Json(actions): Json<Vec<String>> = row.try_get("actions")?;
    Ok((
        Webhook {
            id: row.try_get("id")?,
            url: row.try_get("url")?,
            project: row.try_get("project")?,
            actions,
            cursor: row.try_get("cursor")?,
            created_at: row.try_get("created_at")?,
        },
        row.try_get("secret")?,
    ))
}

pub(crate) async fn create_webhook(
    pool: &Pool,
    url: &str,
    secret: &str,
    project: Option<&str>,
    actions: &[String],
    journal: &mut crate::Journal<Webhook>,
) -> Result<Webhook> {
    let created_at = now();
    let mut tx = begin_journaled(pool).await?;
    if let Some(project) = project {
        project_id(&mut tx, project).await?;
    }
    // A new webhook starts at the end of the journal: it is told about changes from now on.
    let cursor: i64 = sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(id) FROM journal")
        .fetch_one(&mut *tx)
        .await?
        .unwrap_or(0);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO webhooks (url, secret, project, actions, cursor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(url)
    .bind(secret)
    .bind(project)
    .bind(Json(actions))
    .bind(cursor)
    .bind(created_at)
    .fetch_one(&mut *tx)
    .await?;
    let result = Webhook {
        id,
        url: url.to_owned(),
        project: project.map(str::to_owned),
        actions: actions.to_vec(),
        cursor,
        created_at,
    };
    commit_journaled(tx, journal, &result).await?;
    Ok(result)
}

/// Every webhook with its signing secret, for the dispatcher.
pub(crate) async fn webhooks(pool: &Pool) -> Result<Vec<(Webhook, String)>> {
    sqlx::query(AssertSqlSafe(format!("{WEBHOOK_SELECT} ORDER BY id")))
        .fetch_all(pool)
        .await?
        .iter()
        .map(webhook_from_row)
        .collect()
}

pub(crate) async fn delete_webhook(
    pool: &Pool,
    id: i64,
    journal: &mut crate::Journal<Webhook>,
) -> Result<Webhook> {
    let mut tx = begin_journaled(pool).await?;
    let row = sqlx::query(AssertSqlSafe(format!("{WEBHOOK_SELECT} WHERE id = $1")))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(CatalogError::WebhookNotFound { id })?;
    let (hook, _) = webhook_from_row(&row)?;
    sqlx::query("DELETE FROM webhooks WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    commit_journaled(tx, journal, &hook).await?;
    Ok(hook)
}

/// Moves a webhook's cursor past `event`, recording it as dead when `failure` is given
/// (attempts made, last error). Both happen or neither.
pub(crate) async fn advance_webhook(
    pool: &Pool,
    id: i64,
    event: i64,
    failure: Option<(u32, &str)>,
) -> Result<()> {
    let mut tx = begin_write(pool).await?;
    let updated = sqlx::query("UPDATE webhooks SET cursor = $1 WHERE id = $2 AND cursor < $1")
        .bind(event)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if updated > 0
        && let Some((attempts, error)) = failure
    {
        sqlx::query(
            "INSERT INTO dead_letters (webhook_id, event_id, attempts, error, at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(event)
        .bind(i64::from(attempts))
        .bind(error)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn dead_letters(pool: &Pool, webhook: i64) -> Result<Vec<DeadLetter>> {
    sqlx::query(
        "SELECT id, webhook_id, event_id, attempts, error, at FROM dead_letters \
         WHERE webhook_id = $1 ORDER BY id",
    )
    .bind(webhook)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(DeadLetter {
            id: row.try_get("id")?,
            webhook: row.try_get("webhook_id")?,
            event: row.try_get("event_id")?,
            attempts: to_u32(row.try_get("attempts")?, "an attempt count")?,
            error: row.try_get("error")?,
            at: row.try_get("at")?,
        })
    })
    .collect()
}

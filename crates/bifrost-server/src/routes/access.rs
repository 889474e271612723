//! Sign-in, users, tokens, roles, project members, the audit log and webhooks.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use bifrost::core::access::{EventFilter, Permission, Role, TokenKind};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, Global, InProject};
use crate::routes::{Listing, Page};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(list_users, add_user))
        .routes(routes!(get_user, update_user))
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(list_roles))
        .routes(routes!(set_role))
        .routes(routes!(list_members))
        .routes(routes!(set_member, remove_member))
        .routes(routes!(audit))
        .routes(routes!(list_webhooks, add_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(dead_letters))
}

/// User name and password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    /// Login name.
    user: String,
    /// Password.
    password: String,
    /// Name for the personal token created (default `login`).
    #[serde(default)]
    token_name: Option<String>,
}

/// Signs in with a password and returns a new personal token (shown once).
#[utoipa::path(post, path = "/auth/login", tag = "access", security(()),
    request_body = LoginRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(client): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<Json<Value>> {
    let who = state
        .repo
        .verify_password(&body.user, &body.password)
        .await?;
    let actor = bifrost::Actor {
        user: who.user.name.clone(),
        origin: client.ip().to_string(),
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let repo = state.repo.for_user(&who, actor, None).await?;
    let token = repo
        .create_token(
            &who.user.name,
            body.token_name.as_deref().unwrap_or("login"),
            TokenKind::Personal,
            None,
        )
        .await?;
    Ok(Json(json!(token)))
}

/// The caller: their user record and project memberships.
#[utoipa::path(get, path = "/me", tag = "access",
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn me(caller: Caller, Global(repo): Global) -> ApiResult<Json<Value>> {
    let projects = repo.visible_projects().await?;
    Ok(Json(json!({
        "user": caller.who.user,
        "projects": projects.iter().map(|p| &p.name).collect::<Vec<_>>(),
    })))
}

/// Every user (admins).
#[utoipa::path(get, path = "/users", tag = "access", params(Page),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_users(
    Global(repo): Global,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<Listing<bifrost::core::access::User>>> {
    page.of(repo.list_users().await?)
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUserRequest {
    /// Login name (letters, digits, `_ - . @`).
    name: String,
    /// Name shown to people (default: the login name).
    #[serde(default)]
    display_name: Option<String>,
    /// Role (`admin`, `supervisor`, `artist`, `vendor` or a configured one).
    role: String,
    /// Password (at least 8 characters); none for service accounts.
    #[serde(default)]
    password: Option<String>,
}

/// Adds a user (admins).
#[utoipa::path(post, path = "/users", tag = "access", request_body = NewUserRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_user(
    Global(repo): Global,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<Value>)> {
    let user = repo
        .add_user(
            &body.name,
            body.display_name.as_deref(),
            &body.role,
            body.password.as_deref(),
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(user))))
}

/// One user (yourself, or anyone for admins).
#[utoipa::path(get, path = "/users/{name}", tag = "access", params(("name" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn get_user(Global(repo): Global, ApiPath(name): ApiPath<String>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.user(&name).await?)))
}

/// Changes to a user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserUpdateRequest {
    /// New role (admins).
    #[serde(default)]
    role: Option<String>,
    /// Disable or enable (admins).
    #[serde(default)]
    disabled: Option<bool>,
    /// New password (yourself, or admins).
    #[serde(default)]
    password: Option<String>,
}

/// Changes a user's role, disabled flag or password.
#[utoipa::path(patch, path = "/users/{name}", tag = "access", params(("name" = String, Path)),
    request_body = UserUpdateRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn update_user(
    Global(repo): Global,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<UserUpdateRequest>,
) -> ApiResult<Json<Value>> {
    let user = repo
        .update_user(
            &name,
            body.role.as_deref(),
            body.disabled,
            body.password.as_deref(),
        )
        .await?;
    Ok(Json(json!(user)))
}

/// Whose tokens to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    /// A user (default: yourself); `*` for everyone's (admins).
    #[serde(default)]
    user: Option<String>,
}

/// Tokens (secrets are never shown again).
#[utoipa::path(get, path = "/tokens", tag = "access", params(TokenQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_tokens(
    caller: Caller,
    Global(repo): Global,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> ApiResult<Json<Value>> {
    let user = match query.user.as_deref() {
        Some("*") => None,
        Some(user) => Some(user),
        None => Some(caller.who.user.name.as_str()),
    };
    Ok(Json(json!(repo.list_tokens(user).await?)))
}

/// A new token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewTokenRequest {
    /// What it is for.
    name: String,
    /// `personal` (default) or `service`.
    #[serde(default)]
    kind: Option<String>,
    /// Whose (default: yourself; others: admins).
    #[serde(default)]
    user: Option<String>,
    /// Lifetime in seconds, 1 to 315360000 (10 years); default: until revoked.
    #[serde(default)]
    expires_in_seconds: Option<u64>,
}

/// Creates a token; the answer holds its text, shown this once.
#[utoipa::path(post, path = "/tokens", tag = "access", request_body = NewTokenRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn create_token(
    caller: Caller,
    Global(repo): Global,
    ApiJson(body): ApiJson<NewTokenRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<Value>)> {
    let kind = match body.kind.as_deref() {
        None => TokenKind::Personal,
        Some(k) => k.parse().map_err(ApiError::bad_request)?,
    };
    let user = body.user.unwrap_or(caller.who.user.name);
    let token = repo
        .create_token(
            &user,
            &body.name,
            kind,
            body.expires_in_seconds.map(std::time::Duration::from_secs),
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(token))))
}

/// Revokes a token (your own, or anyone's for admins).
#[utoipa::path(delete, path = "/tokens/{id}", tag = "access", params(("id" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn revoke_token(
    Global(repo): Global,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.revoke_token(&id).await?)))
}

/// Every role and what it allows.
#[utoipa::path(get, path = "/roles", tag = "access",
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_roles(Global(repo): Global) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.roles().await?)))
}

/// A role's permissions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RoleRequest {
    /// Permissions: read, comment, edit, publish, review, manage, audit, admin.
    permissions: Vec<String>,
}

/// Creates or changes a role (admins).
#[utoipa::path(put, path = "/roles/{name}", tag = "access", params(("name" = String, Path)),
    request_body = RoleRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn set_role(
    Global(repo): Global,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<RoleRequest>,
) -> ApiResult<Json<Value>> {
    let permissions = body
        .permissions
        .iter()
        .map(|p| p.parse::<Permission>())
        .collect::<Result<BTreeSet<_>, _>>()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    Ok(Json(json!(
        repo.set_role(&Role { name, permissions }).await?
    )))
}

/// Members of a project.
#[utoipa::path(get, path = "/projects/{project}/members", tag = "access",
    params(("project" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_members(InProject(repo): InProject) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.members().await?)))
}

/// A membership.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberRequest {
    /// Role on the project.
    role: String,
    /// Departments whose work the member may change (empty or absent: all).
    #[serde(default)]
    departments: Vec<String>,
}

/// Adds a member or changes their role and departments (needs `manage`).
#[utoipa::path(put, path = "/projects/{project}/members/{user}", tag = "access",
    params(("project" = String, Path), ("user" = String, Path)), request_body = MemberRequest,
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn set_member(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
    ApiJson(body): ApiJson<MemberRequest>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, user)) = path;
    Ok(Json(json!(
        repo.set_member(&user, &body.role, &body.departments)
            .await?
    )))
}

/// Removes a member (needs `manage`).
#[utoipa::path(delete, path = "/projects/{project}/members/{user}", tag = "access",
    params(("project" = String, Path), ("user" = String, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn remove_member(
    InProject(repo): InProject,
    path: ApiPath<(String, String)>,
) -> ApiResult<Json<Value>> {
    let ApiPath((_, user)) = path;
    Ok(Json(json!(repo.remove_member(&user).await?)))
}

/// Which audit entries to read.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Only entries at or after this time (RFC 3339).
    #[serde(default)]
    since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only entries by this user.
    #[serde(default)]
    user: Option<String>,
    /// Only entries of this project.
    #[serde(default)]
    project: Option<String>,
    /// Only actions starting with this (`asset.`, `version.published`).
    #[serde(default)]
    action: Option<String>,
    /// Only entries after this id.
    #[serde(default)]
    after: Option<i64>,
    /// At most this many (default 100, at most 10000).
    #[serde(default)]
    limit: Option<u64>,
}

/// The audit log: who changed what, when, from where, before and after (needs `audit`).
#[utoipa::path(get, path = "/audit", tag = "access", params(AuditQuery),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn audit(
    Global(repo): Global,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Value>> {
    let filter = EventFilter {
        after_id: query.after,
        since: query.since,
        actor: query.user,
        projects: query.project.map(|p| vec![p]),
        action_prefix: query.action,
        limit: query.limit.unwrap_or(100).clamp(1, 10_000),
    };
    Ok(Json(json!(repo.audit(&filter).await?)))
}

/// Every webhook (admins).
#[utoipa::path(get, path = "/webhooks", tag = "events",
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn list_webhooks(Global(repo): Global) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.webhooks().await?)))
}

/// A webhook subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookRequest {
    /// Where to POST events (http or https).
    url: String,
    /// Signing secret (at least 16 characters): each delivery carries
    /// `X-Bifrost-Signature: sha256=HEX(HMAC-SHA256(secret, body))`.
    secret: String,
    /// Only events of this project.
    #[serde(default)]
    project: Option<String>,
    /// Only actions starting with one of these (`version.`, `asset.created`).
    #[serde(default)]
    actions: Vec<String>,
}

/// Subscribes a URL to events from now on (admins).
#[utoipa::path(post, path = "/webhooks", tag = "events", request_body = WebhookRequest,
    responses((status = 201, body = Value), (status = "4XX", body = ErrorBody)))]
async fn add_webhook(
    Global(repo): Global,
    ApiJson(body): ApiJson<WebhookRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<Value>)> {
    let hook = repo
        .add_webhook(
            &body.url,
            &body.secret,
            body.project.as_deref(),
            &body.actions,
        )
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!(hook))))
}

/// Deletes a webhook (admins).
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "events", params(("id" = i64, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn delete_webhook(Global(repo): Global, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.delete_webhook(id).await?)))
}

/// Events a webhook gave up delivering (admins).
#[utoipa::path(get, path = "/webhooks/{id}/dead-letters", tag = "events",
    params(("id" = i64, Path)),
    responses((status = 200, body = Value), (status = "4XX", body = ErrorBody)))]
async fn dead_letters(Global(repo): Global, ApiPath(id): ApiPath<i64>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(repo.dead_letters(id).await?)))
}

//! `bifrost serve` and the commands that manage who may do what: users, tokens, roles,
//! project members, the audit log, asset locks and webhooks.

use std::collections::BTreeSet;
use std::io::Read;

use anyhow::{Context, Result, bail};
use bifrost::Hub;
use bifrost::core::access::{EventFilter, Permission, Role, TokenKind};
use clap::Subcommand;

use crate::escape::{esc, esc_of};
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum AccessCommand {
    /// Serve the REST API (and its OpenAPI document, /healthz, /metrics) for this repository.
    ///
    /// Examples:
    ///   bifrost user add admin --role admin --password-stdin <<< 'a long password'
    ///   bifrost serve --listen 0.0.0.0:8080
    ///   curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/api/v1/projects
    /// The API is documented at /api/v1/openapi.json. Ctrl-C (or SIGTERM) stops accepting,
    /// finishes in-flight requests, then exits.
    ///
    /// Prometheus /metrics needs, by default, a token of a user whose role allows `audit`
    /// (admin and supervisor do, or a role made for it), sent as `Authorization: Bearer <token>`
    /// (Prometheus sends that for a job with `authorization: {credentials_file: FILE}`):
    ///   bifrost role set metrics audit && bifrost user add prometheus --role metrics
    ///   bifrost token create --user prometheus --name scraper --service > bifrost.token
    /// `--metrics public` serves /metrics to anyone without a token; `--metrics off` not at all.
    #[command(verbatim_doc_comment)]
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: String,
        /// Who may read /metrics.
        #[arg(
            long,
            value_enum,
            default_value_t = MetricsMode::Token,
            env = "BIFROST_METRICS",
            value_name = "ACCESS"
        )]
        metrics: MetricsMode,
    },
    /// Manage users (admins).
    #[command(subcommand)]
    User(UserCommand),
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// List roles or set what a role allows.
    #[command(subcommand)]
    Role(RoleCommand),
    /// Manage the current project's members, their roles and departments.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Show the audit log: who changed what, when, from where, before and after.
    ///
    /// Examples:
    ///   bifrost audit --since 1h
    ///   bifrost audit --user ana --action version. --json
    #[command(verbatim_doc_comment)]
    Audit {
        /// Only entries newer than this: a duration (30m, 2h, 7d) or an RFC 3339 time.
        #[arg(long, value_name = "WHEN")]
        since: Option<String>,
        /// Only entries by this user.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
        /// Only actions starting with this (asset., version.published, lock.).
        #[arg(long, value_name = "PREFIX")]
        action: Option<String>,
        /// Only the current project's entries (default: all projects and global entries).
        #[arg(long)]
        this_project: bool,
        /// At most this many entries (oldest first).
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Take (or renew) the exclusive lock on an asset: others cannot publish it until you
    /// publish (which releases it), unlock, or the lease runs out.
    ///
    /// Example: bifrost lock hero_rig --ttl 4h --have 7
    Lock {
        /// The asset.
        asset: String,
        /// Lease length (30m, 4h, 2d); renew by locking again.
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        ttl: String,
        /// The version you have: refused unless it is the latest.
        #[arg(long, value_name = "N")]
        have: Option<i64>,
    },
    /// Release your lock on an asset, or break someone else's with --force (needs `manage`).
    Unlock {
        /// The asset.
        asset: String,
        /// Break another user's lock.
        #[arg(long)]
        force: bool,
    },
    /// List the current project's locks.
    Locks,
    /// Manage webhooks: URLs that receive every change as a signed POST.
    #[command(subcommand)]
    Webhook(WebhookCommand),
}

/// Who may read `/metrics` (`bifrost serve --metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsMode {
    /// A bearer token of a user whose role allows `audit` (or `admin`); 401 without, 403 for others.
    Token,
    /// Anyone who can reach the server, without a token.
    Public,
    /// Not served: 404.
    Off,
}

impl From<MetricsMode> for bifrost_server::MetricsAccess {
    fn from(mode: MetricsMode) -> Self {
        match mode {
            MetricsMode::Token => bifrost_server::MetricsAccess::Token,
            MetricsMode::Public => bifrost_server::MetricsAccess::Public,
            MetricsMode::Off => bifrost_server::MetricsAccess::Off,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user.
    ///
    /// Examples:
    ///   printf '%s' "$PASSWORD" | bifrost user add ana --role artist --password-stdin
    ///   bifrost user add farm --role artist          # a service account: tokens only
    #[command(verbatim_doc_comment)]
    Add {
        /// Login name (letters, digits, `_ - . @`).
        name: String,
        /// Role: admin, supervisor, artist, vendor, or one made with `bifrost role set`.
        #[arg(long)]
        role: String,
        /// Name shown to people.
        #[arg(long, value_name = "TEXT")]
        display_name: Option<String>,
        /// Read the password (at least 8 characters) from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user: they cannot sign in and their tokens stop working.
    Disable {
        /// The user.
        name: String,
    },
    /// Enable a disabled user.
    Enable {
        /// The user.
        name: String,
    },
    /// Change a user's role or password.
    Update {
        /// The user.
        name: String,
        /// New role.
        #[arg(long)]
        role: Option<String>,
        /// Read a new password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is printed once and cannot be shown again.
    ///
    /// Examples:
    ///   bifrost token create --user ana --name laptop
    ///   bifrost token create --user farm --name renderfarm --service --expires 90d
    #[command(verbatim_doc_comment)]
    Create {
        /// Whose token.
        #[arg(long)]
        user: String,
        /// What it is for.
        #[arg(long, default_value = "cli")]
        name: String,
        /// A service token (render farm, script) rather than a personal one.
        #[arg(long)]
        service: bool,
        /// Lifetime (30d, 12h); default: until revoked.
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// Only this user's.
        #[arg(long)]
        user: Option<String>,
    },
    /// Revoke a token by its id (the part after `bft_`, before the second `_`).
    Revoke {
        /// The token id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// List roles and their permissions.
    List,
    /// Create a role or replace its permissions.
    ///
    /// Example: bifrost role set lead read comment edit publish review
    Set {
        /// Role name.
        name: String,
        /// Permissions: read, comment, edit, publish, review, manage, audit, admin.
        #[arg(required = true)]
        permissions: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Add a user to the current project, or change their role and departments.
    ///
    /// Example: bifrost member set ana --role artist --dept animation
    Set {
        /// The user.
        user: String,
        /// Their role on this project.
        #[arg(long)]
        role: String,
        /// A department whose work they may change (repeatable; none: every department).
        #[arg(long = "dept", value_name = "DEPARTMENT")]
        departments: Vec<String>,
    },
    /// List the current project's members.
    List,
    /// Remove a user from the current project.
    Remove {
        /// The user.
        user: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL to changes from now on; each POST carries
    /// `X-Bifrost-Signature: sha256=HEX(HMAC-SHA256(SECRET, BODY))`.
    ///
    /// Example: bifrost webhook add https://farm.studio/hooks/bifrost --secret "$SECRET" --action version.published
    Add {
        /// Where to POST (http or https).
        url: String,
        /// Signing secret (at least 16 characters).
        #[arg(long)]
        secret: String,
        /// Only actions starting with this (repeatable; default: all).
        #[arg(long = "action", value_name = "PREFIX")]
        actions: Vec<String>,
        /// Only the current project's changes.
        #[arg(long)]
        this_project: bool,
    },
    /// List webhooks.
    List,
    /// Delete a webhook.
    Delete {
        /// Its id.
        id: i64,
    },
    /// Changes a webhook gave up delivering after every retry.
    DeadLetters {
        /// Its id.
        id: i64,
    },
}

fn read_password(from_stdin: bool) -> Result<Option<String>> {
    if !from_stdin {
        return Ok(None);
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading the password from standard input")?;
    let password = text.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!(
            "no password on standard input; pipe one in, e.g. printf '%s' \"$PASSWORD\" | bifrost user add …"
        );
    }
    Ok(Some(password))
}

fn since(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    let ago = bifrost::parse_duration(text).with_context(|| {
        format!("--since `{text}`: give a duration (2h, 7d) or an RFC 3339 time")
    })?;
    Ok(chrono::Utc::now() - chrono::Duration::from_std(ago)?)
}

fn permissions(names: &[String]) -> Result<BTreeSet<Permission>> {
    names
        .iter()
        .flat_map(|n| n.split(','))
        .filter(|n| !n.is_empty())
        .map(|n| n.trim().parse::<Permission>().map_err(Into::into))
        .collect()
}

/// `bifrost serve`: the REST API over this (local) repository until Ctrl-C or SIGTERM.
pub async fn serve(
    listen: &str,
    metrics: MetricsMode,
    repo: &bifrost::Repository,
    out: &Out,
) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}; is another server there?"))?;
    let addr = listener.local_addr()?;
    out.value(&serde_json::json!({ "listening": addr.to_string() }), || {
        format!(
            "serving {} on http://{addr} (API: /api/v1, docs: /api/v1/openapi.json); Ctrl-C stops",
            esc_of(repo.root().display())
        )
    });
    let state = bifrost_server::AppState::new(repo.clone()).with_metrics(metrics.into());
    bifrost_server::serve_state(state, listener, shutdown_signal()).await?;
    Ok(())
}

pub async fn run(cmd: &AccessCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    match cmd {
        AccessCommand::Serve { .. } => {
            bail!("`bifrost serve` serves a local repository: run it without --remote")
        }
        AccessCommand::User(cmd) => user(cmd, repo, out).await?,
        AccessCommand::Token(cmd) => token(cmd, repo, out).await?,
        AccessCommand::Role(RoleCommand::List) => {
            let roles = repo.roles().await?;
            out.value(&roles, || {
                roles
                    .iter()
                    .map(|r| {
                        let perms: Vec<&str> = r.permissions.iter().map(|p| p.as_str()).collect();
                        format!("{:<12} {}", esc(&r.name), perms.join(", "))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AccessCommand::Role(RoleCommand::Set {
            name,
            permissions: p,
        }) => {
            let role = repo
                .set_role(&Role {
                    name: name.clone(),
                    permissions: permissions(p)?,
                })
                .await?;
            out.value(&role, || format!("role {} set", esc(name)));
        }
        AccessCommand::Member(cmd) => member(cmd, repo, out).await?,
        AccessCommand::Audit {
            since: when,
            user,
            action,
            this_project,
            limit,
        } => {
            let filter = EventFilter {
                since: when.as_deref().map(since).transpose()?,
                actor: user.clone(),
                action_prefix: action.clone(),
                projects: this_project.then(|| vec![repo.project().to_owned()]),
                limit: *limit,
                ..EventFilter::default()
            };
            let events = repo.audit(&filter).await?;
            out.value(&events, || {
                events
                    .iter()
                    .map(|e| {
                        format!(
                            "#{:<6} {} {:<10} {:<12} {:<24} {}{}",
                            e.id,
                            e.at.format("%Y-%m-%d %H:%M:%S"),
                            esc(&e.actor),
                            esc(&e.origin),
                            esc(&e.action),
                            esc(&e.entity),
                            e.project
                                .as_ref()
                                .map(|p| format!("  [{}]", esc(p)))
                                .unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AccessCommand::Lock { asset, ttl, have } => {
            let lock = repo
                .lock(asset, bifrost::parse_duration(ttl)?, *have)
                .await?;
            out.value(&lock, || {
                format!(
                    "locked {} for {} until {}",
                    esc(asset),
                    esc(&lock.holder),
                    lock.expires_at.format("%Y-%m-%d %H:%M")
                )
            });
        }
        AccessCommand::Unlock { asset, force } => {
            let lock = repo.unlock(asset, *force).await?;
            out.value(&lock, || {
                format!("unlocked {} (held by {})", esc(asset), esc(&lock.holder))
            });
        }
        AccessCommand::Locks => {
            let locks = repo.locks().await?;
            out.value(&locks, || {
                if locks.is_empty() {
                    return "no locks".to_owned();
                }
                locks
                    .iter()
                    .map(|l| {
                        format!(
                            "{:<24} {:<12} since {}  until {}",
                            esc(&l.asset),
                            esc(&l.holder),
                            l.acquired_at.format("%Y-%m-%d %H:%M"),
                            l.expires_at.format("%Y-%m-%d %H:%M")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AccessCommand::Webhook(cmd) => webhook(cmd, repo, out).await?,
    }
    Ok(())
}

async fn user(cmd: &UserCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    let user = match cmd {
        UserCommand::Add {
            name,
            role,
            display_name,
            password_stdin,
        } => {
            let password = read_password(*password_stdin)?;
            repo.add_user(name, display_name.as_deref(), role, password.as_deref())
                .await?
        }
        UserCommand::List => {
            let users = repo.list_users().await?;
            out.value(&users, || {
                users
                    .iter()
                    .map(|u| {
                        format!(
                            "{:<16} {:<12} {}{}",
                            esc(&u.name),
                            esc(&u.role),
                            esc(&u.display_name),
                            if u.disabled { "  (disabled)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            return Ok(());
        }
        UserCommand::Disable { name } => repo.update_user(name, None, Some(true), None).await?,
        UserCommand::Enable { name } => repo.update_user(name, None, Some(false), None).await?,
        UserCommand::Update {
            name,
            role,
            password_stdin,
        } => {
            let password = read_password(*password_stdin)?;
            repo.update_user(name, role.as_deref(), None, password.as_deref())
                .await?
        }
    };
    out.value(&user, || {
        format!(
            "user {} ({}){}",
            esc(&user.name),
            esc(&user.role),
            if user.disabled { ", disabled" } else { "" }
        )
    });
    Ok(())
}

async fn token(cmd: &TokenCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    match cmd {
        TokenCommand::Create {
            user,
            name,
            service,
            expires,
        } => {
            let kind = if *service {
                TokenKind::Service
            } else {
                TokenKind::Personal
            };
            let expires = expires
                .as_deref()
                .map(bifrost::parse_duration)
                .transpose()?;
            let token = repo.create_token(user, name, kind, expires).await?;
            // The token itself goes to stdout alone, so that scripts can capture it.
            out.value(&token, || token.token.clone());
            if !out.json() {
                eprintln!(
                    "token {} for {}: shown once, store it now (revoke: bifrost token revoke {})",
                    esc(&token.info.id),
                    esc(user),
                    esc(&token.info.id)
                );
            }
        }
        TokenCommand::List { user } => {
            let tokens = repo.list_tokens(user.as_deref()).await?;
            out.value(&tokens, || {
                tokens
                    .iter()
                    .map(|t| {
                        format!(
                            "{}  {:<12} {:<16} {:<8} {}{}",
                            esc(&t.id),
                            esc(&t.user),
                            esc(&t.name),
                            t.kind.as_str(),
                            t.created_at.format("%Y-%m-%d"),
                            if t.revoked_at.is_some() {
                                "  (revoked)"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        TokenCommand::Revoke { id } => {
            let token = repo.revoke_token(id).await?;
            out.value(&token, || {
                format!("revoked token {} of {}", esc(id), esc(&token.user))
            });
        }
    }
    Ok(())
}

async fn member(cmd: &MemberCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    match cmd {
        MemberCommand::Set {
            user,
            role,
            departments,
        } => {
            let member = repo.set_member(user, role, departments).await?;
            out.value(&member, || {
                format!(
                    "{} is {} on {}{}",
                    esc(user),
                    esc(role),
                    esc(&member.project),
                    if member.departments.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", esc(&member.departments.join(", ")))
                    }
                )
            });
        }
        MemberCommand::List => {
            let members = repo.members().await?;
            out.value(&members, || {
                members
                    .iter()
                    .map(|m| {
                        format!(
                            "{:<16} {:<12} {}",
                            esc(&m.user),
                            esc(&m.role),
                            esc(&m.departments.join(", "))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        MemberCommand::Remove { user } => {
            let member = repo.remove_member(user).await?;
            out.value(&member, || {
                format!("{} removed from {}", esc(user), esc(&member.project))
            });
        }
    }
    Ok(())
}

async fn webhook(cmd: &WebhookCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    match cmd {
        WebhookCommand::Add {
            url,
            secret,
            actions,
            this_project,
        } => {
            let project = this_project.then(|| repo.project().to_owned());
            let hook = repo
                .add_webhook(url, secret, project.as_deref(), actions)
                .await?;
            out.value(&hook, || format!("webhook {} → {}", hook.id, esc(url)));
        }
        WebhookCommand::List => {
            let hooks = repo.webhooks().await?;
            out.value(&hooks, || {
                hooks
                    .iter()
                    .map(|h| format!("{:<4} {} (after event #{})", h.id, esc(&h.url), h.cursor))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        WebhookCommand::Delete { id } => {
            let hook = repo.delete_webhook(*id).await?;
            out.value(&hook, || format!("webhook {id} deleted"));
        }
        WebhookCommand::DeadLetters { id } => {
            let dead = repo.dead_letters(*id).await?;
            out.value(&dead, || {
                dead.iter()
                    .map(|d| {
                        format!(
                            "event #{} after {} attempts: {}",
                            d.event,
                            d.attempts,
                            esc(&d.error)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

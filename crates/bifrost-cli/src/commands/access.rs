//! Who may do what: `user`, `token`, `role`, `member` (of the current project), `audit` (the
//! journal of changes) and `webhook` (changes pushed to other systems).

use std::collections::BTreeSet;
use std::io::Read;

use anyhow::{Context, Result, bail};
use bifrost::api::all_pages;
use bifrost::api::ops::{
    AddUser, AddWebhook, Audit, CreateToken, DeadLetters, DeleteWebhook, ListMembers, ListRoles,
    ListTokens, ListUsers, ListWebhooks, RemoveMember, RevokeToken, SetMember, SetRole, UnlockUser,
    UpdateUser,
};
use bifrost::core::access::{Permission, TokenKind};
use clap::Subcommand;

use crate::escape::esc;
use crate::input::{seconds, since};
use crate::output::Out;
use crate::session::Front;

/// Access commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum AccessCommand {
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
    /// Manage webhooks: URLs that receive every change as a signed POST.
    #[command(subcommand)]
    Webhook(WebhookCommand),
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
    /// Lift a user's sign-in lockout after too many wrong passwords (admins).
    ///
    /// After repeated failed sign-ins the server makes each next attempt for that user wait
    /// longer, then locks password sign-in for a while (their API tokens keep working). This
    /// lifts the lock and forgets the failures at once; it is journaled as `user.unlocked`.
    ///
    /// Examples:
    ///   bifrost user unlock ana
    ///   bifrost --remote https://hub.example user unlock ana
    ///   bifrost audit --action signin.failed       # who failed, from which address
    #[command(verbatim_doc_comment)]
    Unlock {
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

fn permissions(names: &[String]) -> Result<BTreeSet<Permission>> {
    names
        .iter()
        .flat_map(|n| n.split(','))
        .filter(|n| !n.is_empty())
        .map(|n| n.trim().parse::<Permission>().map_err(Into::into))
        .collect()
}

pub async fn run(cmd: &AccessCommand, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        AccessCommand::User(cmd) => user(cmd, hub, out).await?,
        AccessCommand::Token(cmd) => token(cmd, hub, out).await?,
        AccessCommand::Role(RoleCommand::List) => {
            let roles = hub.call(ListRoles {}).await?;
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
            let role = hub
                .call(SetRole {
                    name: name.clone(),
                    permissions: permissions(p)?.into_iter().collect(),
                })
                .await?;
            out.value(&role, || format!("role {} set", esc(name)));
        }
        AccessCommand::Member(cmd) => member(cmd, hub, out).await?,
        AccessCommand::Audit {
            since: when,
            user,
            action,
            this_project,
            limit,
        } => {
            let events = hub
                .call(Audit {
                    since: when.as_deref().map(since).transpose()?,
                    user: user.clone(),
                    project: this_project.then(|| hub.project().to_owned()),
                    action: action.clone(),
                    after: None,
                    limit: Some(*limit),
                })
                .await?;
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
        AccessCommand::Webhook(cmd) => webhook(cmd, hub, out).await?,
    }
    Ok(())
}

async fn user(cmd: &UserCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let user = match cmd {
        UserCommand::Add {
            name,
            role,
            display_name,
            password_stdin,
        } => {
            hub.call(AddUser {
                name: name.clone(),
                display_name: display_name.clone(),
                role: role.clone(),
                password: read_password(*password_stdin)?,
            })
            .await?
        }
        UserCommand::List => {
            let users = all_pages(hub, ListUsers::default()).await?;
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
        UserCommand::Disable { name } | UserCommand::Enable { name } => {
            hub.call(UpdateUser {
                name: name.clone(),
                role: None,
                disabled: Some(matches!(cmd, UserCommand::Disable { .. })),
                password: None,
            })
            .await?
        }
        UserCommand::Unlock { name } => hub.call(UnlockUser { name: name.clone() }).await?,
        UserCommand::Update {
            name,
            role,
            password_stdin,
        } => {
            hub.call(UpdateUser {
                name: name.clone(),
                role: role.clone(),
                disabled: None,
                password: read_password(*password_stdin)?,
            })
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

async fn token(cmd: &TokenCommand, hub: &impl Front, out: &Out) -> Result<()> {
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
            let token = hub
                .call(CreateToken {
                    name: name.clone(),
                    kind: Some(kind),
                    user: Some(user.clone()),
                    expires_in_seconds: expires.as_deref().map(seconds).transpose()?,
                })
                .await?;
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
            let tokens = hub
                .call(ListTokens {
                    // Without --user: everyone's (as an admin may see them).
                    user: Some(user.clone().unwrap_or_else(|| "*".to_owned())),
                })
                .await?;
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
            let token = hub.call(RevokeToken { id: id.clone() }).await?;
            out.value(&token, || {
                format!("revoked token {} of {}", esc(id), esc(&token.user))
            });
        }
    }
    Ok(())
}

async fn member(cmd: &MemberCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        MemberCommand::Set {
            user,
            role,
            departments,
        } => {
            let member = hub
                .call(SetMember {
                    project,
                    user: user.clone(),
                    role: role.clone(),
                    departments: departments.clone(),
                })
                .await?;
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
            let members = hub.call(ListMembers { project }).await?;
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
            let member = hub
                .call(RemoveMember {
                    project,
                    user: user.clone(),
                })
                .await?;
            out.value(&member, || {
                format!("{} removed from {}", esc(user), esc(&member.project))
            });
        }
    }
    Ok(())
}

async fn webhook(cmd: &WebhookCommand, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        WebhookCommand::Add {
            url,
            secret,
            actions,
            this_project,
        } => {
            let hook = hub
                .call(AddWebhook {
                    url: url.clone(),
                    secret: secret.clone(),
                    project: this_project.then(|| hub.project().to_owned()),
                    actions: actions.clone(),
                })
                .await?;
            out.value(&hook, || format!("webhook {} → {}", hook.id, esc(url)));
        }
        WebhookCommand::List => {
            let hooks = hub.call(ListWebhooks {}).await?;
            out.value(&hooks, || {
                hooks
                    .iter()
                    .map(|h| format!("{:<4} {} (after event #{})", h.id, esc(&h.url), h.cursor))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        WebhookCommand::Delete { id } => {
            let hook = hub.call(DeleteWebhook { id: *id }).await?;
            out.value(&hook, || format!("webhook {id} deleted"));
        }
        WebhookCommand::DeadLetters { id } => {
            let dead = hub.call(DeadLetters { id: *id }).await?;
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

//! Sign-in, users, tokens, roles, members, the audit log and webhooks.

use std::time::Duration;

use bifrost_api::Listing;
use bifrost_api::ops::access::{EventPage, WhoAmI};
use bifrost_api::ops::{
    AddUser, AddWebhook, Audit, CreateToken, DeadLetters, DeleteWebhook, GetUser, ListEvents,
    ListMembers, ListRoles, ListTokens, ListUsers, ListWebhooks, Login, Me, RemoveMember,
    RevokeToken, SetMember, SetRole, UnlockUser, UpdateUser,
};
use bifrost_core::access::{
    DeadLetter, Event, EventFilter, Member, NewToken, Role, TokenInfo, TokenKind, User, Webhook,
};

use super::Execute;
use crate::error::Result;
use crate::{Actor, Repository};

impl Execute for Login {
    async fn execute(self, repo: &Repository) -> Result<NewToken> {
        let who = repo.verify_password(&self.user, &self.password).await?;
        let actor = Actor {
            user: who.user.name.clone(),
            ..repo.actor().clone()
        };
        let signed_in = repo.for_user(&who, actor, None).await?;
        let name = self.token_name.as_deref().unwrap_or("login");
        signed_in
            .create_token(&who.user.name, name, TokenKind::Personal, None)
            .await
    }
}

impl Execute for Me {
    async fn execute(self, repo: &Repository) -> Result<WhoAmI> {
        let user = repo.user(&repo.actor().user).await?;
        let projects = repo
            .visible_projects()
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect();
        Ok(WhoAmI { user, projects })
    }
}

impl Execute for ListUsers {
    async fn execute(self, repo: &Repository) -> Result<Listing<User>> {
        Ok(Listing::of(
            repo.list_users().await?,
            self.limit,
            self.offset,
        ))
    }
}

impl Execute for AddUser {
    async fn execute(self, repo: &Repository) -> Result<User> {
        repo.add_user(
            &self.name,
            self.display_name.as_deref(),
            &self.role,
            self.password.as_deref(),
        )
        .await
    }
}

impl Execute for GetUser {
    async fn execute(self, repo: &Repository) -> Result<User> {
        repo.user(&self.name).await
    }
}

impl Execute for UnlockUser {
    async fn execute(self, repo: &Repository) -> Result<User> {
        repo.unlock_user(&self.name).await
    }
}

impl Execute for UpdateUser {
    async fn execute(self, repo: &Repository) -> Result<User> {
        repo.update_user(
            &self.name,
            self.role.as_deref(),
            self.disabled,
            self.password.as_deref(),
        )
        .await
    }
}

impl Execute for ListTokens {
    async fn execute(self, repo: &Repository) -> Result<Vec<TokenInfo>> {
        let me = repo.actor().user.clone();
        let user = match self.user.as_deref() {
            Some("*") => None,
            Some(user) => Some(user),
            None => Some(me.as_str()),
        };
        repo.list_tokens(user).await
    }
}

impl Execute for CreateToken {
    async fn execute(self, repo: &Repository) -> Result<NewToken> {
        let user = self.user.unwrap_or_else(|| repo.actor().user.clone());
        repo.create_token(
            &user,
            &self.name,
            self.kind.unwrap_or(TokenKind::Personal),
            self.expires_in_seconds.map(Duration::from_secs),
        )
        .await
    }
}

impl Execute for RevokeToken {
    async fn execute(self, repo: &Repository) -> Result<TokenInfo> {
        repo.revoke_token(&self.id).await
    }
}

impl Execute for ListRoles {
    async fn execute(self, repo: &Repository) -> Result<Vec<Role>> {
        repo.roles().await
    }
}

impl Execute for SetRole {
    async fn execute(self, repo: &Repository) -> Result<Role> {
        repo.set_role(&Role {
            name: self.name,
            permissions: self.permissions.into_iter().collect(),
        })
        .await
    }
}

impl Execute for ListMembers {
    async fn execute(self, repo: &Repository) -> Result<Vec<Member>> {
        repo.members().await
    }
}

impl Execute for SetMember {
    async fn execute(self, repo: &Repository) -> Result<Member> {
        repo.set_member(&self.user, &self.role, &self.departments)
            .await
    }
}

impl Execute for RemoveMember {
    async fn execute(self, repo: &Repository) -> Result<Member> {
        repo.remove_member(&self.user).await
    }
}

impl Execute for Audit {
    async fn execute(self, repo: &Repository) -> Result<Vec<Event>> {
        repo.audit(&EventFilter {
            after_id: self.after,
            // Every time both databases can store: "since year -262143" asks for everything,
            // as "since year 1" does, and a far future asks for nothing.
            since: self.since.map(|since| {
                let first = chrono::DateTime::<chrono::Utc>::from_timestamp(-62_135_596_800, 0)
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC);
                let last = chrono::DateTime::<chrono::Utc>::from_timestamp(253_402_300_799, 0)
                    .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
                since.clamp(first, last)
            }),
            actor: self.user,
            projects: self.project.map(|p| vec![p]),
            action_prefix: self.action,
            limit: self.limit.unwrap_or(100).clamp(1, 10_000),
        })
        .await
    }
}

impl Execute for ListWebhooks {
    async fn execute(self, repo: &Repository) -> Result<Vec<Webhook>> {
        repo.webhooks().await
    }
}

impl Execute for AddWebhook {
    async fn execute(self, repo: &Repository) -> Result<Webhook> {
        repo.add_webhook(
            &self.url,
            &self.secret,
            self.project.as_deref(),
            &self.actions,
        )
        .await
    }
}

impl Execute for DeleteWebhook {
    async fn execute(self, repo: &Repository) -> Result<Webhook> {
        repo.delete_webhook(self.id).await
    }
}

impl Execute for DeadLetters {
    async fn execute(self, repo: &Repository) -> Result<Vec<DeadLetter>> {
        repo.dead_letters(self.id).await
    }
}

impl Execute for ListEvents {
    async fn execute(self, repo: &Repository) -> Result<EventPage> {
        let events = repo
            .events(&EventFilter {
                after_id: self.after,
                projects: self.project.map(|p| vec![p]),
                action_prefix: self.action,
                limit: self.limit.unwrap_or(100).clamp(1, 1000),
                ..EventFilter::default()
            })
            .await?;
        let last_id = events.last().map(|e| e.id).or(self.after);
        Ok(EventPage { events, last_id })
    }
}

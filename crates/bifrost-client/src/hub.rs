//! [`bifrost::Hub`] for [`Client`]: each operation as a request to the server's API.
//!
//! The server acts as the token's user: `author` arguments are ignored (the server records the
//! signed-in user), and so is the `user` of favourites (a user's favourites are their own).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bifrost::core::access::{
    AssetLock, DeadLetter, Event, EventFilter, Member, Role, TokenInfo, TokenKind, User, Webhook,
};
use bifrost::core::production::{
    Collection, Comment, Dependency, EntityRef, HistoryEntry, Link, LinkKind, Metadata,
    MetadataUpdate, NewShot, ReviewStatus, SavedSearch, SearchHit, Sequence, Shot, ShotUpdate,
    StatusReport, Target, Task, TaskFilter, TaskUpdate, VersionDetails, Workflow,
};
use bifrost::core::{
    Asset, AssetFilter, FileEntry, NewAsset, Project, Query, RepoStats, Version, VersionRef,
    VersionSelector,
};
use bifrost::{
    CheckoutOptions, CheckoutOutcome, DeletedAsset, DeletedSequence, DeletedShot, Hub, NewToken,
    Progress, PublishOutcome, VersionDiff,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::Client;
use crate::error::{ClientError, Result};

fn selector(selector: VersionSelector) -> String {
    match selector {
        VersionSelector::Latest => "latest".to_owned(),
        VersionSelector::Number(n) => n.to_string(),
    }
}

fn metadata_body(update: &MetadataUpdate) -> (Value, bool) {
    match update {
        MetadataUpdate::Merge(m) => (json!(m), false),
        MetadataUpdate::Replace(m) => (json!(m), true),
    }
}

fn flag(found: &Value, key: &str) -> bool {
    found.get(key).and_then(Value::as_bool).unwrap_or(false)
}

impl Client {
    async fn unit(&self, method: Method, url: url::Url, query: &[(&str, String)]) -> Result<()> {
        let _: Value = self.call(method, url, &query, None).await?;
        Ok(())
    }
}

impl Hub for Client {
    type Error = ClientError;

    fn project(&self) -> &str {
        &self.project
    }

    async fn create_project(&self, name: &str) -> Result<Project> {
        self.send_json(
            Method::POST,
            self.url(&["projects"]),
            json!({ "name": name }),
        )
        .await
    }

    async fn list_projects(&self) -> Result<Vec<Project>> {
        self.all(self.url(&["projects"]), &[]).await
    }

    async fn create_asset(&self, asset: &NewAsset) -> Result<Asset> {
        let body = json!({
            "name": asset.name, "type": asset.asset_type, "tags": asset.tags,
            "metadata": asset.metadata, "department": asset.department,
        });
        self.send_json(Method::POST, self.in_project(&["assets"]), body)
            .await
    }

    async fn list_assets(&self, filter: &AssetFilter) -> Result<Vec<Asset>> {
        let mut query = Vec::new();
        if let Some(t) = &filter.asset_type {
            query.push(("type", t.clone()));
        }
        // The API filters by one tag; further tags are applied here.
        if let Some(tag) = filter.tags.first() {
            query.push(("tag", tag.clone()));
        }
        let assets: Vec<Asset> = self.all(self.in_project(&["assets"]), &query).await?;
        Ok(assets
            .into_iter()
            .filter(|a| filter.tags.iter().all(|t| a.tags.contains(t)))
            .collect())
    }

    async fn asset(&self, name: &str) -> Result<Asset> {
        self.call(Method::GET, self.in_project(&["assets", name]), &(), None)
            .await
    }

    async fn log(&self, asset: &str) -> Result<Vec<Version>> {
        Ok(self
            .list_version_details(asset)
            .await?
            .into_iter()
            .map(|d| d.version)
            .collect())
    }

    async fn resolve(&self, reference: &VersionRef) -> Result<Version> {
        Ok(self
            .version_details(&reference.asset, reference.version)
            .await?
            .version)
    }

    async fn version_files(&self, version: &Version) -> Result<Vec<FileEntry>> {
        let number = version.number.to_string();
        self.all(
            self.in_project(&["assets", &version.asset, "versions", &number, "files"]),
            &[],
        )
        .await
    }

    async fn stats(&self) -> Result<RepoStats> {
        self.get(&["stats"], &()).await
    }

    async fn publish(
        &self,
        asset: &str,
        paths: &[PathBuf],
        _author: &str,
        note: &str,
        progress: Arc<dyn Progress>,
    ) -> Result<PublishOutcome> {
        self.publish_files(asset, paths, note, progress).await
    }

    async fn checkout(
        &self,
        reference: &VersionRef,
        dest: &Path,
        options: CheckoutOptions,
        progress: Arc<dyn Progress>,
    ) -> Result<CheckoutOutcome> {
        self.checkout_files(reference, dest, options, progress)
            .await
    }

    async fn diff(&self, from: &VersionRef, to: &VersionRef) -> Result<VersionDiff> {
        let from_version = self.resolve(from).await?;
        let to_version = self.resolve(to).await?;
        let query = [
            ("from", from_version.number.to_string()),
            ("to", to_version.number.to_string()),
            ("to_asset", to_version.asset.clone()),
        ];
        self.call(
            Method::GET,
            self.in_project(&["assets", &from_version.asset, "diff"]),
            &query,
            None,
        )
        .await
    }

    async fn rollback(
        &self,
        asset: &str,
        number: i64,
        _author: &str,
        note: Option<&str>,
    ) -> Result<Version> {
        self.send_json(
            Method::POST,
            self.in_project(&["assets", asset, "rollback"]),
            json!({ "version": number, "note": note }),
        )
        .await
    }

    async fn update_asset_metadata(
        &self,
        asset: &str,
        update: &MetadataUpdate,
    ) -> Result<Metadata> {
        let (metadata, replace) = metadata_body(update);
        self.send_json(
            Method::PATCH,
            self.in_project(&["assets", asset]),
            json!({ "metadata": metadata, "replace": replace }),
        )
        .await
    }

    async fn search(
        &self,
        query: &Query,
        all_projects: bool,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SearchHit>> {
        let query = [
            ("q", query.to_string()),
            ("all", all_projects.to_string()),
            ("limit", limit.clamp(1, 1000).to_string()),
            ("offset", offset.to_string()),
        ];
        let listing: crate::Listing<SearchHit> = self
            .call(Method::GET, self.in_project(&["search"]), &query, None)
            .await?;
        Ok(listing.items)
    }

    async fn workflow(&self) -> Result<Workflow> {
        self.call(Method::GET, self.in_project(&["workflow"]), &(), None)
            .await
    }

    async fn add_status(&self, status: &str) -> Result<Workflow> {
        self.send_json(
            Method::POST,
            self.in_project(&["workflow", "statuses"]),
            json!({ "name": status }),
        )
        .await
    }

    async fn add_transition(&self, from: &str, to: &str) -> Result<Workflow> {
        self.send_json(
            Method::POST,
            self.in_project(&["workflow", "transitions"]),
            json!({ "from": from, "to": to }),
        )
        .await
    }

    async fn remove_transition(&self, from: &str, to: &str) -> Result<Workflow> {
        self.send_json(
            Method::DELETE,
            self.in_project(&["workflow", "transitions"]),
            json!({ "from": from, "to": to }),
        )
        .await
    }

    async fn remove_status(&self, status: &str) -> Result<Workflow> {
        self.call(
            Method::DELETE,
            self.in_project(&["workflow", "statuses", status]),
            &(),
            None,
        )
        .await
    }

    async fn move_status(&self, status: &str, position: u32) -> Result<Workflow> {
        self.send_json(
            Method::PUT,
            self.in_project(&["workflow", "statuses", status, "position"]),
            json!({ "position": position }),
        )
        .await
    }

    async fn departments(&self) -> Result<Vec<String>> {
        self.call(Method::GET, self.in_project(&["departments"]), &(), None)
            .await
    }

    async fn add_department(&self, department: &str) -> Result<Vec<String>> {
        self.send_json(
            Method::POST,
            self.in_project(&["departments"]),
            json!({ "name": department }),
        )
        .await
    }

    async fn remove_department(&self, department: &str) -> Result<Vec<String>> {
        self.call(
            Method::DELETE,
            self.in_project(&["departments", department]),
            &(),
            None,
        )
        .await
    }

    async fn create_sequence(&self, name: &str, metadata: &Metadata) -> Result<Sequence> {
        self.send_json(
            Method::POST,
            self.in_project(&["sequences"]),
            json!({ "name": name, "metadata": metadata }),
        )
        .await
    }

    async fn list_sequences(&self) -> Result<Vec<Sequence>> {
        self.all(self.in_project(&["sequences"]), &[]).await
    }

    async fn get_sequence(&self, name: &str) -> Result<Sequence> {
        self.call(
            Method::GET,
            self.in_project(&["sequences", name]),
            &(),
            None,
        )
        .await
    }

    async fn rename_sequence(&self, name: &str, new_name: &str) -> Result<Sequence> {
        self.send_json(
            Method::PATCH,
            self.in_project(&["sequences", name]),
            json!({ "name": new_name }),
        )
        .await
    }

    async fn delete_sequence(&self, name: &str, force: bool) -> Result<DeletedSequence> {
        self.call(
            Method::DELETE,
            self.in_project(&["sequences", name]),
            &[("force", force.to_string())],
            None,
        )
        .await
    }

    async fn create_shot(&self, shot: &NewShot) -> Result<Shot> {
        let body = json!({
            "sequence": shot.sequence, "name": shot.name, "frame_start": shot.frame_start,
            "frame_end": shot.frame_end, "fps": shot.fps, "metadata": shot.metadata,
        });
        self.send_json(Method::POST, self.in_project(&["shots"]), body)
            .await
    }

    async fn list_shots(&self, sequence: Option<&str>) -> Result<Vec<Shot>> {
        let query: Vec<(&str, String)> = sequence
            .map(|s| ("sequence", s.to_owned()))
            .into_iter()
            .collect();
        self.all(self.in_project(&["shots"]), &query).await
    }

    async fn get_shot(&self, sequence: &str, shot: &str) -> Result<Shot> {
        self.call(
            Method::GET,
            self.in_project(&["shots", sequence, shot]),
            &(),
            None,
        )
        .await
    }

    async fn update_shot(&self, sequence: &str, shot: &str, update: &ShotUpdate) -> Result<Shot> {
        let mut body = json!({
            "frame_start": update.frame_start, "frame_end": update.frame_end, "fps": update.fps,
        });
        if let Some(change) = &update.metadata {
            let (metadata, replace) = metadata_body(change);
            body["metadata"] = metadata;
            body["replace_metadata"] = json!(replace);
        }
        self.send_json(
            Method::PATCH,
            self.in_project(&["shots", sequence, shot]),
            body,
        )
        .await
    }

    async fn rename_shot(
        &self,
        sequence: &str,
        shot: &str,
        new_name: &str,
        _author: &str,
    ) -> Result<Shot> {
        self.send_json(
            Method::PATCH,
            self.in_project(&["shots", sequence, shot]),
            json!({ "name": new_name }),
        )
        .await
    }

    async fn delete_shot(&self, sequence: &str, shot: &str, force: bool) -> Result<DeletedShot> {
        self.call(
            Method::DELETE,
            self.in_project(&["shots", sequence, shot]),
            &[("force", force.to_string())],
            None,
        )
        .await
    }

    async fn update_sequence_metadata(
        &self,
        name: &str,
        update: &MetadataUpdate,
    ) -> Result<Sequence> {
        let (metadata, replace) = metadata_body(update);
        self.send_json(
            Method::PATCH,
            self.in_project(&["sequences", name]),
            json!({ "metadata": metadata, "replace_metadata": replace }),
        )
        .await
    }

    async fn entity_status(&self, entity: &EntityRef) -> Result<String> {
        let found: Value = self
            .call(
                Method::GET,
                self.in_project(&["status"]),
                &[("entity", entity.to_string())],
                None,
            )
            .await?;
        found
            .get("status")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ClientError::BadAnswer {
                what: "GET status".into(),
                detail: "no `status` field".into(),
            })
    }

    async fn set_status(
        &self,
        entity: &EntityRef,
        status: &str,
        _author: &str,
    ) -> Result<HistoryEntry> {
        self.send_json(
            Method::PUT,
            self.in_project(&["status"]),
            json!({ "entity": entity.to_string(), "status": status }),
        )
        .await
    }

    async fn history(&self, target: &Target) -> Result<Vec<HistoryEntry>> {
        self.call(
            Method::GET,
            self.in_project(&["history"]),
            &[("target", target.to_string())],
            None,
        )
        .await
    }

    async fn create_task(
        &self,
        entity: &EntityRef,
        department: &str,
        assignee: Option<&str>,
    ) -> Result<Task> {
        self.send_json(
            Method::POST,
            self.in_project(&["tasks"]),
            json!({ "entity": entity.to_string(), "department": department, "assignee": assignee }),
        )
        .await
    }

    async fn update_task(
        &self,
        entity: &EntityRef,
        department: &str,
        update: &TaskUpdate,
        _author: &str,
    ) -> Result<Task> {
        let mut body = json!({ "entity": entity.to_string(), "department": department });
        if let Some(assignee) = &update.assignee {
            body["assignee"] = json!(assignee);
        }
        if let Some(status) = &update.status {
            body["status"] = json!(status);
        }
        self.send_json(Method::PATCH, self.in_project(&["tasks"]), body)
            .await
    }

    async fn delete_task(&self, entity: &EntityRef, department: &str) -> Result<()> {
        let query = [
            ("entity", entity.to_string()),
            ("department", department.to_owned()),
        ];
        self.unit(Method::DELETE, self.in_project(&["tasks"]), &query)
            .await
    }

    async fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let mut query = Vec::new();
        if let Some(e) = &filter.entity {
            query.push(("entity", e.to_string()));
        }
        if let Some(d) = &filter.department {
            query.push(("department", d.clone()));
        }
        if let Some(a) = &filter.assignee {
            query.push(("assignee", a.clone()));
        }
        self.call(Method::GET, self.in_project(&["tasks"]), &query, None)
            .await
    }

    async fn link(&self, link: &Link) -> Result<()> {
        let body = json!({
            "src": link.src.to_string(), "dst": link.dst.to_string(),
            "kind": link.kind.to_string(), "pin": link.pin,
        });
        let _: Value = self
            .send_json(Method::POST, self.in_project(&["links"]), body)
            .await?;
        Ok(())
    }

    async fn unlink(&self, src: &EntityRef, dst: &EntityRef, kind: LinkKind) -> Result<()> {
        let query = [
            ("src", src.to_string()),
            ("dst", dst.to_string()),
            ("kind", kind.to_string()),
        ];
        self.unit(Method::DELETE, self.in_project(&["links"]), &query)
            .await
    }

    async fn deps(&self, entity: &EntityRef, transitive: bool) -> Result<Vec<Dependency>> {
        let query = [
            ("entity", entity.to_string()),
            ("transitive", transitive.to_string()),
        ];
        self.call(Method::GET, self.in_project(&["deps"]), &query, None)
            .await
    }

    async fn used_by(&self, entity: &EntityRef, transitive: bool) -> Result<Vec<Dependency>> {
        let query = [
            ("entity", entity.to_string()),
            ("transitive", transitive.to_string()),
        ];
        self.call(Method::GET, self.in_project(&["used-by"]), &query, None)
            .await
    }

    async fn delete_asset(&self, name: &str, force: bool) -> Result<DeletedAsset> {
        self.call(
            Method::DELETE,
            self.in_project(&["assets", name]),
            &[("force", force.to_string())],
            None,
        )
        .await
    }

    async fn version_details(
        &self,
        asset: &str,
        version: VersionSelector,
    ) -> Result<VersionDetails> {
        let v = selector(version);
        self.call(
            Method::GET,
            self.in_project(&["assets", asset, "versions", &v]),
            &(),
            None,
        )
        .await
    }

    async fn list_version_details(&self, asset: &str) -> Result<Vec<VersionDetails>> {
        self.all(self.in_project(&["assets", asset, "versions"]), &[])
            .await
    }

    async fn set_review_status(
        &self,
        asset: &str,
        number: i64,
        status: ReviewStatus,
        _author: &str,
    ) -> Result<HistoryEntry> {
        let n = number.to_string();
        self.send_json(
            Method::PUT,
            self.in_project(&["assets", asset, "versions", &n, "review"]),
            json!({ "status": status }),
        )
        .await
    }

    async fn add_comment(&self, target: &Target, _author: &str, body: &str) -> Result<Comment> {
        self.send_json(
            Method::POST,
            self.in_project(&["comments"]),
            json!({ "target": target.to_string(), "body": body }),
        )
        .await
    }

    async fn list_comments(&self, target: &Target) -> Result<Vec<Comment>> {
        self.call(
            Method::GET,
            self.in_project(&["comments"]),
            &[("target", target.to_string())],
            None,
        )
        .await
    }

    async fn save_search(&self, name: &str, query: &str) -> Result<SavedSearch> {
        self.send_json(
            Method::POST,
            self.in_project(&["saved-searches"]),
            json!({ "name": name, "query": query }),
        )
        .await
    }

    async fn saved_searches(&self) -> Result<Vec<SavedSearch>> {
        self.call(Method::GET, self.in_project(&["saved-searches"]), &(), None)
            .await
    }

    async fn delete_saved_search(&self, name: &str) -> Result<()> {
        self.unit(
            Method::DELETE,
            self.in_project(&["saved-searches", name]),
            &[],
        )
        .await
    }

    async fn run_saved_search(
        &self,
        name: &str,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<SearchHit>> {
        let query = [
            ("limit", limit.clamp(1, 1000).to_string()),
            ("offset", offset.to_string()),
        ];
        let listing: crate::Listing<SearchHit> = self
            .call(
                Method::GET,
                self.in_project(&["saved-searches", name, "results"]),
                &query,
                None,
            )
            .await?;
        Ok(listing.items)
    }

    async fn create_collection(&self, name: &str) -> Result<Collection> {
        self.send_json(
            Method::POST,
            self.in_project(&["collections"]),
            json!({ "name": name }),
        )
        .await
    }

    async fn delete_collection(&self, name: &str) -> Result<()> {
        self.unit(Method::DELETE, self.in_project(&["collections", name]), &[])
            .await
    }

    async fn collections(&self) -> Result<Vec<Collection>> {
        self.call(Method::GET, self.in_project(&["collections"]), &(), None)
            .await
    }

    async fn add_to_collection(&self, name: &str, entity: &EntityRef) -> Result<bool> {
        let found: Value = self
            .send_json(
                Method::POST,
                self.in_project(&["collections", name, "members"]),
                json!({ "entity": entity.to_string() }),
            )
            .await?;
        Ok(flag(&found, "added"))
    }

    async fn remove_from_collection(&self, name: &str, entity: &EntityRef) -> Result<bool> {
        let found: Value = self
            .call(
                Method::DELETE,
                self.in_project(&["collections", name, "members"]),
                &[("entity", entity.to_string())],
                None,
            )
            .await?;
        Ok(flag(&found, "removed"))
    }

    async fn collection_members(&self, name: &str) -> Result<Vec<EntityRef>> {
        self.call(
            Method::GET,
            self.in_project(&["collections", name, "members"]),
            &(),
            None,
        )
        .await
    }

    async fn add_favourite(&self, _user: &str, entity: &EntityRef) -> Result<bool> {
        let found: Value = self
            .send_json(
                Method::POST,
                self.in_project(&["favourites"]),
                json!({ "entity": entity.to_string() }),
            )
            .await?;
        Ok(flag(&found, "added"))
    }

    async fn remove_favourite(&self, _user: &str, entity: &EntityRef) -> Result<bool> {
        let found: Value = self
            .call(
                Method::DELETE,
                self.in_project(&["favourites"]),
                &[("entity", entity.to_string())],
                None,
            )
            .await?;
        Ok(flag(&found, "removed"))
    }

    async fn favourites(&self, _user: &str) -> Result<Vec<EntityRef>> {
        self.call(Method::GET, self.in_project(&["favourites"]), &(), None)
            .await
    }

    async fn report_status(&self) -> Result<StatusReport> {
        self.call(
            Method::GET,
            self.in_project(&["reports", "status"]),
            &(),
            None,
        )
        .await
    }

    async fn add_user(
        &self,
        name: &str,
        display_name: Option<&str>,
        role: &str,
        password: Option<&str>,
    ) -> Result<User> {
        self.send_json(
            Method::POST,
            self.url(&["users"]),
            json!({ "name": name, "display_name": display_name, "role": role, "password": password }),
        )
        .await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.all(self.url(&["users"]), &[]).await
    }

    async fn update_user(
        &self,
        name: &str,
        role: Option<&str>,
        disabled: Option<bool>,
        password: Option<&str>,
    ) -> Result<User> {
        self.send_json(
            Method::PATCH,
            self.url(&["users", name]),
            json!({ "role": role, "disabled": disabled, "password": password }),
        )
        .await
    }

    async fn create_token(
        &self,
        user: &str,
        name: &str,
        kind: TokenKind,
        expires_in: Option<std::time::Duration>,
    ) -> Result<NewToken> {
        self.send_json(
            Method::POST,
            self.url(&["tokens"]),
            json!({
                "name": name, "user": user, "kind": kind.as_str(),
                "expires_in_seconds": expires_in.map(|d| d.as_secs()),
            }),
        )
        .await
    }

    async fn list_tokens(&self, user: Option<&str>) -> Result<Vec<TokenInfo>> {
        self.get(&["tokens"], &[("user", user.unwrap_or("*"))])
            .await
    }

    async fn revoke_token(&self, id: &str) -> Result<TokenInfo> {
        self.call(Method::DELETE, self.url(&["tokens", id]), &(), None)
            .await
    }

    async fn roles(&self) -> Result<Vec<Role>> {
        self.get(&["roles"], &()).await
    }

    async fn set_role(&self, role: &Role) -> Result<Role> {
        let permissions: Vec<String> = role.permissions.iter().map(ToString::to_string).collect();
        self.send_json(
            Method::PUT,
            self.url(&["roles", &role.name]),
            json!({ "permissions": permissions }),
        )
        .await
    }

    async fn members(&self) -> Result<Vec<Member>> {
        self.call(Method::GET, self.in_project(&["members"]), &(), None)
            .await
    }

    async fn set_member(&self, user: &str, role: &str, departments: &[String]) -> Result<Member> {
        self.send_json(
            Method::PUT,
            self.in_project(&["members", user]),
            json!({ "role": role, "departments": departments }),
        )
        .await
    }

    async fn remove_member(&self, user: &str) -> Result<Member> {
        self.call(
            Method::DELETE,
            self.in_project(&["members", user]),
            &(),
            None,
        )
        .await
    }

    async fn audit(&self, filter: &EventFilter) -> Result<Vec<Event>> {
        let mut query = vec![("limit", filter.limit.to_string())];
        if let Some(after) = filter.after_id {
            query.push(("after", after.to_string()));
        }
        if let Some(since) = filter.since {
            query.push(("since", since.to_rfc3339()));
        }
        if let Some(actor) = &filter.actor {
            query.push(("user", actor.clone()));
        }
        if let Some(projects) = &filter.projects {
            // The API filters by one project; the CLI only ever asks for the current one.
            if let Some(p) = projects.first() {
                query.push(("project", p.clone()));
            }
        }
        if let Some(prefix) = &filter.action_prefix {
            query.push(("action", prefix.clone()));
        }
        self.call(Method::GET, self.url(&["audit"]), &query, None)
            .await
    }

    async fn lock(
        &self,
        asset: &str,
        ttl: std::time::Duration,
        have: Option<i64>,
    ) -> Result<AssetLock> {
        self.send_json(
            Method::POST,
            self.in_project(&["assets", asset, "lock"]),
            json!({ "ttl_seconds": ttl.as_secs().max(1), "have": have }),
        )
        .await
    }

    async fn unlock(&self, asset: &str, force: bool) -> Result<AssetLock> {
        self.call(
            Method::DELETE,
            self.in_project(&["assets", asset, "lock"]),
            &[("force", force.to_string())],
            None,
        )
        .await
    }

    async fn locks(&self) -> Result<Vec<AssetLock>> {
        self.call(Method::GET, self.in_project(&["locks"]), &(), None)
            .await
    }

    async fn add_webhook(
        &self,
        url: &str,
        secret: &str,
        project: Option<&str>,
        actions: &[String],
    ) -> Result<Webhook> {
        self.send_json(
            Method::POST,
            self.url(&["webhooks"]),
            json!({ "url": url, "secret": secret, "project": project, "actions": actions }),
        )
        .await
    }

    async fn webhooks(&self) -> Result<Vec<Webhook>> {
        self.get(&["webhooks"], &()).await
    }

    async fn delete_webhook(&self, id: i64) -> Result<Webhook> {
        self.call(
            Method::DELETE,
            self.url(&["webhooks", &id.to_string()]),
            &(),
            None,
        )
        .await
    }

    async fn dead_letters(&self, webhook: i64) -> Result<Vec<DeadLetter>> {
        self.get(&["webhooks", &webhook.to_string(), "dead-letters"], &())
            .await
    }
}

//! Production tracking: workflow, departments, sequences, shots, statuses, tasks, links,
//! comments, history, search, saved searches, collections, favourites, reports.

use bifrost_api::Listing;
use bifrost_api::listing::page_limit;
use bifrost_api::ops::production::EntityStatus;
use bifrost_api::ops::results::{Added, Deleted, Removed};
use bifrost_api::ops::{
    AddComment, AddDepartment, AddFavourite, AddStatus, AddToCollection, AddTransition,
    CollectionMembers, CreateCollection, CreateLink, CreateSequence, CreateShot, CreateTask,
    DeleteCollection, DeleteLink, DeleteSavedSearch, DeleteSequence, DeleteShot, DeleteTask, Deps,
    GetSequence, GetShot, GetStatus, GetWorkflow, History, ListCollections, ListComments,
    ListDepartments, ListFavourites, ListSavedSearches, ListSequences, ListShots, ListTasks,
    MoveStatus, RemoveDepartment, RemoveFavourite, RemoveFromCollection, RemoveStatus,
    RemoveTransition, ReportStatus, RunSavedSearch, SaveSearch, Search, SetStatus, UpdateSequence,
    UpdateShot, UpdateTask, UsedBy,
};
use bifrost_core::production::{
    Collection, Comment, DeletedSequence, DeletedShot, Dependency, EntityRef, HistoryEntry, Link,
    LinkKind, Metadata, MetadataUpdate, NewShot, SavedSearch, SearchHit, Sequence, Shot,
    ShotUpdate, StatusReport, Task, TaskFilter, TaskUpdate, Workflow,
};

use super::Execute;
use crate::Repository;
use crate::error::Result;

fn metadata_update(metadata: Metadata, replace: bool) -> MetadataUpdate {
    if replace {
        MetadataUpdate::Replace(metadata)
    } else {
        MetadataUpdate::Merge(metadata)
    }
}

/// The acting user: who a status change, comment or favourite is recorded for.
fn me(repo: &Repository) -> String {
    repo.actor().user.clone()
}

impl Execute for GetWorkflow {
    async fn execute(self, repo: &Repository) -> Result<Workflow> {
        repo.workflow().await
    }
}

impl Execute for AddStatus {
    async fn execute(self, repo: &Repository) -> Result<Workflow> {
        repo.add_status(&self.name).await
    }
}

impl Execute for RemoveStatus {
    async fn execute(self, repo: &Repository) -> Result<Workflow> {
        repo.remove_status(&self.status).await
    }
}

impl Execute for MoveStatus {
    async fn execute(self, repo: &Repository) -> Result<Workflow> {
        repo.move_status(&self.status, self.position).await
    }
}

impl Execute for AddTransition {
    async fn execute(self, repo: &Repository) -> Result<Workflow> {
        repo.add_transition(&self.from, &self.to).await
    }
}

impl Execute for RemoveTransition {
    async fn execute(self, repo: &Repository) -> Result<Workflow> {
        repo.remove_transition(&self.from, &self.to).await
    }
}

impl Execute for ListDepartments {
    async fn execute(self, repo: &Repository) -> Result<Vec<String>> {
        repo.departments().await
    }
}

impl Execute for AddDepartment {
    async fn execute(self, repo: &Repository) -> Result<Vec<String>> {
        repo.add_department(&self.name).await
    }
}

impl Execute for RemoveDepartment {
    async fn execute(self, repo: &Repository) -> Result<Vec<String>> {
        repo.remove_department(&self.department).await
    }
}

impl Execute for ListSequences {
    async fn execute(self, repo: &Repository) -> Result<Vec<Sequence>> {
        repo.list_sequences().await
    }
}

impl Execute for CreateSequence {
    async fn execute(self, repo: &Repository) -> Result<Sequence> {
        repo.create_sequence(&self.name, &self.metadata).await
    }
}

impl Execute for GetSequence {
    async fn execute(self, repo: &Repository) -> Result<Sequence> {
        repo.get_sequence(&self.sequence).await
    }
}

impl Execute for UpdateSequence {
    async fn execute(self, repo: &Repository) -> Result<Sequence> {
        let mut name = self.sequence;
        let mut result = None;
        if let Some(metadata) = self.metadata {
            let update = metadata_update(metadata, self.replace_metadata);
            result = Some(repo.update_sequence_metadata(&name, &update).await?);
        }
        if let Some(new_name) = self.name {
            result = Some(repo.rename_sequence(&name, &new_name).await?);
            name = new_name;
        }
        match result {
            Some(sequence) => Ok(sequence),
            None => repo.get_sequence(&name).await,
        }
    }
}

impl Execute for DeleteSequence {
    async fn execute(self, repo: &Repository) -> Result<DeletedSequence> {
        repo.delete_sequence(&self.sequence, self.force).await
    }
}

impl Execute for ListShots {
    async fn execute(self, repo: &Repository) -> Result<Listing<Shot>> {
        let shots = repo.list_shots(self.sequence.as_deref()).await?;
        Ok(Listing::of(shots, self.limit, self.offset))
    }
}

impl Execute for CreateShot {
    async fn execute(self, repo: &Repository) -> Result<Shot> {
        repo.create_shot(&NewShot {
            sequence: self.sequence,
            name: self.name,
            frame_start: self.frame_start,
            frame_end: self.frame_end,
            fps: self.fps,
            metadata: self.metadata,
        })
        .await
    }
}

impl Execute for GetShot {
    async fn execute(self, repo: &Repository) -> Result<Shot> {
        repo.get_shot(&self.sequence, &self.shot).await
    }
}

impl Execute for UpdateShot {
    async fn execute(self, repo: &Repository) -> Result<Shot> {
        let update = ShotUpdate {
            frame_start: self.frame_start,
            frame_end: self.frame_end,
            fps: self.fps,
            metadata: self
                .metadata
                .map(|m| metadata_update(m, self.replace_metadata)),
        };
        let mut shot = repo
            .update_shot(&self.sequence, &self.shot, &update)
            .await?;
        if let Some(new_name) = self.name {
            shot = repo
                .rename_shot(&self.sequence, &self.shot, &new_name)
                .await?;
        }
        Ok(shot)
    }
}

impl Execute for DeleteShot {
    async fn execute(self, repo: &Repository) -> Result<DeletedShot> {
        repo.delete_shot(&self.sequence, &self.shot, self.force)
            .await
    }
}

impl Execute for GetStatus {
    async fn execute(self, repo: &Repository) -> Result<EntityStatus> {
        let status = repo.entity_status(&self.entity).await?;
        Ok(EntityStatus {
            entity: self.entity,
            status,
        })
    }
}

impl Execute for SetStatus {
    async fn execute(self, repo: &Repository) -> Result<HistoryEntry> {
        repo.set_status(&self.entity, &self.status).await
    }
}

impl Execute for ListTasks {
    async fn execute(self, repo: &Repository) -> Result<Vec<Task>> {
        repo.list_tasks(&TaskFilter {
            entity: self.entity,
            department: self.department,
            assignee: self.assignee,
        })
        .await
    }
}

impl Execute for CreateTask {
    async fn execute(self, repo: &Repository) -> Result<Task> {
        repo.create_task(&self.entity, &self.department, self.assignee.as_deref())
            .await
    }
}

impl Execute for UpdateTask {
    async fn execute(self, repo: &Repository) -> Result<Task> {
        let update = TaskUpdate {
            assignee: self.assignee,
            status: self.status,
        };
        repo.update_task(&self.entity, &self.department, &update)
            .await
    }
}

impl Execute for DeleteTask {
    async fn execute(self, repo: &Repository) -> Result<Deleted> {
        repo.delete_task(&self.entity, &self.department).await?;
        Ok(Deleted { deleted: true })
    }
}

impl Execute for CreateLink {
    async fn execute(self, repo: &Repository) -> Result<Link> {
        let link = Link {
            src: self.src,
            dst: self.dst,
            kind: self.kind.unwrap_or(LinkKind::Reference),
            pin: self.pin,
        };
        repo.link(&link).await?;
        Ok(link)
    }
}

impl Execute for DeleteLink {
    async fn execute(self, repo: &Repository) -> Result<Deleted> {
        let kind = self.kind.unwrap_or(LinkKind::Reference);
        repo.unlink(&self.src, &self.dst, kind).await?;
        Ok(Deleted { deleted: true })
    }
}

impl Execute for Deps {
    async fn execute(self, repo: &Repository) -> Result<Vec<Dependency>> {
        repo.deps(&self.entity, self.transitive).await
    }
}

impl Execute for UsedBy {
    async fn execute(self, repo: &Repository) -> Result<Vec<Dependency>> {
        repo.used_by(&self.entity, self.transitive).await
    }
}

impl Execute for ListComments {
    async fn execute(self, repo: &Repository) -> Result<Vec<Comment>> {
        repo.list_comments(&self.target).await
    }
}

impl Execute for AddComment {
    async fn execute(self, repo: &Repository) -> Result<Comment> {
        repo.add_comment(&self.target, &self.body).await
    }
}

impl Execute for History {
    async fn execute(self, repo: &Repository) -> Result<Vec<HistoryEntry>> {
        repo.history(&self.target).await
    }
}

impl Execute for Search {
    async fn execute(self, repo: &Repository) -> Result<Listing<SearchHit>> {
        let query = bifrost_core::query::parse(&self.q)?;
        let limit = page_limit(self.limit);
        let offset = self.offset.unwrap_or(0);
        let hits = repo.search(&query, self.all, limit, offset).await?;
        Ok(Listing::page(hits, self.limit, self.offset))
    }
}

impl Execute for ReportStatus {
    async fn execute(self, repo: &Repository) -> Result<StatusReport> {
        repo.report_status().await
    }
}

impl Execute for ListSavedSearches {
    async fn execute(self, repo: &Repository) -> Result<Vec<SavedSearch>> {
        repo.saved_searches().await
    }
}

impl Execute for SaveSearch {
    async fn execute(self, repo: &Repository) -> Result<SavedSearch> {
        bifrost_core::query::parse(&self.query)?;
        repo.save_search(&self.name, &self.query).await
    }
}

impl Execute for DeleteSavedSearch {
    async fn execute(self, repo: &Repository) -> Result<Deleted> {
        repo.delete_saved_search(&self.name).await?;
        Ok(Deleted { deleted: true })
    }
}

impl Execute for RunSavedSearch {
    async fn execute(self, repo: &Repository) -> Result<Listing<SearchHit>> {
        let limit = page_limit(self.limit);
        let offset = self.offset.unwrap_or(0);
        let hits = repo.run_saved_search(&self.name, limit, offset).await?;
        Ok(Listing::page(hits, self.limit, self.offset))
    }
}

impl Execute for ListCollections {
    async fn execute(self, repo: &Repository) -> Result<Vec<Collection>> {
        repo.collections().await
    }
}

impl Execute for CreateCollection {
    async fn execute(self, repo: &Repository) -> Result<Collection> {
        repo.create_collection(&self.name).await
    }
}

impl Execute for DeleteCollection {
    async fn execute(self, repo: &Repository) -> Result<Deleted> {
        repo.delete_collection(&self.name).await?;
        Ok(Deleted { deleted: true })
    }
}

impl Execute for CollectionMembers {
    async fn execute(self, repo: &Repository) -> Result<Vec<EntityRef>> {
        repo.collection_members(&self.name).await
    }
}

impl Execute for AddToCollection {
    async fn execute(self, repo: &Repository) -> Result<Added> {
        let added = repo.add_to_collection(&self.name, &self.entity).await?;
        Ok(Added { added })
    }
}

impl Execute for RemoveFromCollection {
    async fn execute(self, repo: &Repository) -> Result<Removed> {
        let removed = repo
            .remove_from_collection(&self.name, &self.entity)
            .await?;
        Ok(Removed { removed })
    }
}

impl Execute for ListFavourites {
    async fn execute(self, repo: &Repository) -> Result<Vec<EntityRef>> {
        repo.favourites(&me(repo)).await
    }
}

impl Execute for AddFavourite {
    async fn execute(self, repo: &Repository) -> Result<Added> {
        let added = repo.add_favourite(&me(repo), &self.entity).await?;
        Ok(Added { added })
    }
}

impl Execute for RemoveFavourite {
    async fn execute(self, repo: &Repository) -> Result<Removed> {
        let removed = repo.remove_favourite(&me(repo), &self.entity).await?;
        Ok(Removed { removed })
    }
}

//! `bifrost task`: one department's work on an asset or shot.

use anyhow::{Result, bail};
use bifrost::api::ops::{CreateTask, DeleteTask, ListTasks, UpdateTask};
use bifrost::core::production::EntityRef;
use clap::Subcommand;

use crate::escape::{esc, esc_of};
use crate::output::Out;
use crate::session::Front;

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Create a department task on an asset or shot.
    ///
    /// Example: bifrost task create SQ010/SH010 --dept animation --assignee ana
    Create {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Department (see `bifrost dept list`).
        #[arg(long)]
        dept: String,
        /// Who does it.
        #[arg(long)]
        assignee: Option<String>,
    },
    /// List tasks.
    List {
        /// Only tasks of this asset or shot.
        entity: Option<EntityRef>,
        /// Only this department.
        #[arg(long)]
        dept: Option<String>,
        /// Only tasks assigned to this person.
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Change a task's assignee or status.
    Update {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Department of the task.
        #[arg(long)]
        dept: String,
        /// New assignee.
        #[arg(long, conflicts_with = "unassign")]
        assignee: Option<String>,
        /// Remove the assignee.
        #[arg(long)]
        unassign: bool,
        /// New status (the workflow is enforced).
        #[arg(long)]
        status: Option<String>,
        /// Author of the change (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Delete a task.
    Delete {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Department of the task.
        #[arg(long)]
        dept: String,
    },
}

pub async fn run(cmd: &TaskCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        TaskCommand::Create {
            entity,
            dept,
            assignee,
        } => {
            let t = hub
                .call(CreateTask {
                    project,
                    entity: entity.clone(),
                    department: dept.clone(),
                    assignee: assignee.clone(),
                })
                .await?;
            out.show(&t, || {
                out.say(format!(
                    "created {} task on {} ({})",
                    esc(&t.department),
                    esc_of(&t.entity),
                    esc(&t.status)
                ))
            });
        }
        TaskCommand::List {
            entity,
            dept,
            assignee,
        } => {
            let tasks = hub
                .call(ListTasks {
                    project,
                    entity: entity.clone(),
                    department: dept.clone(),
                    assignee: assignee.clone(),
                })
                .await?;
            out.show(&tasks, || {
                for t in &tasks {
                    println!(
                        "{:<28} {:<12} {:<10} {}",
                        esc_of(&t.entity),
                        esc(&t.department),
                        esc(&t.status),
                        esc(t.assignee.as_deref().unwrap_or("-"))
                    );
                }
            });
        }
        TaskCommand::Update {
            entity,
            dept,
            assignee,
            unassign,
            status,
            author,
        } => {
            let assignee = if *unassign {
                Some(None)
            } else {
                assignee.clone().map(Some)
            };
            if assignee.is_none() && status.is_none() {
                bail!("nothing to change: pass --assignee, --unassign or --status");
            }
            let t = hub
                .as_author(author)
                .call(UpdateTask {
                    project,
                    entity: entity.clone(),
                    department: dept.clone(),
                    assignee,
                    status: status.clone(),
                })
                .await?;
            out.show(&t, || {
                out.say(format!(
                    "{} task on {}: {} ({})",
                    esc(&t.department),
                    esc_of(&t.entity),
                    esc(&t.status),
                    esc(t.assignee.as_deref().unwrap_or("unassigned"))
                ))
            });
        }
        TaskCommand::Delete { entity, dept } => {
            let deleted = hub
                .call(DeleteTask {
                    project,
                    entity: entity.clone(),
                    department: dept.clone(),
                })
                .await?;
            out.show(&deleted, || {
                out.say(format!("deleted {} task on {}", esc(dept), esc_of(entity)))
            });
        }
    }
    Ok(())
}

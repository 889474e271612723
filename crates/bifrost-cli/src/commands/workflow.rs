//! The project's workflow: `status` (of an asset or shot), `workflow` (statuses and allowed
//! changes) and `dept` (departments).

use anyhow::Result;
use bifrost::api::ops::{
    AddDepartment, AddStatus, AddTransition, GetStatus, GetWorkflow, ListDepartments, MoveStatus,
    RemoveDepartment, RemoveStatus, RemoveTransition, SetStatus,
};
use bifrost::core::production::EntityRef;
use clap::Subcommand;

use crate::escape::{esc, esc_of};
use crate::output::Out;
use crate::session::Front;

/// Workflow commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum WorkflowCommands {
    /// Show or change the workflow status of an asset or shot.
    ///
    /// Examples:
    ///   bifrost status SQ010/SH010            # show
    ///   bifrost status SQ010/SH010 ip         # move to "ip" if the workflow allows it
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Status {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// New status (see `bifrost workflow show`).
        status: Option<String>,
    },
    /// Show and configure the project's status workflow.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// List and configure the project's departments.
    #[command(subcommand)]
    Dept(DeptCommand),
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Show statuses and allowed transitions.
    Show,
    /// Add a status (same as `bifrost workflow status add`).
    AddStatus {
        /// Status name.
        status: String,
    },
    /// Add, remove and reorder the workflow's statuses.
    #[command(subcommand)]
    Status(WorkflowStatusCommand),
    /// Allow a status change FROM → TO.
    Allow {
        /// From status.
        from: String,
        /// To status.
        to: String,
    },
    /// Forbid a status change FROM → TO.
    Forbid {
        /// From status.
        from: String,
        /// To status.
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowStatusCommand {
    /// Add a status at the end of the workflow; then allow changes to and from it.
    ///
    /// Nothing can move into the new status until a change to it is allowed, e.g.
    /// `bifrost workflow allow review client-review`.
    ///
    /// Example: bifrost workflow status add client-review
    Add {
        /// Status name (letters, digits, `_`, `-`, `.`).
        status: String,
    },
    /// Remove a status and every allowed change to or from it.
    ///
    /// Refused while an asset, shot or task of the project is in that status (the refusal says
    /// how many): move them to another status first. History keeps mentioning the old status.
    ///
    /// Example: bifrost workflow status remove client-review
    Remove {
        /// Status name.
        status: String,
    },
    /// Move a status to another place in the workflow order.
    ///
    /// Positions count from 1; the status at position 1 is the one new assets, shots and tasks
    /// start in. The other statuses keep their order. Allowed changes are not affected.
    ///
    /// Example: bifrost workflow status move on-hold --position 2
    Move {
        /// Status name.
        status: String,
        /// Its new position, from 1 (first) to the number of statuses.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        position: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeptCommand {
    /// List departments.
    List,
    /// Add a department.
    Add {
        /// Department name.
        name: String,
    },
    /// Remove a department (refused while tasks use it).
    Remove {
        /// Department name.
        name: String,
    },
}

pub async fn run(cmd: &WorkflowCommands, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        WorkflowCommands::Status {
            entity,
            status: None,
        } => {
            let shown = hub
                .call(GetStatus {
                    project,
                    entity: entity.clone(),
                })
                .await?;
            out.show(&shown, || println!("{}", esc(&shown.status)));
        }
        WorkflowCommands::Status {
            entity,
            status: Some(new),
        } => {
            let h = hub
                .call(SetStatus {
                    project,
                    entity: entity.clone(),
                    status: new.clone(),
                })
                .await?;
            out.show(&h, || {
                out.say(format!(
                    "{}: {} → {}",
                    esc_of(entity),
                    esc(h.old.as_deref().unwrap_or("-")),
                    esc(h.new.as_deref().unwrap_or("-"))
                ))
            });
        }
        WorkflowCommands::Workflow(cmd) => {
            let wf = match cmd {
                WorkflowCommand::Show => hub.call(GetWorkflow { project }).await?,
                WorkflowCommand::AddStatus { status }
                | WorkflowCommand::Status(WorkflowStatusCommand::Add { status }) => {
                    hub.call(AddStatus {
                        project,
                        name: status.clone(),
                    })
                    .await?
                }
                WorkflowCommand::Status(WorkflowStatusCommand::Remove { status }) => {
                    hub.call(RemoveStatus {
                        project,
                        status: status.clone(),
                    })
                    .await?
                }
                WorkflowCommand::Status(WorkflowStatusCommand::Move { status, position }) => {
                    hub.call(MoveStatus {
                        project,
                        status: status.clone(),
                        position: *position,
                    })
                    .await?
                }
                WorkflowCommand::Allow { from, to } => {
                    hub.call(AddTransition {
                        project,
                        from: from.clone(),
                        to: to.clone(),
                    })
                    .await?
                }
                WorkflowCommand::Forbid { from, to } => {
                    hub.call(RemoveTransition {
                        project,
                        from: from.clone(),
                        to: to.clone(),
                    })
                    .await?
                }
            };
            out.show(&wf, || {
                for s in &wf.statuses {
                    println!("{:<12} → {}", esc(s), esc(&wf.allowed_next(s).join(", ")));
                }
            });
        }
        WorkflowCommands::Dept(cmd) => {
            let depts = match cmd {
                DeptCommand::List => hub.call(ListDepartments { project }).await?,
                DeptCommand::Add { name } => {
                    hub.call(AddDepartment {
                        project,
                        name: name.clone(),
                    })
                    .await?
                }
                DeptCommand::Remove { name } => {
                    hub.call(RemoveDepartment {
                        project,
                        department: name.clone(),
                    })
                    .await?
                }
            };
            out.show(&depts, || depts.iter().for_each(|d| println!("{}", esc(d))));
        }
    }
    Ok(())
}

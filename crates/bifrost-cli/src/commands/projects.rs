//! `bifrost project`: create, list and switch projects.

use anyhow::Result;
use bifrost::api::all_pages;
use bifrost::api::ops::{CreateProject, ListProjects};
use clap::Subcommand;

use crate::cli::Cli;
use crate::escape::esc;
use crate::output::Out;
use crate::session::{self, Front};

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project.
    ///
    /// Example: bifrost project create show2 --template film   # workflow, departments, shots
    Create {
        /// Project name (letters, digits, `_`, `-`, `.`).
        name: String,
        /// Start from a template: film, series or game (workflow, departments, example shots).
        #[arg(long, value_name = "TEMPLATE")]
        template: Option<bifrost::Template>,
    },
    /// List projects (the current one is marked with *).
    List,
    /// Make a project the current one for this repository.
    Use {
        /// Project name.
        name: String,
    },
}

impl ProjectCommand {
    /// Whether the command is an operation of the table (creating from a template and
    /// switching the repository's current project are local; `--remote project use` switches
    /// the saved login's project instead).
    pub fn on_hub(&self) -> bool {
        matches!(
            self,
            ProjectCommand::Create { template: None, .. } | ProjectCommand::List
        )
    }
}

/// `project create` (without a template) and `project list`, on any hub.
pub async fn run(cmd: &ProjectCommand, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        ProjectCommand::Create { name, .. } => {
            let project = hub.call(CreateProject { name: name.clone() }).await?;
            out.project(&project);
        }
        ProjectCommand::List => {
            let projects = all_pages(hub, ListProjects::default()).await?;
            out.projects(&projects, hub.project());
        }
        ProjectCommand::Use { .. } => unreachable!("project use is local: see run_local"),
    }
    Ok(())
}

/// `project create --template` and `project use`, on the local repository.
pub async fn run_local(cmd: &ProjectCommand, cli: &Cli, out: &Out) -> Result<()> {
    match cmd {
        ProjectCommand::Create {
            name,
            template: Some(template),
        } => {
            let repo = session::open(cli).await?;
            let created = repo.create_project_from_template(name, *template).await;
            repo.close().await;
            let r = created?;
            out.value(&r, || {
                format!(
                    "created project {} from the {} template: {} statuses, {} departments, {} sequences, {} shots",
                    esc(&r.project),
                    serde_json::to_value(r.template).unwrap_or_default().as_str().unwrap_or(""),
                    r.statuses.len(),
                    r.departments.len(),
                    r.sequences,
                    r.shots
                )
            });
        }
        ProjectCommand::Use { name } => {
            let mut repo = session::open(cli).await?;
            let result = repo.use_project(name).await;
            repo.close().await;
            out.project(&result?);
        }
        ProjectCommand::Create { template: None, .. } | ProjectCommand::List => {
            unreachable!("runs on any hub: see run")
        }
    }
    Ok(())
}

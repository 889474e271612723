//! `bifrost workspace`: checked-out assets in a directory kept in step with the repository.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bifrost::core::VersionRef;
use bifrost::{Repository, WorkspaceMode};
use clap::Subcommand;

use crate::cli::Cli;
use crate::escape::{esc, esc_of};
use crate::output::Out;
use crate::session::{self, Front as _};

pub const WORKSPACE_HELP: &str = "\
Examples:
  bifrost workspace init ~/work/sq010 hero_rig barrel@v2    # follows hero_rig's latest, pins barrel
  cd ~/work/sq010 && bifrost workspace status               # modified / new / deleted
  bifrost workspace edit hero_rig/rig.ma                     # private copy of a linked file
  bifrost workspace publish hero_rig -m \"fix knees\"
  bifrost workspace sync                                     # never overwrites your changes";

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace in DIR and check out assets into DIR/ASSET/.
    Init {
        /// The workspace directory (created if missing).
        directory: PathBuf,
        /// Assets to track: NAME follows the latest version, NAME@vN stays on that version.
        assets: Vec<String>,
        /// How files are materialised (default: reflink where the filesystem can, else hardlink, else copy).
        #[arg(long, value_name = "MODE")]
        mode: Option<WorkspaceMode>,
    },
    /// Track more assets in the workspace and check them out.
    Add {
        /// NAME or NAME@vN.
        #[arg(required = true)]
        assets: Vec<String>,
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Show files modified, new or deleted against the checked-out versions.
    Status {
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Update every asset to its latest (or pinned) version; your changes are never
    /// overwritten (reported as conflicts, exit status 1).
    Sync {
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
    /// Make linked (read-only) files private, writable copies before editing them.
    Edit {
        /// Files in the workspace.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Publish the workspace's copy of an asset as its next version.
    Publish {
        /// The asset.
        asset: String,
        /// Publish note.
        #[arg(short = 'm', long = "message", value_name = "NOTE", default_value = "")]
        note: String,
        /// Author recorded on the version (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
        /// The workspace (default: the one containing the current directory).
        #[arg(long = "dir", value_name = "DIR")]
        workspace: Option<PathBuf>,
    },
}

fn refs(items: &[String]) -> Result<Vec<VersionRef>> {
    Ok(items
        .iter()
        .map(|i| i.parse::<VersionRef>())
        .collect::<Result<_, _>>()?)
}

/// The workspace DIR names (or the one around the current directory) and its repository.
async fn open_workspace(cli: &Cli, workspace: &Option<PathBuf>) -> Result<(PathBuf, Repository)> {
    let base = session::start_dir(cli)?;
    let start = workspace
        .as_ref()
        .map_or(base.clone(), |d| session::absolute(&base, d));
    let ws = bifrost::find_workspace(&start)?;
    let (root, project) = bifrost::workspace_origin(&ws)?;
    let repo = Repository::open(&root)
        .await
        .with_context(|| format!("the workspace's repository `{}`", root.display()))?
        .acting_as(session::local_actor(None))
        .with_project(&project)
        .await?;
    Ok((ws, repo))
}

fn sync_text(out: &Out, r: &bifrost::SyncReport) {
    for (asset, from, to) in &r.updated {
        let from = if *from == 0 {
            "nothing".to_owned()
        } else {
            format!("v{from}")
        };
        out.say(format!("{}: {from} → v{to}", esc(asset)));
    }
    for c in &r.conflicts {
        out.say(format!(
            "conflict {}/{}: {}",
            esc(&c.asset),
            esc(&c.path),
            esc(&c.reason)
        ));
    }
    out.say(format!(
        "{} ({} mode): {} files written, {} removed, {} conflicts",
        esc_of(r.dir.display()),
        r.mode,
        r.written,
        r.removed,
        r.conflicts.len()
    ));
}

pub async fn run(cmd: &WorkspaceCommand, cli: &Cli, out: &Out) -> Result<ExitCode> {
    let base = session::start_dir(cli)?;
    let report = match cmd {
        WorkspaceCommand::Init {
            directory,
            assets,
            mode,
        } => {
            let assets = refs(assets)?;
            let repo = session::open(cli).await?;
            let r = repo
                .workspace_init(
                    &session::absolute(&base, directory),
                    *mode,
                    &assets,
                    session::bar(cli),
                )
                .await;
            repo.close().await;
            r?
        }
        WorkspaceCommand::Add { assets, workspace } => {
            let assets = refs(assets)?;
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo.workspace_add(&ws, &assets, session::bar(cli)).await;
            repo.close().await;
            r?
        }
        WorkspaceCommand::Sync { workspace } => {
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo.workspace_sync(&ws, session::bar(cli)).await;
            repo.close().await;
            r?
        }
        WorkspaceCommand::Status { workspace } => {
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo.workspace_status(&ws);
            repo.close().await;
            let s = r?;
            if out.json() {
                out.value(&s, String::new);
            } else {
                for (asset, (version, pin)) in &s.assets {
                    let pin = if pin.is_some() { " (pinned)" } else { "" };
                    out.say(format!("{} @ v{version}{pin}", esc(asset)));
                }
                for c in &s.changes {
                    out.say(format!(
                        "{:>9}  {}/{}",
                        c.kind.to_string(),
                        esc(&c.asset),
                        esc(&c.path)
                    ));
                }
                if s.changes.is_empty() {
                    out.say(format!("clean: {} files match their versions", s.files));
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        WorkspaceCommand::Edit { paths } => {
            let mut edited = Vec::new();
            for p in paths {
                let p = session::absolute(&base, p);
                let start = p.parent().map(PathBuf::from).unwrap_or_else(|| p.clone());
                let ws = bifrost::find_workspace(&start)?;
                let (root, project) = bifrost::workspace_origin(&ws)?;
                let repo = Repository::open(&root)
                    .await?
                    .with_project(&project)
                    .await?;
                let r = repo.workspace_edit(&p);
                repo.close().await;
                edited.push(r?);
            }
            out.value(&edited, || {
                format!("{} files are now private, writable copies", edited.len())
            });
            return Ok(ExitCode::SUCCESS);
        }
        WorkspaceCommand::Publish {
            asset,
            note,
            author,
            workspace,
        } => {
            let (ws, repo) = open_workspace(cli, workspace).await?;
            let r = repo
                .as_author(author)
                .workspace_publish(&ws, asset, note, session::bar(cli))
                .await;
            repo.close().await;
            out.published(&r?);
            return Ok(ExitCode::SUCCESS);
        }
    };
    if out.json() {
        out.value(&report, String::new);
    } else {
        sync_text(out, &report);
    }
    if report.conflicts.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "error: {} files changed here were kept and not updated; resolve them (e.g. move your copy aside) and sync again",
            report.conflicts.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

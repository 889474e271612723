//! The commands, one module per group: each holds its grammar (clap) and turns what was parsed
//! into operations of the table (`bifrost::api::ops`), calls them on a [`Front`] (the local
//! repository, or a server with `--remote`) and renders the answers with [`Out`].
//!
//! Commands only a local repository can do (init, fsck, gc, serve, packages, workspaces,
//! ingest, dedupe, cleanup, demo, project templates) open it themselves; so do the commands
//! that need no repository at all (login, logout, edge, completions).

pub mod access;
pub mod assets;
pub mod collections;
pub mod demo;
pub mod edge;
pub mod edge_gateway;
pub mod edge_series;
pub mod ingest;
pub mod links;
pub mod locks;
pub mod packages;
pub mod projects;
pub mod remote;
pub mod reports;
pub mod repository;
pub mod review_comments;
pub mod search;
pub mod sequences_shots;
pub mod serve;
pub mod tasks;
pub mod tidy;
pub mod versions;
pub mod workflow;
pub mod workspace;

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::CommandFactory;

use crate::cli::{Cli, Command};
use crate::output::Out;
use crate::session::{self, Front};

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<ExitCode> {
    let out = Out::new(cli.json, cli.quiet);
    if cli.remote.is_some() {
        return match &cli.command {
            Command::Project(projects::ProjectCommand::Use { name }) => {
                remote::use_project(&cli, name, &out).await?;
                Ok(ExitCode::SUCCESS)
            }
            command if on_hub(command) => {
                let client = session::open_remote(&cli)?;
                run_on(&cli, &client, &out).await?;
                Ok(ExitCode::SUCCESS)
            }
            _ => bail!(
                "this command works on a local repository only; run it without --remote \
                 (on the server's machine for fsck and gc)"
            ),
        };
    }
    match &cli.command {
        Command::Init(args) => repository::init(args, &cli, &out).await?,
        Command::Repository(cmd) if !cmd.on_hub() => {
            return repository::run_local(cmd, &cli, &out).await;
        }
        Command::Project(cmd) if !cmd.on_hub() => projects::run_local(cmd, &cli, &out).await?,
        Command::Completions { shell } => {
            // Into memory first: clap_complete panics when its writer fails, `stdio` does not.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "bifrost", &mut script);
            crate::stdio::write_out(&script);
        }
        Command::Demo(args) => demo::run(args, &cli, &out).await?,
        Command::Edge(cmd) => return edge::run(cmd, cli.json).await,
        Command::Remote(cmd) => remote::run(cmd, &cli, &out).await?,
        Command::Serve(args) => serve::run(args, &cli, &out).await?,
        Command::Pkg(cmd) => return packages::run(cmd, &cli, &out).await,
        Command::Workspace(cmd) => return workspace::run(cmd, &cli, &out).await,
        Command::Ingest(args) => ingest::run(args, &cli, &out).await?,
        Command::Tidy(cmd) => tidy::run(cmd, &cli, &out).await?,
        _ => {
            let repo = session::open(&cli).await?;
            let result = run_on(&cli, &repo, &out).await;
            repo.close().await;
            result?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether a command runs through [`run_on`], on a local repository or a server alike.
fn on_hub(command: &Command) -> bool {
    match command {
        Command::Project(cmd) => cmd.on_hub(),
        Command::Repository(cmd) => cmd.on_hub(),
        Command::Asset(_)
        | Command::Versions(_)
        | Command::SequencesShots(_)
        | Command::Workflow(_)
        | Command::Task(_)
        | Command::Links(_)
        | Command::ReviewComments(_)
        | Command::Search(_)
        | Command::Collections(_)
        | Command::Report(_)
        | Command::Access(_)
        | Command::Locks(_) => true,
        Command::Init(_)
        | Command::Completions { .. }
        | Command::Demo(_)
        | Command::Edge(_)
        | Command::Remote(_)
        | Command::Serve(_)
        | Command::Pkg(_)
        | Command::Workspace(_)
        | Command::Ingest(_)
        | Command::Tidy(_) => false,
    }
}

/// The commands that work the same on a local repository and on a server.
async fn run_on(cli: &Cli, hub: &impl Front, out: &Out) -> Result<()> {
    match &cli.command {
        Command::Project(cmd) => projects::run(cmd, hub, out).await,
        Command::Asset(cmd) => assets::run(cmd, hub, out).await,
        Command::Versions(cmd) => versions::run(cmd, cli, hub, out).await,
        Command::Repository(repository::RepositoryCommand::Stats) => {
            repository::stats(hub, out).await
        }
        Command::SequencesShots(cmd) => sequences_shots::run(cmd, hub, out).await,
        Command::Workflow(cmd) => workflow::run(cmd, hub, out).await,
        Command::Task(cmd) => tasks::run(cmd, hub, out).await,
        Command::Links(cmd) => links::run(cmd, hub, out).await,
        Command::ReviewComments(cmd) => review_comments::run(cmd, hub, out).await,
        Command::Search(cmd) => search::run(cmd, hub, out).await,
        Command::Collections(cmd) => collections::run(cmd, hub, out).await,
        Command::Report(cmd) => reports::run(cmd, hub, out).await,
        Command::Access(cmd) => access::run(cmd, hub, out).await,
        Command::Locks(cmd) => locks::run(cmd, hub, out).await,
        _ => unreachable!("run() handles the other commands: see on_hub"),
    }
}

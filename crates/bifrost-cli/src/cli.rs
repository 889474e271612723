//! The command-line grammar's top level (clap): the global options and one entry per command
//! group. Each group's own grammar lives with its implementation in `commands/`. Help texts
//! teach; keep examples in them current.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::{
    access, assets, collections, demo, edge, ingest, links, locks, packages, projects, remote,
    reports, repository, review_comments, search, sequences_shots, serve, tasks, tidy, versions,
    workflow, workspace,
};

/// Bifrost: versioned, deduplicated storage for production assets.
///
/// A repository keeps every version of every asset. Bytes are split into content-defined chunks
/// and stored once, however many versions or assets share them; the catalog (SQLite by default,
/// PostgreSQL for a studio) records projects, assets and versions.
///
/// Start with:  bifrost init && bifrost asset create hero --type prop && bifrost publish hero ./hero/
#[derive(Debug, Parser)]
#[command(
    name = "bifrost",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Run as if started in PATH (the repository is searched from there upwards).
    #[arg(short = 'C', global = true, value_name = "PATH")]
    pub dir: Option<PathBuf>,

    /// Act on this project instead of the current one (see `bifrost project use`).
    #[arg(
        long,
        short = 'p',
        global = true,
        value_name = "NAME",
        env = "BIFROST_PROJECT"
    )]
    pub project: Option<String>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// Print less: no progress bars, no summaries.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// Run the command on a server instead of a local repository: the server you logged in to
    /// last (`bifrost login URL`), or the one given (--remote=URL).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "BIFROST_REMOTE",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = ""
    )]
    pub remote: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

/// Every command. Groups of several top-level commands are flattened into this level.
#[derive(Debug, Subcommand)]
pub enum Command {
    Init(repository::InitArgs),
    /// Create, list and switch projects.
    #[command(subcommand)]
    Project(projects::ProjectCommand),
    /// Create, list and inspect assets.
    #[command(subcommand)]
    Asset(assets::AssetCommand),
    #[command(flatten)]
    Versions(versions::VersionsCommand),
    #[command(flatten)]
    Repository(repository::RepositoryCommand),
    /// Print shell completions: bifrost completions bash > /etc/bash_completion.d/bifrost
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    Demo(demo::DemoArgs),
    /// Talk to PLCs over Modbus: read, write, watch, or simulate a device.
    #[command(subcommand, after_help = edge::HELP)]
    Edge(edge::EdgeCommand),
    #[command(flatten)]
    Remote(remote::RemoteCommand),
    #[command(flatten)]
    SequencesShots(sequences_shots::SequencesShotsCommand),
    #[command(flatten)]
    Workflow(workflow::WorkflowCommands),
    /// Department tasks on shots and assets.
    #[command(subcommand)]
    Task(tasks::TaskCommand),
    #[command(flatten)]
    Links(links::LinksCommand),
    #[command(flatten)]
    ReviewComments(review_comments::ReviewCommentsCommand),
    #[command(flatten)]
    Search(search::SearchCommand),
    #[command(flatten)]
    Collections(collections::CollectionsCommand),
    /// Production reports.
    #[command(subcommand)]
    Report(reports::ReportCommand),
    Serve(serve::ServeArgs),
    #[command(flatten)]
    Access(access::AccessCommand),
    #[command(flatten)]
    Locks(locks::LocksCommand),
    /// Create, inspect, validate, extract and import packages (.bfpkg, a standard ZIP).
    #[command(subcommand, after_help = packages::PKG_HELP)]
    Pkg(packages::PkgCommand),
    /// Work on checked-out assets in a directory kept in step with the repository.
    #[command(subcommand, after_help = workspace::WORKSPACE_HELP)]
    Workspace(workspace::WorkspaceCommand),
    Ingest(ingest::IngestArgs),
    #[command(flatten)]
    Tidy(tidy::TidyCommand),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn grammar_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

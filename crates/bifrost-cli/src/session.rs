//! Where a command runs and as whom: the local repository (found from `-C` or the current
//! directory, acting as `$BIFROST_AUTHOR`/`$USER`) or the server `--remote` names (acting as the
//! user of the saved login's token). Commands that run on either are written against [`Front`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bifrost::{Actor, Repository};
use bifrost_client::{Client, Credentials, credentials_path};

use crate::cli::Cli;

/// A hub the CLI runs commands on: the table's operations ([`bifrost::Hub`]) and file
/// transfers ([`bifrost::Transfer`]), on a local repository or on a server.
pub trait Front: bifrost::Transfer + Clone {
    /// The same hub acting as `author` when one is given (`--author`). Locally the repository
    /// records that user; a server always records the user its token belongs to.
    fn as_author(&self, author: &Option<String>) -> Self;
}

impl Front for Repository {
    fn as_author(&self, who: &Option<String>) -> Self {
        match who {
            Some(_) => self.clone().acting_as(local_actor(who.clone())),
            None => self.clone(),
        }
    }
}

impl Front for Client {
    fn as_author(&self, _author: &Option<String>) -> Self {
        self.clone()
    }
}

/// The user a local command acts as: `--author`, else `$BIFROST_AUTHOR`, else `$USER`.
pub fn author(explicit: Option<String>) -> String {
    explicit
        .or_else(|| std::env::var("BIFROST_AUTHOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The local actor for `author(explicit)`.
pub fn local_actor(explicit: Option<String>) -> Actor {
    Actor {
        user: author(explicit),
        origin: "local".to_owned(),
        request_id: None,
    }
}

/// Where the command runs from: `-C PATH`, else the current directory.
pub fn start_dir(cli: &Cli) -> Result<PathBuf> {
    match &cli.dir {
        Some(d) => {
            if !d.is_dir() {
                bail!("-C {}: no such directory", d.display());
            }
            Ok(d.clone())
        }
        None => std::env::current_dir().context("cannot read the current directory"),
    }
}

/// `p` against `base` unless it is absolute: paths typed on the command line are relative to
/// where the user stands (`-C` included).
pub fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// The local repository around the start directory, acting as the local user on `--project`
/// (or the repository's current project).
pub async fn open(cli: &Cli) -> Result<Repository> {
    let start = start_dir(cli)?;
    let repo = Repository::discover(&start)
        .await?
        .acting_as(local_actor(None));
    Ok(match &cli.project {
        Some(p) => repo.with_project(p).await?,
        None => repo,
    })
}

/// The server `--remote` names, with its saved login, acting in `--project` or the login's
/// project.
pub fn open_remote(cli: &Cli) -> Result<Client> {
    let creds = Credentials::load(&credentials_path()?)?;
    let wanted = cli.remote.as_deref().filter(|u| !u.is_empty());
    let (url, login) = creds.resolve(wanted)?;
    let project = cli
        .project
        .clone()
        .or(login.project)
        .unwrap_or_else(|| bifrost::DEFAULT_PROJECT.to_owned());
    Ok(Client::new(&url, &login.token, &project)?)
}

/// A progress bar on stderr when it is a terminal; none with --quiet or --json.
pub fn bar(cli: &Cli) -> Arc<dyn bifrost::Progress> {
    Arc::new(crate::progress::Bar::new(cli.quiet || cli.json))
}

/// Progress bars, one per call, for commands that show several in turn.
pub fn bars(cli: &Cli) -> impl Fn() -> Arc<dyn bifrost::Progress> + use<> {
    let hidden = cli.quiet || cli.json;
    move || -> Arc<dyn bifrost::Progress> { Arc::new(crate::progress::Bar::new(hidden)) }
}

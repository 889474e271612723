//! `bifrost login` and `logout`: saved logins to servers, which `--remote` then uses; and
//! `bifrost --remote project use`, which changes the saved login's project.

use std::io::{IsTerminal, Read};

use anyhow::{Context, Result, bail};
use bifrost::api::ops::{ListProjects, RevokeToken};
use bifrost::api::{Hub, all_pages};
use bifrost_client::{Client, Credentials, Login, credentials_path, normalize_url};
use clap::{Args, Subcommand};

use crate::cli::Cli;
use crate::output::Out;
use crate::session;

/// Login commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum RemoteCommand {
    /// Log in to a server: later commands run there with --remote.
    ///
    /// Examples:
    ///   bifrost login http://hub.studio:8080 --user ana          # asks for the password
    ///   printf '%s' "$PASSWORD" | bifrost login hub:8080 --user ana --password-stdin
    ///   printf '%s' "$TOKEN" | bifrost login hub:8080 --token-stdin   # a service token
    ///   bifrost --remote asset list && bifrost --remote publish hero ./hero/
    /// The token is saved in ~/.config/bifrost/credentials.toml (mode 0600; BIFROST_CONFIG_DIR
    /// moves it); the server becomes the default for --remote.
    #[command(verbatim_doc_comment)]
    Login(LoginArgs),
    /// Forget the login to a server (default: the default one); its token is revoked.
    Logout {
        /// The server (as given to `bifrost login`).
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server: http://HOST:PORT (http:// is assumed when left out).
    pub url: String,
    /// Log in as this user (default: $USER).
    #[arg(long, short = 'u', value_name = "NAME")]
    pub user: Option<String>,
    /// Read the password from standard input instead of asking for it.
    #[arg(long, conflicts_with = "token_stdin")]
    pub password_stdin: bool,
    /// Read an existing API token (e.g. a service token) from standard input instead of
    /// logging in with a password.
    #[arg(long)]
    pub token_stdin: bool,
}

fn read_stdin(what: &str) -> Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    let text = text.trim_end_matches(['\n', '\r']).to_owned();
    if text.is_empty() {
        bail!("standard input held no {what}");
    }
    Ok(text)
}

fn token_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "cli".to_owned());
    format!("login@{host}")
}

pub async fn run(cmd: &RemoteCommand, cli: &Cli, out: &Out) -> Result<()> {
    match cmd {
        RemoteCommand::Login(args) => login(args, cli, out).await,
        RemoteCommand::Logout { url } => logout(url.as_deref(), out).await,
    }
}

async fn login(args: &LoginArgs, cli: &Cli, out: &Out) -> Result<()> {
    let url = normalize_url(&args.url)?;
    let token = if args.token_stdin {
        read_stdin("token")?
    } else {
        let user = session::author(args.user.clone());
        let password = if args.password_stdin {
            read_stdin("password")?
        } else if std::io::stdin().is_terminal() {
            rpassword::prompt_password(format!("password for {user} at {url}: "))
                .context("cannot read the password")?
        } else {
            bail!("no terminal to ask for the password: pass --password-stdin (or --token-stdin)");
        };
        Client::login(&url, &user, &password, &token_name())
            .await?
            .token
    };
    // Check the token and learn whose it is and which projects it sees.
    let me = Client::new(&url, &token, "")?.me().await?;
    let project = match &cli.project {
        Some(p) => {
            if !me.projects.contains(p) {
                bail!(
                    "{} is not a member of project `{p}` on {url} (their projects: {})",
                    me.user.name,
                    me.projects.join(", ")
                );
            }
            Some(p.clone())
        }
        None if me.projects.iter().any(|p| p == bifrost::DEFAULT_PROJECT) => {
            Some(bifrost::DEFAULT_PROJECT.to_owned())
        }
        None => me.projects.first().cloned(),
    };
    let path = credentials_path()?;
    let mut creds = Credentials::load(&path)?;
    creds.servers.insert(
        url.clone(),
        Login {
            token,
            user: me.user.name.clone(),
            project: project.clone(),
        },
    );
    creds.default = Some(url.clone());
    creds.save(&path)?;
    let json = serde_json::json!({
        "server": url, "user": me.user.name, "project": project, "credentials": path,
    });
    out.value(&json, || {
        format!(
            "logged in to {url} as {} (project {}); run commands there with --remote",
            me.user.name,
            project.as_deref().unwrap_or("none: pass --project")
        )
    });
    Ok(())
}

async fn logout(url: Option<&str>, out: &Out) -> Result<()> {
    let path = credentials_path()?;
    let mut creds = Credentials::load(&path)?;
    let (url, login) = creds.resolve(url)?;
    // Revoke the token first (best effort: a server that is gone must not keep you logged in).
    let revoked = match login.token.split('_').nth(1) {
        Some(id) => Client::new(&url, &login.token, "")?
            .call(RevokeToken { id: id.to_owned() })
            .await
            .is_ok(),
        None => false,
    };
    creds.servers.remove(&url);
    if creds.default.as_deref() == Some(url.as_str()) {
        creds.default = creds.servers.keys().next().cloned();
    }
    creds.save(&path)?;
    out.value(
        &serde_json::json!({ "server": url, "token_revoked": revoked }),
        || {
            if revoked {
                format!("logged out of {url}; its token is revoked")
            } else {
                format!("logged out of {url} (the server could not revoke the token now)")
            }
        },
    );
    Ok(())
}

/// `bifrost --remote project use NAME`: the project later remote commands act on.
pub async fn use_project(cli: &Cli, name: &str, out: &Out) -> Result<()> {
    let client = session::open_remote(cli)?;
    let project = all_pages(&client, ListProjects::default())
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .with_context(|| {
            format!(
                "no project `{name}` that you can see on {}",
                client.server()
            )
        })?;
    let path = credentials_path()?;
    let mut creds = Credentials::load(&path)?;
    let wanted = cli.remote.as_deref().filter(|u| !u.is_empty());
    let (url, mut login) = creds.resolve(wanted)?;
    login.project = Some(name.to_owned());
    creds.servers.insert(url, login);
    creds.save(&path)?;
    out.project(&project);
    Ok(())
}

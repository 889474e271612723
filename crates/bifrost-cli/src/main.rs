//! `bifrost`: the command-line front end. Parses arguments, calls the facade, renders results.
//! The only crate that knows about terminals; it holds no business logic.

// This crate's `println!` and `eprintln!`, shadowing the standard ones in every module below:
// what they print goes through `escape::lines`, so no control character (ESC, CSI, OSC, `\r`,
// C1, bidi overrides) from a note, comment, name or error message reaches a terminal raw.
// Renderers still pass one-line fields through `escape::esc` (which escapes `\n` as well).
macro_rules! println {
    () => {
        $crate::escape::print_out(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::escape::print_out(format_args!($($arg)*))
    };
}

macro_rules! eprintln {
    () => {
        $crate::escape::print_err(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::escape::print_err(format_args!($($arg)*))
    };
}

mod access;
mod cli;
mod demo;
mod edge;
mod escape;
mod hints;
mod output;
mod production;
mod progress;
mod remote;
mod studio;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bifrost::core::{AssetFilter, NewAsset, VersionRef};
use bifrost::{CheckoutOptions, GcOptions, Hub, InitOptions, Repository};
use clap::{CommandFactory, Parser};

use crate::cli::{AssetCommand, Cli, Command, ProjectCommand};
use crate::escape::esc;
use crate::output::Out;

/// `bifrost … | head` closes the pipe before the output ends: stop quietly with the status a
/// process killed by SIGPIPE has (as Unix tools do) instead of printing a panic. Rust ignores
/// SIGPIPE, so the failed write surfaces as a panic (of `println!`, or of clap_complete).
fn end_quietly_on_closed_pipe() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        // `println!` says "Broken pipe"; clap_complete's writer panics with the error's Debug.
        if message.contains("Broken pipe") || message.contains("BrokenPipe") {
            std::process::exit(141);
        }
        default_hook(info);
    }));
}

fn main() -> ExitCode {
    end_quietly_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => usage_error(e),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BIFROST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let situation = hints::Situation::of(&cli);
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // Messages may span lines (a search query's caret line); `eprintln!` escapes
            // every other control character of the names and values they quote.
            eprintln!("error: {}", render_error(&e));
            // Library messages name no command; the CLI says what to type.
            for hint in hints::hints(&e, situation) {
                eprintln!("hint: {hint}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Exits on a usage error (status 2) or `--help`/`--version` (0) as clap does. clap's errors
/// quote the arguments given: when one holds a control character the error is printed plain
/// (without clap's colours), escaped, like every other error.
fn usage_error(e: clap::Error) -> ! {
    let unsafe_arg = std::env::args_os().any(|a| a.to_string_lossy().contains(escape::is_unsafe));
    if !e.use_stderr() || !unsafe_arg {
        e.exit();
    }
    eprintln!("{}", e.render().to_string().trim_end());
    std::process::exit(e.exit_code());
}

/// The error and its causes, each said once: library errors already quote their cause in their
/// own message, so a cause is appended only when it adds something new.
fn render_error(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

fn start_dir(cli: &Cli) -> Result<PathBuf> {
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

async fn open(cli: &Cli) -> Result<Repository> {
    let start = start_dir(cli)?;
    let repo = Repository::discover(&start)
        .await?
        .acting_as(bifrost::Actor {
            user: author(None),
            origin: "local".to_owned(),
            request_id: None,
        });
    Ok(match &cli.project {
        Some(p) => repo.with_project(p).await?,
        None => repo,
    })
}

pub(crate) fn author(explicit: Option<String>) -> String {
    explicit
        .or_else(|| std::env::var("BIFROST_AUTHOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// `--meta KEY=VALUE` pairs as metadata. VALUE is JSON when it parses (12, true, [1,2], null)
/// and text otherwise; a dotted KEY is a path into nested objects (`cam.lens=35` is
/// `{"cam": {"lens": 35}}`), the same path search's `meta.cam.lens` reads.
pub(crate) fn parse_meta(items: &[String]) -> Result<BTreeMap<String, serde_json::Value>> {
    let mut meta = serde_json::Map::new();
    for item in items {
        let Some((key, v)) = item.split_once('=') else {
            bail!("--meta `{item}`: write KEY=VALUE, e.g. --meta poly=12000");
        };
        let path: Vec<&str> = key.trim().split('.').collect();
        if path.iter().any(|k| k.is_empty()) {
            bail!("--meta `{item}`: the key is empty or has an empty part; write KEY or A.B=VALUE");
        }
        let value = serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.into()));
        let (last, parents) = path.split_last().expect("split yields at least one part");
        let mut object = &mut meta;
        for (depth, part) in parents.iter().enumerate() {
            let slot = object
                .entry(*part)
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            let serde_json::Value::Object(inner) = slot else {
                bail!(
                    "--meta `{item}`: `{}` is already given a value, so it cannot hold `{last}`",
                    path[..=depth].join(".")
                );
            };
            object = inner;
        }
        if matches!(object.get(*last), Some(serde_json::Value::Object(_))) {
            bail!(
                "--meta `{item}`: `{}` already holds nested keys",
                path.join(".")
            );
        }
        object.insert((*last).to_owned(), value);
    }
    Ok(meta.into_iter().collect())
}

/// The metadata change asked for by `--meta` pairs and `--replace-meta`, if any.
pub(crate) fn meta_update(
    items: &[String],
    replace: bool,
) -> Result<Option<bifrost::core::production::MetadataUpdate>> {
    use bifrost::core::production::MetadataUpdate;
    Ok(match (items.is_empty(), replace) {
        (true, false) => None,
        (_, true) => Some(MetadataUpdate::Replace(parse_meta(items)?)),
        (false, false) => Some(MetadataUpdate::Merge(parse_meta(items)?)),
    })
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let out = Out::new(cli.json, cli.quiet);
    let bar = bar(&cli);
    if cli.remote.is_some() {
        return match &cli.command {
            Command::Project(ProjectCommand::Use { name }) => {
                remote::use_project(&cli, name, &out).await?;
                Ok(ExitCode::SUCCESS)
            }
            command if is_hub_command(command) => {
                let client = remote::open(&cli)?;
                run_on(&cli, &client, &out).await
            }
            _ => bail!(
                "this command works on a local repository only; run it without --remote \
                 (on the server's machine for fsck and gc)"
            ),
        };
    }
    match &cli.command {
        Command::Init {
            path,
            catalog,
            store,
        } => {
            let base = start_dir(&cli)?;
            let target = path.as_ref().map_or(base.clone(), |p| base.join(p));
            // Paths typed on the command line are relative to where the user stands.
            let local = |url: &Option<String>| {
                url.as_ref()
                    .map(|u| match u.strip_prefix("sqlite:").unwrap_or(u) {
                        p if !u.contains("://") => std::path::absolute(base.join(p))
                            .unwrap_or_else(|_| base.join(p))
                            .display()
                            .to_string(),
                        _ => u.clone(),
                    })
            };
            let repo = Repository::init(
                &target,
                InitOptions {
                    catalog: local(catalog),
                    store: local(store),
                },
            )
            .await?;
            out.init(&repo);
            repo.close().await;
        }
        Command::Project(ProjectCommand::Create {
            name,
            template: Some(template),
        }) => {
            let repo = open(&cli).await?;
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
        Command::Project(ProjectCommand::Use { name }) => {
            let mut repo = open(&cli).await?;
            let result = repo.use_project(name).await;
            repo.close().await;
            out.project(&result?);
        }
        Command::Fsck {
            read_data,
            repair,
            accept_catalog,
        } => {
            let repo = open(&cli).await?;
            let report = fsck(&repo, *read_data, *repair, *accept_catalog, &out, &bar).await;
            repo.close().await;
            let report = report?;
            out.fsck(&report);
            if !report.is_clean() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Gc {
            dry_run,
            grace,
            force,
        } => {
            let repo = open(&cli).await?;
            let report = repo
                .gc(GcOptions {
                    dry_run: *dry_run,
                    grace: bifrost::parse_duration(grace)?,
                    force: *force,
                    ..GcOptions::default()
                })
                .await;
            repo.close().await;
            out.gc(&report?);
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "bifrost",
                &mut std::io::stdout(),
            );
        }
        Command::Access(access::AccessCommand::Serve { listen, metrics }) => {
            let repo = open(&cli).await?;
            let result = access::serve(listen, *metrics, &repo, &out).await;
            repo.close().await;
            result?;
        }
        Command::Login(args) => remote::login(args, &cli, &out).await?,
        Command::Logout { url } => remote::logout(url.as_deref(), &out).await?,
        Command::Edge(command) => return edge::run(command, cli.json).await,
        Command::Studio(cmd) => return studio::run(cmd, &cli, &out).await,
        Command::Demo(args) => {
            let base = start_dir(&cli)?;
            demo::run(&absolute(&base, &args.path), args, &out, bar()).await?;
        }
        _ => {
            let repo = open(&cli).await?;
            let result = run_on(&cli, &repo, &out).await;
            repo.close().await;
            return result;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn bar(cli: &Cli) -> impl Fn() -> Arc<dyn bifrost::Progress> {
    let hidden = cli.quiet || cli.json;
    move || -> Arc<dyn bifrost::Progress> { Arc::new(progress::Bar::new(hidden)) }
}

/// Whether a command runs through [`run_on`], on a local repository or a server alike.
fn is_hub_command(command: &Command) -> bool {
    match command {
        Command::Project(ProjectCommand::Use { .. }) => false,
        Command::Project(ProjectCommand::Create {
            template: Some(_), ..
        }) => false,
        Command::Access(access::AccessCommand::Serve { .. }) => false,
        Command::Project(_)
        | Command::Asset(_)
        | Command::Publish { .. }
        | Command::Log { .. }
        | Command::Checkout { .. }
        | Command::Stats
        | Command::Access(_)
        | Command::Production(_) => true,
        _ => false,
    }
}

/// The commands that work the same on a local repository and on a server.
async fn run_on(cli: &Cli, repo: &impl Hub, out: &Out) -> Result<ExitCode> {
    let bar = bar(cli);
    match &cli.command {
        Command::Project(ProjectCommand::Create { name, .. }) => {
            out.project(&repo.create_project(name).await?);
        }
        Command::Project(ProjectCommand::List) => {
            out.projects(&repo.list_projects().await?, repo.project());
        }
        Command::Asset(cmd) => asset(cmd, repo, out).await?,
        Command::Publish {
            name,
            paths,
            note,
            author: who,
        } => {
            let base = start_dir(cli)?;
            let paths: Vec<PathBuf> = paths.iter().map(|p| absolute(&base, p)).collect();
            let outcome = repo
                .publish(name, &paths, &author(who.clone()), note, bar())
                .await?;
            out.published(&outcome);
        }
        Command::Log { name } => out.log(name, &repo.log(name).await?),
        Command::Checkout {
            reference,
            dest,
            force,
        } => {
            let reference: VersionRef = reference.parse()?;
            let dest = absolute(&start_dir(cli)?, dest);
            let outcome = repo
                .checkout(&reference, &dest, CheckoutOptions { force: *force }, bar())
                .await?;
            out.checked_out(&outcome);
        }
        Command::Stats => out.stats(&repo.stats().await?),
        Command::Access(cmd) => access::run(cmd, repo, out).await?,
        Command::Production(cmd) => production::run(cmd, repo, out).await?,
        _ => unreachable!("run() handles the other commands: see is_hub_command"),
    }
    Ok(ExitCode::SUCCESS)
}

async fn asset(cmd: &AssetCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    match cmd {
        AssetCommand::Create {
            name,
            asset_type,
            tags,
            meta,
            department,
        } => {
            let asset = repo
                .create_asset(&NewAsset {
                    name: name.clone(),
                    asset_type: asset_type.clone(),
                    tags: tags.clone(),
                    metadata: parse_meta(meta)?,
                    department: department.clone(),
                })
                .await?;
            out.asset_created(&asset);
        }
        AssetCommand::List { asset_type, tags } => {
            let filter = AssetFilter {
                asset_type: asset_type.clone(),
                tags: tags.clone(),
            };
            out.assets(&repo.list_assets(&filter).await?);
        }
        AssetCommand::Show { name } => {
            let asset = repo.asset(name).await?;
            let versions = repo.log(name).await?;
            let files = match versions.last() {
                Some(v) => repo.version_files(v).await?,
                None => Vec::new(),
            };
            out.asset_show(&asset, &versions, &files);
        }
        AssetCommand::Update {
            name,
            meta,
            replace_meta,
        } => {
            // clap requires at least one --meta, so there is always a change.
            let update =
                meta_update(meta, *replace_meta)?.context("give at least one --meta KEY=VALUE")?;
            let now = repo.update_asset_metadata(name, &update).await?;
            out.value(&now, || format!("updated metadata of {}", esc(name)));
        }
        AssetCommand::Delete { name, force } => {
            let deleted = repo.delete_asset(name, *force).await?;
            let json = serde_json::json!({
                "asset": name,
                "versions": deleted.versions,
                "links": deleted.links,
                "dependants": deleted.dependants,
            });
            out.value(&json, || {
                format!(
                    "deleted {}: {} versions, {} links (run `bifrost gc` to free its bytes)",
                    esc(name),
                    deleted.versions,
                    deleted.links
                )
            });
        }
    }
    Ok(())
}

fn absolute(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

/// `bifrost fsck`: the check, with the repairs asked for (each followed by a fresh check).
async fn fsck(
    repo: &Repository,
    read_data: bool,
    repair: bool,
    accept_catalog: bool,
    out: &Out,
    bar: &dyn Fn() -> Arc<dyn bifrost::Progress>,
) -> anyhow::Result<bifrost::FsckReport> {
    if accept_catalog {
        let at = repo.accept_catalog().await?;
        out.say(format!(
            "accepted the catalog as it is (its journal ends at entry {at}); publishing is allowed again"
        ));
    }
    let report = repo.fsck(read_data, bar()).await?;
    let index_damaged = report
        .problems
        .iter()
        .any(|p| p.kind == bifrost::ProblemKind::SearchIndex);
    if repair && index_damaged {
        let written = repo.rebuild_search_index().await?;
        out.say(format!("rebuilt the search index ({written} documents)"));
        return Ok(repo.fsck(read_data, bar()).await?);
    }
    Ok(report)
}

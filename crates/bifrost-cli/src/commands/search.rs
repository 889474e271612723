//! `bifrost search` (the query language, saved searches run by name) and `bifrost saved`.

use anyhow::Result;
use bifrost::api::listing::MAX_LIMIT;
use bifrost::api::ops::{DeleteSavedSearch, ListSavedSearches, RunSavedSearch, SaveSearch, Search};
use bifrost::api::{Hub, Paged};
use bifrost::core::query;
use clap::{Args, Subcommand};

use crate::escape::esc;
use crate::output::Out;
use crate::session::Front;

/// Search commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Search names, tags, metadata, notes and comments.
    #[command(after_long_help = query::GRAMMAR_HELP)]
    Search(SearchArgs),
    /// Saved searches.
    #[command(subcommand)]
    Saved(SavedCommand),
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query, e.g. 'type:prop tag:hero status:approved meta.poly<10000 "red barrel"'.
    query: Option<String>,
    /// Run a saved search instead.
    #[arg(long, value_name = "NAME", conflicts_with = "query")]
    saved: Option<String>,
    /// Save the query under this name (and run it).
    #[arg(long, value_name = "NAME")]
    save: Option<String>,
    /// Search every project.
    #[arg(long)]
    all_projects: bool,
    /// At most this many results.
    #[arg(long, default_value_t = 100)]
    limit: u64,
    /// Skip this many results (paging).
    #[arg(long, default_value_t = 0)]
    offset: u64,
}

#[derive(Debug, Subcommand)]
pub enum SavedCommand {
    /// List saved searches.
    List,
    /// Delete a saved search.
    Delete {
        /// Its name.
        name: String,
    },
}

/// `limit` items of a paged listing from `offset` on, in as many pages as that takes.
async fn window<H: Hub, O: Paged>(
    hub: &H,
    op: O,
    offset: u64,
    limit: u64,
) -> Result<Vec<O::Item>, H::Error> {
    let mut items = Vec::new();
    while (items.len() as u64) < limit {
        let want = (limit - items.len() as u64).min(MAX_LIMIT);
        let page = hub
            .call(op.page(offset.saturating_add(items.len() as u64), want))
            .await?;
        let more = page.has_more() && !page.items.is_empty();
        items.extend(page.items);
        if !more {
            break;
        }
    }
    Ok(items)
}

pub async fn run(cmd: &SearchCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        SearchCommand::Search(args) => {
            let hits = match (&args.saved, &args.query) {
                (Some(name), _) => {
                    let op = RunSavedSearch {
                        project,
                        name: name.clone(),
                        limit: None,
                        offset: None,
                    };
                    window(hub, op, args.offset, args.limit).await?
                }
                (None, q) => {
                    let text = q.as_deref().unwrap_or("");
                    // Read here first: a bad query is refused before anything is saved.
                    query::parse(text)?;
                    if let Some(name) = &args.save {
                        hub.call(SaveSearch {
                            project: project.clone(),
                            name: name.clone(),
                            query: text.to_owned(),
                        })
                        .await?;
                    }
                    let op = Search {
                        project,
                        q: text.to_owned(),
                        all: args.all_projects,
                        limit: None,
                        offset: None,
                    };
                    window(hub, op, args.offset, args.limit).await?
                }
            };
            out.show(&hits, || {
                for h in &hits {
                    println!(
                        "{:<9} {:<32} {:<10} {}",
                        h.kind.to_string(),
                        esc(&h.name),
                        esc(h.status.as_deref().unwrap_or("-")),
                        esc(h.asset_type.as_deref().unwrap_or(""))
                    );
                }
                if hits.is_empty() {
                    out.say("no matches");
                }
            });
        }
        SearchCommand::Saved(SavedCommand::List) => {
            let list = hub.call(ListSavedSearches { project }).await?;
            out.show(&list, || {
                list.iter()
                    .for_each(|s| println!("{:<20} {}", esc(&s.name), esc(&s.query)))
            });
        }
        SearchCommand::Saved(SavedCommand::Delete { name }) => {
            hub.call(DeleteSavedSearch {
                project,
                name: name.clone(),
            })
            .await?;
            out.show(&serde_json::json!({"deleted": name}), || {
                out.say(format!("deleted saved search {}", esc(name)))
            });
        }
    }
    Ok(())
}

//! Named sets of assets and shots: `collection`, and `fav` (the caller's favourites).

use anyhow::Result;
use bifrost::api::ops::{
    AddFavourite, AddToCollection, CollectionMembers, CreateCollection, DeleteCollection,
    ListCollections, ListFavourites, RemoveFavourite, RemoveFromCollection,
};
use bifrost::core::production::EntityRef;
use clap::Subcommand;

use crate::escape::{esc, esc_of};
use crate::output::Out;
use crate::session::Front;

/// Collection commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum CollectionsCommand {
    /// Named collections of assets and shots.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Your favourites (a collection per user).
    #[command(subcommand)]
    Fav(FavCommand),
}

#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Create a collection.
    Create {
        /// Collection name.
        name: String,
    },
    /// Delete a collection (not its members).
    Delete {
        /// Collection name.
        name: String,
    },
    /// Add assets or shots.
    Add {
        /// Collection name.
        name: String,
        /// Asset NAMEs or SEQ/SHOTs.
        #[arg(required = true)]
        entities: Vec<EntityRef>,
    },
    /// Remove assets or shots.
    Remove {
        /// Collection name.
        name: String,
        /// Asset NAMEs or SEQ/SHOTs.
        #[arg(required = true)]
        entities: Vec<EntityRef>,
    },
    /// List collections.
    List,
    /// List a collection's members.
    Show {
        /// Collection name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum FavCommand {
    /// Mark as favourite.
    Add {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
    },
    /// Unmark.
    Remove {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
    },
    /// List your favourites.
    List,
}

pub async fn run(cmd: &CollectionsCommand, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        CollectionsCommand::Collection(cmd) => collection(cmd, hub, out).await,
        CollectionsCommand::Fav(cmd) => favourites(cmd, hub, out).await,
    }
}

async fn collection(cmd: &CollectionCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        CollectionCommand::Create { name } => {
            let c = hub
                .call(CreateCollection {
                    project,
                    name: name.clone(),
                })
                .await?;
            out.show(&c, || out.say(format!("created collection {}", esc(name))));
        }
        CollectionCommand::Delete { name } => {
            hub.call(DeleteCollection {
                project,
                name: name.clone(),
            })
            .await?;
            out.show(&serde_json::json!({"deleted": name}), || {
                out.say(format!("deleted collection {}", esc(name)))
            });
        }
        CollectionCommand::Add { name, entities } => {
            for e in entities {
                hub.call(AddToCollection {
                    project: project.clone(),
                    name: name.clone(),
                    entity: e.clone(),
                })
                .await?;
            }
            out.show(&serde_json::json!({"added": entities}), || {
                out.say(format!("added {} to {}", entities.len(), esc(name)))
            });
        }
        CollectionCommand::Remove { name, entities } => {
            for e in entities {
                hub.call(RemoveFromCollection {
                    project: project.clone(),
                    name: name.clone(),
                    entity: e.clone(),
                })
                .await?;
            }
            out.show(&serde_json::json!({"removed": entities}), || {
                out.say(format!("removed {} from {}", entities.len(), esc(name)))
            });
        }
        CollectionCommand::List => {
            let list = hub.call(ListCollections { project }).await?;
            out.show(&list, || {
                list.iter()
                    .for_each(|c| println!("{:<24} {:>6}", esc(&c.name), c.size))
            });
        }
        CollectionCommand::Show { name } => {
            let list = hub
                .call(CollectionMembers {
                    project,
                    name: name.clone(),
                })
                .await?;
            out.show(&list, || {
                list.iter().for_each(|e| println!("{}", esc_of(e)))
            });
        }
    }
    Ok(())
}

/// The favourites of whoever the hub acts for (locally the local user, remotely the token's).
async fn favourites(cmd: &FavCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        FavCommand::Add { entity } => {
            let added = hub
                .call(AddFavourite {
                    project,
                    entity: entity.clone(),
                })
                .await?;
            out.show(&added, || {
                out.say(format!("{} is a favourite", esc_of(entity)))
            });
        }
        FavCommand::Remove { entity } => {
            let removed = hub
                .call(RemoveFavourite {
                    project,
                    entity: entity.clone(),
                })
                .await?;
            out.show(&removed, || {
                out.say(format!("{} is no longer a favourite", esc_of(entity)))
            });
        }
        FavCommand::List => {
            let list = hub.call(ListFavourites { project }).await?;
            out.show(&list, || {
                list.iter().for_each(|e| println!("{}", esc_of(e)))
            });
        }
    }
    Ok(())
}

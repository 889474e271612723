//! `bifrost asset`: create, list, show, update and delete assets.

use anyhow::{Context, Result};
use bifrost::api::all_pages;
use bifrost::api::ops::{CreateAsset, DeleteAsset, GetAsset, ListAssets, ListFiles, UpdateAsset};
use bifrost::core::VersionSelector;
use clap::Subcommand;

use crate::commands::versions::versions_of;
use crate::escape::esc;
use crate::input::{meta_change, parse_meta};
use crate::output::Out;
use crate::session::Front;

#[derive(Debug, Subcommand)]
pub enum AssetCommand {
    /// Create an asset in the current project.
    ///
    /// Example: bifrost asset create barrel --type prop --tag hero --meta poly=12000 --meta artist=ana
    Create {
        /// Asset name, unique in the project (letters, digits, `_`, `-`, `.`).
        name: String,
        /// Asset type, e.g. prop, character, environment, texture, fx.
        #[arg(long = "type", short = 't', value_name = "TYPE")]
        asset_type: String,
        /// Tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Metadata KEY=VALUE (repeatable); VALUE is read as JSON when it parses (12, true, [1,2]),
        /// else as text; a dotted KEY (cam.lens=35) sets a nested key, as `meta.cam.lens` searches.
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// The department whose work it is: members restricted to other departments may not
        /// change or publish it.
        #[arg(long = "dept", value_name = "DEPARTMENT")]
        department: Option<String>,
    },
    /// List assets of the current project.
    List {
        /// Only assets of this type.
        #[arg(long = "type", short = 't', value_name = "TYPE")]
        asset_type: Option<String>,
        /// Only assets with this tag (repeatable: all must match).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Show one asset with its versions.
    Show {
        /// Asset name.
        name: String,
    },
    /// Change an asset's metadata.
    ///
    /// Example: bifrost asset update barrel --meta poly=9000 --meta old_key=null
    Update {
        /// Asset name.
        name: String,
        /// Metadata KEY=VALUE to set (repeatable; a dotted KEY sets a nested key; VALUE null
        /// removes the key).
        #[arg(long = "meta", value_name = "KEY=VALUE", required = true)]
        meta: Vec<String>,
        /// Replace all metadata with the given pairs instead of merging.
        #[arg(long)]
        replace_meta: bool,
    },
    /// Delete an asset and its versions (refused while others depend on it, unless --force).
    /// Its stored bytes are freed by the next `bifrost gc`.
    Delete {
        /// Asset name.
        name: String,
        /// Delete even if other assets or shots use it (their links are removed).
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(cmd: &AssetCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        AssetCommand::Create {
            name,
            asset_type,
            tags,
            meta,
            department,
        } => {
            let asset = hub
                .call(CreateAsset {
                    project,
                    name: name.clone(),
                    asset_type: Some(asset_type.clone()),
                    tags: tags.clone(),
                    metadata: parse_meta(meta)?,
                    department: department.clone(),
                })
                .await?;
            out.asset_created(&asset);
        }
        AssetCommand::List { asset_type, tags } => {
            // The operation filters by one tag; the others are checked here.
            let mut assets = all_pages(
                hub,
                ListAssets {
                    project,
                    asset_type: asset_type.clone(),
                    tag: tags.first().cloned(),
                    limit: None,
                    offset: None,
                },
            )
            .await?;
            assets.retain(|a| tags.iter().all(|t| a.tags.contains(t)));
            out.assets(&assets);
        }
        AssetCommand::Show { name } => {
            let asset = hub
                .call(GetAsset {
                    project: project.clone(),
                    asset: name.clone(),
                })
                .await?;
            let versions = versions_of(hub, name).await?;
            let files = match versions.last() {
                Some(v) => {
                    all_pages(
                        hub,
                        ListFiles {
                            project,
                            asset: name.clone(),
                            version: VersionSelector::Number(v.number),
                            limit: None,
                            offset: None,
                        },
                    )
                    .await?
                }
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
            let metadata =
                meta_change(meta, *replace_meta)?.context("give at least one --meta KEY=VALUE")?;
            let now = hub
                .call(UpdateAsset {
                    project,
                    asset: name.clone(),
                    metadata,
                    replace: *replace_meta,
                })
                .await?;
            out.value(&now, || format!("updated metadata of {}", esc(name)));
        }
        AssetCommand::Delete { name, force } => {
            let deleted = hub
                .call(DeleteAsset {
                    project,
                    asset: name.clone(),
                    force: *force,
                })
                .await?;
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

//! Links between assets and shots: `link`, `unlink`, `deps` and `used-by`.

use anyhow::Result;
use bifrost::api::ops::{CreateLink, DeleteLink, Deps, UsedBy};
use bifrost::core::production::{EntityRef, LinkKind};
use clap::Subcommand;

use crate::escape::esc_of;
use crate::input::parse_version_number;
use crate::output::Out;
use crate::session::Front;

/// Link commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum LinksCommand {
    /// Link two entities: SRC uses DST (cycles are refused).
    ///
    /// Examples:
    ///   bifrost link SQ010/SH010 hero_rig --kind reference          # floating: latest version
    ///   bifrost link hero_rig hero_model --kind derived-from --pin v3
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Link {
        /// The user: asset NAME or SEQ/SHOT.
        src: EntityRef,
        /// What it uses: asset NAME or SEQ/SHOT.
        dst: EntityRef,
        /// reference, derived-from or member.
        #[arg(long, default_value = "reference")]
        kind: LinkKind,
        /// Pin to a version of DST (vN); without it the link follows the latest version.
        #[arg(long, value_name = "vN")]
        pin: Option<String>,
    },
    /// Remove a link.
    Unlink {
        /// The user.
        src: EntityRef,
        /// What it used.
        dst: EntityRef,
        /// The kind of link to remove.
        #[arg(long, default_value = "reference")]
        kind: LinkKind,
    },
    /// What an entity uses.
    Deps {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Follow links all the way down.
        #[arg(long)]
        transitive: bool,
    },
    /// What uses an entity: the impact of changing it.
    UsedBy {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Follow links all the way up.
        #[arg(long)]
        transitive: bool,
    },
}

pub async fn run(cmd: &LinksCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        LinksCommand::Link {
            src,
            dst,
            kind,
            pin,
        } => {
            let pin = pin.as_deref().map(parse_version_number).transpose()?;
            let link = hub
                .call(CreateLink {
                    project,
                    src: src.clone(),
                    dst: dst.clone(),
                    kind: Some(*kind),
                    pin,
                })
                .await?;
            out.show(&link, || {
                let at = pin.map_or("latest".to_owned(), |n| format!("v{n}"));
                out.say(format!(
                    "{} --{kind}--> {} ({at})",
                    esc_of(src),
                    esc_of(dst)
                ));
            });
        }
        LinksCommand::Unlink { src, dst, kind } => {
            let deleted = hub
                .call(DeleteLink {
                    project,
                    src: src.clone(),
                    dst: dst.clone(),
                    kind: Some(*kind),
                })
                .await?;
            out.show(&serde_json::json!({"unlinked": deleted.deleted}), || {
                out.say(format!(
                    "removed {} --{kind}--> {}",
                    esc_of(src),
                    esc_of(dst)
                ))
            });
        }
        LinksCommand::Deps { entity, transitive } | LinksCommand::UsedBy { entity, transitive } => {
            let (entity, transitive) = (entity.clone(), *transitive);
            let list = if matches!(cmd, LinksCommand::Deps { .. }) {
                hub.call(Deps {
                    project,
                    entity,
                    transitive,
                })
                .await?
            } else {
                hub.call(UsedBy {
                    project,
                    entity,
                    transitive,
                })
                .await?
            };
            out.show(&list, || {
                if list.is_empty() {
                    out.say("none");
                }
                for d in &list {
                    let pin = d.pin.map_or("latest".to_owned(), |n| format!("v{n}"));
                    println!(
                        "{}{} ({}, {pin})",
                        "  ".repeat(d.depth.saturating_sub(1) as usize),
                        esc_of(&d.entity),
                        d.kind
                    );
                }
            });
        }
    }
    Ok(())
}

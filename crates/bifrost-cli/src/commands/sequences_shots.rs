//! `bifrost seq` and `bifrost shot`: sequences and the shots in them.

use anyhow::{Context, Result, bail};
use bifrost::api::all_pages;
use bifrost::api::ops::{
    CreateSequence, CreateShot, DeleteSequence, DeleteShot, GetSequence, GetShot, ListSequences,
    ListShots, ListTasks, UpdateSequence, UpdateShot,
};
use bifrost::core::production::EntityRef;
use clap::Subcommand;

use crate::escape::{esc, esc_of};
use crate::input::{meta_change, parse_frames, parse_meta, shot_names};
use crate::output::Out;
use crate::session::Front;

/// Sequence and shot commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum SequencesShotsCommand {
    /// Create, list, rename and delete sequences.
    #[command(subcommand)]
    Seq(SeqCommand),
    /// Create, list, show, update, rename and delete shots.
    #[command(subcommand)]
    Shot(ShotCommand),
}

#[derive(Debug, Subcommand)]
pub enum SeqCommand {
    /// Create a sequence.
    Create {
        /// Sequence name, e.g. SQ010.
        name: String,
        /// Metadata KEY=VALUE (repeatable; a dotted KEY such as cam.lens sets a nested key).
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
    },
    /// List sequences.
    List,
    /// Show a sequence: its metadata and its shots.
    Show {
        /// Sequence name.
        name: String,
    },
    /// Change a sequence's metadata.
    ///
    /// Example: bifrost seq update SQ010 --meta location=forest --meta cam.lens=35
    Update {
        /// Sequence name.
        name: String,
        /// Metadata KEY=VALUE to set (repeatable; a dotted KEY sets a nested key; VALUE null
        /// removes the key).
        #[arg(
            long = "meta",
            value_name = "KEY=VALUE",
            required_unless_present = "replace_meta"
        )]
        meta: Vec<String>,
        /// Replace all metadata with the given --meta pairs instead of merging.
        #[arg(long)]
        replace_meta: bool,
    },
    /// Rename a sequence; its shots follow (SQ010/SH010 becomes SQ015/SH010).
    ///
    /// Tasks, links, comments, history and collection memberships stay with the shots, and the
    /// search finds them under the new name at once. Saved searches are not rewritten: one that
    /// says `seq:SQ010` must be saved again.
    ///
    /// Example: bifrost seq rename SQ010 SQ015
    Rename {
        /// The sequence's current name.
        name: String,
        /// Its new name (letters, digits, `_`, `-`, `.`; not taken in the project).
        new_name: String,
    },
    /// Delete a sequence (refused while it has shots, unless --force).
    ///
    /// With --force its shots are deleted too, each with its tasks, links (its casting and the
    /// links of anything that uses it), comments, history and collection memberships, all in
    /// one transaction. Assets are never deleted.
    ///
    /// Example: bifrost seq delete SQ990 --force
    Delete {
        /// Sequence name.
        name: String,
        /// Delete its shots too (and the links of whatever uses them).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShotCommand {
    /// Create a shot.
    ///
    /// Example: bifrost shot create SQ010/SH010 --frames 1001-1096 --fps 24
    Create {
        /// SEQ/SHOT (the sequence must exist).
        shot: EntityRef,
        /// Frame range FIRST-LAST, inclusive.
        #[arg(long, value_name = "FIRST-LAST")]
        frames: String,
        /// Frames per second.
        #[arg(long)]
        fps: Option<f64>,
        /// Metadata KEY=VALUE (repeatable; a dotted KEY such as cam.lens sets a nested key).
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
    },
    /// List shots.
    List {
        /// Only shots of this sequence.
        #[arg(long)]
        seq: Option<String>,
    },
    /// Show a shot with its tasks.
    Show {
        /// SEQ/SHOT.
        shot: EntityRef,
    },
    /// Change a shot's frames, fps or metadata.
    Update {
        /// SEQ/SHOT.
        shot: EntityRef,
        /// New frame range FIRST-LAST.
        #[arg(long, value_name = "FIRST-LAST")]
        frames: Option<String>,
        /// New fps.
        #[arg(long)]
        fps: Option<f64>,
        /// Metadata KEY=VALUE to set (repeatable; a dotted KEY sets a nested key; VALUE null
        /// removes the key).
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// Replace all metadata with the given --meta pairs instead of merging.
        #[arg(long)]
        replace_meta: bool,
    },
    /// Rename a shot within its sequence (the rename is recorded in its history).
    ///
    /// Tasks, links, comments and collection memberships stay with the shot. To rename the
    /// sequence itself, use `bifrost seq rename`.
    ///
    /// Example: bifrost shot rename SQ010/SH010 SH015     # SQ010/SH010 becomes SQ010/SH015
    Rename {
        /// SEQ/SHOT.
        shot: EntityRef,
        /// The new shot name only, without the sequence (not taken in the sequence).
        new_name: String,
        /// Author recorded in the history (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Delete a shot (refused while other shots or assets use it, unless --force).
    ///
    /// Its tasks, links (what it uses), comments, history and collection memberships go with it,
    /// in one transaction; the assets it used are kept. When something uses the shot, the
    /// refusal names it: unlink it first, or pass --force to remove those links too.
    ///
    /// Example: bifrost shot delete SQ010/SH990 --force
    Delete {
        /// SEQ/SHOT.
        shot: EntityRef,
        /// Delete even if other shots or assets use it (their links to it are removed).
        #[arg(long)]
        force: bool,
    },
}

pub async fn run(cmd: &SequencesShotsCommand, hub: &impl Front, out: &Out) -> Result<()> {
    match cmd {
        SequencesShotsCommand::Seq(cmd) => seq(cmd, hub, out).await,
        SequencesShotsCommand::Shot(cmd) => shot(cmd, hub, out).await,
    }
}

async fn seq(cmd: &SeqCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        SeqCommand::Create { name, meta } => {
            let s = hub
                .call(CreateSequence {
                    project,
                    name: name.clone(),
                    metadata: parse_meta(meta)?,
                })
                .await?;
            out.show(&s, || out.say(format!("created sequence {}", esc(&s.name))));
        }
        SeqCommand::List => {
            let seqs = hub.call(ListSequences { project }).await?;
            out.show(&seqs, || {
                seqs.iter().for_each(|s| println!("{}", esc(&s.name)))
            });
        }
        SeqCommand::Show { name } => {
            let s = hub
                .call(GetSequence {
                    project: project.clone(),
                    sequence: name.clone(),
                })
                .await?;
            let shots = all_pages(
                hub,
                ListShots {
                    project,
                    sequence: Some(name.clone()),
                    limit: None,
                    offset: None,
                },
            )
            .await?;
            let json = serde_json::json!({ "sequence": s, "shots": shots });
            out.show(&json, || {
                println!("sequence {}", esc(&s.name));
                println!("created  {}", s.created_at.format("%Y-%m-%d %H:%M"));
                for (k, v) in &s.metadata {
                    println!("meta     {} = {}", esc(k), esc_of(v));
                }
                println!("shots    {}", shots.len());
                for shot in &shots {
                    println!(
                        "  {:<20} {:>6}-{:<6} {}",
                        esc(&shot.name),
                        shot.frame_start,
                        shot.frame_end,
                        esc(&shot.status)
                    );
                }
            });
        }
        SeqCommand::Update {
            name,
            meta,
            replace_meta,
        } => {
            let metadata = meta_change(meta, *replace_meta)?
                .context("give at least one --meta KEY=VALUE, or --replace-meta")?;
            let s = hub
                .call(UpdateSequence {
                    project,
                    sequence: name.clone(),
                    name: None,
                    metadata: Some(metadata),
                    replace_metadata: *replace_meta,
                })
                .await?;
            out.show(&s, || out.say(format!("updated sequence {}", esc(&s.name))));
        }
        SeqCommand::Rename { name, new_name } => {
            let s = hub
                .call(UpdateSequence {
                    project,
                    sequence: name.clone(),
                    name: Some(new_name.clone()),
                    metadata: None,
                    replace_metadata: false,
                })
                .await?;
            out.show(&s, || {
                out.say(format!(
                    "renamed sequence {} to {}",
                    esc(name),
                    esc(&s.name)
                ))
            });
        }
        SeqCommand::Delete { name, force } => {
            let deleted = hub
                .call(DeleteSequence {
                    project,
                    sequence: name.clone(),
                    force: *force,
                })
                .await?;
            let json = serde_json::json!({
                "sequence": name,
                "shots": deleted.shots,
                "links": deleted.links,
                "tasks": deleted.tasks,
                "dependants": deleted.dependants,
            });
            out.show(&json, || {
                out.say(format!(
                    "deleted sequence {}: {} shots, {} links, {} tasks",
                    esc(name),
                    deleted.shots.len(),
                    deleted.links,
                    deleted.tasks
                ))
            });
        }
    }
    Ok(())
}

async fn shot(cmd: &ShotCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        ShotCommand::Create {
            shot,
            frames,
            fps,
            meta,
        } => {
            let (sequence, name) = shot_names(shot)?;
            let (frame_start, frame_end) = parse_frames(frames)?;
            let s = hub
                .call(CreateShot {
                    project,
                    sequence: sequence.to_owned(),
                    name: name.to_owned(),
                    frame_start,
                    frame_end,
                    fps: *fps,
                    metadata: parse_meta(meta)?,
                })
                .await?;
            out.show(&s, || {
                out.say(format!(
                    "created shot {}/{} ({}-{}, {} fps)",
                    esc(&s.sequence),
                    esc(&s.name),
                    s.frame_start,
                    s.frame_end,
                    s.fps
                ))
            });
        }
        ShotCommand::List { seq } => {
            let shots = all_pages(
                hub,
                ListShots {
                    project,
                    sequence: seq.clone(),
                    limit: None,
                    offset: None,
                },
            )
            .await?;
            out.show(&shots, || {
                println!("{:<24} {:>13} {:>6}  STATUS", "SHOT", "FRAMES", "FPS");
                for s in &shots {
                    println!(
                        "{:<24} {:>6}-{:<6} {:>6}  {}",
                        esc(&format!("{}/{}", s.sequence, s.name)),
                        s.frame_start,
                        s.frame_end,
                        s.fps,
                        esc(&s.status)
                    );
                }
            });
        }
        ShotCommand::Show { shot } => {
            let (sequence, name) = shot_names(shot)?;
            let s = hub
                .call(GetShot {
                    project: project.clone(),
                    sequence: sequence.to_owned(),
                    shot: name.to_owned(),
                })
                .await?;
            let tasks = hub
                .call(ListTasks {
                    project,
                    entity: Some(shot.clone()),
                    department: None,
                    assignee: None,
                })
                .await?;
            let json = serde_json::json!({ "shot": s, "tasks": tasks });
            out.show(&json, || {
                println!("shot     {}/{}", esc(&s.sequence), esc(&s.name));
                println!(
                    "frames   {}-{} ({} frames at {} fps)",
                    s.frame_start,
                    s.frame_end,
                    s.frame_count(),
                    s.fps
                );
                println!("status   {}", esc(&s.status));
                for (k, v) in &s.metadata {
                    println!("meta     {} = {}", esc(k), esc_of(v));
                }
                for t in &tasks {
                    println!(
                        "task     {:<12} {:<10} {}",
                        esc(&t.department),
                        esc(&t.status),
                        esc(t.assignee.as_deref().unwrap_or("-"))
                    );
                }
            });
        }
        ShotCommand::Update {
            shot,
            frames,
            fps,
            meta,
            replace_meta,
        } => {
            let (sequence, name) = shot_names(shot)?;
            let frames = frames.as_deref().map(parse_frames).transpose()?;
            let s = hub
                .call(UpdateShot {
                    project,
                    sequence: sequence.to_owned(),
                    shot: name.to_owned(),
                    name: None,
                    frame_start: frames.map(|f| f.0),
                    frame_end: frames.map(|f| f.1),
                    fps: *fps,
                    metadata: meta_change(meta, *replace_meta)?,
                    replace_metadata: *replace_meta,
                })
                .await?;
            out.show(&s, || {
                out.say(format!(
                    "updated shot {}/{}",
                    esc(&s.sequence),
                    esc(&s.name)
                ))
            });
        }
        ShotCommand::Rename {
            shot,
            new_name,
            author,
        } => {
            let (sequence, name) = shot_names(shot)?;
            if new_name.contains('/') {
                bail!(
                    "give only the new shot name, e.g. `bifrost shot rename {shot} SH015`: a shot \
                     stays in its sequence (rename the sequence with `bifrost seq rename`)"
                );
            }
            let s = hub
                .as_author(author)
                .call(UpdateShot {
                    project,
                    sequence: sequence.to_owned(),
                    shot: name.to_owned(),
                    name: Some(new_name.clone()),
                    frame_start: None,
                    frame_end: None,
                    fps: None,
                    metadata: None,
                    replace_metadata: false,
                })
                .await?;
            out.show(&s, || {
                out.say(format!(
                    "renamed shot {} to {}/{}",
                    esc_of(shot),
                    esc(&s.sequence),
                    esc(&s.name)
                ))
            });
        }
        ShotCommand::Delete { shot, force } => {
            let (sequence, name) = shot_names(shot)?;
            let deleted = hub
                .call(DeleteShot {
                    project,
                    sequence: sequence.to_owned(),
                    shot: name.to_owned(),
                    force: *force,
                })
                .await?;
            let json = serde_json::json!({
                "shot": shot,
                "links": deleted.links,
                "tasks": deleted.tasks,
                "dependants": deleted.dependants,
            });
            out.show(&json, || {
                out.say(format!(
                    "deleted shot {}: {} links, {} tasks",
                    esc_of(shot),
                    deleted.links,
                    deleted.tasks
                ))
            });
        }
    }
    Ok(())
}

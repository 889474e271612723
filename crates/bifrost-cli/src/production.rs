//! Production-tracking commands: sequences, shots, statuses, tasks, workflow, links, reviews,
//! comments, history, diff/rollback, search, collections and reports.

use std::io::Write;

use anyhow::{Context, Result, bail};
use bifrost::Hub;
use bifrost::core::production::{
    EntityRef, Link, LinkKind, NewShot, ReviewStatus, ShotUpdate, Target, TaskFilter, TaskUpdate,
};
use bifrost::core::{Query, VersionRef, query};
use clap::{Args, Subcommand};
use serde::Serialize;

use crate::escape::{esc, esc_of};
use crate::output::{Out, human_bytes};
use crate::{meta_update, parse_meta};

/// Production commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum ProductionCommand {
    /// Create, list, rename and delete sequences.
    #[command(subcommand)]
    Seq(SeqCommand),
    /// Create, list, show, update, rename and delete shots.
    #[command(subcommand)]
    Shot(ShotCommand),
    /// Show or change the workflow status of an asset or shot.
    ///
    /// Examples:
    ///   bifrost status SQ010/SH010            # show
    ///   bifrost status SQ010/SH010 ip         # move to "ip" if the workflow allows it
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Status {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// New status (see `bifrost workflow show`).
        status: Option<String>,
    },
    /// Department tasks on shots and assets.
    #[command(subcommand)]
    Task(TaskCommand),
    /// Show and configure the project's status workflow.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// List and configure the project's departments.
    #[command(subcommand)]
    Dept(DeptCommand),
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
    /// Compare two versions: files added, removed and changed, bytes that differ, metadata.
    ///
    /// Example: bifrost diff hero@v3 hero@v5
    Diff {
        /// The older version (NAME@vN).
        from: VersionRef,
        /// The newer version (NAME@vN or NAME for the latest).
        to: VersionRef,
    },
    /// Publish a new version equal to an old one (history is never rewritten).
    Rollback {
        /// The asset.
        name: String,
        /// The version to return to (vN).
        #[arg(value_name = "vN")]
        to_version: String,
        /// Note for the new version (default "rollback to vN").
        #[arg(short = 'm', long = "message")]
        note: Option<String>,
        /// Author (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Comment on an asset, a shot or a version, or list the comments.
    ///
    /// Examples:
    ///   bifrost comment hero@v3 "the left ear clips"
    ///   bifrost comment SQ010/SH010                  # list
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Comment {
        /// NAME, SEQ/SHOT or NAME@vN.
        target: Target,
        /// The comment; without it, the comments are listed.
        text: Option<String>,
        /// Author (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Set the review status of a version: pending, approved or changes-requested.
    Review {
        /// NAME@vN.
        #[arg(value_name = "NAME@vN")]
        reviewed: VersionRef,
        /// pending, approved or changes-requested.
        status: ReviewStatus,
        /// Author (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Status and review changes of an entity or version, newest first.
    History {
        /// NAME, SEQ/SHOT or NAME@vN.
        target: Target,
    },
    /// Search names, tags, metadata, notes and comments.
    #[command(after_long_help = query::GRAMMAR_HELP)]
    Search(SearchArgs),
    /// Saved searches.
    #[command(subcommand)]
    Saved(SavedCommand),
    /// Named collections of assets and shots.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Your favourites (a collection per user).
    #[command(subcommand)]
    Fav(FavCommand),
    /// Production reports.
    #[command(subcommand)]
    Report(ReportCommand),
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

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// Create a department task on an asset or shot.
    ///
    /// Example: bifrost task create SQ010/SH010 --dept animation --assignee ana
    Create {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Department (see `bifrost dept list`).
        #[arg(long)]
        dept: String,
        /// Who does it.
        #[arg(long)]
        assignee: Option<String>,
    },
    /// List tasks.
    List {
        /// Only tasks of this asset or shot.
        entity: Option<EntityRef>,
        /// Only this department.
        #[arg(long)]
        dept: Option<String>,
        /// Only tasks assigned to this person.
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Change a task's assignee or status.
    Update {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Department of the task.
        #[arg(long)]
        dept: String,
        /// New assignee.
        #[arg(long, conflicts_with = "unassign")]
        assignee: Option<String>,
        /// Remove the assignee.
        #[arg(long)]
        unassign: bool,
        /// New status (the workflow is enforced).
        #[arg(long)]
        status: Option<String>,
        /// Author of the change (default: $BIFROST_AUTHOR, else $USER).
        #[arg(long)]
        author: Option<String>,
    },
    /// Delete a task.
    Delete {
        /// Asset NAME or SEQ/SHOT.
        entity: EntityRef,
        /// Department of the task.
        #[arg(long)]
        dept: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// Show statuses and allowed transitions.
    Show,
    /// Add a status (same as `bifrost workflow status add`).
    AddStatus {
        /// Status name.
        status: String,
    },
    /// Add, remove and reorder the workflow's statuses.
    #[command(subcommand)]
    Status(WorkflowStatusCommand),
    /// Allow a status change FROM → TO.
    Allow {
        /// From status.
        from: String,
        /// To status.
        to: String,
    },
    /// Forbid a status change FROM → TO.
    Forbid {
        /// From status.
        from: String,
        /// To status.
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowStatusCommand {
    /// Add a status at the end of the workflow; then allow changes to and from it.
    ///
    /// Nothing can move into the new status until a change to it is allowed, e.g.
    /// `bifrost workflow allow review client-review`.
    ///
    /// Example: bifrost workflow status add client-review
    Add {
        /// Status name (letters, digits, `_`, `-`, `.`).
        status: String,
    },
    /// Remove a status and every allowed change to or from it.
    ///
    /// Refused while an asset, shot or task of the project is in that status (the refusal says
    /// how many): move them to another status first. History keeps mentioning the old status.
    ///
    /// Example: bifrost workflow status remove client-review
    Remove {
        /// Status name.
        status: String,
    },
    /// Move a status to another place in the workflow order.
    ///
    /// Positions count from 1; the status at position 1 is the one new assets, shots and tasks
    /// start in. The other statuses keep their order. Allowed changes are not affected.
    ///
    /// Example: bifrost workflow status move on-hold --position 2
    Move {
        /// Status name.
        status: String,
        /// Its new position, from 1 (first) to the number of statuses.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        position: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeptCommand {
    /// List departments.
    List,
    /// Add a department.
    Add {
        /// Department name.
        name: String,
    },
    /// Remove a department (refused while tasks use it).
    Remove {
        /// Department name.
        name: String,
    },
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

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Shots per status, tasks per department and status, assets per type, versions per week.
    Status {
        /// Print CSV (section,key,status,count) instead of tables.
        #[arg(long)]
        csv: bool,
    },
}

/// `1001-1096` → (1001, 1096).
pub fn parse_frames(text: &str) -> Result<(i64, i64)> {
    let parsed = text
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((a, b)) if a <= b && a >= 0 => Ok((a, b)),
        Some((a, b)) if a > b => bail!(
            "frame range {text} is reversed: write FIRST-LAST with FIRST <= LAST, e.g. {b}-{a}"
        ),
        _ => bail!("`{text}` is not a frame range: write FIRST-LAST, e.g. 1001-1096"),
    }
}

fn parse_version_number(text: &str) -> Result<i64> {
    match text.strip_prefix('v').unwrap_or(text).parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => bail!("`{text}` is not a version: write vN, e.g. v3"),
    }
}

fn user(explicit: &Option<String>) -> String {
    crate::author(explicit.clone())
}

fn version_number(r: &VersionRef) -> Result<i64> {
    match r.version {
        bifrost::core::VersionSelector::Number(n) => Ok(n),
        bifrost::core::VersionSelector::Latest => bail!("name a version: write {}@vN", r.asset),
    }
}

/// The sequence and shot names of a `SEQ/SHOT` argument, which the shot commands require.
fn shot_names(shot: &EntityRef) -> Result<(&str, &str)> {
    let EntityRef::Shot { sequence, shot } = shot else {
        bail!("write the shot as SEQ/SHOT, e.g. SQ010/SH010");
    };
    Ok((sequence, shot))
}

/// Prints JSON, or the text form.
fn show<T: Serialize>(out: &Out, value: &T, text: impl FnOnce()) {
    if out.json() {
        println!("{}", crate::escape::json_pretty(value));
    } else {
        text();
    }
}

pub async fn run(cmd: &ProductionCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    use ProductionCommand as P;
    match cmd {
        P::Seq(SeqCommand::Create { name, meta }) => {
            let s = repo.create_sequence(name, &parse_meta(meta)?).await?;
            show(out, &s, || {
                out.say(format!("created sequence {}", esc(&s.name)))
            });
        }
        P::Seq(SeqCommand::List) => {
            let seqs = repo.list_sequences().await?;
            show(out, &seqs, || {
                seqs.iter().for_each(|s| println!("{}", esc(&s.name)))
            });
        }
        P::Seq(SeqCommand::Show { name }) => {
            let s = repo.get_sequence(name).await?;
            let shots = repo.list_shots(Some(name)).await?;
            let json = serde_json::json!({ "sequence": s, "shots": shots });
            show(out, &json, || {
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
        P::Seq(SeqCommand::Update {
            name,
            meta,
            replace_meta,
        }) => {
            let update = meta_update(meta, *replace_meta)?
                .context("give at least one --meta KEY=VALUE, or --replace-meta")?;
            let s = repo.update_sequence_metadata(name, &update).await?;
            show(out, &s, || {
                out.say(format!("updated sequence {}", esc(&s.name)))
            });
        }
        P::Seq(SeqCommand::Rename { name, new_name }) => {
            let s = repo.rename_sequence(name, new_name).await?;
            show(out, &s, || {
                out.say(format!(
                    "renamed sequence {} to {}",
                    esc(name),
                    esc(&s.name)
                ))
            });
        }
        P::Seq(SeqCommand::Delete { name, force }) => {
            let deleted = repo.delete_sequence(name, *force).await?;
            let json = serde_json::json!({
                "sequence": name,
                "shots": deleted.shots,
                "links": deleted.links,
                "tasks": deleted.tasks,
                "dependants": deleted.dependants,
            });
            show(out, &json, || {
                out.say(format!(
                    "deleted sequence {}: {} shots, {} links, {} tasks",
                    esc(name),
                    deleted.shots.len(),
                    deleted.links,
                    deleted.tasks
                ))
            });
        }
        P::Shot(ShotCommand::Create {
            shot,
            frames,
            fps,
            meta,
        }) => {
            let (sequence, name) = shot_names(shot)?;
            let (frame_start, frame_end) = parse_frames(frames)?;
            let s = repo
                .create_shot(&NewShot {
                    sequence: sequence.to_owned(),
                    name: name.to_owned(),
                    frame_start,
                    frame_end,
                    fps: *fps,
                    metadata: parse_meta(meta)?,
                })
                .await?;
            show(out, &s, || {
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
        P::Shot(ShotCommand::List { seq }) => {
            let shots = repo.list_shots(seq.as_deref()).await?;
            show(out, &shots, || {
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
        P::Shot(ShotCommand::Show { shot }) => {
            let (sequence, name) = shot_names(shot)?;
            let s = repo.get_shot(sequence, name).await?;
            let tasks = repo
                .list_tasks(&TaskFilter {
                    entity: Some(shot.clone()),
                    ..TaskFilter::default()
                })
                .await?;
            let json = serde_json::json!({ "shot": s, "tasks": tasks });
            show(out, &json, || {
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
        P::Shot(ShotCommand::Update {
            shot,
            frames,
            fps,
            meta,
            replace_meta,
        }) => {
            let (sequence, name) = shot_names(shot)?;
            let frames = frames.as_deref().map(parse_frames).transpose()?;
            let metadata = meta_update(meta, *replace_meta)?;
            let update = ShotUpdate {
                frame_start: frames.map(|f| f.0),
                frame_end: frames.map(|f| f.1),
                fps: *fps,
                metadata,
            };
            let s = repo.update_shot(sequence, name, &update).await?;
            show(out, &s, || {
                out.say(format!(
                    "updated shot {}/{}",
                    esc(&s.sequence),
                    esc(&s.name)
                ))
            });
        }
        P::Shot(ShotCommand::Rename {
            shot,
            new_name,
            author,
        }) => {
            let (sequence, name) = shot_names(shot)?;
            if new_name.contains('/') {
                bail!(
                    "give only the new shot name, e.g. `bifrost shot rename {shot} SH015`: a shot \
                     stays in its sequence (rename the sequence with `bifrost seq rename`)"
                );
            }
            let s = repo
                .rename_shot(sequence, name, new_name, &user(author))
                .await?;
            show(out, &s, || {
                out.say(format!(
                    "renamed shot {} to {}/{}",
                    esc_of(shot),
                    esc(&s.sequence),
                    esc(&s.name)
                ))
            });
        }
        P::Shot(ShotCommand::Delete { shot, force }) => {
            let (sequence, name) = shot_names(shot)?;
            let deleted = repo.delete_shot(sequence, name, *force).await?;
            let json = serde_json::json!({
                "shot": shot,
                "links": deleted.links,
                "tasks": deleted.tasks,
                "dependants": deleted.dependants,
            });
            show(out, &json, || {
                out.say(format!(
                    "deleted shot {}: {} links, {} tasks",
                    esc_of(shot),
                    deleted.links,
                    deleted.tasks
                ))
            });
        }
        P::Status {
            entity,
            status: None,
        } => {
            let status = repo.entity_status(entity).await?;
            show(
                out,
                &serde_json::json!({"entity": entity, "status": status}),
                || println!("{}", esc(&status)),
            );
        }
        P::Status {
            entity,
            status: Some(new),
        } => {
            let h = repo.set_status(entity, new, &user(&None)).await?;
            show(out, &h, || {
                out.say(format!(
                    "{}: {} → {}",
                    esc_of(entity),
                    esc(h.old.as_deref().unwrap_or("-")),
                    esc(h.new.as_deref().unwrap_or("-"))
                ))
            });
        }
        P::Task(TaskCommand::Create {
            entity,
            dept,
            assignee,
        }) => {
            let t = repo.create_task(entity, dept, assignee.as_deref()).await?;
            show(out, &t, || {
                out.say(format!(
                    "created {} task on {} ({})",
                    esc(&t.department),
                    esc_of(&t.entity),
                    esc(&t.status)
                ))
            });
        }
        P::Task(TaskCommand::List {
            entity,
            dept,
            assignee,
        }) => {
            let filter = TaskFilter {
                entity: entity.clone(),
                department: dept.clone(),
                assignee: assignee.clone(),
            };
            let tasks = repo.list_tasks(&filter).await?;
            show(out, &tasks, || {
                for t in &tasks {
                    println!(
                        "{:<28} {:<12} {:<10} {}",
                        esc_of(&t.entity),
                        esc(&t.department),
                        esc(&t.status),
                        esc(t.assignee.as_deref().unwrap_or("-"))
                    );
                }
            });
        }
        P::Task(TaskCommand::Update {
            entity,
            dept,
            assignee,
            unassign,
            status,
            author,
        }) => {
            let update = TaskUpdate {
                assignee: if *unassign {
                    Some(None)
                } else {
                    assignee.clone().map(Some)
                },
                status: status.clone(),
            };
            if update.assignee.is_none() && update.status.is_none() {
                bail!("nothing to change: pass --assignee, --unassign or --status");
            }
            let t = repo
                .update_task(entity, dept, &update, &user(author))
                .await?;
            show(out, &t, || {
                out.say(format!(
                    "{} task on {}: {} ({})",
                    esc(&t.department),
                    esc_of(&t.entity),
                    esc(&t.status),
                    esc(t.assignee.as_deref().unwrap_or("unassigned"))
                ))
            });
        }
        P::Task(TaskCommand::Delete { entity, dept }) => {
            repo.delete_task(entity, dept).await?;
            show(out, &serde_json::json!({"deleted": true}), || {
                out.say(format!("deleted {} task on {}", esc(dept), esc_of(entity)))
            });
        }
        P::Workflow(cmd) => {
            let wf = match cmd {
                WorkflowCommand::Show => repo.workflow().await?,
                WorkflowCommand::AddStatus { status }
                | WorkflowCommand::Status(WorkflowStatusCommand::Add { status }) => {
                    repo.add_status(status).await?
                }
                WorkflowCommand::Status(WorkflowStatusCommand::Remove { status }) => {
                    repo.remove_status(status).await?
                }
                WorkflowCommand::Status(WorkflowStatusCommand::Move { status, position }) => {
                    repo.move_status(status, *position).await?
                }
                WorkflowCommand::Allow { from, to } => repo.add_transition(from, to).await?,
                WorkflowCommand::Forbid { from, to } => repo.remove_transition(from, to).await?,
            };
            show(out, &wf, || {
                for s in &wf.statuses {
                    println!("{:<12} → {}", esc(s), esc(&wf.allowed_next(s).join(", ")));
                }
            });
        }
        P::Dept(cmd) => {
            let depts = match cmd {
                DeptCommand::List => repo.departments().await?,
                DeptCommand::Add { name } => repo.add_department(name).await?,
                DeptCommand::Remove { name } => repo.remove_department(name).await?,
            };
            show(out, &depts, || {
                depts.iter().for_each(|d| println!("{}", esc(d)))
            });
        }
        P::Link {
            src,
            dst,
            kind,
            pin,
        } => {
            let pin = pin.as_deref().map(parse_version_number).transpose()?;
            let link = Link {
                src: src.clone(),
                dst: dst.clone(),
                kind: *kind,
                pin,
            };
            repo.link(&link).await?;
            show(out, &link, || {
                let at = pin.map_or("latest".to_owned(), |n| format!("v{n}"));
                out.say(format!(
                    "{} --{kind}--> {} ({at})",
                    esc_of(src),
                    esc_of(dst)
                ));
            });
        }
        P::Unlink { src, dst, kind } => {
            repo.unlink(src, dst, *kind).await?;
            show(out, &serde_json::json!({"unlinked": true}), || {
                out.say(format!(
                    "removed {} --{kind}--> {}",
                    esc_of(src),
                    esc_of(dst)
                ))
            });
        }
        P::Deps { entity, transitive } | P::UsedBy { entity, transitive } => {
            let list = if matches!(cmd, P::Deps { .. }) {
                repo.deps(entity, *transitive).await?
            } else {
                repo.used_by(entity, *transitive).await?
            };
            show(out, &list, || {
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
        P::Diff { from, to } => {
            let d = repo.diff(from, to).await?;
            show(out, &d, || {
                println!(
                    "{}@v{} → {}@v{}",
                    esc(&d.from.asset),
                    d.from.number,
                    esc(&d.to.asset),
                    d.to.number
                );
                for f in &d.added {
                    println!("  added    {} ({})", esc(&f.path), human_bytes(f.size));
                }
                for f in &d.removed {
                    println!("  removed  {} ({})", esc(&f.path), human_bytes(f.size));
                }
                for c in &d.changed {
                    println!(
                        "  changed  {} ({} → {}, {} differ)",
                        esc(&c.path),
                        human_bytes(c.from.size),
                        human_bytes(c.to.size),
                        human_bytes(c.bytes_differing)
                    );
                }
                for m in &d.metadata {
                    let show =
                        |v: &Option<serde_json::Value>| v.as_ref().map_or("-".to_owned(), esc_of);
                    println!(
                        "  meta     {}: {} → {}",
                        esc(&m.key),
                        show(&m.from),
                        show(&m.to)
                    );
                }
                println!(
                    "{} unchanged, {} differ",
                    d.unchanged,
                    human_bytes(d.bytes_differing)
                );
            });
        }
        P::Rollback {
            name,
            to_version,
            note,
            author,
        } => {
            let n = parse_version_number(to_version)?;
            let v = repo
                .rollback(name, n, &user(author), note.as_deref())
                .await?;
            show(out, &v, || {
                out.say(format!(
                    "published {}@v{} equal to v{n}",
                    esc(&v.asset),
                    v.number
                ))
            });
        }
        P::Comment {
            target,
            text: Some(text),
            author,
        } => {
            let c = repo.add_comment(target, &user(author), text).await?;
            show(out, &c, || {
                out.say(format!("commented on {}", esc_of(target)))
            });
        }
        P::Comment {
            target, text: None, ..
        } => {
            let list = repo.list_comments(target).await?;
            show(out, &list, || {
                for c in &list {
                    println!(
                        "{} {}: {}",
                        c.created_at.format("%Y-%m-%d %H:%M"),
                        esc(&c.author),
                        esc(&c.body)
                    );
                }
            });
        }
        P::Review {
            reviewed,
            status,
            author,
        } => {
            let n = version_number(reviewed)?;
            let h = repo
                .set_review_status(&reviewed.asset, n, *status, &user(author))
                .await?;
            show(out, &h, || {
                out.say(format!("{}@v{n}: review {}", esc(&reviewed.asset), status))
            });
        }
        P::History { target } => {
            let list = repo.history(target).await?;
            show(out, &list, || {
                for h in &list {
                    let dept = h
                        .department
                        .as_deref()
                        .map(|d| format!(" [{}]", esc(d)))
                        .unwrap_or_default();
                    println!(
                        "{} {:<10} {}{dept}: {} → {}",
                        h.at.format("%Y-%m-%d %H:%M"),
                        esc(&h.author),
                        esc(&h.field),
                        esc(h.old.as_deref().unwrap_or("-")),
                        esc(h.new.as_deref().unwrap_or("-"))
                    );
                }
            });
        }
        P::Search(args) => {
            let hits = match (&args.saved, &args.query) {
                (Some(name), _) => repo.run_saved_search(name, args.limit, args.offset).await?,
                (None, q) => {
                    let text = q.as_deref().unwrap_or("");
                    let query: Query = query::parse(text)?;
                    if let Some(name) = &args.save {
                        repo.save_search(name, text).await?;
                    }
                    repo.search(&query, args.all_projects, args.limit, args.offset)
                        .await?
                }
            };
            show(out, &hits, || {
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
        P::Saved(SavedCommand::List) => {
            let list = repo.saved_searches().await?;
            show(out, &list, || {
                list.iter()
                    .for_each(|s| println!("{:<20} {}", esc(&s.name), esc(&s.query)))
            });
        }
        P::Saved(SavedCommand::Delete { name }) => {
            repo.delete_saved_search(name).await?;
            show(out, &serde_json::json!({"deleted": name}), || {
                out.say(format!("deleted saved search {}", esc(name)))
            });
        }
        P::Collection(cmd) => collection(cmd, repo, out).await?,
        P::Fav(cmd) => {
            let me = user(&None);
            match cmd {
                FavCommand::Add { entity } => {
                    let added = repo.add_favourite(&me, entity).await?;
                    show(out, &serde_json::json!({"added": added}), || {
                        out.say(format!("{} is a favourite", esc_of(entity)))
                    });
                }
                FavCommand::Remove { entity } => {
                    let removed = repo.remove_favourite(&me, entity).await?;
                    show(out, &serde_json::json!({"removed": removed}), || {
                        out.say(format!("{} is no longer a favourite", esc_of(entity)))
                    });
                }
                FavCommand::List => {
                    let list = repo.favourites(&me).await?;
                    show(out, &list, || {
                        list.iter().for_each(|e| println!("{}", esc_of(e)))
                    });
                }
            }
        }
        P::Report(ReportCommand::Status { csv }) => {
            let r = repo.report_status().await?;
            if *csv {
                let mut w = std::io::stdout().lock();
                writeln!(w, "section,key,status,count")?;
                for (s, n) in &r.shots_by_status {
                    writeln!(w, "shots_by_status,,{},{n}", csv_field(s))?;
                }
                for (d, s, n) in &r.tasks_by_department_status {
                    writeln!(
                        w,
                        "tasks_by_department,{},{},{n}",
                        csv_field(d),
                        csv_field(s)
                    )?;
                }
                for (t, n) in &r.assets_by_type {
                    writeln!(w, "assets_by_type,{},,{n}", csv_field(t))?;
                }
                for (wk, n) in &r.versions_by_week {
                    writeln!(w, "versions_by_week,{wk},,{n}")?;
                }
            } else {
                show(out, &r, || {
                    println!("shots by status");
                    r.shots_by_status
                        .iter()
                        .for_each(|(s, n)| println!("  {:<14} {n:>8}", esc(s)));
                    println!("tasks by department and status");
                    r.tasks_by_department_status
                        .iter()
                        .for_each(|(d, s, n)| println!("  {:<14} {:<14} {n:>8}", esc(d), esc(s)));
                    println!("assets by type");
                    r.assets_by_type
                        .iter()
                        .for_each(|(t, n)| println!("  {:<14} {n:>8}", esc(t)));
                    println!("versions by week");
                    r.versions_by_week
                        .iter()
                        .for_each(|(w, n)| println!("  {w:<14} {n:>8}"));
                });
            }
        }
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

async fn collection(cmd: &CollectionCommand, repo: &impl Hub, out: &Out) -> Result<()> {
    match cmd {
        CollectionCommand::Create { name } => {
            let c = repo.create_collection(name).await?;
            show(out, &c, || {
                out.say(format!("created collection {}", esc(name)))
            });
        }
        CollectionCommand::Delete { name } => {
            repo.delete_collection(name).await?;
            show(out, &serde_json::json!({"deleted": name}), || {
                out.say(format!("deleted collection {}", esc(name)))
            });
        }
        CollectionCommand::Add { name, entities } => {
            for e in entities {
                repo.add_to_collection(name, e).await?;
            }
            show(out, &serde_json::json!({"added": entities}), || {
                out.say(format!("added {} to {}", entities.len(), esc(name)))
            });
        }
        CollectionCommand::Remove { name, entities } => {
            for e in entities {
                repo.remove_from_collection(name, e).await?;
            }
            show(out, &serde_json::json!({"removed": entities}), || {
                out.say(format!("removed {} from {}", entities.len(), esc(name)))
            });
        }
        CollectionCommand::List => {
            let list = repo.collections().await?;
            show(out, &list, || {
                list.iter()
                    .for_each(|c| println!("{:<24} {:>6}", esc(&c.name), c.size))
            });
        }
        CollectionCommand::Show { name } => {
            let list = repo.collection_members(name).await?;
            show(out, &list, || {
                list.iter().for_each(|e| println!("{}", esc_of(e)))
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ranges() {
        assert_eq!(parse_frames("1001-1096").unwrap(), (1001, 1096));
        assert_eq!(parse_frames("0-0").unwrap(), (0, 0));
        let e = parse_frames("1096-1001").unwrap_err().to_string();
        assert!(e.contains("reversed"), "{e}");
        for bad in ["", "1001", "a-b", "-5-3", "1001-"] {
            assert!(parse_frames(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}

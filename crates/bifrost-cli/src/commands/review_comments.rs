//! Feedback on work: `comment`, `review` (of a version) and `history` (status and review
//! changes).

use anyhow::Result;
use bifrost::api::ops::{AddComment, History, ListComments, ReviewVersion};
use bifrost::core::VersionRef;
use bifrost::core::VersionSelector;
use bifrost::core::production::{ReviewStatus, Target};
use clap::Subcommand;

use crate::escape::{esc, esc_of};
use crate::input::version_number;
use crate::output::Out;
use crate::session::Front;

/// Review and comment commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum ReviewCommentsCommand {
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
}

pub async fn run(cmd: &ReviewCommentsCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        ReviewCommentsCommand::Comment {
            target,
            text: Some(text),
            author,
        } => {
            let c = hub
                .as_author(author)
                .call(AddComment {
                    project,
                    target: target.clone(),
                    body: text.clone(),
                })
                .await?;
            out.show(&c, || out.say(format!("commented on {}", esc_of(target))));
        }
        ReviewCommentsCommand::Comment {
            target, text: None, ..
        } => {
            let list = hub
                .call(ListComments {
                    project,
                    target: target.clone(),
                })
                .await?;
            out.show(&list, || {
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
        ReviewCommentsCommand::Review {
            reviewed,
            status,
            author,
        } => {
            let n = version_number(reviewed)?;
            let h = hub
                .as_author(author)
                .call(ReviewVersion {
                    project,
                    asset: reviewed.asset.clone(),
                    version: VersionSelector::Number(n),
                    status: *status,
                })
                .await?;
            out.show(&h, || {
                out.say(format!("{}@v{n}: review {}", esc(&reviewed.asset), status))
            });
        }
        ReviewCommentsCommand::History { target } => {
            let list = hub
                .call(History {
                    project,
                    target: target.clone(),
                })
                .await?;
            out.show(&list, || {
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
    }
    Ok(())
}

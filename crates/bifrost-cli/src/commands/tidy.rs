//! Tidying up: `dedupe` (what a folder's duplicates cost) and `cleanup` (workspace cache
//! entries and temporary files nothing uses).

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use crate::cli::Cli;
use crate::escape::esc_of;
use crate::output::{Out, human_bytes};
use crate::session;

/// Tidying commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum TidyCommand {
    /// Report duplicate files in a folder and what ingesting it would save (no repository needed).
    ///
    /// Examples:
    ///   bifrost dedupe /mnt/projects            # identical files, by size then BLAKE3
    ///   bifrost dedupe /mnt/projects --chunks   # also chunk-level savings (reads everything)
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Dedupe {
        /// The folder to scan.
        folder: PathBuf,
        /// Also cut every file as the store does and count distinct chunk bytes.
        #[arg(long)]
        chunks: bool,
        /// Groups to list in the text output.
        #[arg(long, default_value_t = 20, value_name = "N")]
        top: usize,
    },
    /// Remove workspace cache entries no workspace links to, and leftover temporary files.
    ///
    /// Examples:
    ///   bifrost cleanup --dry-run
    ///   bifrost cleanup --grace 0s --also ~/packages
    // Verbatim: the example lines stay lines in --help.
    #[command(verbatim_doc_comment)]
    Cleanup {
        /// Count what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Leave temporary files younger than this alone (work may be in progress).
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        grace: String,
        /// Another directory to clear of Bifrost's temporary files (repeatable).
        #[arg(long, value_name = "DIR")]
        also: Vec<PathBuf>,
    },
}

pub async fn run(cmd: &TidyCommand, cli: &Cli, out: &Out) -> Result<()> {
    let base = session::start_dir(cli)?;
    match cmd {
        TidyCommand::Dedupe {
            folder,
            chunks,
            top,
        } => {
            let params = if *chunks {
                // The repository's chunking if there is one here, else the defaults.
                Some(match session::open(cli).await {
                    Ok(repo) => {
                        let p = repo.chunking();
                        repo.close().await;
                        p
                    }
                    Err(_) => bifrost::core::ChunkingParams::default(),
                })
            } else {
                None
            };
            let r = bifrost::scan_duplicates(
                &session::absolute(&base, folder),
                params,
                session::bar(cli),
            )?;
            if out.json() {
                out.value(&r, String::new);
                return Ok(());
            }
            for g in r.groups.iter().take(*top) {
                out.say(format!(
                    "{} × {} ({}):",
                    g.paths.len(),
                    human_bytes(g.size),
                    &g.content.to_string()[..16]
                ));
                for p in &g.paths {
                    out.say(format!("    {}", esc_of(p)));
                }
            }
            if r.groups.len() > *top {
                out.say(format!(
                    "… and {} more groups (see --json)",
                    r.groups.len() - top
                ));
            }
            for (p, why) in &r.unreadable {
                out.say(format!("unreadable {}: {}", esc_of(p), esc_of(why)));
            }
            let pct = |saved: u64| {
                if r.bytes == 0 {
                    0.0
                } else {
                    saved as f64 * 100.0 / r.bytes as f64
                }
            };
            out.say(format!(
                "{} files, {}: {} duplicate groups; whole-file dedup saves {} ({:.1}%)",
                r.files,
                human_bytes(r.bytes),
                r.groups.len(),
                human_bytes(r.duplicate_bytes),
                pct(r.duplicate_bytes)
            ));
            if let Some(saved) = r.chunk_saved_bytes {
                out.say(format!(
                    "chunk-level dedup saves {} ({:.1}%) before compression",
                    human_bytes(saved),
                    pct(saved)
                ));
            }
        }
        TidyCommand::Cleanup {
            dry_run,
            grace,
            also,
        } => {
            let repo = session::open(cli).await?;
            let extra: Vec<PathBuf> = also.iter().map(|d| session::absolute(&base, d)).collect();
            let r = repo
                .cleanup(*dry_run, bifrost::parse_duration(grace)?, &extra)
                .await;
            repo.close().await;
            let r = r?;
            out.value(&r, || {
            format!(
                "{}{} cache entries ({}) and {} temporary files ({}); {} workspaces in use, {} forgotten",
                if r.dry_run { "would remove " } else { "removed " },
                r.cache_entries_removed,
                human_bytes(r.cache_bytes_removed),
                r.temp_removed,
                human_bytes(r.temp_bytes_removed),
                r.workspaces,
                r.workspaces_forgotten.len()
            )
        });
        }
    }
    Ok(())
}

//! `bifrost ingest`: publish a folder tree's assets found by rules (resumable).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::cli::Cli;
use crate::escape::{esc, esc_of};
use crate::output::{Out, human_bytes};
use crate::session::{self, Front as _};

/// Auto-discover assets in a folder tree by rules and publish them (resumable).
///
/// Examples:
///   bifrost ingest /mnt/legacy --rules rules.toml --dry-run
///   bifrost ingest /mnt/legacy --rules rules.toml --json > ingest.json
///
/// rules.toml:
///   ignore = ["**/.DS_Store"]
///   note = "imported from the legacy share"
///   [[rule]]
///   glob = "props/*/"            # a directory: one asset with its files
///   asset = "{1}"                # {N}: what the N-th wildcard matched
///   type = "prop"
///   tags = ["legacy", "{1}"]
///   [[rule]]
///   glob = "textures/**/*.png"   # a file pattern: one asset per file
///   asset = "tex_{2}"
///   type = "texture"
///
/// Files no rule matches, unreadable files, broken links and symbolic-link loops are
/// reported and skipped. Run it again after an interruption: assets already published
/// with the same files are skipped.
// Verbatim: the example lines stay lines in --help.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct IngestArgs {
    /// The folder to ingest.
    folder: PathBuf,
    /// The rules file (TOML).
    #[arg(long, value_name = "FILE")]
    rules: PathBuf,
    /// Show what would be published and skipped; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Author recorded on the versions (default: $BIFROST_AUTHOR, else $USER).
    #[arg(long)]
    author: Option<String>,
}

pub async fn run(args: &IngestArgs, cli: &Cli, out: &Out) -> Result<()> {
    let base = session::start_dir(cli)?;
    let IngestArgs {
        folder,
        rules,
        dry_run,
        author,
    } = args;
    let rules = bifrost::IngestRules::load(&session::absolute(&base, rules))?;
    let repo = session::open(cli).await?;
    let result = repo
        .as_author(author)
        .ingest_tree(
            &session::absolute(&base, folder),
            &rules,
            *dry_run,
            session::bar(cli),
        )
        .await;
    repo.close().await;
    let o = result?;
    if out.json() {
        out.value(&o, String::new);
        return Ok(());
    }
    if *dry_run {
        for a in &o.plan {
            out.say(format!(
                "would publish {} ({}): {} files, {} from {}",
                esc(&a.name),
                esc(&a.asset_type),
                a.files.len(),
                human_bytes(a.bytes),
                esc_of(&a.source)
            ));
        }
    }
    for s in o.skipped.iter().take(50) {
        out.say(format!(
            "skipped {}: {}",
            esc_of(&s.path),
            esc_of(&s.reason)
        ));
    }
    if o.skipped.len() > 50 {
        out.say(format!(
            "… and {} more skipped (see --json)",
            o.skipped.len() - 50
        ));
    }
    out.say(format!(
        "{}{} assets found ({}): {} published, {} unchanged, {} paths skipped; read {}, stored {}",
        if o.dry_run { "dry run: " } else { "" },
        o.assets,
        human_bytes(o.bytes),
        o.published.len(),
        o.unchanged.len(),
        o.skipped.len(),
        human_bytes(o.bytes_read),
        human_bytes(o.bytes_stored)
    ));
    Ok(())
}

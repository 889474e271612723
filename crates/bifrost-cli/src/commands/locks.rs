//! Exclusive locks on assets: `lock`, `unlock` and `locks`.

use anyhow::Result;
use bifrost::api::ops::{ListLocks, Lock, Unlock};
use clap::Subcommand;

use crate::escape::esc;
use crate::input::seconds;
use crate::output::Out;
use crate::session::Front;

/// Lock commands, flattened into the top level of `bifrost`.
#[derive(Debug, Subcommand)]
pub enum LocksCommand {
    /// Take (or renew) the exclusive lock on an asset: others cannot publish it until you
    /// publish (which releases it), unlock, or the lease runs out.
    ///
    /// Example: bifrost lock hero_rig --ttl 4h --have 7
    Lock {
        /// The asset.
        asset: String,
        /// Lease length (30m, 4h, 2d); renew by locking again.
        #[arg(long, default_value = "1h", value_name = "DURATION")]
        ttl: String,
        /// The version you have: refused unless it is the latest.
        #[arg(long, value_name = "N")]
        have: Option<i64>,
    },
    /// Release your lock on an asset, or break someone else's with --force (needs `manage`).
    Unlock {
        /// The asset.
        asset: String,
        /// Break another user's lock.
        #[arg(long)]
        force: bool,
    },
    /// List the current project's locks.
    Locks,
}

pub async fn run(cmd: &LocksCommand, hub: &impl Front, out: &Out) -> Result<()> {
    let project = hub.project().to_owned();
    match cmd {
        LocksCommand::Lock { asset, ttl, have } => {
            let lock = hub
                .call(Lock {
                    project,
                    asset: asset.clone(),
                    ttl_seconds: Some(seconds(ttl)?),
                    have: *have,
                })
                .await?;
            out.value(&lock, || {
                format!(
                    "locked {} for {} until {}",
                    esc(asset),
                    esc(&lock.holder),
                    lock.expires_at.format("%Y-%m-%d %H:%M")
                )
            });
        }
        LocksCommand::Unlock { asset, force } => {
            let lock = hub
                .call(Unlock {
                    project,
                    asset: asset.clone(),
                    force: *force,
                })
                .await?;
            out.value(&lock, || {
                format!("unlocked {} (held by {})", esc(asset), esc(&lock.holder))
            });
        }
        LocksCommand::Locks => {
            let locks = hub.call(ListLocks { project }).await?;
            out.value(&locks, || {
                if locks.is_empty() {
                    return "no locks".to_owned();
                }
                locks
                    .iter()
                    .map(|l| {
                        format!(
                            "{:<24} {:<12} since {}  until {}",
                            esc(&l.asset),
                            esc(&l.holder),
                            l.acquired_at.format("%Y-%m-%d %H:%M"),
                            l.expires_at.format("%Y-%m-%d %H:%M")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

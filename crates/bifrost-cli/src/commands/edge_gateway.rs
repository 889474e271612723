//! `bifrost edge run gateway.toml`: runs an edge gateway (Modbus sources, pipelines,
//! store-and-forward sinks) until Ctrl-C or SIGTERM; SIGHUP reloads the file. The work is
//! `bifrost_bridge`'s; this parses the arguments and reports.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use bifrost_bridge::gateway::{GatewayOptions, Started, run_file};
use clap::Args;
use serde_json::json;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The gateway file (TOML): [gateway], [[source]], [[pipeline]], [[sink]].
    file: PathBuf,
}

fn announce(started: &Started, json: bool) {
    if json {
        println!(
            "{}",
            json!({
                "listen": started.listen.map(|a| a.to_string()),
                "sinks": started.sinks,
                "sources": started.sources,
                "data_dir": started.data_dir,
            })
        );
    } else {
        println!(
            "gateway running: {} source(s), sink(s) {}; disk logs in {}{}; Ctrl-C stops (and flushes), SIGHUP reloads",
            started.sources.len(),
            started.sinks.join(", "),
            started.data_dir.display(),
            started
                .listen
                .map(|a| format!("; http://{a}/healthz and /metrics"))
                .unwrap_or_default()
        );
    }
}

/// Runs the gateway until it is told to stop.
pub async fn run(args: &RunArgs, json: bool) -> Result<ExitCode> {
    run_file(&args.file, GatewayOptions::default(), |s| announce(s, json))
        .await
        .with_context(|| format!("gateway {}", args.file.display()))?;
    Ok(ExitCode::SUCCESS)
}

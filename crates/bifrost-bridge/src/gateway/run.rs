//! Running a gateway file as a program: start, serve health and metrics, reload on SIGHUP
//! (a file that does not check is refused and the running one goes on), and on SIGINT or
//! SIGTERM stop the sources and flush the sinks for up to `flush_timeout`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::signal::unix::{SignalKind, signal};

use super::config::GatewayConfig;
use super::http::{Shared, router};
use super::runtime::{Gateway, GatewayOptions};
use crate::error::{BridgeError, Result};
use crate::point::IdGenerator;

/// What a started gateway tells its caller.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Started {
    /// The health/metrics address actually bound (a `:0` port resolved).
    pub listen: Option<SocketAddr>,
    pub sinks: Vec<String>,
    pub sources: Vec<String>,
    pub data_dir: PathBuf,
}

/// Runs the gateway file at `path` until SIGINT or SIGTERM.
pub async fn run_file(
    path: &Path,
    options: GatewayOptions,
    on_started: impl FnOnce(&Started),
) -> Result<()> {
    let config = GatewayConfig::load(path)?;
    let shared = Arc::new(Shared::default());
    let listen = match &config.listen {
        Some(address) => {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .map_err(|source| BridgeError::Listen {
                    address: address.clone(),
                    source,
                })?;
            let bound = listener.local_addr().ok();
            let app = router(shared.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "health/metrics server stopped");
                }
            });
            bound
        }
        None => None,
    };
    let signal_error = |e: std::io::Error| BridgeError::Listen {
        address: "signals".into(),
        source: e,
    };
    let mut hangup = signal(SignalKind::hangup()).map_err(signal_error)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let ids = Arc::new(IdGenerator::new());
    let mut gateway = Gateway::start(config, &options, ids.clone()).await?;
    shared.set_view(gateway.view());
    let started = Started {
        listen,
        sinks: gateway
            .config()
            .sinks
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        sources: gateway
            .config()
            .sources
            .iter()
            .map(|s| s.name.clone())
            .collect(),
        data_dir: gateway.config().data_dir.clone(),
    };
    on_started(&started);
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let next = match GatewayConfig::load(path) {
                    Ok(next) => next,
                    Err(e) => {
                        shared.reload_failures.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(error = %e, "reload refused; the running gateway goes on");
                        eprintln!("reload refused; the running gateway goes on: {e}");
                        continue;
                    }
                };
                let previous = gateway.config().clone();
                gateway.stop(None).await;
                gateway = match Gateway::start(next, &options, ids.clone()).await {
                    Ok(g) => {
                        shared.reloads.fetch_add(1, Ordering::Relaxed);
                        tracing::info!("gateway file reloaded");
                        g
                    }
                    Err(e) => {
                        shared.reload_failures.fetch_add(1, Ordering::Relaxed);
                        eprintln!("reload failed, going on with the previous file: {e}");
                        Gateway::start(previous, &options, ids.clone()).await?
                    }
                };
                shared.set_view(gateway.view());
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    let flush = gateway.config().flush_timeout;
    gateway.stop(Some(flush)).await;
    Ok(())
}

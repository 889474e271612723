//! `bifrost serve`: the REST API over the local repository.

use anyhow::{Context, Result};
use clap::Args;

use crate::cli::Cli;
use crate::escape::esc_of;
use crate::output::Out;
use crate::session;

/// Serve the REST API (and its OpenAPI document, /healthz, /metrics) for this repository.
///
/// Examples:
///   bifrost user add admin --role admin --password-stdin <<< 'a long password'
///   bifrost serve --listen 0.0.0.0:8080
///   curl -H "Authorization: Bearer $TOKEN" http://localhost:8080/api/v1/projects
/// The API is documented at /api/v1/openapi.json. Ctrl-C (or SIGTERM) stops accepting,
/// finishes in-flight requests, then exits.
///
/// Prometheus /metrics needs, by default, a token of a user whose role allows `audit`
/// (admin and supervisor do, or a role made for it), sent as `Authorization: Bearer <token>`
/// (Prometheus sends that for a job with `authorization: {credentials_file: FILE}`):
///   bifrost role set metrics audit && bifrost user add prometheus --role metrics
///   bifrost token create --user prometheus --name scraper --service > bifrost.token
/// `--metrics public` serves /metrics to anyone without a token; `--metrics off` not at all.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: String,
    /// Who may read /metrics.
    #[arg(
        long,
        value_enum,
        default_value_t = MetricsMode::Token,
        env = "BIFROST_METRICS",
        value_name = "ACCESS"
    )]
    metrics: MetricsMode,
}

/// Who may read `/metrics` (`bifrost serve --metrics`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MetricsMode {
    /// A bearer token of a user whose role allows `audit` (or `admin`); 401 without, 403 for others.
    Token,
    /// Anyone who can reach the server, without a token.
    Public,
    /// Not served: 404.
    Off,
}

impl From<MetricsMode> for bifrost_server::MetricsAccess {
    fn from(mode: MetricsMode) -> Self {
        match mode {
            MetricsMode::Token => bifrost_server::MetricsAccess::Token,
            MetricsMode::Public => bifrost_server::MetricsAccess::Public,
            MetricsMode::Off => bifrost_server::MetricsAccess::Off,
        }
    }
}

/// `bifrost serve`: the REST API over this (local) repository until Ctrl-C or SIGTERM.
pub async fn run(args: &ServeArgs, cli: &Cli, out: &Out) -> Result<()> {
    let repo = session::open(cli).await?;
    let result = serve(args, &repo, out).await;
    repo.close().await;
    result
}

async fn serve(args: &ServeArgs, repo: &bifrost::Repository, out: &Out) -> Result<()> {
    let listen = &args.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}; is another server there?"))?;
    let addr = listener.local_addr()?;
    out.value(&serde_json::json!({ "listening": addr.to_string() }), || {
        format!(
            "serving {} on http://{addr} (API: /api/v1, docs: /api/v1/openapi.json); Ctrl-C stops",
            esc_of(repo.root().display())
        )
    });
    let state = bifrost_server::AppState::new(repo.clone()).with_metrics(args.metrics.into());
    bifrost_server::serve_state(state, listener, shutdown_signal()).await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

//! `bifrost serve`: the REST API over the local repository.

use std::path::PathBuf;

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
///
/// Limits on clients (see README, "Server limits"): request heads must arrive within
/// --header-timeout, bodies may pause at most --body-timeout, idle connections close after
/// --idle-timeout; connections are capped in all and per address; requests are rate-limited
/// per address and per token (429 with Retry-After); JSON bodies are small, chunk uploads
/// large. Failed password sign-ins make the next attempt wait longer, then lock password
/// sign-in for the user or address (`bifrost user unlock NAME` lifts it). All of it can be set
/// in a TOML file given with --config (flags override it):
///   [limits]
///   header_timeout_secs = 10
///   max_connections_per_address = 128
///   requests_per_second_per_address = 200
///   json_body_bytes = 1048576
///   [signin]
///   user_lockout_failures = 10
///   lockout_secs = 900
///   bifrost serve --config /etc/bifrost/serve.toml --max-connections-per-address 512
/// A rate or cap of 0 turns it off (for a server behind a proxy that limits clients itself).
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
    /// A TOML file with tables `[limits]` and `[signin]` (every key optional; see above).
    #[arg(long, env = "BIFROST_SERVE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Seconds a client has to send a whole request head [default: 10].
    #[arg(long, value_name = "SECS")]
    header_timeout: Option<u64>,
    /// Seconds a request body may pause [default: 30].
    #[arg(long, value_name = "SECS")]
    body_timeout: Option<u64>,
    /// Seconds an idle kept-alive connection stays open [default: 60].
    #[arg(long, value_name = "SECS")]
    idle_timeout: Option<u64>,
    /// Connections open at once, 0: no cap [default: 1024].
    #[arg(long, value_name = "N")]
    max_connections: Option<usize>,
    /// Connections open at once from one address, 0: no cap [default: 128].
    #[arg(long, value_name = "N")]
    max_connections_per_address: Option<usize>,
    /// Requests per second from one address under /api, 0: no limit [default: 200].
    #[arg(long, value_name = "N")]
    rate_per_address: Option<u32>,
    /// Requests per second with one token, 0: no limit [default: 100].
    #[arg(long, value_name = "N")]
    rate_per_token: Option<u32>,
    /// Largest JSON request body in bytes [default: 1048576].
    #[arg(long, value_name = "BYTES")]
    json_body_limit: Option<usize>,
    /// Largest chunk-upload body in bytes [default: 67108864].
    #[arg(long, value_name = "BYTES")]
    upload_body_limit: Option<usize>,
}

/// What `bifrost serve --config FILE` reads.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ServeConfig {
    /// Limits on clients.
    limits: bifrost_server::ServerLimits,
    /// Throttling of failed password sign-ins.
    signin: bifrost::SignInPolicy,
}

impl ServeArgs {
    /// The config file's settings (defaults without one), with the flags applied over them.
    fn settings(&self) -> Result<ServeConfig> {
        let mut config = match &self.config {
            Some(path) => {
                let text = bifrost::read_settings_file(path).with_context(|| {
                    format!("cannot read the server config {}", esc_of(path.display()))
                })?;
                toml::from_str::<ServeConfig>(&text).with_context(|| {
                    format!(
                        "the server config {} is not valid (tables [limits] and [signin]; see \
                         `bifrost serve --help`)",
                        esc_of(path.display())
                    )
                })?
            }
            None => ServeConfig::default(),
        };
        let limits = &mut config.limits;
        let flags = [
            (&mut limits.header_timeout_secs, self.header_timeout),
            (&mut limits.body_timeout_secs, self.body_timeout),
            (&mut limits.idle_timeout_secs, self.idle_timeout),
        ];
        for (setting, flag) in flags {
            if let Some(value) = flag {
                *setting = value;
            }
        }
        let counts = [
            (&mut limits.max_connections, self.max_connections),
            (
                &mut limits.max_connections_per_address,
                self.max_connections_per_address,
            ),
            (&mut limits.json_body_bytes, self.json_body_limit),
            (&mut limits.upload_body_bytes, self.upload_body_limit),
        ];
        for (setting, flag) in counts {
            if let Some(value) = flag {
                *setting = value;
            }
        }
        if let Some(rate) = self.rate_per_address {
            limits.requests_per_second_per_address = rate;
        }
        if let Some(rate) = self.rate_per_token {
            limits.requests_per_second_per_token = rate;
        }
        limits.validate()?;
        Ok(config)
    }
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
    let settings = args.settings()?;
    raise_open_file_limit(&settings.limits);
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
    let repo = repo.clone().with_sign_in_policy(settings.signin);
    let state = bifrost_server::AppState::new(repo)
        .with_metrics(args.metrics.into())
        .with_limits(settings.limits)?;
    bifrost_server::serve_state(state, listener, shutdown_signal()).await?;
    Ok(())
}

/// Raises this process's open-file limit towards its hard limit, so that the connection cap,
/// not the operating system, is what refuses connections (each also needs a descriptor, and
/// the catalog and store use some). Where it cannot, the server still runs: connections past
/// the limit wait in the listen queue.
fn raise_open_file_limit(limits: &bifrost_server::ServerLimits) {
    let wanted = u64::try_from(limits.max_connections)
        .unwrap_or(u64::MAX)
        .saturating_add(256)
        .max(4096);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted && limits.max_connections > 0 => tracing::warn!(
            got,
            wanted,
            "the open-file limit is below what max_connections needs; raise it (ulimit -n)"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
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

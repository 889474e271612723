//! `/healthz` and `/metrics` (Prometheus text format) of a running gateway.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::runtime::GatewayView;
use crate::retry::BreakerState;

/// What the HTTP endpoints read; the gateway swaps the view on reload.
#[derive(Debug, Default)]
pub struct Shared {
    view: RwLock<Arc<GatewayView>>,
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
}

impl Shared {
    pub fn set_view(&self, view: GatewayView) {
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
    }

    fn view(&self) -> Arc<GatewayView> {
        self.view.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

fn breaker_name(state: BreakerState) -> &'static str {
    match state {
        BreakerState::Closed => "closed",
        BreakerState::Open => "open",
        BreakerState::HalfOpen => "half-open",
    }
}

/// The health document: the gateway answers, and how each sink is doing.
pub fn health(shared: &Shared) -> serde_json::Value {
    let view = shared.view();
    let sinks: Vec<_> = view
        .sinks
        .iter()
        .map(|(name, log, status)| {
            json!({
                "name": name,
                "breaker": breaker_name(status.breaker()),
                "pending": log.pending(),
                "disk_bytes": log.disk_bytes(),
                "last_error": status.last_error(),
            })
        })
        .collect();
    json!({"status": "ok", "sinks": sinks})
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Prometheus text exposition of every counter.
pub fn metrics(shared: &Shared) -> String {
    let view = shared.view();
    let mut out = String::new();
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    type SinkCounter = fn(&crate::log::LogStats) -> &AtomicU64;
    let counters: [(&str, &str, SinkCounter); 8] = [
        (
            "bifrost_bridge_appended_total",
            "Records appended to the sink's disk log.",
            |s| &s.appended,
        ),
        (
            "bifrost_bridge_delivered_total",
            "Records the sink acknowledged.",
            |s| &s.delivered,
        ),
        (
            "bifrost_bridge_expired_total",
            "Records older than max_age, not delivered.",
            |s| &s.expired,
        ),
        (
            "bifrost_bridge_dead_lettered_total",
            "Records the sink refused for good, kept in dead-letter.jsonl.",
            |s| &s.dead_lettered,
        ),
        (
            "bifrost_bridge_retries_total",
            "Failed sends that were retried.",
            |s| &s.retries,
        ),
        (
            "bifrost_bridge_batches_total",
            "Batches read from the log for delivery.",
            |s| &s.batches,
        ),
        (
            "bifrost_bridge_breaker_opened_total",
            "Times the circuit breaker opened.",
            |s| &s.breaker_opened,
        ),
        (
            "bifrost_bridge_truncated_bytes_total",
            "Bytes of a torn log tail cut off on open.",
            |s| &s.truncated_bytes,
        ),
    ];
    for (name, help, get) in &counters {
        family(&mut out, name, "counter", help);
        for (sink, log, _) in &view.sinks {
            let _ = writeln!(out, "{name}{{sink=\"{sink}\"}} {}", load(get(log.stats())));
        }
    }
    family(
        &mut out,
        "bifrost_bridge_dropped_total",
        "counter",
        "Records lost to the overflow policy (drop-oldest: removed unacknowledged; refuse-newest: not appended).",
    );
    for (sink, log, _) in &view.sinks {
        let s = log.stats();
        let _ = writeln!(
            out,
            "bifrost_bridge_dropped_total{{sink=\"{sink}\",policy=\"drop-oldest\"}} {}",
            load(&s.dropped_oldest)
        );
        let _ = writeln!(
            out,
            "bifrost_bridge_dropped_total{{sink=\"{sink}\",policy=\"refuse-newest\"}} {}",
            load(&s.refused_newest)
        );
    }
    family(
        &mut out,
        "bifrost_bridge_pending_records",
        "gauge",
        "Records in the log not yet acknowledged.",
    );
    for (sink, log, _) in &view.sinks {
        let _ = writeln!(
            out,
            "bifrost_bridge_pending_records{{sink=\"{sink}\"}} {}",
            log.pending()
        );
    }
    family(
        &mut out,
        "bifrost_bridge_log_bytes",
        "gauge",
        "Bytes of the sink's log segments on disk.",
    );
    for (sink, log, _) in &view.sinks {
        let _ = writeln!(
            out,
            "bifrost_bridge_log_bytes{{sink=\"{sink}\"}} {}",
            log.disk_bytes()
        );
    }
    family(
        &mut out,
        "bifrost_bridge_breaker_open",
        "gauge",
        "1 while the sink's circuit breaker is open or half-open.",
    );
    for (sink, _, status) in &view.sinks {
        let open = u8::from(status.breaker() != BreakerState::Closed);
        let _ = writeln!(out, "bifrost_bridge_breaker_open{{sink=\"{sink}\"}} {open}");
    }
    type SourceCounter = fn(&super::source::SourceStats) -> &AtomicU64;
    let source_counters: [(&str, &str, SourceCounter); 4] = [
        (
            "bifrost_gateway_polls_total",
            "Poll rounds of the source.",
            |s| &s.polls,
        ),
        (
            "bifrost_gateway_points_total",
            "Points the source produced.",
            |s| &s.points,
        ),
        (
            "bifrost_gateway_read_errors_total",
            "Tag reads that failed.",
            |s| &s.read_errors,
        ),
        (
            "bifrost_gateway_skipped_text_total",
            "Text tag readings skipped (not numeric).",
            |s| &s.skipped_text,
        ),
    ];
    for (name, help, get) in source_counters {
        family(&mut out, name, "counter", help);
        for (source, stats) in &view.sources {
            let _ = writeln!(out, "{name}{{source=\"{source}\"}} {}", load(get(stats)));
        }
    }
    family(
        &mut out,
        "bifrost_gateway_reloads_total",
        "counter",
        "Gateway file reloads (SIGHUP) applied.",
    );
    let _ = writeln!(
        out,
        "bifrost_gateway_reloads_total {}",
        load(&shared.reloads)
    );
    family(
        &mut out,
        "bifrost_gateway_reload_failures_total",
        "counter",
        "Reloads refused (the file did not check); the old file keeps running.",
    );
    let _ = writeln!(
        out,
        "bifrost_gateway_reload_failures_total {}",
        load(&shared.reload_failures)
    );
    out
}

/// The router of the health/metrics port.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|State(s): State<Arc<Shared>>| async move { axum::Json(health(&s)) }),
        )
        .route(
            "/metrics",
            get(|State(s): State<Arc<Shared>>| async move {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    metrics(&s),
                )
                    .into_response()
            }),
        )
        .with_state(shared)
}

//! Request-rate limits under `/api`, per client address and per bearer token (GCRA, from the
//! `governor` crate): a client over its rate is answered 429 `rate_limited` with the seconds
//! to wait in `Retry-After`, before its request is authenticated or read. A token is keyed by
//! its whole text, so a made-up token only ever spends its own allowance, never a real one's.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bifrost_api::ErrorCode;
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::AppState;
use crate::error::ApiError;
use crate::limits::ServerLimits;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

/// The limiters of one server.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    by_address: Option<Keyed<IpAddr>>,
    by_token: Option<Keyed<String>>,
}

fn limiter<K: Clone + Hash + Eq>(per_second: u32, burst: u32) -> Option<Keyed<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(RateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl RateLimits {
    pub(crate) fn new(limits: &ServerLimits) -> Self {
        RateLimits {
            by_address: limiter(
                limits.requests_per_second_per_address,
                limits.burst_per_address,
            ),
            by_token: limiter(limits.requests_per_second_per_token, limits.burst_per_token),
        }
    }

    /// Forgets clients whose allowance is full again, so that the tables stay as small as the
    /// set of recently active clients.
    pub(crate) fn forget_idle(&self) {
        if let Some(l) = &self.by_address {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.by_token {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }
}

/// How long `key` must wait before `limiter` allows its next request (`None`: allowed now,
/// and counted).
fn wait<K: Clone + Hash + Eq>(limiter: &Keyed<K>, key: &K) -> Option<Duration> {
    limiter
        .check_key(key)
        .err()
        .map(|not_until| not_until.wait_time_from(limiter.clock().now()))
}

/// The middleware: refuses a request over its address's or its token's rate.
pub(crate) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limits = &state.rate;
    let address = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let over_address = limits
        .by_address
        .as_ref()
        .zip(address)
        .and_then(|(l, ip)| wait(l, &ip));
    // Checked only when the address is within its rate (so a refused request spends
    // nothing of its token's allowance); no borrow of the request outlives this.
    let over = match over_address {
        Some(wait) => Some((wait, "this address")),
        None => limits.by_token.as_ref().and_then(|l| {
            let token = request
                .headers()
                .get(axum::http::header::AUTHORIZATION)?
                .to_str()
                .ok()?
                .to_owned();
            wait(l, &token).map(|w| (w, "this token"))
        }),
    };
    match over {
        Some((wait, whose)) => refuse(wait, whose),
        None => next.run(request).await,
    }
}

fn refuse(wait: Duration, whose: &str) -> Response {
    // Whole seconds, rounded up (at least one): retrying sooner would be refused again.
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    metrics::counter!("bifrost_rate_limited_total").increment(1);
    ApiError(
        bifrost_api::ApiError::new(
            ErrorCode::RateLimited,
            format!("too many requests from {whose}: wait {seconds} s before sending more"),
        )
        .with_retry_after(seconds),
    )
    .into_response()
}

/// Forgets idle clients every minute until the server stops.
pub(crate) async fn sweep(
    limits: Arc<RateLimits>,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = every.tick() => limits.forget_idle(),
            () = crate::listen::stopped(&mut stopping) => return,
        }
    }
}

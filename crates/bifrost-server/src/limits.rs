//! What one client may cost the server: how long it may take to send a request, how many
//! connections it may hold, how many requests it may send, how large they may be. Every limit
//! has a default meant for a studio's own network and can be changed in `bifrost serve`'s
//! config file (table `[limits]`) or by its flags.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The default largest chunk-upload body: a batch of chunks in a remote publish (clients send
/// 16 MiB batches).
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// The server's limits on clients. Zero turns a rate limit or a connection cap off; timeouts
/// and body sizes must be positive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerLimits {
    /// Seconds a client has to send a request's whole head (request line and headers) once
    /// its first byte arrived; then the connection is closed (slowloris). Default 10.
    pub header_timeout_secs: u64,
    /// Seconds a request body may go without a byte arriving; then the request fails with
    /// `bad_body` and the connection closes. Default 30.
    pub body_timeout_secs: u64,
    /// Seconds a connection may stay idle: before its first request (sending nothing) or
    /// kept alive between requests. Default 60.
    pub idle_timeout_secs: u64,
    /// Connections open at once; more are answered 503 `busy` and closed. Default 1024 (the
    /// process's open-file limit must be higher: `bifrost serve` raises its own).
    pub max_connections: usize,
    /// Connections open at once from one client address; more are answered 429
    /// `too_many_connections` and closed. Default 128 (behind a proxy every client shares the
    /// proxy's address: raise it there).
    pub max_connections_per_address: usize,
    /// Requests per second one client address may send on average under `/api`; more are
    /// answered 429 `rate_limited` with `Retry-After`. Default 200.
    pub requests_per_second_per_address: u32,
    /// Requests one address may send at once above that average. Default 1000.
    pub burst_per_address: u32,
    /// Requests per second one API token may send on average. Default 100.
    pub requests_per_second_per_token: u32,
    /// Requests one token may send at once above that average. Default 500.
    pub burst_per_token: u32,
    /// Largest JSON body of an operation, in bytes; larger ones are 413 `too_large`. Default
    /// 1 MiB.
    pub json_body_bytes: usize,
    /// Largest JSON body of the two operations that carry a publish's manifest or chunk list
    /// (`missing_chunks`, `commit_version`). Default 64 MiB.
    pub manifest_body_bytes: usize,
    /// Largest chunk-upload body (clients send 16 MiB batches). Default 64 MiB.
    pub upload_body_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_timeout_secs: 10,
            body_timeout_secs: 30,
            idle_timeout_secs: 60,
            max_connections: 1024,
            max_connections_per_address: 128,
            requests_per_second_per_address: 200,
            burst_per_address: 1000,
            requests_per_second_per_token: 100,
            burst_per_token: 500,
            json_body_bytes: 1024 * 1024,
            manifest_body_bytes: MAX_BODY,
            upload_body_bytes: MAX_BODY,
        }
    }
}

/// A limit that cannot work as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server limit `{name}` must be {rule}, not {value}")]
pub struct BadLimit {
    /// The setting.
    pub name: &'static str,
    /// What it must be.
    pub rule: &'static str,
    /// What it was.
    pub value: String,
}

impl ServerLimits {
    /// Refuses settings that would make the server unusable: zero or absurd timeouts, zero
    /// body sizes.
    pub fn validate(&self) -> Result<(), BadLimit> {
        /// One day: longer timeouts are mistakes (and would overflow deadlines far beyond).
        const DAY: u64 = 86_400;
        for (name, value) in [
            ("header_timeout_secs", self.header_timeout_secs),
            ("body_timeout_secs", self.body_timeout_secs),
            ("idle_timeout_secs", self.idle_timeout_secs),
        ] {
            if value == 0 || value > DAY {
                return Err(BadLimit {
                    name,
                    rule: "between 1 and 86400 seconds",
                    value: value.to_string(),
                });
            }
        }
        for (name, value) in [
            ("json_body_bytes", self.json_body_bytes),
            ("manifest_body_bytes", self.manifest_body_bytes),
            ("upload_body_bytes", self.upload_body_bytes),
        ] {
            if value == 0 {
                return Err(BadLimit {
                    name,
                    rule: "at least 1 byte",
                    value: value.to_string(),
                });
            }
        }
        for (name, rate, burst) in [
            (
                "burst_per_address",
                self.requests_per_second_per_address,
                self.burst_per_address,
            ),
            (
                "burst_per_token",
                self.requests_per_second_per_token,
                self.burst_per_token,
            ),
        ] {
            if rate > 0 && burst == 0 {
                return Err(BadLimit {
                    name,
                    rule: "at least 1 when its rate is on",
                    value: burst.to_string(),
                });
            }
        }
        Ok(())
    }

    /// No rate limits and no connection caps (timeouts and body sizes stay): for tests and
    /// for servers behind a proxy that limits clients itself.
    pub fn without_rate_limits(self) -> Self {
        ServerLimits {
            max_connections: 0,
            max_connections_per_address: 0,
            requests_per_second_per_address: 0,
            requests_per_second_per_token: 0,
            ..self
        }
    }

    pub(crate) fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    pub(crate) fn body_timeout(&self) -> Duration {
        Duration::from_secs(self.body_timeout_secs)
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

//! Bifrost's edge gateway and store-and-forward bridge.
//!
//! - [`log`]: one disk-backed, append-only log per sink (CRC-framed segments, an atomically
//!   replaced acknowledged offset); a record is deleted only after its sink acknowledged it.
//! - [`forwarder`]: drains a log into a sink — batches, retries with backoff and jitter behind a
//!   circuit breaker ([`retry`]), dead-letters what a sink refuses for good ([`dead_letter`]).
//! - [`sink`]: MQTT (rumqttc, QoS 1, TLS with client certificates; AWS IoT Core and Azure IoT Hub
//!   are configurations of it), InfluxDB line protocol over HTTP (InfluxDB 1.x,
//!   VictoriaMetrics), PostgreSQL tables (TimescaleDB hypertables where available).
//! - [`gateway`]: `bifrost edge run gateway.toml` — Modbus sources (through `bifrost-edge`),
//!   pipelines of [`gateway::Stage`]s, sinks; reload on SIGHUP, `/healthz` and `/metrics`.
//! - [`point`]: the point (series, timestamp, value, raw words) and its unique id.
//!
//! Depends on `bifrost-edge` and no hub crate; no hub crate depends on it.

pub mod dead_letter;
pub mod error;
pub mod forwarder;
pub mod gateway;
pub mod log;
pub mod point;
pub mod retry;
pub mod sink;

pub use error::{BridgeError, Result};
pub use point::{IdGenerator, Point, PointId};

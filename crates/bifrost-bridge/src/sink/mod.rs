//! Sinks: where a forwarder delivers a log's records. A sink says a batch was taken only once
//! the far end acknowledged it (MQTT QoS 1 PUBACK, an HTTP 2xx, a PostgreSQL commit).

pub mod line_protocol;
pub mod mqtt;
pub mod postgres;

use std::future::Future;

use crate::point::Point;

/// Why a batch was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Worth retrying: the sink is down, slow, overloaded, or the connection broke.
    #[error("{0}")]
    Transient(String),
    /// The sink will never take this batch as it is (HTTP 400, a bad value). The forwarder splits
    /// the batch to find the records at fault and dead-letters those alone.
    #[error("refused: {0}")]
    Refused(String),
}

/// A destination for points.
pub trait Sink: Send + 'static {
    /// What to call the sink in logs and errors ("mqtt mqtts://host:8883 topic t").
    fn describe(&self) -> String;

    /// Delivers the points; `Ok` only after the far end acknowledged all of them.
    fn send(&mut self, points: &[Point]) -> impl Future<Output = Result<(), SinkError>> + Send;
}

/// The JSON form of a batch, as MQTT carries it: `{"points":[{"id","series","ts","value","raw"}]}`.
pub fn json_batch(points: &[Point]) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct Body<'a> {
        points: &'a [Point],
    }
    serde_json::to_vec(&Body { points }).expect("points serialize")
}

/// The JSON batch of [`json_batch`], read back (consumers and tests).
pub fn parse_json_batch(bytes: &[u8]) -> Result<Vec<Point>, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Body {
        points: Vec<Point>,
    }
    serde_json::from_slice::<Body>(bytes).map(|b| b.points)
}

//! The InfluxDB line-protocol sink: batches POSTed to a `/write` endpoint (InfluxDB 1.x,
//! VictoriaMetrics, anything that speaks line protocol), gzip-compressed when asked (both
//! accept `Content-Encoding: gzip`). A 2xx takes the batch; a 400 refuses it (the forwarder
//! splits it to find the bad records and dead-letters them); everything else is retried.
//!
//! One point is one line: the series name is the measurement, `value` the float field and `id`
//! a string field (a field, not a tag: a tag per point would make every point its own series):
//! `boiler.temperature value=21.5,id="…" 1733620000000000000`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Duration;

use serde::Deserialize;

use super::{Sink, SinkError};
use crate::error::{BridgeError, Result};
use crate::point::Point;

/// `type = "influx"` in the gateway file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineProtocolConfig {
    /// The write endpoint with its query, e.g. `http://127.0.0.1:8086/write?db=plant&precision=ns`
    /// (InfluxDB 1.x) or `http://127.0.0.1:8428/write` (VictoriaMetrics).
    pub url: String,
    /// Compress bodies with gzip.
    #[serde(default)]
    pub gzip: bool,
    /// Sent as `Authorization` (e.g. `Token …`, `Basic …`).
    pub authorization: Option<String>,
    /// Seconds before a request is given up (and retried).
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
}

fn default_timeout() -> f64 {
    10.0
}

/// An HTTP line-protocol sink.
#[derive(Debug)]
pub struct LineProtocolSink {
    config: LineProtocolConfig,
    http: reqwest::Client,
}

/// Escapes a measurement name (commas and spaces).
fn measurement(name: &str, out: &mut String) {
    for c in name.chars() {
        if matches!(c, ',' | ' ' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The line-protocol body of a batch.
pub fn encode(points: &[Point]) -> String {
    let mut body = String::with_capacity(points.len() * 80);
    for p in points {
        measurement(&p.series, &mut body);
        // `{:?}` prints an f64 so that it reads back exactly (and always with a dot or exponent).
        let _ = writeln!(body, " value={:?},id=\"{}\" {}", p.value, p.id, p.ts);
    }
    body
}

impl LineProtocolSink {
    pub fn new(name: &str, config: LineProtocolConfig) -> Result<LineProtocolSink> {
        let setup = |message: String| BridgeError::SinkSetup {
            sink: name.to_owned(),
            message,
        };
        if !(config.url.starts_with("http://") || config.url.starts_with("https://")) {
            return Err(setup(format!(
                "url {:?}: give an http:// or https:// write endpoint",
                config.url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(config.timeout_s.max(0.1)))
            .build()
            .map_err(|e| setup(format!("HTTP client: {e}")))?;
        Ok(LineProtocolSink { config, http })
    }
}

impl Sink for LineProtocolSink {
    fn describe(&self) -> String {
        format!("line protocol {}", self.config.url)
    }

    async fn send(&mut self, points: &[Point]) -> Result<(), SinkError> {
        let text = encode(points);
        let mut request = self
            .http
            .post(&self.config.url)
            .header("Content-Type", "text/plain; charset=utf-8");
        let body = if self.config.gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            let zipped = gz
                .write_all(text.as_bytes())
                .and_then(|()| gz.finish())
                .map_err(|e| SinkError::Transient(format!("gzip: {e}")))?;
            request = request.header("Content-Encoding", "gzip");
            zipped
        } else {
            text.into_bytes()
        };
        if let Some(auth) = &self.config.authorization {
            request = request.header("Authorization", auth);
        }
        let answer = request
            .body(body)
            .send()
            .await
            .map_err(|e| SinkError::Transient(format!("POST {}: {e}", self.config.url)))?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let text = answer.text().await.unwrap_or_default();
        let text: String = text.trim().chars().take(300).collect();
        if status.as_u16() == 400 {
            Err(SinkError::Refused(format!("HTTP 400: {text}")))
        } else {
            Err(SinkError::Transient(format!("HTTP {status}: {text}")))
        }
    }
}

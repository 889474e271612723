//! The gateway file (TOML): sources, pipelines and sinks. Every error names the line and column
//! it is about — syntax errors from the TOML parser's span, checks of our own from the spans of
//! the tables and values they concern.
//!
//! ```toml
//! [gateway]
//! data_dir = "gateway-data"          # disk logs, one per sink (relative to this file)
//! listen = "127.0.0.1:9810"          # /healthz and /metrics
//! flush_timeout = "10s"              # how long a clean shutdown keeps delivering
//!
//! [[source]]
//! name = "plant"
//! tags = "plant.toml"                # a bifrost-edge tag file (relative to this file)
//! interval = "100ms"
//! device = "127.0.0.1:5020"          # optional: overrides the tag file's devices
//!
//! [[pipeline]]
//! name = "cloud"
//! sources = ["plant"]
//! sinks = ["broker"]
//! [[pipeline.stage]]
//! kind = "scale"                     # value = value * factor + offset
//! series = "boiler.*"
//! factor = 1.8
//! offset = 32.0
//!
//! [[sink]]
//! name = "broker"
//! batch_size = 500
//! mqtt = { host = "127.0.0.1", port = 1883, topic = "plant/points", client_id = "gw-1" }
//! buffer = { max_bytes = "1GiB", max_age = "7d", overflow = "drop-oldest", fsync = "always" }
//! retry = { initial = "200ms", max = "30s", breaker_failures = 5, breaker_cooldown = "10s" }
//! ```

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::error::{BridgeError, Result};
use crate::log::{Fsync, LogConfig, Overflow};
use crate::retry::RetryPolicy;
use crate::sink::line_protocol::LineProtocolConfig;
use crate::sink::mqtt::MqttConfig;
use crate::sink::postgres::PostgresConfig;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    gateway: Spanned<GatewayText>,
    #[serde(default, rename = "source")]
    sources: Vec<Spanned<SourceText>>,
    #[serde(default, rename = "pipeline")]
    pipelines: Vec<Spanned<PipelineText>>,
    #[serde(default, rename = "sink")]
    sinks: Vec<Spanned<SinkText>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GatewayText {
    data_dir: String,
    listen: Option<String>,
    flush_timeout: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceText {
    name: Spanned<String>,
    tags: Spanned<String>,
    interval: Spanned<String>,
    device: Option<String>,
    names: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineText {
    name: Spanned<String>,
    sources: Vec<Spanned<String>>,
    sinks: Vec<Spanned<String>>,
    #[serde(default, rename = "stage")]
    stages: Vec<Spanned<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SinkText {
    name: Spanned<String>,
    #[serde(default = "default_batch")]
    batch_size: usize,
    mqtt: Option<MqttConfig>,
    influx: Option<LineProtocolConfig>,
    postgres: Option<PostgresConfig>,
    #[serde(default)]
    buffer: BufferText,
    #[serde(default)]
    retry: RetryText,
}

fn default_batch() -> usize {
    500
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct BufferText {
    max_bytes: Option<Spanned<toml::Value>>,
    max_age: Option<Spanned<String>>,
    #[serde(default)]
    overflow: Overflow,
    #[serde(default)]
    fsync: Fsync,
    segment_bytes: Option<Spanned<toml::Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryText {
    initial: Option<Spanned<String>>,
    max: Option<Spanned<String>>,
    breaker_failures: Option<u32>,
    breaker_cooldown: Option<Spanned<String>>,
}

/// What a sink delivers to.
#[derive(Debug, Clone, PartialEq)]
pub enum SinkKind {
    Mqtt(MqttConfig),
    LineProtocol(LineProtocolConfig),
    Postgres(PostgresConfig),
}

/// A sink of the gateway file, checked.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub name: String,
    pub kind: SinkKind,
    pub batch_size: usize,
    pub log: LogConfig,
    pub retry: RetryPolicy,
}

/// A source: a tag file polled every `interval`.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceConfig {
    pub name: String,
    pub tags: PathBuf,
    pub interval: Duration,
    pub device: Option<String>,
    /// Only these tags (all when `None`).
    pub names: Option<Vec<String>>,
}

/// A pipeline: which sources feed it, its stages (each a TOML table with `kind`), its sinks.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    pub name: String,
    pub sources: Vec<String>,
    pub sinks: Vec<String>,
    pub stages: Vec<StageSpec>,
}

/// One stage table, with where it is in the file (for errors from stage factories).
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpec {
    pub kind: String,
    pub table: toml::Table,
    pub line: usize,
}

/// A checked gateway file.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub path: PathBuf,
    pub data_dir: PathBuf,
    pub listen: Option<String>,
    pub flush_timeout: Duration,
    pub sources: Vec<SourceConfig>,
    pub pipelines: Vec<PipelineConfig>,
    pub sinks: Vec<SinkConfig>,
}

/// Parses `250ms`, `10s`, `5m`, `2h`, `7d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| {
            format!("{text:?} is not a duration: write e.g. 250ms, 10s, 5m, 2h or 7d")
        })?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => {
            return Err(format!(
                "{text:?}: unknown unit {unit:?}; use ms, s, m, h or d (e.g. 10s)"
            ));
        }
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Parses a byte size: an integer, or `512KiB`, `64MiB`, `1GiB` (also KB/MB/GB = powers of 1000).
pub fn parse_bytes(value: &toml::Value) -> Result<u64, String> {
    let text = match value {
        toml::Value::Integer(n) if *n > 0 => return Ok(*n as u64),
        toml::Value::String(s) => s.trim(),
        other => {
            return Err(format!(
                "{other} is not a size: write e.g. 1048576 or \"64MiB\""
            ));
        }
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. \"64MiB\" or \"1GiB\""))?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        u => {
            return Err(format!(
                "{text:?}: unknown unit {u:?}; use B, KiB, MiB, GiB"
            ));
        }
    };
    n.checked_mul(mult)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{text:?} is not a usable size"))
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

impl GatewayConfig {
    /// Reads and checks a gateway file.
    pub fn load(path: impl AsRef<Path>) -> Result<GatewayConfig> {
        let path = path.as_ref();
        let text =
            bifrost_edge::read_settings_file(path).map_err(|source| BridgeError::ConfigRead {
                path: path.to_path_buf(),
                source,
            })?;
        GatewayConfig::parse(path, &text)
    }

    /// Checks gateway file text; relative paths are taken from `path`'s directory.
    pub fn parse(path: &Path, text: &str) -> Result<GatewayConfig> {
        let error = |span: Range<usize>, message: String| {
            let (line, column) = line_col(text, span.start);
            BridgeError::Config {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let file: FileText = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            error(span, e.message().to_owned())
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        let duration =
            |s: &Spanned<String>| parse_duration(s.get_ref()).map_err(|m| error(s.span(), m));
        let gateway = file.gateway.get_ref();
        let flush_timeout = gateway
            .flush_timeout
            .as_ref()
            .map(duration)
            .transpose()?
            .unwrap_or(Duration::from_secs(10));

        let mut seen = HashSet::new();
        let mut sources = Vec::new();
        for s in &file.sources {
            let src = s.get_ref();
            if !valid_name(src.name.get_ref()) || !seen.insert(src.name.get_ref().clone()) {
                return Err(error(
                    src.name.span(),
                    format!(
                        "source name {:?} is empty, has characters other than letters, digits, _ - ., or is used twice",
                        src.name.get_ref()
                    ),
                ));
            }
            let interval = duration(&src.interval)?;
            if interval < Duration::from_millis(1) {
                return Err(error(
                    src.interval.span(),
                    "interval must be at least 1ms".into(),
                ));
            }
            sources.push(SourceConfig {
                name: src.name.get_ref().clone(),
                tags: base.join(src.tags.get_ref()),
                interval,
                device: src.device.clone(),
                names: src.names.clone(),
            });
        }

        let mut sink_names = HashSet::new();
        let mut sinks = Vec::new();
        for s in &file.sinks {
            let sink = s.get_ref();
            let name = sink.name.get_ref().clone();
            if !valid_name(&name) || !sink_names.insert(name.clone()) {
                return Err(error(
                    sink.name.span(),
                    format!(
                        "sink name {name:?} is empty, has characters other than letters, digits, _ - ., or is used twice"
                    ),
                ));
            }
            let kinds = [
                sink.mqtt.is_some(),
                sink.influx.is_some(),
                sink.postgres.is_some(),
            ];
            if kinds.iter().filter(|k| **k).count() != 1 {
                return Err(error(
                    s.span(),
                    format!(
                        "sink {name}: give exactly one of `mqtt = {{…}}`, `influx = {{…}}`, `postgres = {{…}}`"
                    ),
                ));
            }
            let kind = if let Some(m) = &sink.mqtt {
                let mut m = m.clone();
                if let Some(tls) = &mut m.tls {
                    tls.ca = base.join(&tls.ca);
                    tls.cert = tls.cert.as_ref().map(|p| base.join(p));
                    tls.key = tls.key.as_ref().map(|p| base.join(p));
                }
                SinkKind::Mqtt(m)
            } else if let Some(i) = &sink.influx {
                SinkKind::LineProtocol(i.clone())
            } else {
                SinkKind::Postgres(sink.postgres.clone().expect("counted above"))
            };
            let bytes = |v: &Option<Spanned<toml::Value>>| -> Result<Option<u64>> {
                v.as_ref()
                    .map(|v| parse_bytes(v.get_ref()).map_err(|m| error(v.span(), m)))
                    .transpose()
            };
            let defaults = LogConfig::default();
            let log = LogConfig {
                max_bytes: bytes(&sink.buffer.max_bytes)?.unwrap_or(defaults.max_bytes),
                max_age: sink.buffer.max_age.as_ref().map(duration).transpose()?,
                overflow: sink.buffer.overflow,
                fsync: sink.buffer.fsync,
                segment_bytes: bytes(&sink.buffer.segment_bytes)?.unwrap_or(defaults.segment_bytes),
            };
            let d = RetryPolicy::default();
            let r = &sink.retry;
            let retry = RetryPolicy {
                initial: r
                    .initial
                    .as_ref()
                    .map(duration)
                    .transpose()?
                    .unwrap_or(d.initial),
                max: r.max.as_ref().map(duration).transpose()?.unwrap_or(d.max),
                breaker_failures: r.breaker_failures.unwrap_or(d.breaker_failures).max(1),
                breaker_cooldown: r
                    .breaker_cooldown
                    .as_ref()
                    .map(duration)
                    .transpose()?
                    .unwrap_or(d.breaker_cooldown),
            };
            sinks.push(SinkConfig {
                name,
                kind,
                batch_size: sink.batch_size.max(1),
                log,
                retry,
            });
        }

        let mut pipeline_names = HashSet::new();
        let mut pipelines = Vec::new();
        for p in &file.pipelines {
            let pipe = p.get_ref();
            let name = pipe.name.get_ref().clone();
            if !valid_name(&name) || !pipeline_names.insert(name.clone()) {
                return Err(error(
                    pipe.name.span(),
                    format!(
                        "pipeline name {name:?} is empty, has characters other than letters, digits, _ - ., or is used twice"
                    ),
                ));
            }
            for s in &pipe.sources {
                if !seen.contains(s.get_ref()) {
                    return Err(error(
                        s.span(),
                        format!("pipeline {name}: no [[source]] is called {:?}", s.get_ref()),
                    ));
                }
            }
            for s in &pipe.sinks {
                if !sink_names.contains(s.get_ref()) {
                    return Err(error(
                        s.span(),
                        format!("pipeline {name}: no [[sink]] is called {:?}", s.get_ref()),
                    ));
                }
            }
            let mut stages = Vec::new();
            for st in &pipe.stages {
                let table = st.get_ref().clone();
                let Some(kind) = table.get("kind").and_then(|k| k.as_str()) else {
                    return Err(error(
                        st.span(),
                        format!("pipeline {name}: a stage needs `kind` (scale, filter, …)"),
                    ));
                };
                stages.push(StageSpec {
                    kind: kind.to_owned(),
                    line: line_col(text, st.span().start).0,
                    table,
                });
            }
            pipelines.push(PipelineConfig {
                name,
                sources: pipe.sources.iter().map(|s| s.get_ref().clone()).collect(),
                sinks: pipe.sinks.iter().map(|s| s.get_ref().clone()).collect(),
                stages,
            });
        }
        Ok(GatewayConfig {
            path: path.to_path_buf(),
            data_dir: base.join(&gateway.data_dir),
            listen: gateway.listen.clone(),
            flush_timeout,
            sources,
            pipelines,
            sinks,
        })
    }

    /// The error for a stage at `line` (stage factories report through this).
    pub fn stage_error(&self, line: usize, message: String) -> BridgeError {
        BridgeError::Config {
            path: self.path.clone(),
            line,
            column: 1,
            message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[gateway]
data_dir = "data"

[[source]]
name = "plant"
tags = "plant.toml"
interval = "100ms"

[[pipeline]]
name = "p"
sources = ["plant"]
sinks = ["broker"]
[[pipeline.stage]]
kind = "scale"
factor = 2.0

[[sink]]
name = "broker"
mqtt = { host = "127.0.0.1", topic = "t", client_id = "c" }
buffer = { max_bytes = "64MiB", max_age = "1h", overflow = "refuse-newest" }
"#;

    #[test]
    fn a_good_file_parses_with_paths_from_its_directory() {
        let c = GatewayConfig::parse(Path::new("/etc/gw/gateway.toml"), GOOD).unwrap();
        assert_eq!(c.data_dir, Path::new("/etc/gw/data"));
        assert_eq!(c.sources[0].tags, Path::new("/etc/gw/plant.toml"));
        assert_eq!(c.sources[0].interval, Duration::from_millis(100));
        assert_eq!(c.sinks[0].log.max_bytes, 64 << 20);
        assert_eq!(c.sinks[0].log.overflow, Overflow::RefuseNewest);
        assert_eq!(c.pipelines[0].stages[0].kind, "scale");
        assert_eq!(c.pipelines[0].stages[0].line, 14);
    }

    fn error_of(text: &str) -> (usize, String) {
        match GatewayConfig::parse(Path::new("g.toml"), text).unwrap_err() {
            BridgeError::Config { line, message, .. } => (line, message),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn errors_name_the_line() {
        // A syntax error on line 8.
        let (line, _) = error_of(&GOOD.replace("interval = \"100ms\"", "interval = \"100ms"));
        assert_eq!(line, 8);
        // A bad duration on line 8.
        let (line, msg) = error_of(&GOOD.replace("100ms", "100 parsecs"));
        assert_eq!(line, 8, "{msg}");
        assert!(msg.contains("parsecs") && msg.contains("10s"), "{msg}");
        // An unknown sink named on line 13.
        let (line, msg) = error_of(&GOOD.replace("sinks = [\"broker\"]", "sinks = [\"nope\"]"));
        assert_eq!(line, 13, "{msg}");
        assert!(msg.contains("nope"), "{msg}");
        // An unknown key on line 20.
        let (line, msg) = error_of(&GOOD.replace("mqtt = {", "mqtt = { colour = 1,"));
        assert_eq!(line, 20, "{msg}");
        // A bad size on line 21.
        let (line, msg) = error_of(&GOOD.replace("64MiB", "64 parsecs"));
        assert_eq!(line, 21, "{msg}");
    }
}

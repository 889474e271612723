//! Modbus sources: a tag file read every interval through `bifrost-edge` (one request plan per
//! device), each numeric tag reading becoming a point with its raw words. Text tags are skipped
//! (counted); a failed read is counted and retried on the next tick.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bifrost_edge::{ClientConfig, Device, Pool, Raw, Tag, TagFile, Value};
use tokio::sync::mpsc;
use tokio::time::MissedTickBehavior;

use super::config::SourceConfig;
use crate::error::{BridgeError, Result};
use crate::point::{IdGenerator, Point, now_nanos};

/// Counters of one source.
#[derive(Debug, Default)]
pub struct SourceStats {
    pub polls: AtomicU64,
    pub points: AtomicU64,
    pub read_errors: AtomicU64,
    pub skipped_text: AtomicU64,
}

/// A tag value as a float, or `None` for text.
fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        Value::Int(i) => Some(*i as f64),
        Value::UInt(u) => Some(*u as f64),
        Value::Float(x) => Some(*x),
        Value::Text(_) => None,
    }
}

fn raw_words(raw: Raw) -> Vec<u16> {
    match raw {
        Raw::Registers(w) => w,
        Raw::Bits(b) => b.into_iter().map(u16::from).collect(),
    }
}

/// A source ready to poll: its devices and their tags.
#[derive(Debug)]
pub struct ModbusSource {
    name: String,
    interval: std::time::Duration,
    devices: Vec<(Device, Vec<Tag>)>,
    stats: Arc<SourceStats>,
}

impl ModbusSource {
    /// Loads the tag file and opens (lazily connecting) one device per address.
    pub fn open(config: &SourceConfig, pool: &Pool) -> Result<ModbusSource> {
        let err = |source| BridgeError::Source {
            source_name: config.name.clone(),
            source,
        };
        let file = TagFile::load(&config.tags).map_err(err)?;
        let mut by_device: BTreeMap<String, Vec<Tag>> = BTreeMap::new();
        for tag in &file.tags {
            if config
                .names
                .as_ref()
                .is_some_and(|names| !names.contains(&tag.name))
            {
                continue;
            }
            let address = file.device_of(tag, config.device.as_deref()).map_err(err)?;
            by_device.entry(address).or_default().push(tag.clone());
        }
        let mut devices = Vec::new();
        for (address, tags) in by_device {
            devices.push((pool.device(&address).map_err(err)?, tags));
        }
        Ok(ModbusSource {
            name: config.name.clone(),
            interval: config.interval,
            devices,
            stats: Arc::new(SourceStats::default()),
        })
    }

    /// The source's counters.
    pub fn stats(&self) -> Arc<SourceStats> {
        self.stats.clone()
    }

    /// Reads every tag once.
    pub async fn poll(&self, ids: &IdGenerator) -> Vec<Point> {
        let mut points = Vec::new();
        for (device, tags) in &self.devices {
            let ts = now_nanos();
            for reading in device.read_tags(tags).await {
                match reading.result {
                    Ok((value, raw)) => match as_f64(&value) {
                        Some(v) => points.push(Point {
                            id: ids.next_id(),
                            series: reading.name,
                            ts,
                            value: v,
                            raw: Some(raw_words(raw)),
                        }),
                        None => {
                            self.stats.skipped_text.fetch_add(1, Ordering::Relaxed);
                        }
                    },
                    Err(e) => {
                        self.stats.read_errors.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(source = %self.name, tag = %reading.name, error = %e, "read failed");
                    }
                }
            }
        }
        self.stats.polls.fetch_add(1, Ordering::Relaxed);
        self.stats
            .points
            .fetch_add(points.len() as u64, Ordering::Relaxed);
        points
    }

    /// Polls every interval, sending each round to every pipeline, until the task is aborted.
    pub async fn run(self, ids: Arc<IdGenerator>, outputs: Vec<mpsc::Sender<Vec<Point>>>) {
        let mut ticker = tokio::time::interval(self.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let points = self.poll(&ids).await;
            if points.is_empty() {
                continue;
            }
            for out in &outputs {
                if out.send(points.clone()).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The Modbus client settings sources use.
pub fn client_config() -> ClientConfig {
    ClientConfig::default()
}

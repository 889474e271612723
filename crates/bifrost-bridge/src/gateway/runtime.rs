//! A running gateway: sinks (a disk log and a forwarder each), pipelines (a task each, stages
//! then an append to each of its sinks' logs) and sources (a polling task each), started in
//! that order and stopped in the reverse one, so that nothing polled is left outside a log.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bifrost_edge::Pool;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::config::{GatewayConfig, SinkConfig, SinkKind};
use super::pipeline::{Stage, StageContext, StageFactory, build_stage};
use super::source::{ModbusSource, SourceStats, client_config};
use crate::dead_letter::DeadLetters;
use crate::error::{BridgeError, Result};
use crate::forwarder::{Forwarder, ForwarderStatus, Stop};
use crate::log::DiskLog;
use crate::point::{IdGenerator, Point};
use crate::sink::Sink;
use crate::sink::line_protocol::LineProtocolSink;
use crate::sink::mqtt::MqttSink;
use crate::sink::postgres::PostgresSink;

/// What the gateway is given besides its file: stage kinds of other crates.
#[derive(Clone, Default)]
pub struct GatewayOptions {
    pub stage_factories: Vec<Arc<dyn StageFactory>>,
}

impl std::fmt::Debug for GatewayOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayOptions")
            .field("stage_factories", &self.stage_factories.len())
            .finish()
    }
}

/// One running sink.
#[derive(Debug)]
pub struct SinkRuntime {
    pub name: String,
    pub describe: String,
    pub log: Arc<DiskLog>,
    pub status: Arc<ForwarderStatus>,
    stop: watch::Sender<Option<Stop>>,
    task: JoinHandle<Result<()>>,
}

/// What health and metrics read: the running parts' counters.
#[derive(Debug, Default)]
pub struct GatewayView {
    pub sinks: Vec<(String, Arc<DiskLog>, Arc<ForwarderStatus>)>,
    pub sources: Vec<(String, Arc<SourceStats>)>,
}

/// A started gateway.
#[derive(Debug)]
pub struct Gateway {
    config: GatewayConfig,
    inputs: HashMap<String, mpsc::Sender<Vec<Point>>>,
    sources: Vec<(String, Arc<SourceStats>, JoinHandle<()>)>,
    pipelines: Vec<JoinHandle<()>>,
    sinks: Vec<SinkRuntime>,
}

/// A running forwarder: its status, the switch that stops it, its task and its description.
type SpawnedForwarder = (
    Arc<ForwarderStatus>,
    watch::Sender<Option<Stop>>,
    JoinHandle<Result<()>>,
    String,
);

fn spawn_forwarder<S: Sink>(
    config: &SinkConfig,
    sink: S,
    log: Arc<DiskLog>,
    dead: Arc<DeadLetters>,
) -> SpawnedForwarder {
    let describe = sink.describe();
    let forwarder = Forwarder::new(
        &config.name,
        sink,
        log,
        dead,
        config.batch_size,
        config.retry,
    );
    let status = forwarder.status();
    let (tx, rx) = watch::channel(None);
    let name = config.name.clone();
    let task = tokio::spawn(async move {
        let result = forwarder.run(rx).await;
        if let Err(e) = &result {
            tracing::error!(sink = %name, error = %e, "forwarder stopped");
        }
        result
    });
    (status, tx, task, describe)
}

/// Opens a sink's log and starts its forwarder.
pub fn start_sink(config: &SinkConfig, data_dir: &std::path::Path) -> Result<SinkRuntime> {
    let dir = data_dir.join("sinks").join(&config.name);
    let log = DiskLog::open(&dir, config.log.clone())?;
    let dead = Arc::new(DeadLetters::new(&dir));
    let (status, stop, task, describe) = match &config.kind {
        SinkKind::Mqtt(m) => spawn_forwarder(
            config,
            MqttSink::new(&config.name, m.clone())?,
            log.clone(),
            dead,
        ),
        SinkKind::LineProtocol(l) => spawn_forwarder(
            config,
            LineProtocolSink::new(&config.name, l.clone())?,
            log.clone(),
            dead,
        ),
        SinkKind::Postgres(p) => spawn_forwarder(
            config,
            PostgresSink::new(&config.name, p.clone())?,
            log.clone(),
            dead,
        ),
    };
    Ok(SinkRuntime {
        name: config.name.clone(),
        describe,
        log,
        status,
        stop,
        task,
    })
}

impl SinkRuntime {
    /// Stops the forwarder; with a flush deadline, it delivers until the log is empty or then.
    pub async fn stop(self, flush: Option<Duration>) {
        let how = match flush {
            Some(t) => Stop::Flush(tokio::time::Instant::now() + t),
            None => Stop::Now,
        };
        let _ = self.stop.send(Some(how));
        let _ = self.task.await;
    }
}

async fn run_pipeline(
    name: String,
    mut input: mpsc::Receiver<Vec<Point>>,
    mut stages: Vec<Box<dyn Stage>>,
    logs: Vec<(String, Arc<DiskLog>)>,
    ids: Arc<IdGenerator>,
) {
    while let Some(mut points) = input.recv().await {
        let context = StageContext { ids: &ids };
        for stage in &mut stages {
            points = stage.process(points, &context);
        }
        if points.is_empty() {
            continue;
        }
        for (sink, log) in &logs {
            // Appends fsync: keep them off the runtime's worker threads.
            let (log, batch) = (log.clone(), points.clone());
            let result = tokio::task::spawn_blocking(move || log.append(&batch)).await;
            match result {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::error!(pipeline = %name, %sink, error = %e, "cannot append to the disk log")
                }
                Err(e) => {
                    tracing::error!(pipeline = %name, %sink, error = %e, "append task failed")
                }
            }
        }
    }
}

impl Gateway {
    /// Starts sinks, pipelines and sources.
    pub async fn start(
        config: GatewayConfig,
        options: &GatewayOptions,
        ids: Arc<IdGenerator>,
    ) -> Result<Gateway> {
        std::fs::create_dir_all(&config.data_dir).map_err(BridgeError::io(&config.data_dir))?;
        let mut sinks = Vec::new();
        for s in &config.sinks {
            match start_sink(s, &config.data_dir) {
                Ok(rt) => sinks.push(rt),
                Err(e) => {
                    for rt in sinks {
                        rt.stop(None).await;
                    }
                    return Err(e);
                }
            }
        }
        // Build every stage before starting anything that polls.
        let mut built = Vec::new();
        for p in &config.pipelines {
            let mut stages = Vec::new();
            for spec in &p.stages {
                match build_stage(&spec.kind, &spec.table, &options.stage_factories) {
                    Ok(s) => stages.push(s),
                    Err(message) => {
                        for rt in sinks {
                            rt.stop(None).await;
                        }
                        return Err(config
                            .stage_error(spec.line, format!("pipeline {}: {message}", p.name)));
                    }
                }
            }
            built.push(stages);
        }
        let pool = Pool::new(client_config());
        let mut opened = Vec::new();
        for s in &config.sources {
            match ModbusSource::open(s, &pool) {
                Ok(src) => opened.push(src),
                Err(e) => {
                    for rt in sinks {
                        rt.stop(None).await;
                    }
                    return Err(e);
                }
            }
        }
        let mut inputs = HashMap::new();
        let mut pipelines = Vec::new();
        let mut source_outputs: HashMap<String, Vec<mpsc::Sender<Vec<Point>>>> = HashMap::new();
        for (p, stages) in config.pipelines.iter().zip(built) {
            let (tx, rx) = mpsc::channel(64);
            let logs = p
                .sinks
                .iter()
                .filter_map(|name| sinks.iter().find(|s| &s.name == name))
                .map(|s| (s.name.clone(), s.log.clone()))
                .collect();
            pipelines.push(tokio::spawn(run_pipeline(
                p.name.clone(),
                rx,
                stages,
                logs,
                ids.clone(),
            )));
            for src in &p.sources {
                source_outputs
                    .entry(src.clone())
                    .or_default()
                    .push(tx.clone());
            }
            inputs.insert(p.name.clone(), tx);
        }
        let mut sources = Vec::new();
        for (cfg, src) in config.sources.iter().zip(opened) {
            let stats = src.stats();
            let outputs = source_outputs.remove(&cfg.name).unwrap_or_default();
            let task = tokio::spawn(src.run(ids.clone(), outputs));
            sources.push((cfg.name.clone(), stats, task));
        }
        Ok(Gateway {
            config,
            inputs,
            sources,
            pipelines,
            sinks,
        })
    }

    /// The file the gateway runs.
    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// The running sinks.
    pub fn sinks(&self) -> &[SinkRuntime] {
        &self.sinks
    }

    /// Feeds points into a pipeline as a source would (programs and tests that make their own
    /// points). Waits while the pipeline is busy.
    pub async fn send(&self, pipeline: &str, points: Vec<Point>) -> Result<(), String> {
        let input = self
            .inputs
            .get(pipeline)
            .ok_or_else(|| format!("no pipeline is called {pipeline:?}"))?;
        input
            .send(points)
            .await
            .map_err(|_| format!("pipeline {pipeline} has stopped"))
    }

    /// The counters health and metrics show.
    pub fn view(&self) -> GatewayView {
        GatewayView {
            sinks: self
                .sinks
                .iter()
                .map(|s| (s.name.clone(), s.log.clone(), s.status.clone()))
                .collect(),
            sources: self
                .sources
                .iter()
                .map(|(n, s, _)| (n.clone(), s.clone()))
                .collect(),
        }
    }

    /// Stops sources, lets pipelines append what they hold, then stops the forwarders — with
    /// `flush`, each delivers until its log is empty or the timeout passed. Nothing appended is
    /// lost either way: what is not delivered stays in the logs for the next start.
    pub async fn stop(self, flush: Option<Duration>) {
        for (_, _, task) in &self.sources {
            task.abort();
        }
        for (_, _, task) in self.sources {
            let _ = task.await;
        }
        drop(self.inputs);
        for task in self.pipelines {
            let _ = task.await;
        }
        futures::future::join_all(self.sinks.into_iter().map(|s| s.stop(flush))).await;
    }
}

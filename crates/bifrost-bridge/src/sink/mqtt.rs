//! The MQTT sink (rumqttc): each batch is one QoS 1 PUBLISH of a JSON document (optionally
//! zstd-compressed), taken once its PUBACK arrived. A broken connection is dropped whole and
//! opened afresh (clean session), and the batch is sent again: duplicates are possible, as QoS 1
//! allows, and every point carries its id for the consumer to drop them.
//!
//! AWS IoT Core and Azure IoT Hub are configurations of this sink: TLS on 8883 with a client
//! certificate (AWS), or a username plus a SAS token as password (Azure); see the README.

use std::time::Duration;

use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, QoS, TlsConfiguration, Transport,
};
use serde::Deserialize;

use super::{Sink, SinkError, json_batch};
use crate::error::{BridgeError, Result};
use crate::point::Point;

/// Payload compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    #[default]
    None,
    /// zstd (level 3) over the JSON batch.
    Zstd,
}

/// TLS settings: PEM files.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// CA certificate(s) the broker's certificate must chain to.
    pub ca: std::path::PathBuf,
    /// Client certificate (AWS IoT Core: the thing's certificate).
    pub cert: Option<std::path::PathBuf>,
    /// Client private key.
    pub key: Option<std::path::PathBuf>,
    /// ALPN protocols (AWS IoT Core on port 443: ["x-amzn-mqtt-ca"]).
    #[serde(default)]
    pub alpn: Vec<String>,
}

/// `type = "mqtt"` in the gateway file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// Topic every batch is published to.
    pub topic: String,
    pub client_id: String,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: Option<TlsFiles>,
    #[serde(default)]
    pub compression: Compression,
    /// Largest payload of one PUBLISH; bigger batches go out as several (AWS IoT: 128 KiB).
    #[serde(default = "default_max_payload")]
    pub max_payload: usize,
    /// Seconds to wait for a PUBACK.
    #[serde(default = "default_ack_timeout")]
    pub ack_timeout_s: f64,
    #[serde(default = "default_keep_alive")]
    pub keep_alive_s: u64,
}

fn default_port() -> u16 {
    1883
}
fn default_max_payload() -> usize {
    128 * 1024
}
fn default_ack_timeout() -> f64 {
    10.0
}
fn default_keep_alive() -> u64 {
    30
}

/// A connected (or not yet connected) MQTT sink.
pub struct MqttSink {
    name: String,
    config: MqttConfig,
    options: MqttOptions,
    connection: Option<(AsyncClient, EventLoop)>,
}

impl std::fmt::Debug for MqttSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSink")
            .field("name", &self.name)
            .finish()
    }
}

impl MqttSink {
    /// Builds the sink; reads the TLS files now so a bad path fails at start, not at send.
    pub fn new(name: &str, config: MqttConfig) -> Result<MqttSink> {
        let setup = |message: String| BridgeError::SinkSetup {
            sink: name.to_owned(),
            message,
        };
        let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
        options.set_keep_alive(Duration::from_secs(config.keep_alive_s.max(5)));
        options.set_clean_session(true);
        options.set_max_packet_size(config.max_payload + 4096, config.max_payload + 4096);
        if let Some(user) = &config.username {
            options.set_credentials(user, config.password.clone().unwrap_or_default());
        }
        if let Some(tls) = &config.tls {
            let read = |p: &std::path::Path| {
                std::fs::read(p).map_err(|e| setup(format!("cannot read {}: {e}", p.display())))
            };
            let ca = read(&tls.ca)?;
            let client_auth = match (&tls.cert, &tls.key) {
                (Some(c), Some(k)) => Some((read(c)?, read(k)?)),
                (None, None) => None,
                _ => return Err(setup("tls: give both `cert` and `key`, or neither".into())),
            };
            let alpn = (!tls.alpn.is_empty())
                .then(|| tls.alpn.iter().map(|a| a.as_bytes().to_vec()).collect());
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
                ca,
                alpn,
                client_auth,
            }));
        }
        if config.topic.is_empty() || config.topic.contains(['+', '#']) {
            return Err(setup(format!(
                "topic {:?}: give a topic name without wildcards",
                config.topic
            )));
        }
        Ok(MqttSink {
            name: name.to_owned(),
            config,
            options,
            connection: None,
        })
    }

    fn payloads(&self, points: &[Point]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut chunks = vec![points];
        while let Some(chunk) = chunks.pop() {
            let json = json_batch(chunk);
            let body = match self.config.compression {
                Compression::None => json,
                Compression::Zstd => zstd::bulk::compress(&json, 3).unwrap_or(json),
            };
            if body.len() > self.config.max_payload && chunk.len() > 1 {
                let (a, b) = chunk.split_at(chunk.len() / 2);
                chunks.push(b);
                chunks.push(a);
            } else {
                out.push(body);
            }
        }
        out
    }

    async fn publish_one(&mut self, payload: Vec<u8>) -> Result<(), SinkError> {
        let (client, eventloop) = self.connection.get_or_insert_with(|| {
            // The request queue holds one publish at a time; 10 leaves room for pings.
            AsyncClient::new(self.options.clone(), 10)
        });
        client
            .publish(self.config.topic.clone(), QoS::AtLeastOnce, false, payload)
            .await
            .map_err(|e| SinkError::Transient(format!("queueing the publish: {e}")))?;
        let timeout = Duration::from_secs_f64(self.config.ack_timeout_s.max(0.1));
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pkid = None;
        loop {
            let event = tokio::time::timeout_at(deadline, eventloop.poll()).await;
            match event {
                Err(_) => {
                    return Err(SinkError::Transient(format!(
                        "no PUBACK within {timeout:?}"
                    )));
                }
                Ok(Err(e)) => return Err(SinkError::Transient(format!("MQTT connection: {e}"))),
                Ok(Ok(Event::Outgoing(Outgoing::Publish(id)))) => pkid = Some(id),
                Ok(Ok(Event::Incoming(Packet::PubAck(ack)))) if Some(ack.pkid) == pkid => {
                    return Ok(());
                }
                Ok(Ok(_)) => {}
            }
        }
    }
}

impl Sink for MqttSink {
    fn describe(&self) -> String {
        let scheme = if self.config.tls.is_some() {
            "mqtts"
        } else {
            "mqtt"
        };
        format!(
            "{scheme}://{}:{} topic {}",
            self.config.host, self.config.port, self.config.topic
        )
    }

    async fn send(&mut self, points: &[Point]) -> Result<(), SinkError> {
        for payload in self.payloads(points) {
            if let Err(e) = self.publish_one(payload).await {
                // Start over on a fresh connection: whatever rumqttc still holds is dropped
                // with it, and the forwarder resends the whole batch.
                self.connection = None;
                return Err(e);
            }
        }
        Ok(())
    }
}

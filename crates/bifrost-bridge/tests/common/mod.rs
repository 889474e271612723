//! Real peers for the bridge's tests: a mosquitto of our own on a free port (never the machine's
//! one on 1883), an MQTT subscriber that collects points, InfluxDB 1.x and VictoriaMetrics
//! started on free ports with their data under a temporary directory.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bifrost_bridge::sink::parse_json_batch;
use bifrost_bridge::{Point, PointId};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for_port(port: u16, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends SIGTERM (a clean stop: mosquitto saves its persistence file) and waits.
pub fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.wait();
}

/// A mosquitto broker of the test's own, with persistence (so a subscriber's session and its
/// queued QoS 1 messages survive a restart of the broker).
pub struct Mosquitto {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Mosquitto {
    pub fn start(dir: &Path) -> Mosquitto {
        let port = free_port();
        let mut m = Mosquitto {
            port,
            dir: dir.to_path_buf(),
            child: None,
        };
        m.restart();
        m
    }

    pub fn restart(&mut self) {
        assert!(self.child.is_none());
        let conf = self.dir.join("mosquitto.conf");
        std::fs::create_dir_all(self.dir.join("db")).unwrap();
        std::fs::write(
            &conf,
            format!(
                "listener {} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nmax_queued_messages 0\nmessage_size_limit 0\n",
                self.port,
                self.dir.join("db").display()
            ),
        )
        .unwrap();
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto is installed (.ci/run installs it)");
        self.child = Some(child);
        wait_for_port(self.port, Duration::from_secs(10));
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            terminate(&mut c);
        }
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Points an MQTT subscriber received, by id (with how many times each came).
#[derive(Clone, Default)]
pub struct Received {
    inner: Arc<Mutex<HashMap<PointId, (Point, u32)>>>,
}

impl Received {
    pub fn distinct(&self) -> usize {
        self.inner.lock().unwrap().len()
    }

    pub fn duplicates(&self) -> u64 {
        self.inner
            .lock()
            .unwrap()
            .values()
            .map(|(_, n)| u64::from(n - 1))
            .sum()
    }

    pub fn has_all(&self, ids: &[PointId]) -> bool {
        let m = self.inner.lock().unwrap();
        ids.iter().all(|id| m.contains_key(id))
    }

    pub fn missing(&self, ids: &[PointId]) -> usize {
        let m = self.inner.lock().unwrap();
        ids.iter().filter(|id| !m.contains_key(id)).count()
    }

    pub fn get(&self, id: &PointId) -> Option<Point> {
        self.inner.lock().unwrap().get(id).map(|(p, _)| p.clone())
    }

    /// Waits until every id came, or panics after `timeout` saying how many did not.
    pub async fn wait_for(&self, ids: &[PointId], timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.has_all(ids) {
            assert!(
                Instant::now() < deadline,
                "{} of {} points never arrived",
                self.missing(ids),
                ids.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Subscribes to `topic` with QoS 1 and a persistent session (clean session off), and keeps
/// reconnecting; collects the points of every batch.
pub async fn subscribe(port: u16, topic: &str, client_id: &str) -> Received {
    let received = Received::default();
    let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
    options.set_clean_session(false);
    options.set_keep_alive(Duration::from_secs(5));
    options.set_max_packet_size(16 << 20, 16 << 20);
    let (client, mut eventloop) = AsyncClient::new(options, 100);
    client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let mut ready_tx = Some(ready_tx);
    let sink = received.clone();
    let topic = topic.to_owned();
    tokio::spawn(async move {
        let _client = client; // keep the request channel open
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
                Ok(Event::Incoming(Packet::ConnAck(ack))) if !ack.session_present => {
                    let _ = _client.try_subscribe(topic.clone(), QoS::AtLeastOnce);
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let points = parse_json_batch(&p.payload).expect("a JSON batch");
                    let mut m = sink.inner.lock().unwrap();
                    for point in points {
                        m.entry(point.id).or_insert((point, 0)).1 += 1;
                    }
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(10), ready_rx)
        .await
        .expect("subscribed within 10 s")
        .unwrap();
    received
}

/// InfluxDB 1.x (`influxd`) on free ports, data under `dir`.
pub struct Influx {
    pub port: u16,
    child: Child,
}

impl Influx {
    pub fn start(dir: &Path) -> Influx {
        let (port, rpc) = (free_port(), free_port());
        let conf = dir.join("influxdb.conf");
        std::fs::write(
            &conf,
            format!(
                "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n[meta]\n  dir = \"{d}/meta\"\n[data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n[http]\n  bind-address = \"127.0.0.1:{port}\"\n  log-enabled = false\n[monitor]\n  store-enabled = false\n",
                d = dir.display()
            ),
        )
        .unwrap();
        let child = Command::new("influxd")
            .arg("-config")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("influxd is installed (.ci/run installs Debian's influxdb)");
        wait_for_port(port, Duration::from_secs(30));
        Influx { port, child }
    }

    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for Influx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VictoriaMetrics on a free port, data under `dir`.
pub struct Victoria {
    pub port: u16,
    child: Child,
}

impl Victoria {
    pub fn start(dir: &Path) -> Victoria {
        let port = free_port();
        let child = Command::new("victoria-metrics")
            .arg(format!("-storageDataPath={}", dir.display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            .arg("-retentionPeriod=100y")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("victoria-metrics is installed (.ci/run installs Debian's victoria-metrics)");
        wait_for_port(port, Duration::from_secs(30));
        Victoria { port, child }
    }

    pub fn stop(mut self) {
        terminate(&mut self.child);
    }
}

impl Drop for Victoria {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `n` points of a few series, timestamps from now back, ids minted by `ids`.
pub fn points(ids: &bifrost_bridge::IdGenerator, n: usize, series: &[&str]) -> Vec<Point> {
    let now = bifrost_bridge::point::now_nanos();
    (0..n)
        .map(|i| Point {
            id: ids.next_id(),
            series: series[i % series.len()].to_owned(),
            ts: now - (n - i) as i64 * 1_000_000,
            value: i as f64 * 0.5,
            raw: Some(vec![i as u16]),
        })
        .collect()
}

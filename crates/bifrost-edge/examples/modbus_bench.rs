//! Modbus client benchmark (bench/modbus.sh runs it): latency of 1, 100 and 1,000-register
//! reads and throughput with many connections, for Bifrost's client or tokio-modbus's, against
//! any Modbus TCP server. Prints one JSON object.
//!
//! cargo run --release -p bifrost-edge --example modbus_bench -- CLIENT ADDRESS [ITERATIONS]
//! CLIENT: bifrost | bifrost-pipelined | tokio-modbus
//! cargo run --release -p bifrost-edge --example modbus_bench -- serve ADDRESS
//!   runs the benchmark's server: Bifrost's simulator, as `bifrost edge simulate` does.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bifrost_edge::{ClientConfig, Device, Table};
use tokio_modbus::client::{Context, Reader};

const SIZES: [usize; 3] = [1, 100, 1000];
const CONNECTIONS: usize = 100;
const THROUGHPUT_READS: usize = 200; // per connection, 100 registers each

enum Client {
    Bifrost(Device),
    Tokio(Context),
}

impl Client {
    async fn open(kind: &str, address: &str) -> Client {
        match kind {
            "bifrost" | "bifrost-pipelined" => {
                let pipeline = if kind == "bifrost" { 1 } else { 8 };
                let config = ClientConfig {
                    timeout: Duration::from_secs(10),
                    max_in_flight: pipeline,
                    ..Default::default()
                };
                let device = Device::open(address, config).expect("device address");
                device
                    .read_registers(Table::Holding, 0, 1)
                    .await
                    .expect("first read");
                Client::Bifrost(device)
            }
            "tokio-modbus" => {
                let socket: SocketAddr = address.parse().expect("HOST:PORT");
                Client::Tokio(
                    tokio_modbus::client::tcp::connect(socket)
                        .await
                        .expect("connect"),
                )
            }
            other => {
                panic!("unknown client {other}: use bifrost, bifrost-pipelined or tokio-modbus")
            }
        }
    }

    /// Reads `count` holding registers from 0 the way the client does natively: Bifrost in one
    /// call (split by its planner), tokio-modbus in requests of at most 125, one after another.
    async fn read(&mut self, count: usize) -> usize {
        match self {
            Client::Bifrost(d) => d
                .read_registers(Table::Holding, 0, count)
                .await
                .expect("read")
                .len(),
            Client::Tokio(ctx) => {
                let mut got = 0;
                for start in (0..count).step_by(125) {
                    let n = (count - start).min(125) as u16;
                    got += ctx
                        .read_holding_registers(start as u16, n)
                        .await
                        .expect("io")
                        .expect("exception")
                        .len();
                }
                got
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (kind, address) = (args.get(1).expect("CLIENT"), args.get(2).expect("ADDRESS"));
    if kind == "serve" {
        let sim = std::sync::Arc::new(bifrost_edge::Simulator::new(Default::default()));
        sim.bind(address).await.expect("listen").wait().await;
        return;
    }
    let iterations: usize = args
        .get(3)
        .map(|n| n.parse().expect("ITERATIONS"))
        .unwrap_or(2000);
    let mut client = Client::open(kind, address).await;
    let mut latency = serde_json::Map::new();
    for size in SIZES {
        for _ in 0..iterations / 10 {
            client.read(size).await; // warm-up
        }
        let mut times = Vec::with_capacity(iterations);
        for _ in 0..iterations {
            let t = Instant::now();
            assert_eq!(client.read(size).await, size);
            times.push(t.elapsed());
        }
        times.sort();
        latency.insert(
            size.to_string(),
            serde_json::json!({"p50_us": percentile(&times, 0.5), "p99_us": percentile(&times, 0.99)}),
        );
    }
    // Throughput: CONNECTIONS clients, each reading 100 registers THROUGHPUT_READS times.
    let mut clients = Vec::new();
    for _ in 0..CONNECTIONS {
        clients.push(Client::open(kind, address).await);
    }
    let t = Instant::now();
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                for _ in 0..THROUGHPUT_READS {
                    c.read(100).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("reader");
    }
    let reads_per_s = (CONNECTIONS * THROUGHPUT_READS) as f64 / t.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"client": kind, "latency": latency, "throughput_reads_per_s": reads_per_s,
            "connections": CONNECTIONS})
    );
}

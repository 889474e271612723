//! A sink that answers 400 for some records: those are dead-lettered (with the reason), the
//! rest flow. The sink here is an HTTP line-protocol server of the test's own that refuses any
//! batch holding a series whose name starts with `bad` — as strict as a server can be: the
//! forwarder must split batches to find the refused records.

mod common;

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use bifrost_bridge::dead_letter::DeadLetters;
use bifrost_bridge::gateway::{Gateway, GatewayConfig, GatewayOptions};
use bifrost_bridge::{IdGenerator, PointId};

async fn strict_server(accepted: Arc<Mutex<Vec<PointId>>>) -> u16 {
    let app = Router::new().route(
        "/write",
        post(move |body: String| {
            let accepted = accepted.clone();
            async move {
                if body.lines().any(|l| l.starts_with("bad")) {
                    return (
                        StatusCode::BAD_REQUEST,
                        "{\"error\":\"unable to parse 'bad…'\"}",
                    );
                }
                let mut a = accepted.lock().unwrap();
                for line in body.lines() {
                    let id = line
                        .split("id=\"")
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap();
                    a.push(id.parse().unwrap());
                }
                (StatusCode::NO_CONTENT, "")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_records_are_dead_lettered_and_the_rest_flow() {
    let accepted = Arc::new(Mutex::new(Vec::new()));
    let port = strict_server(accepted.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"
[gateway]
data_dir = "data"

[[pipeline]]
name = "in"
sources = []
sinks = ["influx"]

[[sink]]
name = "influx"
batch_size = 256
influx = {{ url = "http://127.0.0.1:{port}/write?db=plant" }}
retry = {{ initial = "10ms", max = "100ms" }}
"#
    );
    let config = GatewayConfig::parse(&dir.path().join("g.toml"), &text).unwrap();
    let ids = Arc::new(IdGenerator::new());
    let gateway = Gateway::start(config, &GatewayOptions::default(), ids.clone())
        .await
        .unwrap();
    // 2,000 points; every 50th is of a series the server refuses.
    let mut pts = common::points(&ids, 2000, &["good.a", "good.b"]);
    for p in pts.iter_mut().step_by(50) {
        p.series = "bad.sensor".into();
    }
    let bad: HashSet<PointId> = pts
        .iter()
        .filter(|p| p.series.starts_with("bad"))
        .map(|p| p.id)
        .collect();
    let good: HashSet<PointId> = pts
        .iter()
        .filter(|p| !p.series.starts_with("bad"))
        .map(|p| p.id)
        .collect();
    assert_eq!(bad.len(), 40);
    gateway.send("in", pts.clone()).await.unwrap();

    let log = gateway.sinks()[0].log.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    while log.stats().delivered.load(Ordering::Relaxed)
        + log.stats().dead_lettered.load(Ordering::Relaxed)
        < 2000
    {
        assert!(Instant::now() < deadline, "{} still pending", log.pending());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let got: HashSet<PointId> = accepted.lock().unwrap().iter().copied().collect();
    assert_eq!(got, good, "every good record flowed, no refused one did");
    let letters = DeadLetters::read_all(&dir.path().join("data/sinks/influx")).unwrap();
    let dead: HashSet<PointId> = letters.iter().map(|l| l.point.id).collect();
    assert_eq!(dead, bad, "exactly the refused records are dead-lettered");
    assert!(
        letters.iter().all(|l| l.reason.contains("400")),
        "{:?}",
        letters[0].reason
    );
    assert_eq!(log.stats().dead_lettered.load(Ordering::Relaxed), 40);
    assert_eq!(log.stats().delivered.load(Ordering::Relaxed), 1960);
    gateway.stop(None).await;
}

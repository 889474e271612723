//! The client against Bifrost's simulator: every function code, pipelining, tags of every type
//! and byte order, and injected faults (wrong transaction ids, garbled frames, exceptions,
//! silence, a server stopped mid-read).

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bifrost_edge::simulator::{Fault, FaultKind};
use bifrost_edge::{
    ClientConfig, Device, EdgeError, ExceptionCode, Pool, Raw, Simulator, SimulatorHandle,
    SimulatorSpec, Table, TagFile, Transport, Value,
};
use common::{config, data};

async fn serve(spec: SimulatorSpec) -> SimulatorHandle {
    Arc::new(Simulator::new(spec))
        .bind("127.0.0.1:0")
        .await
        .unwrap()
}

fn tcp(device: &Device) -> &bifrost_edge::TcpClient {
    match device.transport().as_ref() {
        Transport::Tcp(t) => t,
        Transport::Rtu(_) => unreachable!(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_share_one_connection() {
    // Each answer waits 200 ms; 32 reads through a 16-deep pipeline must have overlapped.
    let sim = serve(SimulatorSpec {
        latency_ms: 200,
        ..SimulatorSpec::default()
    })
    .await;
    let values: Vec<u16> = (0..4000).map(|i| i as u16 ^ 0x5A5A).collect();
    sim.simulator().set_registers(Table::Holding, 0, &values);
    let plc = Device::open(&format!("tcp://{}?pipeline=16", sim.address()), config()).unwrap();
    let reads = (0..32).map(|i| {
        let plc = plc.clone();
        tokio::spawn(async move { plc.read_registers(Table::Holding, i * 125, 125).await })
    });
    for (i, r) in futures::future::join_all(reads)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            r.unwrap().unwrap(),
            values[i * 125..(i + 1) * 125],
            "read {i}"
        );
    }
    let stats = sim.simulator().stats();
    assert_eq!(stats.connections.load(Ordering::Relaxed), 1);
    assert_eq!(stats.requests.load(Ordering::Relaxed), 32);
    let peak = stats.peak_pending.load(Ordering::Relaxed);
    assert!(peak > 1 && peak <= 16, "peak in flight {peak}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_code_round_trips() {
    let sim = serve(SimulatorSpec::default()).await;
    let plc = Device::open(&sim.address().to_string(), config()).unwrap();
    plc.write_register(7, 0xCAFE).await.unwrap();
    plc.write_registers(1000, &(0..1000).collect::<Vec<u16>>())
        .await
        .unwrap();
    plc.write_coil(3, true).await.unwrap();
    plc.write_coils(4000, &[true; 4000]).await.unwrap();
    assert_eq!(
        plc.read_registers(Table::Holding, 7, 1).await.unwrap(),
        vec![0xCAFE]
    );
    assert_eq!(
        plc.read_registers(Table::Holding, 1000, 1000)
            .await
            .unwrap(),
        (0..1000).collect::<Vec<u16>>()
    );
    assert_eq!(
        plc.read_bits(Table::Coil, 2, 3).await.unwrap(),
        vec![false, true, false]
    );
    assert!(
        plc.read_bits(Table::Coil, 4000, 4000)
            .await
            .unwrap()
            .iter()
            .all(|&b| b)
    );
    assert_eq!(
        plc.read_write_registers(7, 2, 8, &[9]).await.unwrap(),
        vec![0xCAFE, 9]
    );
    sim.simulator()
        .set_registers(Table::Input, 65530, &[1, 2, 3, 4, 5, 6]);
    sim.simulator().set_bits(Table::Discrete, 65535, &[true]);
    assert_eq!(
        plc.read_registers(Table::Input, 65530, 6).await.unwrap(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        plc.read_bits(Table::Discrete, 65535, 1).await.unwrap(),
        vec![true]
    );
    // Bad input is refused before anything is sent, with what to do.
    let e = plc
        .read_registers(Table::Holding, 65535, 2)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("range end at 65535"), "{e}");
    let e = plc.read_bits(Table::Holding, 0, 1).await.unwrap_err();
    assert!(e.to_string().contains("use read_registers"), "{e}");
    let e = plc
        .call(&bifrost_edge::Request::ReadHoldingRegisters {
            address: 0,
            count: 126,
        })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("outside 1..=125"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_of_every_type_and_order_read_and_write() {
    let file = TagFile::load(data("plant.toml")).unwrap();
    let sim = Arc::new(Simulator::from_tag_file(&file).unwrap())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let plc = Device::open(&sim.address().to_string(), config()).unwrap();
    let readings = plc.read_tags(&file.tags).await;
    let got: Vec<(String, Value)> = readings
        .iter()
        .map(|r| (r.name.clone(), r.result.clone().unwrap().0))
        .collect();
    let expect = |name: &str| got.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_eq!(expect("boiler.temperature"), Value::Float(21.5));
    assert_eq!(expect("line.count"), Value::UInt(123_456));
    assert_eq!(expect("line.energy"), Value::Float(98765.4321));
    assert_eq!(expect("line.offset"), Value::Int(-300));
    assert_eq!(expect("line.total"), Value::Int(-9_000_000_000));
    assert_eq!(expect("site.name"), Value::Text("BIFROST".into()));
    assert_eq!(expect("pump.on"), Value::Bool(true));
    assert_eq!(expect("door.closed"), Value::Bool(true));
    assert_eq!(expect("tank.level"), Value::UInt(5_000_000_000));
    let Value::Float(p) = expect("boiler.pressure") else {
        panic!()
    };
    assert!((p - 1.25).abs() < 1e-9);
    // Raw words beside values: CDAB puts the low word first.
    let count = readings.iter().find(|r| r.name == "line.count").unwrap();
    assert_eq!(
        count.result.as_ref().unwrap().1,
        Raw::Registers(vec![0xE240, 0x0001])
    );
    // Scattered tags over holding 0..44 (small gaps) and three other tables: four requests.
    let before = sim.simulator().stats().requests.load(Ordering::Relaxed);
    let _ = plc.read_tags(&file.tags).await;
    assert_eq!(
        sim.simulator().stats().requests.load(Ordering::Relaxed) - before,
        4
    );

    let pressure = file.tag("boiler.pressure").unwrap();
    assert_eq!(
        plc.write_tag(pressure, &Value::Float(2.5)).await.unwrap(),
        Raw::Registers(vec![250])
    );
    assert_eq!(sim.simulator().registers(Table::Holding, 2, 1), vec![250]);
    let e = plc
        .write_tag(pressure, &Value::Float(1000.0))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("out of range for u16"), "{e}");
    let door = file.tag("door.closed").unwrap();
    let e = plc.write_tag(door, &Value::Bool(false)).await.unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_gaps_are_learned_and_avoided() {
    let spec = SimulatorSpec {
        faults: vec![Fault {
            code: Some(2),
            ..Fault::new(FaultKind::Exception).on(Table::Holding, 10, 5)
        }],
        ..SimulatorSpec::default()
    };
    let sim = serve(spec).await;
    let plc = Device::open(&sim.address().to_string(), config()).unwrap();
    let file = TagFile::parse(
        "[[tag]]\nname='a'\ntable='holding'\naddress=5\ntype='u16'\n\
         [[tag]]\nname='b'\ntable='holding'\naddress=20\ntype='f32'\n\
         [[tag]]\nname='bad'\ntable='holding'\naddress=12\ntype='u16'\n",
    )
    .unwrap();
    let two = &file.tags[..2];
    let requests = || sim.simulator().stats().requests.load(Ordering::Relaxed);
    // First read: one bridged request (refused), then the two tags alone.
    let readings = plc.read_tags(two).await;
    assert!(readings.iter().all(|r| r.result.is_ok()), "{readings:?}");
    assert_eq!(requests(), 3);
    assert_eq!(plc.planner().bad_gaps().len(), 1);
    // From then on: two requests, no refusal.
    let readings = plc.read_tags(two).await;
    assert!(readings.iter().all(|r| r.result.is_ok()));
    assert_eq!(requests(), 5);
    // A tag inside the refused range fails alone, with the device's exception code.
    let readings = plc.read_tags(&file.tags).await;
    let bad = readings.iter().find(|r| r.name == "bad").unwrap();
    let e = bad.result.as_ref().unwrap_err();
    assert_eq!(
        e.exception_code(),
        Some(ExceptionCode::ILLEGAL_DATA_ADDRESS)
    );
    assert!(readings.iter().filter(|r| r.result.is_ok()).count() == 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_transaction_ids_are_discarded() {
    let spec = SimulatorSpec {
        faults: vec![Fault::new(FaultKind::WrongTransactionId).on(Table::Holding, 100, 1)],
        ..SimulatorSpec::default()
    };
    let sim = serve(spec).await;
    let short = ClientConfig {
        timeout: Duration::from_millis(300),
        ..config()
    };
    let plc = Device::open(&sim.address().to_string(), short).unwrap();
    let e = plc
        .read_registers(Table::Holding, 100, 1)
        .await
        .unwrap_err();
    assert!(matches!(e, EdgeError::Timeout { .. }), "{e}");
    assert_eq!(tcp(&plc).stats().stale_answers.load(Ordering::Relaxed), 1);
    // The connection is still good: the next read on it succeeds.
    sim.simulator().set_registers(Table::Holding, 0, &[42]);
    assert_eq!(
        plc.read_registers(Table::Holding, 0, 1).await.unwrap(),
        vec![42]
    );
    assert_eq!(tcp(&plc).stats().connects.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbled_answers_drop_the_connection_and_the_next_request_reconnects() {
    let spec = SimulatorSpec {
        faults: vec![Fault::new(FaultKind::Garbled).on(Table::Input, 0, 1)],
        ..SimulatorSpec::default()
    };
    let sim = serve(spec).await;
    let plc = Device::open(&sim.address().to_string(), config()).unwrap();
    let e = plc.read_registers(Table::Input, 0, 1).await.unwrap_err();
    assert!(matches!(e, EdgeError::Disconnected { .. }), "{e}");
    assert!(e.to_string().contains("MBAP protocol id"), "{e}");
    assert_eq!(
        plc.read_registers(Table::Input, 1, 1).await.unwrap(),
        vec![0]
    );
    assert_eq!(tcp(&plc).stats().connects.load(Ordering::Relaxed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exceptions_silence_and_slow_answers() {
    let spec = SimulatorSpec {
        faults: vec![
            Fault {
                code: Some(4),
                ..Fault::new(FaultKind::Exception).on(Table::Coil, 9, 1)
            },
            Fault::new(FaultKind::Timeout).on(Table::Holding, 50, 1),
            Fault {
                delay_ms: Some(300),
                ..Fault::new(FaultKind::Delay).on(Table::Holding, 60, 1)
            },
            Fault {
                every: Some(2),
                code: Some(6),
                ..Fault::new(FaultKind::Exception).on(Table::Input, 70, 1)
            },
        ],
        ..SimulatorSpec::default()
    };
    let sim = serve(spec).await;
    let plc = Device::open(
        &sim.address().to_string(),
        ClientConfig {
            timeout: Duration::from_secs(2),
            ..config()
        },
    )
    .unwrap();
    let e = plc.write_coil(9, true).await.unwrap_err();
    assert_eq!(
        e.exception_code(),
        Some(ExceptionCode::SERVER_DEVICE_FAILURE),
        "{e}"
    );
    let e = plc.read_registers(Table::Holding, 50, 1).await.unwrap_err();
    assert!(matches!(e, EdgeError::Timeout { .. }), "{e}");
    assert!(e.to_string().contains("raise the timeout"), "{e}");
    // A slow answer within the timeout is just slow.
    assert_eq!(
        plc.read_registers(Table::Holding, 60, 1).await.unwrap(),
        vec![0]
    );
    // Every second request is refused as busy.
    assert!(plc.read_registers(Table::Input, 70, 1).await.is_ok());
    let e = plc.read_registers(Table::Input, 70, 1).await.unwrap_err();
    assert!(e.to_string().contains("busy: retry later"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_server_mid_read_then_back() {
    let spec = SimulatorSpec {
        faults: vec![Fault {
            delay_ms: Some(5000),
            ..Fault::new(FaultKind::Delay).on(Table::Holding, 9, 1)
        }],
        ..SimulatorSpec::default()
    };
    let sim = serve(spec.clone()).await;
    let address = sim.address();
    let plc = Device::open(&address.to_string(), config()).unwrap();
    let slow = {
        let plc = plc.clone();
        tokio::spawn(async move { plc.read_registers(Table::Holding, 9, 1).await })
    };
    while sim.simulator().stats().requests.load(Ordering::Relaxed) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sim.stop().await;
    let e = slow.await.unwrap().unwrap_err();
    assert!(matches!(e, EdgeError::Disconnected { .. }), "{e}");
    let again = Arc::new(Simulator::new(spec))
        .bind(&address.to_string())
        .await
        .unwrap();
    again.simulator().set_registers(Table::Holding, 0, &[5]);
    assert_eq!(
        plc.read_registers(Table::Holding, 0, 1).await.unwrap(),
        vec![5]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_grows_and_stays_within_bounds() {
    let c = ClientConfig {
        backoff_initial: Duration::from_millis(100),
        backoff_max: Duration::from_secs(1),
        ..ClientConfig::default()
    };
    for _ in 0..50 {
        let first = c.backoff(1);
        assert!(
            first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
            "{first:?}"
        );
        let third = c.backoff(3);
        assert!(
            third >= Duration::from_millis(200) && third <= Duration::from_millis(400),
            "{third:?}"
        );
        let late = c.backoff(30);
        assert!(
            late >= Duration::from_millis(500) && late <= Duration::from_secs(1),
            "{late:?}"
        );
    }
    // Jitter: not every delay is the same.
    let delays: std::collections::BTreeSet<Duration> = (0..20).map(|_| c.backoff(2)).collect();
    assert!(delays.len() > 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pool_shares_connections_between_units() {
    let sim = serve(SimulatorSpec::default()).await;
    let pool = Pool::new(config());
    let a = pool
        .device(&format!("tcp://{}?unit=1", sim.address()))
        .unwrap();
    let b = pool
        .device(&format!("tcp://{}?unit=2", sim.address()))
        .unwrap();
    let other = serve(SimulatorSpec::default()).await;
    let c = pool.device(&other.address().to_string()).unwrap();
    a.write_register(1, 11).await.unwrap();
    assert_eq!(
        b.read_registers(Table::Holding, 1, 1).await.unwrap(),
        vec![11]
    );
    assert_eq!(
        c.read_registers(Table::Holding, 1, 1).await.unwrap(),
        vec![0]
    );
    assert_eq!(pool.connections(), 2);
    assert_eq!((a.unit(), b.unit()), (1, 2));
    assert_eq!(
        sim.simulator().stats().connections.load(Ordering::Relaxed),
        1
    );
    assert!(
        pool.device("nonsense://x")
            .unwrap_err()
            .to_string()
            .contains("HOST:PORT")
    );
}

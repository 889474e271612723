//! Interop with pymodbus, both ways: Bifrost's client against a pymodbus device (Modbus TCP and
//! RTU framing), and pymodbus's client against Bifrost's simulator. pymodbus must be installed
//! (see `common::python`); these tests fail, not skip, without it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use bifrost_edge::{
    Device, EdgeError, ExceptionCode, Simulator, SimulatorSpec, Table, TagFile, Value,
};
use common::{PyServer, config, data, python};

fn holding(a: usize) -> u16 {
    ((a * 7) & 0xFFFF) as u16
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bifrost_client_reads_and_writes_a_pymodbus_device() {
    let server = PyServer::start("socket").await;
    let plc = Device::open(&server.address(), config()).unwrap();

    // 1,000 registers: eight requests in flight on one connection.
    let words = plc.read_registers(Table::Holding, 0, 1000).await.unwrap();
    assert_eq!(words, (0..1000).map(holding).collect::<Vec<_>>());
    let inputs = plc.read_registers(Table::Input, 10, 5).await.unwrap();
    assert_eq!(inputs, vec![1010, 1011, 1012, 1013, 1014]);
    // 4,000 coils: two requests of 2,000.
    let coils = plc.read_bits(Table::Coil, 0, 4000).await.unwrap();
    assert_eq!(coils.len(), 4000);
    assert!(coils.iter().enumerate().all(|(a, &c)| c == (a % 3 == 0)));
    let discrete = plc.read_bits(Table::Discrete, 1, 4).await.unwrap();
    assert_eq!(discrete, vec![false, true, false, true]);

    // Writes: FC 06, 16 (split past 123), 05, 15, 23.
    plc.write_register(3, 0xBEEF).await.unwrap();
    let many: Vec<u16> = (0..300).map(|i| 40_000 + i).collect();
    plc.write_registers(100, &many).await.unwrap();
    plc.write_coil(1, true).await.unwrap();
    plc.write_coils(10, &[true, true, false, true])
        .await
        .unwrap();
    let rw = plc.read_write_registers(3, 2, 4, &[0x1234]).await.unwrap();
    assert_eq!(rw, vec![0xBEEF, 0x1234]);
    assert_eq!(
        plc.read_registers(Table::Holding, 100, 300).await.unwrap(),
        many
    );
    assert_eq!(
        plc.read_bits(Table::Coil, 0, 14).await.unwrap()[..14],
        [
            true, true, false, true, false, false, true, false, false, true, true, true, false,
            true
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn illegal_addresses_are_exceptions_and_learned_gaps() {
    let server = PyServer::start("socket").await;
    let plc = Device::open(&server.address(), config()).unwrap();
    let e = plc
        .read_registers(Table::Holding, 995, 10)
        .await
        .unwrap_err();
    assert_eq!(
        e.exception_code(),
        Some(ExceptionCode::ILLEGAL_DATA_ADDRESS),
        "{e}"
    );
    assert!(e.to_string().contains("illegal data address"), "{e}");

    // Two tags on either side of pymodbus's undefined 1000..1009: the planner bridges the gap,
    // pymodbus refuses, the planner reads them apart and learns the gap.
    let file = TagFile::parse(
        r#"
        [[tag]]
        name = "before"
        table = "holding"
        address = 998
        type = "u16"
        [[tag]]
        name = "after"
        table = "holding"
        address = 1010
        type = "u32"
        "#,
    )
    .unwrap();
    for round in 0..2 {
        let readings = plc.read_tags(&file.tags).await;
        let values: Vec<Value> = readings.into_iter().map(|r| r.result.unwrap().0).collect();
        let after = ((holding(1010) as u64) << 16) | holding(1011) as u64;
        assert_eq!(
            values,
            vec![Value::UInt(holding(998).into()), Value::UInt(after)],
            "round {round}"
        );
        let gaps = plc.planner().bad_gaps();
        assert_eq!(gaps.len(), 1, "round {round}: {gaps:?}");
        assert_eq!((gaps[0].address, gaps[0].count), (999, 11));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtu_framing_against_pymodbus() {
    let server = PyServer::start("rtu").await;
    let plc = Device::open(&format!("rtu+tcp://{}?unit=1", server.address()), config()).unwrap();
    assert_eq!(
        plc.read_registers(Table::Holding, 7, 3).await.unwrap(),
        vec![49, 56, 63]
    );
    assert_eq!(
        plc.read_registers(Table::Holding, 0, 300).await.unwrap(),
        (0..300).map(holding).collect::<Vec<_>>()
    );
    plc.write_registers(20, &[1, 2, 3]).await.unwrap();
    assert_eq!(
        plc.read_registers(Table::Holding, 20, 3).await.unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(
        plc.read_bits(Table::Coil, 0, 4).await.unwrap(),
        vec![true, false, false, true]
    );
    let e = plc
        .read_registers(Table::Holding, 1005, 1)
        .await
        .unwrap_err();
    assert_eq!(
        e.exception_code(),
        Some(ExceptionCode::ILLEGAL_DATA_ADDRESS),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_read_fails_the_read_and_the_client_reconnects() {
    let mut server = PyServer::start("socket").await;
    let port = server.port;
    let plc = Device::open(&server.address(), config()).unwrap();
    assert_eq!(
        plc.read_registers(Table::Holding, 1, 1).await.unwrap(),
        vec![7]
    );

    // Register 1500 answers after 5 s; kill the device while the read waits (timeout is 10 s).
    let slow = {
        let plc = plc.clone();
        tokio::spawn(async move { plc.read_registers(Table::Holding, 1500, 1).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill();
    let e = slow.await.unwrap().unwrap_err();
    assert!(matches!(e, EdgeError::Disconnected { .. }), "{e}");
    assert!(e.to_string().contains("next request reconnects"), "{e}");

    // While it is down: a connection error that says what to check.
    let down = plc.read_registers(Table::Holding, 1, 1).await.unwrap_err();
    assert!(matches!(down, EdgeError::Connect { .. }), "{down}");
    assert!(
        down.to_string().contains("check the address and port"),
        "{down}"
    );

    let _back = PyServer::start_on(port, "socket").await;
    assert_eq!(
        plc.read_registers(Table::Holding, 2, 1).await.unwrap(),
        vec![14]
    );
    let bifrost_edge::Transport::Tcp(tcp) = plc.transport().as_ref() else {
        unreachable!()
    };
    assert_eq!(
        tcp.stats()
            .connects
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pymodbus_client_against_the_bifrost_simulator() {
    let file = TagFile::load(data("plant.toml")).unwrap();
    let sim = Arc::new(Simulator::from_tag_file(&file).unwrap());
    let handle = sim.bind("127.0.0.1:0").await.unwrap();
    let out = tokio::process::Command::new(python())
        .arg(data("pymodbus_client.py"))
        .arg(handle.address().port().to_string())
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pymodbus client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("the client prints one JSON object");
    // What the tag file put there, as pymodbus reads it.
    assert_eq!(
        report["temperature_words"],
        serde_json::json!([0x41AC, 0x0000])
    ); // 21.5f32 ABCD
    assert_eq!(report["name_words"][0], serde_json::json!(0x4249)); // "BI"
    assert_eq!(report["pump_on"], serde_json::json!(true));
    assert_eq!(report["rw"], serde_json::json!([7, 8]));
    assert_eq!(report["exception_code"], serde_json::json!(2));
    assert_eq!(report["input"], serde_json::json!([0, 0]));
    // What pymodbus wrote, as the simulator holds it.
    assert_eq!(
        handle.simulator().registers(Table::Holding, 500, 3),
        vec![1, 2, 3]
    );
    assert_eq!(
        handle.simulator().bits(Table::Coil, 20, 3),
        vec![true, false, true]
    );
    assert_eq!(
        handle.simulator().registers(Table::Holding, 510, 1),
        vec![0xABCD]
    );
    handle.stop().await;
    let _ = SimulatorSpec::default();
}

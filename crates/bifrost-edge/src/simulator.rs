//! A Modbus TCP server that simulates a device: all four tables (65,536 items each), initial
//! values from a tag file, optional latency and injected faults. `bifrost edge simulate` runs
//! it; the tests and benchmarks use it as a peer.
//!
//! Faults are rules in the tag file's `[simulator]` table:
//!
//! ```toml
//! [simulator]
//! latency_ms = 2            # before every answer
//! pipelining = true         # answer requests of one connection concurrently (default)
//!
//! [[simulator.fault]]
//! kind = "exception"        # exception | timeout | garbled | wrong_transaction_id | delay
//! table = "holding"         # optional: only requests touching this table…
//! address = 1000            # …and this range (default: every address)
//! count = 100
//! code = 2                  # exception code (default 2, illegal data address)
//! every = 3                 # optional: only every 3rd matching request
//! delay_ms = 500            # for kind = "delay"
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::{BufMut, BytesMut};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::error::{EdgeError, Result};
use crate::frame::{
    ExceptionCode, Request, Response, Table, decode_tcp_frame, encode_exception, encode_tcp_frame,
};
use crate::tags::{Raw, TagFile};

/// What a fault does to a matching request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with an exception (`code`, default 2).
    Exception,
    /// Never answer.
    Timeout,
    /// Answer with bytes that are not Modbus TCP.
    Garbled,
    /// Answer correctly but under another transaction id.
    WrongTransactionId,
    /// Answer after `delay_ms`.
    Delay,
}

fn default_true() -> bool {
    true
}

/// One fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    pub kind: FaultKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

impl Fault {
    /// A fault of `kind` on every request.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            kind,
            table: None,
            address: None,
            count: None,
            code: None,
            every: None,
            delay_ms: None,
        }
    }

    /// Restricts the fault to `count` items of `table` from `address`.
    pub fn on(mut self, table: Table, address: u16, count: u32) -> Fault {
        self.table = Some(table);
        self.address = Some(address);
        self.count = Some(count);
        self
    }

    fn range(&self) -> (u32, u32) {
        match self.address {
            Some(a) => (a as u32, a as u32 + self.count.unwrap_or(1)),
            None => (0, 0x1_0000),
        }
    }

    fn matches(&self, touched: &[(Table, u32, u32)]) -> bool {
        let (start, end) = self.range();
        touched
            .iter()
            .any(|(t, s, e)| self.table.is_none_or(|ft| ft == *t) && *s < end && *e > start)
    }
}

/// The simulator's settings (the `[simulator]` table of a tag file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorSpec {
    /// Delay before every answer, in milliseconds.
    #[serde(default)]
    pub latency_ms: u64,
    /// Whether requests of one connection are answered concurrently (as a pipelining device).
    #[serde(default = "default_true")]
    pub pipelining: bool,
    /// Fault rules, checked in order; the first that matches applies.
    #[serde(default, rename = "fault")]
    pub faults: Vec<Fault>,
}

impl Default for SimulatorSpec {
    fn default() -> Self {
        SimulatorSpec {
            latency_ms: 0,
            pipelining: true,
            faults: Vec::new(),
        }
    }
}

impl SimulatorSpec {
    /// Checks the fault rules.
    pub fn validate(&self) -> Result<(), String> {
        for (i, f) in self.faults.iter().enumerate() {
            let n = i + 1;
            if f.count == Some(0) || f.range().1 > 0x1_0000 {
                return Err(format!(
                    "simulator fault {n}: address + count must stay within 0..=65535, count ≥ 1"
                ));
            }
            if f.every == Some(0) {
                return Err(format!("simulator fault {n}: `every` must be at least 1"));
            }
            if f.code.is_some() && f.kind != FaultKind::Exception {
                return Err(format!(
                    "simulator fault {n}: `code` is for kind = \"exception\""
                ));
            }
            if f.kind == FaultKind::Delay && f.delay_ms.is_none() {
                return Err(format!(
                    "simulator fault {n}: kind = \"delay\" needs delay_ms"
                ));
            }
        }
        Ok(())
    }
}

/// The four tables.
#[derive(Debug)]
struct Store {
    coils: Vec<bool>,
    discrete: Vec<bool>,
    holding: Vec<u16>,
    input: Vec<u16>,
}

/// Copies `values` into `table` from `address`, dropping what runs past the end.
fn put<T: Copy>(table: &mut [T], address: u16, values: &[T]) {
    let end = (address as usize + values.len()).min(table.len());
    table[address as usize..end].copy_from_slice(&values[..end - address as usize]);
}

/// Up to `count` items of `table` from `address`.
fn get<T: Copy>(table: &[T], address: u16, count: usize) -> Vec<T> {
    table[address as usize..(address as usize + count).min(table.len())].to_vec()
}

/// What a matching fault decided.
enum Action {
    Answer,
    Exception(ExceptionCode),
    Silence,
    Garble,
    WrongId,
    Delay(Duration),
}

/// Counters, for tests and `simulate`'s summary.
#[derive(Debug, Default)]
pub struct SimulatorStats {
    /// Requests received (well-formed or not).
    pub requests: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Requests received but not yet answered, now.
    pub pending: AtomicU64,
    /// The most requests ever pending at once (above 1: clients pipelined).
    pub peak_pending: AtomicU64,
}

/// A simulated Modbus device.
#[derive(Debug)]
pub struct Simulator {
    store: RwLock<Store>,
    spec: SimulatorSpec,
    fault_hits: Vec<AtomicU64>,
    stats: SimulatorStats,
}

impl Simulator {
    /// A device whose tables are all zero.
    pub fn new(spec: SimulatorSpec) -> Simulator {
        let fault_hits = spec.faults.iter().map(|_| AtomicU64::new(0)).collect();
        Simulator {
            store: RwLock::new(Store {
                coils: vec![false; 0x1_0000],
                discrete: vec![false; 0x1_0000],
                holding: vec![0; 0x1_0000],
                input: vec![0; 0x1_0000],
            }),
            spec,
            fault_hits,
            stats: SimulatorStats::default(),
        }
    }

    /// A device serving a tag file's initial values and its `[simulator]` settings.
    pub fn from_tag_file(file: &TagFile) -> Result<Simulator> {
        let sim = Simulator::new(file.simulator.clone());
        for tag in &file.tags {
            if let Some(v) = &tag.value {
                match tag.encode(v)? {
                    Raw::Bits(b) => sim.set_bits(tag.table, tag.address, &b),
                    Raw::Registers(w) => sim.set_registers(tag.table, tag.address, &w),
                }
            }
        }
        Ok(sim)
    }

    /// The counters.
    pub fn stats(&self) -> &SimulatorStats {
        &self.stats
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Sets registers of the holding or input table (values past 65535 are dropped).
    pub fn set_registers(&self, table: Table, address: u16, values: &[u16]) {
        let mut s = self.write();
        let words = if table == Table::Input {
            &mut s.input
        } else {
            &mut s.holding
        };
        put(words, address, values);
    }

    /// Sets coils or discrete inputs (values past 65535 are dropped).
    pub fn set_bits(&self, table: Table, address: u16, values: &[bool]) {
        let mut s = self.write();
        let bits = if table == Table::Discrete {
            &mut s.discrete
        } else {
            &mut s.coils
        };
        put(bits, address, values);
    }

    /// Reads registers of the holding or input table.
    pub fn registers(&self, table: Table, address: u16, count: usize) -> Vec<u16> {
        let s = self.read();
        get(
            if table == Table::Input {
                &s.input
            } else {
                &s.holding
            },
            address,
            count,
        )
    }

    /// Reads coils or discrete inputs.
    pub fn bits(&self, table: Table, address: u16, count: usize) -> Vec<bool> {
        let s = self.read();
        get(
            if table == Table::Discrete {
                &s.discrete
            } else {
                &s.coils
            },
            address,
            count,
        )
    }

    /// Answers one request from the tables (no faults, no latency).
    pub fn handle(&self, request: &Request) -> Result<Response, ExceptionCode> {
        request
            .validate()
            .map_err(|_| ExceptionCode::ILLEGAL_DATA_VALUE)?;
        let range = |a: u16, n: usize| a as usize..a as usize + n;
        Ok(match request {
            Request::ReadCoils { address, count } => {
                Response::Bits(self.read().coils[range(*address, *count as usize)].to_vec())
            }
            Request::ReadDiscreteInputs { address, count } => {
                Response::Bits(self.read().discrete[range(*address, *count as usize)].to_vec())
            }
            Request::ReadHoldingRegisters { address, count } => {
                Response::Registers(self.read().holding[range(*address, *count as usize)].to_vec())
            }
            Request::ReadInputRegisters { address, count } => {
                Response::Registers(self.read().input[range(*address, *count as usize)].to_vec())
            }
            Request::WriteSingleCoil { address, value } => {
                self.write().coils[*address as usize] = *value;
                Response::WriteSingle {
                    address: *address,
                    value: if *value { 0xFF00 } else { 0 },
                }
            }
            Request::WriteSingleRegister { address, value } => {
                self.write().holding[*address as usize] = *value;
                Response::WriteSingle {
                    address: *address,
                    value: *value,
                }
            }
            Request::WriteMultipleCoils { address, values } => {
                self.write().coils[range(*address, values.len())].copy_from_slice(values);
                Response::WriteMultiple {
                    address: *address,
                    quantity: values.len() as u16,
                }
            }
            Request::WriteMultipleRegisters { address, values } => {
                self.write().holding[range(*address, values.len())].copy_from_slice(values);
                Response::WriteMultiple {
                    address: *address,
                    quantity: values.len() as u16,
                }
            }
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_count,
                write_address,
                values,
            } => {
                let mut s = self.write();
                s.holding[range(*write_address, values.len())].copy_from_slice(values);
                Response::Registers(s.holding[range(*read_address, *read_count as usize)].to_vec())
            }
        })
    }

    fn touched(request: &Request) -> Vec<(Table, u32, u32)> {
        let r = |t, a: u16, n: usize| (t, a as u32, a as u32 + n as u32);
        match request {
            Request::ReadCoils { address, count } => {
                vec![r(Table::Coil, *address, *count as usize)]
            }
            Request::ReadDiscreteInputs { address, count } => {
                vec![r(Table::Discrete, *address, *count as usize)]
            }
            Request::ReadHoldingRegisters { address, count } => {
                vec![r(Table::Holding, *address, *count as usize)]
            }
            Request::ReadInputRegisters { address, count } => {
                vec![r(Table::Input, *address, *count as usize)]
            }
            Request::WriteSingleCoil { address, .. } => vec![r(Table::Coil, *address, 1)],
            Request::WriteSingleRegister { address, .. } => vec![r(Table::Holding, *address, 1)],
            Request::WriteMultipleCoils { address, values } => {
                vec![r(Table::Coil, *address, values.len())]
            }
            Request::WriteMultipleRegisters { address, values } => {
                vec![r(Table::Holding, *address, values.len())]
            }
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_count,
                write_address,
                values,
            } => vec![
                r(Table::Holding, *read_address, *read_count as usize),
                r(Table::Holding, *write_address, values.len()),
            ],
        }
    }

    fn action(&self, request: &Request) -> Action {
        let touched = Self::touched(request);
        for (fault, hits) in self.spec.faults.iter().zip(&self.fault_hits) {
            if !fault.matches(&touched) {
                continue;
            }
            let n = hits.fetch_add(1, Ordering::Relaxed) + 1;
            if fault.every.is_some_and(|every| n % every as u64 != 0) {
                continue;
            }
            return match fault.kind {
                FaultKind::Exception => Action::Exception(ExceptionCode(fault.code.unwrap_or(2))),
                FaultKind::Timeout => Action::Silence,
                FaultKind::Garbled => Action::Garble,
                FaultKind::WrongTransactionId => Action::WrongId,
                FaultKind::Delay => {
                    Action::Delay(Duration::from_millis(fault.delay_ms.unwrap_or(0)))
                }
            };
        }
        Action::Answer
    }

    /// The answer frame to one request frame (None: stay silent), and how long to wait first.
    fn respond(&self, id: u16, unit: u8, pdu: &[u8]) -> (Option<BytesMut>, Duration) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut delay = Duration::from_millis(self.spec.latency_ms);
        let mut out = BytesMut::with_capacity(260);
        let function = crate::frame::FunctionCode(pdu.first().copied().unwrap_or(0));
        let request = match Request::decode(pdu) {
            Ok(r) => r,
            Err(code) => {
                encode_tcp_frame(&mut out, id, unit, |b| encode_exception(function, code, b));
                return (Some(out), delay);
            }
        };
        let mut answer_id = id;
        match self.action(&request) {
            Action::Silence => return (None, delay),
            Action::Garble => {
                out.put_slice(&[0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x03, 0xFF, 0x83, 0x02]);
                return (Some(out), delay);
            }
            Action::Exception(code) => {
                encode_tcp_frame(&mut out, id, unit, |b| encode_exception(function, code, b));
                return (Some(out), delay);
            }
            Action::WrongId => answer_id = id.wrapping_add(0x5555),
            Action::Delay(d) => delay += d,
            Action::Answer => {}
        }
        match self.handle(&request) {
            Ok(response) => {
                encode_tcp_frame(&mut out, answer_id, unit, |b| response.encode(function, b))
            }
            Err(code) => encode_tcp_frame(&mut out, answer_id, unit, |b| {
                encode_exception(function, code, b)
            }),
        }
        (Some(out), delay)
    }

    /// Serves on `listen` (e.g. `127.0.0.1:5020`, port 0 for any free port) in the background.
    pub async fn bind(self: Arc<Self>, listen: &str) -> Result<SimulatorHandle> {
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| EdgeError::Io {
                context: format!("cannot listen on {listen} (in use? try another --listen port)"),
                source,
            })?;
        let address = listener.local_addr().map_err(|source| EdgeError::Io {
            context: "local address".into(),
            source,
        })?;
        let sim = self.clone();
        let task = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let _ = stream.set_nodelay(true);
                        sim.stats.connections.fetch_add(1, Ordering::Relaxed);
                        connections.spawn(sim.clone().serve_connection(stream));
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Ok(SimulatorHandle {
            address,
            simulator: self,
            task,
        })
    }

    async fn serve_connection(self: Arc<Self>, stream: TcpStream) {
        let (mut reader, mut writer) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<BytesMut>();
        let write_task = tokio::spawn(async move {
            let mut batch = BytesMut::new();
            while let Some(frame) = rx.recv().await {
                batch.extend_from_slice(&frame);
                while let Ok(more) = rx.try_recv() {
                    batch.extend_from_slice(&more);
                }
                if writer.write_all(&batch).await.is_err() {
                    break;
                }
                batch.clear();
            }
        });
        let mut delayed = JoinSet::new();
        let mut buf = BytesMut::with_capacity(4096);
        'conn: loop {
            loop {
                match decode_tcp_frame(&mut buf) {
                    Ok(Some(frame)) => {
                        let (answer, delay) =
                            self.respond(frame.transaction_id, frame.unit_id, &frame.pdu);
                        let Some(answer) = answer else { continue };
                        if delay.is_zero() {
                            let _ = tx.send(answer);
                        } else if self.spec.pipelining {
                            let tx = tx.clone();
                            let sim = self.clone();
                            let now = sim.stats.pending.fetch_add(1, Ordering::Relaxed) + 1;
                            sim.stats.peak_pending.fetch_max(now, Ordering::Relaxed);
                            delayed.spawn(async move {
                                tokio::time::sleep(delay).await;
                                sim.stats.pending.fetch_sub(1, Ordering::Relaxed);
                                let _ = tx.send(answer);
                            });
                        } else {
                            tokio::time::sleep(delay).await;
                            let _ = tx.send(answer);
                        }
                    }
                    Ok(None) => break,
                    // Not Modbus TCP: a device would drop the connection.
                    Err(_) => break 'conn,
                }
            }
            while delayed.try_join_next().is_some() {}
            match reader.read_buf(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        drop(tx);
        // Answers still being delayed go out before the writer stops.
        while delayed.join_next().await.is_some() {}
        let _ = write_task.await;
    }
}

/// A running simulator; dropping the handle keeps it running, [`SimulatorHandle::stop`] ends it
/// (closing every connection, as a device that loses power).
#[derive(Debug)]
pub struct SimulatorHandle {
    address: SocketAddr,
    simulator: Arc<Simulator>,
    task: tokio::task::JoinHandle<()>,
}

impl SimulatorHandle {
    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The simulated device (to set or inspect values).
    pub fn simulator(&self) -> &Arc<Simulator> {
        &self.simulator
    }

    /// Stops listening and closes every connection.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Waits until the server ends (it ends only when stopped or aborted).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

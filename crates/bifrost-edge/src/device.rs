//! A device: a transport (TCP or RTU), a unit id and the read planner that remembers what the
//! device refuses. Reads of any length and of many tags go through the planner; independent
//! requests are sent together so a pipelining TCP connection carries them at once.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex as SyncMutex};

use futures::future::join_all;

use crate::error::{EdgeError, Result};
use crate::frame::{ExceptionCode, MAX_WRITE_BITS, MAX_WRITE_REGISTERS, Request, Response, Table};
use crate::planner::{PlannedRead, ReadPlanner, Span};
use crate::rtu::{RtuClient, RtuLink};
use crate::tags::{Raw, Tag, Value};
use crate::tcp::{ClientConfig, TcpClient};

/// Default Modbus unit id (many TCP devices ignore it; gateways route by it).
pub const DEFAULT_UNIT: u8 = 1;

/// Where a device is and how to talk to it, parsed from text:
/// `HOST[:PORT]`, `tcp://HOST[:PORT][?unit=N&pipeline=N]`, `rtu+tcp://HOST:PORT[?unit=N]` or
/// `rtu:///dev/ttyUSB0[?baud=9600&unit=N]`. TCP's default port is 502, the default unit 1,
/// the default baud rate 9600. `pipeline=N` lets N requests be in flight on the connection at
/// once: only for devices that answer every frame of a burst (Bifrost's simulator does;
/// pymodbus 3.16 drops all but the first frame of a TCP segment), so the default is 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceAddress {
    Tcp {
        address: String,
        unit: u8,
        pipeline: usize,
    },
    Rtu {
        link: RtuLink,
        unit: u8,
    },
}

impl DeviceAddress {
    /// The unit id.
    pub fn unit(&self) -> u8 {
        match self {
            DeviceAddress::Tcp { unit, .. } | DeviceAddress::Rtu { unit, .. } => *unit,
        }
    }

    /// The transport's identity: devices with the same key share one connection.
    pub fn transport_key(&self) -> String {
        match self {
            DeviceAddress::Tcp { address, .. } => format!("tcp://{address}"),
            DeviceAddress::Rtu { link, .. } => link.to_string(),
        }
    }

    /// Opens (lazily) a transport for this address.
    /// A `pipeline` in the address overrides `config.max_in_flight`.
    pub fn transport(&self, mut config: ClientConfig) -> Transport {
        match self {
            DeviceAddress::Tcp {
                address, pipeline, ..
            } => {
                if *pipeline > 0 {
                    config.max_in_flight = *pipeline;
                }
                Transport::Tcp(TcpClient::new(address.clone(), config))
            }
            DeviceAddress::Rtu { link, .. } => Transport::Rtu(RtuClient::new(link.clone(), config)),
        }
    }
}

impl FromStr for DeviceAddress {
    type Err = EdgeError;
    fn from_str(text: &str) -> Result<Self> {
        let bad = || EdgeError::BadDeviceAddress(text.to_string());
        let (scheme, rest) = match text.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("tcp".to_string(), text),
        };
        let (location, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut unit = DEFAULT_UNIT;
        let mut baud = 9600u32;
        let mut pipeline = 0usize;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').ok_or_else(bad)?;
            match k {
                "unit" | "slave" | "device_id" => unit = v.parse().map_err(|_| bad())?,
                "baud" => baud = v.parse().map_err(|_| bad())?,
                "pipeline" => {
                    pipeline = v.parse().map_err(|_| bad())?;
                    if !(1..=256).contains(&pipeline) {
                        return Err(bad());
                    }
                }
                _ => return Err(bad()),
            }
        }
        let host_port = |loc: &str| -> Result<String> {
            if loc.is_empty() || loc.contains('/') {
                return Err(bad());
            }
            // A bare host (or [v6]) gets the Modbus port.
            let has_port = match loc.rsplit_once(':') {
                Some((host, port)) => {
                    !host.is_empty()
                        && port.parse::<u16>().is_ok()
                        && (!host.contains(':') || host.ends_with(']'))
                }
                None => false,
            };
            if has_port {
                Ok(loc.to_string())
            } else if loc.contains(':') && !loc.starts_with('[') {
                Err(bad())
            } else {
                Ok(format!("{loc}:502"))
            }
        };
        match scheme.as_str() {
            "tcp" | "modbus" => Ok(DeviceAddress::Tcp {
                address: host_port(location)?,
                unit,
                pipeline,
            }),
            "rtu+tcp" => Ok(DeviceAddress::Rtu {
                link: RtuLink::Tcp {
                    address: host_port(location)?,
                },
                unit,
            }),
            "rtu" if location.starts_with('/') => Ok(DeviceAddress::Rtu {
                link: RtuLink::Serial {
                    path: location.to_string(),
                    baud,
                },
                unit,
            }),
            _ => Err(bad()),
        }
    }
}

/// A TCP or RTU client.
#[derive(Debug)]
pub enum Transport {
    Tcp(TcpClient),
    Rtu(RtuClient),
}

impl Transport {
    /// Sends one request to `unit`.
    pub async fn call(&self, unit: u8, request: &Request) -> Result<Response> {
        match self {
            Transport::Tcp(c) => c.call(unit, request).await,
            Transport::Rtu(c) => c.call(unit, request).await,
        }
    }

    /// The address, as text.
    pub fn address(&self) -> String {
        match self {
            Transport::Tcp(c) => c.address().to_string(),
            Transport::Rtu(c) => c.address(),
        }
    }
}

/// One tag's reading: the engineering value and the raw words or bits it came from.
#[derive(Debug, Clone)]
pub struct TagReading {
    /// The tag's name.
    pub name: String,
    /// The value and raw form, or why the tag could not be read.
    pub result: Result<(Value, Raw)>,
}

/// A block of items read from one table.
#[derive(Debug, Clone)]
enum Block {
    Words(Vec<u16>),
    Bits(Vec<bool>),
}

/// What reading a set of spans produced: blocks by (table, start), or errors by the same.
#[derive(Debug, Default)]
struct Readout {
    blocks: BTreeMap<(Table, u32), Result<Block>>,
}

impl Readout {
    /// The items `[address, address + count)` of `table`, gathered across blocks.
    fn gather(&self, span: Span) -> Result<Block> {
        let (table, start, end) = (span.table, span.address as u32, span.end());
        let mut words = Vec::new();
        let mut bits = Vec::new();
        let mut at = start;
        for ((t, s), result) in self
            .blocks
            .range((table, 0)..=(table, end.saturating_sub(1)))
        {
            debug_assert_eq!(*t, table);
            // Failed blocks were handled by the caller (`read_tags` checks them first).
            let Ok(block) = result else { continue };
            let len = match block {
                Block::Words(w) => w.len() as u32,
                Block::Bits(b) => b.len() as u32,
            };
            if s + len <= at || *s > at {
                continue;
            }
            let from = (at - s) as usize;
            let to = (end.min(s + len) - s) as usize;
            match block {
                Block::Words(w) => words.extend_from_slice(&w[from..to]),
                Block::Bits(b) => bits.extend_from_slice(&b[from..to]),
            }
            at = s + to as u32;
            if at >= end {
                break;
            }
        }
        if at < end {
            return Err(EdgeError::Protocol(format!(
                "{table} {at}: not read (planner gap)"
            )));
        }
        Ok(if table.is_bits() {
            Block::Bits(bits)
        } else {
            Block::Words(words)
        })
    }
}

/// A device behind a transport: unit id plus what the planner learned about it.
#[derive(Debug, Clone)]
pub struct Device {
    transport: Arc<Transport>,
    unit: u8,
    planner: Arc<SyncMutex<ReadPlanner>>,
}

impl Device {
    /// A device at `address` with its own connection (opened on the first request).
    pub fn new(address: &DeviceAddress, config: ClientConfig) -> Device {
        Device::with_transport(Arc::new(address.transport(config)), address.unit())
    }

    /// Parses `address` (see [`DeviceAddress`]) and makes a device for it.
    pub fn open(address: &str, config: ClientConfig) -> Result<Device> {
        Ok(Device::new(&address.parse()?, config))
    }

    /// A device behind an existing transport (shared with other unit ids).
    pub fn with_transport(transport: Arc<Transport>, unit: u8) -> Device {
        Device {
            transport,
            unit,
            planner: Arc::new(SyncMutex::new(ReadPlanner::default())),
        }
    }

    /// The transport.
    pub fn transport(&self) -> &Arc<Transport> {
        &self.transport
    }

    /// The unit id.
    pub fn unit(&self) -> u8 {
        self.unit
    }

    /// A copy of the planner (its settings and the gaps learned).
    pub fn planner(&self) -> ReadPlanner {
        self.planner.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Changes the planner's gap settings.
    pub fn set_max_gaps(&self, registers: u16, bits: u16) {
        if let Ok(mut p) = self.planner.lock() {
            p.max_register_gap = registers;
            p.max_bit_gap = bits;
        }
    }

    /// Sends one request as it is.
    pub async fn call(&self, request: &Request) -> Result<Response> {
        self.transport.call(self.unit, request).await
    }

    fn check_range(table: Table, address: u16, count: usize) -> Result<()> {
        if count == 0 || address as usize + count > 0x1_0000 {
            return Err(EdgeError::InvalidRequest(format!(
                "{table} {address}, count {count}: the count must be at least 1 and the range end at 65535"
            )));
        }
        Ok(())
    }

    /// Reads `count` registers of a register table from `address`, any count: split into
    /// requests of at most 125 registers, sent together.
    pub async fn read_registers(
        &self,
        table: Table,
        address: u16,
        count: usize,
    ) -> Result<Vec<u16>> {
        if table.is_bits() {
            return Err(EdgeError::InvalidRequest(format!(
                "{table} holds bits: use read_bits"
            )));
        }
        Self::check_range(table, address, count)?;
        let span = Span {
            table,
            address,
            count: 0,
        };
        match self.read_range(span, count).await? {
            Block::Words(w) => Ok(w),
            Block::Bits(_) => unreachable!("register table"),
        }
    }

    /// Reads `count` coils or discrete inputs from `address`, any count.
    pub async fn read_bits(&self, table: Table, address: u16, count: usize) -> Result<Vec<bool>> {
        if !table.is_bits() {
            return Err(EdgeError::InvalidRequest(format!(
                "{table} holds registers: use read_registers"
            )));
        }
        Self::check_range(table, address, count)?;
        match self
            .read_range(
                Span {
                    table,
                    address,
                    count: 0,
                },
                count,
            )
            .await?
        {
            Block::Bits(b) => Ok(b),
            Block::Words(_) => unreachable!("bit table"),
        }
    }

    async fn read_range(&self, at: Span, count: usize) -> Result<Block> {
        let limit = at.table.max_read() as usize;
        let pieces: Vec<Span> = (0..count)
            .step_by(limit)
            .map(|off| Span {
                table: at.table,
                address: (at.address as usize + off) as u16,
                count: (count - off).min(limit) as u16,
            })
            .collect();
        let answers = join_all(pieces.iter().map(|p| self.read_span(*p))).await;
        let mut words = Vec::new();
        let mut bits = Vec::new();
        for answer in answers {
            match answer? {
                Block::Words(w) => words.extend(w),
                Block::Bits(b) => bits.extend(b),
            }
        }
        Ok(if at.table.is_bits() {
            Block::Bits(bits)
        } else {
            Block::Words(words)
        })
    }

    async fn read_span(&self, span: Span) -> Result<Block> {
        let request = span.table.read_request(span.address, span.count);
        match self.call(&request).await? {
            Response::Registers(w) if w.len() == span.count as usize => Ok(Block::Words(w)),
            Response::Bits(b) if b.len() == span.count as usize => Ok(Block::Bits(b)),
            other => Err(EdgeError::Protocol(format!(
                "unexpected answer to a read: {other:?}"
            ))),
        }
    }

    /// Reads one planned request; if it bridged gaps and the device refused it as an illegal
    /// address, reads the wanted parts alone and, if they succeed, learns the gaps.
    async fn read_planned(&self, planned: &PlannedRead) -> Vec<(Span, Result<Block>)> {
        match self.read_span(planned.span).await {
            Ok(block) => vec![(planned.span, Ok(block))],
            Err(e)
                if planned.bridges_gaps()
                    && e.exception_code() == Some(ExceptionCode::ILLEGAL_DATA_ADDRESS) =>
            {
                let parts = join_all(planned.wanted.iter().map(|w| self.read_span(*w))).await;
                if parts.iter().all(Result::is_ok)
                    && let Ok(mut planner) = self.planner.lock()
                {
                    for gap in planned.gaps() {
                        tracing::debug!(?gap, "device refuses a gap; not bridging it again");
                        planner.learn_bad_gap(gap);
                    }
                }
                planned.wanted.iter().copied().zip(parts).collect()
            }
            Err(e) => vec![(planned.span, Err(e))],
        }
    }

    async fn read_spans(&self, wanted: &[Span]) -> (Readout, BTreeMap<(Table, u32), u32>) {
        let plan = self
            .planner
            .lock()
            .map(|p| p.plan(wanted))
            .unwrap_or_default();
        let results = join_all(plan.iter().map(|p| self.read_planned(p))).await;
        let mut readout = Readout::default();
        let mut failed = BTreeMap::new();
        for (span, result) in results.into_iter().flatten() {
            if result.is_err() {
                failed.insert((span.table, span.address as u32), span.end());
            }
            readout
                .blocks
                .insert((span.table, span.address as u32), result);
        }
        (readout, failed)
    }

    /// Reads tags (of this device) with as few requests as the planner allows. Each tag gets its
    /// own result: one refused address fails only the tags that need it.
    pub async fn read_tags(&self, tags: &[Tag]) -> Vec<TagReading> {
        let spans: Vec<Span> = tags
            .iter()
            .map(|t| Span {
                table: t.table,
                address: t.address,
                count: t.width(),
            })
            .collect();
        let (readout, failed) = self.read_spans(&spans).await;
        tags.iter()
            .zip(spans)
            .map(|(tag, span)| {
                let failure = failed.iter().find(|((t, s), e)| {
                    *t == span.table && *s < span.end() && **e > span.address as u32
                });
                let result = match failure {
                    Some((key, _)) => Err(readout.blocks[key]
                        .as_ref()
                        .err()
                        .cloned()
                        .unwrap_or_else(|| EdgeError::Protocol("read failed".into()))),
                    None => readout.gather(span).and_then(|block| match block {
                        Block::Bits(b) => Ok((tag.decode_bit(b[0]), Raw::Bits(b))),
                        Block::Words(w) => Ok((tag.decode(&w)?, Raw::Registers(w))),
                    }),
                };
                TagReading {
                    name: tag.name.clone(),
                    result,
                }
            })
            .collect()
    }

    /// Writes registers from `address`, any count (split into FC 16 requests of at most 123).
    pub async fn write_registers(&self, address: u16, values: &[u16]) -> Result<()> {
        Self::check_range(Table::Holding, address, values.len())?;
        self.write_chunked(address, values, MAX_WRITE_REGISTERS, |address, values| {
            Request::WriteMultipleRegisters { address, values }
        })
        .await
    }

    /// Writes coils from `address`, any count (split into FC 15 requests of at most 1968).
    pub async fn write_coils(&self, address: u16, values: &[bool]) -> Result<()> {
        Self::check_range(Table::Coil, address, values.len())?;
        self.write_chunked(address, values, MAX_WRITE_BITS, |address, values| {
            Request::WriteMultipleCoils { address, values }
        })
        .await
    }

    /// Sends `values` from `address` as requests of at most `max` items, all at once.
    async fn write_chunked<T: Clone>(
        &self,
        address: u16,
        values: &[T],
        max: u16,
        request: impl Fn(u16, Vec<T>) -> Request,
    ) -> Result<()> {
        let requests: Vec<Request> = values
            .chunks(max as usize)
            .enumerate()
            .map(|(i, chunk)| request(address + (i * max as usize) as u16, chunk.to_vec()))
            .collect();
        for answer in join_all(requests.iter().map(|r| self.call(r))).await {
            answer?;
        }
        Ok(())
    }

    /// Writes one register (FC 06).
    pub async fn write_register(&self, address: u16, value: u16) -> Result<()> {
        self.call(&Request::WriteSingleRegister { address, value })
            .await
            .map(|_| ())
    }

    /// Writes one coil (FC 05).
    pub async fn write_coil(&self, address: u16, value: bool) -> Result<()> {
        self.call(&Request::WriteSingleCoil { address, value })
            .await
            .map(|_| ())
    }

    /// Writes registers and reads registers in one request (FC 23; the write happens first).
    pub async fn read_write_registers(
        &self,
        read_address: u16,
        read_count: u16,
        write_address: u16,
        values: &[u16],
    ) -> Result<Vec<u16>> {
        let request = Request::ReadWriteMultipleRegisters {
            read_address,
            read_count,
            write_address,
            values: values.to_vec(),
        };
        match self.call(&request).await? {
            Response::Registers(w) => Ok(w),
            other => Err(EdgeError::Protocol(format!(
                "unexpected answer to FC 23: {other:?}"
            ))),
        }
    }

    /// Writes a tag's engineering value: FC 05/06 for one coil or register, FC 15/16 otherwise.
    pub async fn write_tag(&self, tag: &Tag, value: &Value) -> Result<Raw> {
        if !tag.table.is_writable() {
            return Err(EdgeError::TagValue {
                tag: tag.name.clone(),
                message: format!(
                    "{} tables are read-only; only coil and holding tags can be written",
                    tag.table
                ),
            });
        }
        let raw = tag.encode(value)?;
        match &raw {
            Raw::Bits(b) => self.write_coil(tag.address, b[0]).await?,
            Raw::Registers(w) if w.len() == 1 => self.write_register(tag.address, w[0]).await?,
            Raw::Registers(w) => self.write_registers(tag.address, w).await?,
        }
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse() {
        let p = |s: &str| s.parse::<DeviceAddress>();
        assert_eq!(
            p("127.0.0.1:5020").unwrap(),
            DeviceAddress::Tcp {
                address: "127.0.0.1:5020".into(),
                unit: 1,
                pipeline: 0
            }
        );
        assert_eq!(
            p("plc.local").unwrap(),
            DeviceAddress::Tcp {
                address: "plc.local:502".into(),
                unit: 1,
                pipeline: 0
            }
        );
        assert_eq!(
            p("tcp://[::1]:1502?unit=7&pipeline=8").unwrap(),
            DeviceAddress::Tcp {
                address: "[::1]:1502".into(),
                unit: 7,
                pipeline: 8
            }
        );
        assert_eq!(
            p("rtu:///dev/ttyUSB0?baud=19200&unit=3").unwrap(),
            DeviceAddress::Rtu {
                link: RtuLink::Serial {
                    path: "/dev/ttyUSB0".into(),
                    baud: 19200
                },
                unit: 3
            }
        );
        assert_eq!(
            p("rtu+tcp://gw:4001").unwrap(),
            DeviceAddress::Rtu {
                link: RtuLink::Tcp {
                    address: "gw:4001".into()
                },
                unit: 1
            }
        );
        for bad in [
            "",
            "udp://x:1",
            "x:1?unit=300",
            "x:1?pipeline=0",
            "x:1?colour=red",
            "rtu://ttyUSB0",
            "::1:502",
            "tcp://a/b",
        ] {
            let e = p(bad).unwrap_err().to_string();
            assert!(e.contains("HOST:PORT"), "{bad}: {e}");
        }
    }
}

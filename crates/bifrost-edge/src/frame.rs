//! The Modbus wire format: request and response PDUs (function codes 01–06, 15, 16, 23) and the
//! Modbus TCP (MBAP) framing around them. Used by the pipelined TCP client and by the simulator.
//!
//! Decoding never panics and never trusts a length field: every count is checked against the
//! bytes present and against the spec limits (fuzzed by `fuzz/fuzz_targets/modbus_frame.rs`).

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{EdgeError, Result};

/// Most registers one read may ask for (FC 03, 04, 23).
pub const MAX_READ_REGISTERS: u16 = 125;
/// Most coils or discrete inputs one read may ask for (FC 01, 02).
pub const MAX_READ_BITS: u16 = 2000;
/// Most registers one FC 16 write may carry.
pub const MAX_WRITE_REGISTERS: u16 = 123;
/// Most coils one FC 15 write may carry.
pub const MAX_WRITE_BITS: u16 = 1968;
/// Most registers the write part of FC 23 may carry.
pub const MAX_RW_WRITE_REGISTERS: u16 = 121;
/// Length of the MBAP header (transaction id, protocol id, length, unit id).
pub const MBAP_HEADER_LEN: usize = 7;
/// Largest PDU the spec allows (function code + 252 bytes).
pub const MAX_PDU_LEN: usize = 253;

/// A Modbus function code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FunctionCode(pub u8);

impl FunctionCode {
    pub const READ_COILS: Self = Self(0x01);
    pub const READ_DISCRETE_INPUTS: Self = Self(0x02);
    pub const READ_HOLDING_REGISTERS: Self = Self(0x03);
    pub const READ_INPUT_REGISTERS: Self = Self(0x04);
    pub const WRITE_SINGLE_COIL: Self = Self(0x05);
    pub const WRITE_SINGLE_REGISTER: Self = Self(0x06);
    pub const WRITE_MULTIPLE_COILS: Self = Self(0x0F);
    pub const WRITE_MULTIPLE_REGISTERS: Self = Self(0x10);
    pub const READ_WRITE_MULTIPLE_REGISTERS: Self = Self(0x17);
}

impl fmt::Display for FunctionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}", self.0)
    }
}

/// A Modbus exception code (the byte after `function | 0x80`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExceptionCode(pub u8);

impl ExceptionCode {
    pub const ILLEGAL_FUNCTION: Self = Self(0x01);
    pub const ILLEGAL_DATA_ADDRESS: Self = Self(0x02);
    pub const ILLEGAL_DATA_VALUE: Self = Self(0x03);
    pub const SERVER_DEVICE_FAILURE: Self = Self(0x04);
    pub const ACKNOWLEDGE: Self = Self(0x05);
    pub const SERVER_DEVICE_BUSY: Self = Self(0x06);
    pub const GATEWAY_PATH_UNAVAILABLE: Self = Self(0x0A);
    pub const GATEWAY_TARGET_FAILED: Self = Self(0x0B);

    /// The name the spec gives the code.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x01 => "illegal function",
            0x02 => "illegal data address",
            0x03 => "illegal data value",
            0x04 => "server device failure",
            0x05 => "acknowledge",
            0x06 => "server device busy",
            0x08 => "memory parity error",
            0x0A => "gateway path unavailable",
            0x0B => "gateway target device failed to respond",
            _ => "unknown exception",
        }
    }

    /// What a user can do about it, as a suffix of an error message.
    pub fn hint(self) -> &'static str {
        match self.0 {
            0x01 => "; the device does not support this function",
            0x02 => "; the device has no such address: check the tag's table and address",
            0x03 => "; the device refuses the value or count",
            0x06 => "; the device is busy: retry later",
            0x0A | 0x0B => "; check the gateway and the unit id",
            _ => "",
        }
    }
}

/// One of the four Modbus data tables.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    /// Read/write bits (FC 01, 05, 15).
    #[serde(alias = "coils")]
    Coil,
    /// Read-only bits (FC 02).
    #[serde(alias = "discrete_input", alias = "discrete_inputs")]
    Discrete,
    /// Read/write registers (FC 03, 06, 16, 23).
    #[serde(alias = "holding_register", alias = "holding_registers")]
    Holding,
    /// Read-only registers (FC 04).
    #[serde(alias = "input_register", alias = "input_registers")]
    Input,
}

impl Table {
    /// Coils and discrete inputs hold bits; the other two hold 16-bit registers.
    pub fn is_bits(self) -> bool {
        matches!(self, Table::Coil | Table::Discrete)
    }

    /// Whether a client may write it.
    pub fn is_writable(self) -> bool {
        matches!(self, Table::Coil | Table::Holding)
    }

    /// The most items one read request may ask for.
    pub fn max_read(self) -> u16 {
        if self.is_bits() {
            MAX_READ_BITS
        } else {
            MAX_READ_REGISTERS
        }
    }

    /// The name used in tag files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Table::Coil => "coil",
            Table::Discrete => "discrete",
            Table::Holding => "holding",
            Table::Input => "input",
        }
    }

    /// A read request of this table.
    pub fn read_request(self, address: u16, count: u16) -> Request {
        match self {
            Table::Coil => Request::ReadCoils { address, count },
            Table::Discrete => Request::ReadDiscreteInputs { address, count },
            Table::Holding => Request::ReadHoldingRegisters { address, count },
            Table::Input => Request::ReadInputRegisters { address, count },
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Table {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "coil" | "coils" | "co" | "c" => Ok(Table::Coil),
            "discrete" | "discrete_input" | "discrete_inputs" | "di" | "d" => Ok(Table::Discrete),
            "holding" | "holding_register" | "holding_registers" | "hr" | "h" => Ok(Table::Holding),
            "input" | "input_register" | "input_registers" | "ir" | "i" => Ok(Table::Input),
            _ => Err(format!(
                "unknown table {s:?}: use coil (co), discrete (di), holding (hr) or input (ir)"
            )),
        }
    }
}

/// A request PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    ReadCoils {
        address: u16,
        count: u16,
    },
    ReadDiscreteInputs {
        address: u16,
        count: u16,
    },
    ReadHoldingRegisters {
        address: u16,
        count: u16,
    },
    ReadInputRegisters {
        address: u16,
        count: u16,
    },
    WriteSingleCoil {
        address: u16,
        value: bool,
    },
    WriteSingleRegister {
        address: u16,
        value: u16,
    },
    WriteMultipleCoils {
        address: u16,
        values: Vec<bool>,
    },
    WriteMultipleRegisters {
        address: u16,
        values: Vec<u16>,
    },
    ReadWriteMultipleRegisters {
        read_address: u16,
        read_count: u16,
        write_address: u16,
        values: Vec<u16>,
    },
}

/// A normal (non-exception) response PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// FC 01, 02: the bits asked for (padding bits of the last byte dropped).
    Bits(Vec<bool>),
    /// FC 03, 04, 23: the registers asked for.
    Registers(Vec<u16>),
    /// FC 05, 06: the echo of address and value (a coil echoes 0xFF00 or 0x0000).
    WriteSingle { address: u16, value: u16 },
    /// FC 15, 16: the echo of address and quantity written.
    WriteMultiple { address: u16, quantity: u16 },
}

fn check_range(address: u16, count: u16, max: u16, what: &str) -> Result<(), String> {
    if count == 0 || count > max {
        return Err(format!("{what}: count {count} is outside 1..={max}"));
    }
    if address as u32 + count as u32 > 0x1_0000 {
        return Err(format!(
            "{what}: address {address} + count {count} runs past the last address 65535"
        ));
    }
    Ok(())
}

impl Request {
    /// The function code of this request.
    pub fn function(&self) -> FunctionCode {
        match self {
            Request::ReadCoils { .. } => FunctionCode::READ_COILS,
            Request::ReadDiscreteInputs { .. } => FunctionCode::READ_DISCRETE_INPUTS,
            Request::ReadHoldingRegisters { .. } => FunctionCode::READ_HOLDING_REGISTERS,
            Request::ReadInputRegisters { .. } => FunctionCode::READ_INPUT_REGISTERS,
            Request::WriteSingleCoil { .. } => FunctionCode::WRITE_SINGLE_COIL,
            Request::WriteSingleRegister { .. } => FunctionCode::WRITE_SINGLE_REGISTER,
            Request::WriteMultipleCoils { .. } => FunctionCode::WRITE_MULTIPLE_COILS,
            Request::WriteMultipleRegisters { .. } => FunctionCode::WRITE_MULTIPLE_REGISTERS,
            Request::ReadWriteMultipleRegisters { .. } => {
                FunctionCode::READ_WRITE_MULTIPLE_REGISTERS
            }
        }
    }

    /// Whether repeating the request is harmless.
    pub fn is_read(&self) -> bool {
        matches!(
            self,
            Request::ReadCoils { .. }
                | Request::ReadDiscreteInputs { .. }
                | Request::ReadHoldingRegisters { .. }
                | Request::ReadInputRegisters { .. }
        )
    }

    /// Checks counts and address ranges against the spec limits.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            Request::ReadCoils { address, count } => {
                check_range(*address, *count, MAX_READ_BITS, "read coils")
            }
            Request::ReadDiscreteInputs { address, count } => {
                check_range(*address, *count, MAX_READ_BITS, "read discrete inputs")
            }
            Request::ReadHoldingRegisters { address, count } => check_range(
                *address,
                *count,
                MAX_READ_REGISTERS,
                "read holding registers",
            ),
            Request::ReadInputRegisters { address, count } => {
                check_range(*address, *count, MAX_READ_REGISTERS, "read input registers")
            }
            Request::WriteSingleCoil { .. } | Request::WriteSingleRegister { .. } => Ok(()),
            Request::WriteMultipleCoils { address, values } => check_range(
                *address,
                u16::try_from(values.len()).unwrap_or(u16::MAX),
                MAX_WRITE_BITS,
                "write multiple coils",
            ),
            Request::WriteMultipleRegisters { address, values } => check_range(
                *address,
                u16::try_from(values.len()).unwrap_or(u16::MAX),
                MAX_WRITE_REGISTERS,
                "write multiple registers",
            ),
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_count,
                write_address,
                values,
            } => {
                check_range(
                    *read_address,
                    *read_count,
                    MAX_READ_REGISTERS,
                    "read/write (read part)",
                )?;
                check_range(
                    *write_address,
                    u16::try_from(values.len()).unwrap_or(u16::MAX),
                    MAX_RW_WRITE_REGISTERS,
                    "read/write (write part)",
                )
            }
        }
    }

    /// Appends the PDU (function code first) to `buf`.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.put_u8(self.function().0);
        match self {
            Request::ReadCoils { address, count }
            | Request::ReadDiscreteInputs { address, count }
            | Request::ReadHoldingRegisters { address, count }
            | Request::ReadInputRegisters { address, count } => {
                buf.put_u16(*address);
                buf.put_u16(*count);
            }
            Request::WriteSingleCoil { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(if *value { 0xFF00 } else { 0 });
            }
            Request::WriteSingleRegister { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(*value);
            }
            Request::WriteMultipleCoils { address, values } => {
                buf.put_u16(*address);
                buf.put_u16(values.len() as u16);
                put_bits(buf, values);
            }
            Request::WriteMultipleRegisters { address, values } => {
                buf.put_u16(*address);
                buf.put_u16(values.len() as u16);
                put_registers(buf, values);
            }
            Request::ReadWriteMultipleRegisters {
                read_address,
                read_count,
                write_address,
                values,
            } => {
                buf.put_u16(*read_address);
                buf.put_u16(*read_count);
                buf.put_u16(*write_address);
                buf.put_u16(values.len() as u16);
                put_registers(buf, values);
            }
        }
    }

    /// Parses a request PDU (server side). An unknown function is `Err(ILLEGAL_FUNCTION)`, a
    /// malformed or out-of-limit one `Err(ILLEGAL_DATA_VALUE)`, as a device would answer.
    pub fn decode(pdu: &[u8]) -> Result<Request, ExceptionCode> {
        let bad = ExceptionCode::ILLEGAL_DATA_VALUE;
        let (&function, mut body) = pdu.split_first().ok_or(bad)?;
        let mut word = || -> Result<u16, ExceptionCode> {
            if body.len() < 2 {
                return Err(bad);
            }
            let w = u16::from_be_bytes([body[0], body[1]]);
            body = &body[2..];
            Ok(w)
        };
        let request = match FunctionCode(function) {
            FunctionCode::READ_COILS => Request::ReadCoils {
                address: word()?,
                count: word()?,
            },
            FunctionCode::READ_DISCRETE_INPUTS => Request::ReadDiscreteInputs {
                address: word()?,
                count: word()?,
            },
            FunctionCode::READ_HOLDING_REGISTERS => Request::ReadHoldingRegisters {
                address: word()?,
                count: word()?,
            },
            FunctionCode::READ_INPUT_REGISTERS => Request::ReadInputRegisters {
                address: word()?,
                count: word()?,
            },
            FunctionCode::WRITE_SINGLE_COIL => {
                let address = word()?;
                let value = match word()? {
                    0xFF00 => true,
                    0x0000 => false,
                    _ => return Err(bad),
                };
                Request::WriteSingleCoil { address, value }
            }
            FunctionCode::WRITE_SINGLE_REGISTER => Request::WriteSingleRegister {
                address: word()?,
                value: word()?,
            },
            FunctionCode::WRITE_MULTIPLE_COILS => {
                let address = word()?;
                let count = word()?;
                let bytes = take_byte_counted(&mut body, bit_bytes(count))?;
                Request::WriteMultipleCoils {
                    address,
                    values: get_bits(bytes, count),
                }
            }
            FunctionCode::WRITE_MULTIPLE_REGISTERS => {
                let address = word()?;
                let count = word()?;
                let bytes = take_byte_counted(&mut body, count as usize * 2)?;
                Request::WriteMultipleRegisters {
                    address,
                    values: get_registers(bytes),
                }
            }
            FunctionCode::READ_WRITE_MULTIPLE_REGISTERS => {
                let read_address = word()?;
                let read_count = word()?;
                let write_address = word()?;
                let count = word()?;
                let bytes = take_byte_counted(&mut body, count as usize * 2)?;
                Request::ReadWriteMultipleRegisters {
                    read_address,
                    read_count,
                    write_address,
                    values: get_registers(bytes),
                }
            }
            _ => return Err(ExceptionCode::ILLEGAL_FUNCTION),
        };
        if !body.is_empty() {
            return Err(bad);
        }
        request.validate().map_err(|_| bad)?;
        Ok(request)
    }
}

/// Takes a byte-count-prefixed block of exactly `expected` bytes.
fn take_byte_counted<'a>(body: &mut &'a [u8], expected: usize) -> Result<&'a [u8], ExceptionCode> {
    let bad = ExceptionCode::ILLEGAL_DATA_VALUE;
    let (&n, rest) = body.split_first().ok_or(bad)?;
    if n as usize != expected || rest.len() < expected {
        return Err(bad);
    }
    let (block, rest) = rest.split_at(expected);
    *body = rest;
    Ok(block)
}

fn bit_bytes(count: u16) -> usize {
    (count as usize).div_ceil(8)
}

fn put_bits(buf: &mut BytesMut, bits: &[bool]) {
    buf.put_u8(bits.len().div_ceil(8) as u8);
    for chunk in bits.chunks(8) {
        let byte = chunk
            .iter()
            .enumerate()
            .fold(0u8, |b, (i, &on)| b | (u8::from(on) << i));
        buf.put_u8(byte);
    }
}

fn get_bits(bytes: &[u8], count: u16) -> Vec<bool> {
    (0..count as usize)
        .map(|i| bytes[i / 8] & (1 << (i % 8)) != 0)
        .collect()
}

fn put_registers(buf: &mut BytesMut, values: &[u16]) {
    buf.put_u8((values.len() * 2) as u8);
    for v in values {
        buf.put_u16(*v);
    }
}

fn get_registers(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|w| u16::from_be_bytes([w[0], w[1]]))
        .collect()
}

impl Response {
    /// Appends the response PDU for `function` to `buf` (server side).
    pub fn encode(&self, function: FunctionCode, buf: &mut BytesMut) {
        buf.put_u8(function.0);
        match self {
            Response::Bits(bits) => put_bits(buf, bits),
            Response::Registers(values) => put_registers(buf, values),
            Response::WriteSingle { address, value } => {
                buf.put_u16(*address);
                buf.put_u16(*value);
            }
            Response::WriteMultiple { address, quantity } => {
                buf.put_u16(*address);
                buf.put_u16(*quantity);
            }
        }
    }

    /// Parses the response PDU to `request`: an exception response becomes
    /// [`EdgeError::Exception`]; anything that does not answer `request` exactly (other function,
    /// wrong byte count, wrong echo) is [`EdgeError::Protocol`].
    pub fn decode(request: &Request, pdu: &[u8]) -> Result<Response> {
        let function = request.function();
        let protocol = |what: String| EdgeError::Protocol(format!("function {function}: {what}"));
        let (&fc, body) = pdu
            .split_first()
            .ok_or_else(|| protocol("empty response".into()))?;
        if fc == function.0 | 0x80 {
            let &[code] = body else {
                return Err(protocol(format!(
                    "exception response of {} bytes",
                    pdu.len()
                )));
            };
            return Err(EdgeError::Exception {
                function,
                code: ExceptionCode(code),
            });
        }
        if fc != function.0 {
            return Err(protocol(format!("answer carries function {:02}", fc)));
        }
        let counted = |expected: usize| -> Result<&[u8]> {
            match body.split_first() {
                Some((&n, rest)) if n as usize == expected && rest.len() == expected => Ok(rest),
                _ => Err(protocol(format!(
                    "expected {expected} data bytes, got a {}-byte body",
                    body.len()
                ))),
            }
        };
        let echo = || -> Result<(u16, u16)> {
            match body {
                &[a, b, c, d] => Ok((u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]))),
                _ => Err(protocol(format!(
                    "expected a 4-byte echo, got {} bytes",
                    body.len()
                ))),
            }
        };
        match request {
            Request::ReadCoils { count, .. } | Request::ReadDiscreteInputs { count, .. } => Ok(
                Response::Bits(get_bits(counted(bit_bytes(*count))?, *count)),
            ),
            Request::ReadHoldingRegisters { count, .. }
            | Request::ReadInputRegisters { count, .. }
            | Request::ReadWriteMultipleRegisters {
                read_count: count, ..
            } => Ok(Response::Registers(get_registers(counted(
                *count as usize * 2,
            )?))),
            Request::WriteSingleCoil { address, value } => {
                let expected = (*address, if *value { 0xFF00 } else { 0 });
                let got = echo()?;
                if got != expected {
                    return Err(protocol(format!(
                        "echo {got:?} differs from request {expected:?}"
                    )));
                }
                Ok(Response::WriteSingle {
                    address: got.0,
                    value: got.1,
                })
            }
            Request::WriteSingleRegister { address, value } => {
                let got = echo()?;
                if got != (*address, *value) {
                    return Err(protocol(format!("echo {got:?} differs from the request")));
                }
                Ok(Response::WriteSingle {
                    address: got.0,
                    value: got.1,
                })
            }
            Request::WriteMultipleCoils { address, values } => {
                check_write_echo(echo()?, *address, values.len(), protocol)
            }
            Request::WriteMultipleRegisters { address, values } => {
                check_write_echo(echo()?, *address, values.len(), protocol)
            }
        }
    }
}

fn check_write_echo(
    got: (u16, u16),
    address: u16,
    len: usize,
    protocol: impl Fn(String) -> EdgeError,
) -> Result<Response> {
    if got != (address, len as u16) {
        return Err(protocol(format!("echo {got:?} differs from the request")));
    }
    Ok(Response::WriteMultiple {
        address: got.0,
        quantity: got.1,
    })
}

/// Encodes an exception response PDU.
pub fn encode_exception(function: FunctionCode, code: ExceptionCode, buf: &mut BytesMut) {
    buf.put_u8(function.0 | 0x80);
    buf.put_u8(code.0);
}

/// One Modbus TCP frame: the MBAP header's transaction and unit ids and the PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpFrame {
    pub transaction_id: u16,
    pub unit_id: u8,
    pub pdu: Bytes,
}

/// Appends a complete MBAP frame: header, then the PDU written by `write_pdu`.
pub fn encode_tcp_frame(
    buf: &mut BytesMut,
    transaction_id: u16,
    unit_id: u8,
    write_pdu: impl FnOnce(&mut BytesMut),
) {
    let start = buf.len();
    buf.put_u16(transaction_id);
    buf.put_u16(0); // protocol id: Modbus
    buf.put_u16(0); // length, patched below
    buf.put_u8(unit_id);
    write_pdu(buf);
    let len = (buf.len() - start - 6) as u16;
    buf[start + 4..start + 6].copy_from_slice(&len.to_be_bytes());
}

/// Takes one complete MBAP frame off the front of `buf`: `Ok(None)` while more bytes are needed,
/// `Err` when the header cannot be Modbus TCP (the stream is then out of step and must be closed).
pub fn decode_tcp_frame(buf: &mut BytesMut) -> Result<Option<TcpFrame>> {
    if buf.len() < MBAP_HEADER_LEN {
        return Ok(None);
    }
    let protocol = u16::from_be_bytes([buf[2], buf[3]]);
    let len = u16::from_be_bytes([buf[4], buf[5]]) as usize;
    if protocol != 0 {
        return Err(EdgeError::Protocol(format!(
            "MBAP protocol id {protocol} (Modbus is 0): the peer does not speak Modbus TCP"
        )));
    }
    if !(2..=MAX_PDU_LEN + 1).contains(&len) {
        return Err(EdgeError::Protocol(format!(
            "MBAP length {len} is outside 2..={}",
            MAX_PDU_LEN + 1
        )));
    }
    if buf.len() < 6 + len {
        buf.reserve(6 + len - buf.len());
        return Ok(None);
    }
    let mut frame = buf.split_to(6 + len);
    let transaction_id = frame.get_u16();
    frame.advance(4);
    let unit_id = frame.get_u8();
    Ok(Some(TcpFrame {
        transaction_id,
        unit_id,
        pdu: frame.freeze(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pdu(request: &Request) -> BytesMut {
        let mut b = BytesMut::new();
        request.encode(&mut b);
        b
    }

    #[test]
    fn known_bytes() {
        // Spec examples (Modbus Application Protocol v1.1b3, section 6).
        let r = Request::ReadHoldingRegisters {
            address: 0x6B,
            count: 3,
        };
        assert_eq!(&pdu(&r)[..], &[0x03, 0x00, 0x6B, 0x00, 0x03]);
        let answer = [0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64];
        assert_eq!(
            Response::decode(&r, &answer).unwrap(),
            Response::Registers(vec![0x022B, 0, 0x64])
        );
        let c = Request::ReadCoils {
            address: 0x13,
            count: 19,
        };
        let answer = [0x01, 0x03, 0xCD, 0x6B, 0x05];
        let Response::Bits(bits) = Response::decode(&c, &answer).unwrap() else {
            panic!()
        };
        assert_eq!(bits.len(), 19);
        assert!(bits[0] && !bits[1] && bits[2] && bits[3] && !bits[4]);
        let w = Request::WriteMultipleCoils {
            address: 0x13,
            values: vec![
                true, false, true, true, false, false, true, true, true, false,
            ],
        };
        assert_eq!(
            &pdu(&w)[..],
            &[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01]
        );
    }

    #[test]
    fn exception_and_mismatch() {
        let r = Request::ReadInputRegisters {
            address: 8,
            count: 1,
        };
        let e = Response::decode(&r, &[0x84, 0x02]).unwrap_err();
        assert_eq!(
            e.exception_code(),
            Some(ExceptionCode::ILLEGAL_DATA_ADDRESS)
        );
        assert!(e.to_string().contains("illegal data address"), "{e}");
        assert!(matches!(
            Response::decode(&r, &[0x03, 0x02, 0, 0]),
            Err(EdgeError::Protocol(_))
        ));
        assert!(matches!(
            Response::decode(&r, &[0x04, 0x04, 0, 0]),
            Err(EdgeError::Protocol(_))
        ));
        assert!(matches!(
            Response::decode(&r, &[]),
            Err(EdgeError::Protocol(_))
        ));
    }

    #[test]
    fn limits() {
        assert!(
            Request::ReadHoldingRegisters {
                address: 0,
                count: 126
            }
            .validate()
            .is_err()
        );
        assert!(
            Request::ReadHoldingRegisters {
                address: 0,
                count: 0
            }
            .validate()
            .is_err()
        );
        assert!(
            Request::ReadHoldingRegisters {
                address: 65535,
                count: 2
            }
            .validate()
            .is_err()
        );
        assert!(
            Request::ReadHoldingRegisters {
                address: 65535,
                count: 1
            }
            .validate()
            .is_ok()
        );
        assert!(
            Request::ReadCoils {
                address: 0,
                count: 2000
            }
            .validate()
            .is_ok()
        );
        assert!(
            Request::ReadCoils {
                address: 0,
                count: 2001
            }
            .validate()
            .is_err()
        );
        let mut b = BytesMut::new();
        Request::ReadHoldingRegisters {
            address: 0,
            count: 126,
        }
        .encode(&mut b);
        assert_eq!(Request::decode(&b), Err(ExceptionCode::ILLEGAL_DATA_VALUE));
        assert_eq!(
            Request::decode(&[0x2B, 0, 0]),
            Err(ExceptionCode::ILLEGAL_FUNCTION)
        );
    }

    #[test]
    fn tcp_framing_waits_and_rejects() {
        let mut buf = BytesMut::new();
        encode_tcp_frame(&mut buf, 7, 1, |b| {
            Request::ReadHoldingRegisters {
                address: 1,
                count: 2,
            }
            .encode(b)
        });
        assert_eq!(&buf[..7], &[0, 7, 0, 0, 0, 6, 1]);
        let full = buf.clone();
        let mut partial = BytesMut::from(&full[..9]);
        assert_eq!(decode_tcp_frame(&mut partial).unwrap(), None);
        partial.extend_from_slice(&full[9..]);
        partial.extend_from_slice(&full[..3]);
        let f = decode_tcp_frame(&mut partial).unwrap().unwrap();
        assert_eq!((f.transaction_id, f.unit_id, f.pdu.len()), (7, 1, 5));
        assert_eq!(partial.len(), 3, "the next frame's bytes stay");
        let mut garbled = BytesMut::from(&[0u8, 1, 0x12, 0x34, 0, 6, 1, 3][..]);
        assert!(decode_tcp_frame(&mut garbled).is_err());
        let mut too_long = BytesMut::from(&[0u8, 1, 0, 0, 0x10, 0, 1, 3][..]);
        assert!(decode_tcp_frame(&mut too_long).is_err());
    }

    fn any_request() -> impl Strategy<Value = Request> {
        let addr = any::<u16>();
        prop_oneof![
            (addr, 1..=MAX_READ_BITS).prop_map(|(a, c)| Request::ReadCoils {
                address: a,
                count: c
            }),
            (addr, 1..=MAX_READ_BITS).prop_map(|(a, c)| Request::ReadDiscreteInputs {
                address: a,
                count: c
            }),
            (addr, 1..=MAX_READ_REGISTERS).prop_map(|(a, c)| Request::ReadHoldingRegisters {
                address: a,
                count: c
            }),
            (addr, 1..=MAX_READ_REGISTERS).prop_map(|(a, c)| Request::ReadInputRegisters {
                address: a,
                count: c
            }),
            (addr, any::<bool>()).prop_map(|(a, v)| Request::WriteSingleCoil {
                address: a,
                value: v
            }),
            (addr, any::<u16>()).prop_map(|(a, v)| Request::WriteSingleRegister {
                address: a,
                value: v
            }),
            (
                addr,
                prop::collection::vec(any::<bool>(), 1..=MAX_WRITE_BITS as usize)
            )
                .prop_map(|(a, v)| Request::WriteMultipleCoils {
                    address: a,
                    values: v
                }),
            (
                addr,
                prop::collection::vec(any::<u16>(), 1..=MAX_WRITE_REGISTERS as usize)
            )
                .prop_map(|(a, v)| Request::WriteMultipleRegisters {
                    address: a,
                    values: v
                }),
            (
                addr,
                1..=MAX_READ_REGISTERS,
                addr,
                prop::collection::vec(any::<u16>(), 1..=MAX_RW_WRITE_REGISTERS as usize)
            )
                .prop_map(|(ra, rc, wa, v)| Request::ReadWriteMultipleRegisters {
                    read_address: ra,
                    read_count: rc,
                    write_address: wa,
                    values: v
                }),
        ]
    }

    proptest! {
        #[test]
        fn requests_round_trip(request in any_request()) {
            let encoded = pdu(&request);
            prop_assert!(encoded.len() <= MAX_PDU_LEN);
            match request.validate() {
                Ok(()) => prop_assert_eq!(Request::decode(&encoded), Ok(request)),
                Err(_) => prop_assert_eq!(Request::decode(&encoded), Err(ExceptionCode::ILLEGAL_DATA_VALUE)),
            }
        }

        #[test]
        fn register_responses_round_trip(values in prop::collection::vec(any::<u16>(), 1..=125usize)) {
            let request = Request::ReadHoldingRegisters { address: 0, count: values.len() as u16 };
            let mut b = BytesMut::new();
            Response::Registers(values.clone()).encode(request.function(), &mut b);
            prop_assert_eq!(Response::decode(&request, &b).unwrap(), Response::Registers(values));
        }

        #[test]
        fn bit_responses_round_trip(values in prop::collection::vec(any::<bool>(), 1..=2000usize)) {
            let request = Request::ReadCoils { address: 0, count: values.len() as u16 };
            let mut b = BytesMut::new();
            Response::Bits(values.clone()).encode(request.function(), &mut b);
            prop_assert_eq!(Response::decode(&request, &b).unwrap(), Response::Bits(values));
        }

        /// The fuzz target's property, run in CI: arbitrary bytes never panic the decoders, and
        /// whatever the frame decoder accepts has a consistent header.
        #[test]
        fn decoders_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), request in any_request()) {
            crate::fuzzing::decode_everything(&bytes, &request);
        }
    }
}

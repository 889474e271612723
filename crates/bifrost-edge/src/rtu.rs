//! Modbus RTU (serial line framing, CRC-16) through tokio-modbus, which serves here: a serial
//! line is half duplex, so one request at a time is all a bus allows and tokio-modbus's
//! one-call-at-a-time client costs nothing. The same client speaks RTU over a TCP socket
//! (serial-to-Ethernet gateways, `rtu+tcp://`), which is also how the tests meet pymodbus.

use std::borrow::Cow;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio_modbus::client::{Client as _, Context};
use tokio_modbus::slave::{Slave, SlaveContext as _};

use crate::error::{EdgeError, Result};
use crate::frame::{ExceptionCode, Request, Response};
use crate::tcp::ClientConfig;

/// Where an RTU client's byte stream comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtuLink {
    /// A serial port and its baud rate (8N1).
    Serial { path: String, baud: u32 },
    /// A TCP socket carrying RTU frames (a serial gateway).
    Tcp { address: String },
}

impl std::fmt::Display for RtuLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RtuLink::Serial { path, baud } => write!(f, "rtu://{path}?baud={baud}"),
            RtuLink::Tcp { address } => write!(f, "rtu+tcp://{address}"),
        }
    }
}

/// A Modbus RTU client; opens its link on the first request and again after a failure.
pub struct RtuClient {
    link: RtuLink,
    config: ClientConfig,
    context: Mutex<Option<Context>>,
}

impl std::fmt::Debug for RtuClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RtuClient")
            .field("link", &self.link)
            .finish_non_exhaustive()
    }
}

impl RtuClient {
    /// A client for `link`.
    pub fn new(link: RtuLink, config: ClientConfig) -> RtuClient {
        RtuClient {
            link,
            config,
            context: Mutex::new(None),
        }
    }

    /// The link, as text.
    pub fn address(&self) -> String {
        self.link.to_string()
    }

    async fn open(&self) -> Result<Context> {
        let device = self.address();
        match &self.link {
            RtuLink::Serial { path, baud } => {
                let builder = tokio_serial::new(path, *baud);
                let port =
                    tokio_serial::SerialStream::open(&builder).map_err(|e| EdgeError::Serial {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                Ok(tokio_modbus::client::rtu::attach(port))
            }
            RtuLink::Tcp { address } => {
                let stream = tokio::time::timeout(
                    self.config.timeout,
                    tokio::net::TcpStream::connect(address),
                )
                .await
                .map_err(|_| EdgeError::Timeout {
                    device: device.clone(),
                    timeout: self.config.timeout,
                })?
                .map_err(|source| EdgeError::Connect { device, source })?;
                let _ = stream.set_nodelay(true);
                Ok(tokio_modbus::client::rtu::attach(stream))
            }
        }
    }

    /// Sends one request to `unit` and waits for the answer.
    pub async fn call(&self, unit: u8, request: &Request) -> Result<Response> {
        request.validate().map_err(EdgeError::InvalidRequest)?;
        let timeout: Duration = self.config.timeout;
        let device = self.address();
        let mut guard = self.context.lock().await;
        if guard.is_none() {
            *guard = Some(self.open().await?);
        }
        let Some(ctx) = guard.as_mut() else {
            unreachable!("opened above")
        };
        ctx.set_slave(Slave(unit));
        let answer = tokio::time::timeout(timeout, ctx.call(to_tokio(request))).await;
        match answer {
            Ok(Ok(Ok(response))) => from_tokio(request, response),
            Ok(Ok(Err(code))) => Err(EdgeError::Exception {
                function: request.function(),
                code: ExceptionCode(u8::from(code)),
            }),
            Ok(Err(e)) => {
                // The byte stream may be out of step: reopen it next time.
                *guard = None;
                Err(match e {
                    tokio_modbus::Error::Transport(io) => EdgeError::Disconnected {
                        device,
                        reason: io.to_string(),
                    },
                    tokio_modbus::Error::Protocol(p) => EdgeError::Protocol(p.to_string()),
                })
            }
            Err(_) => {
                *guard = None;
                Err(EdgeError::Timeout { device, timeout })
            }
        }
    }
}

fn to_tokio(request: &Request) -> tokio_modbus::Request<'_> {
    use tokio_modbus::Request as T;
    match request {
        Request::ReadCoils { address, count } => T::ReadCoils(*address, *count),
        Request::ReadDiscreteInputs { address, count } => T::ReadDiscreteInputs(*address, *count),
        Request::ReadHoldingRegisters { address, count } => {
            T::ReadHoldingRegisters(*address, *count)
        }
        Request::ReadInputRegisters { address, count } => T::ReadInputRegisters(*address, *count),
        Request::WriteSingleCoil { address, value } => T::WriteSingleCoil(*address, *value),
        Request::WriteSingleRegister { address, value } => T::WriteSingleRegister(*address, *value),
        Request::WriteMultipleCoils { address, values } => {
            T::WriteMultipleCoils(*address, Cow::Borrowed(values))
        }
        Request::WriteMultipleRegisters { address, values } => {
            T::WriteMultipleRegisters(*address, Cow::Borrowed(values))
        }
        Request::ReadWriteMultipleRegisters {
            read_address,
            read_count,
            write_address,
            values,
        } => T::ReadWriteMultipleRegisters(
            *read_address,
            *read_count,
            *write_address,
            Cow::Borrowed(values),
        ),
    }
}

fn from_tokio(request: &Request, response: tokio_modbus::Response) -> Result<Response> {
    use tokio_modbus::Response as T;
    let mismatch = |r: &T| {
        EdgeError::Protocol(format!(
            "function {}: unexpected answer {r:?}",
            request.function()
        ))
    };
    Ok(match (request, response) {
        (Request::ReadCoils { count, .. }, T::ReadCoils(mut bits))
        | (Request::ReadDiscreteInputs { count, .. }, T::ReadDiscreteInputs(mut bits)) => {
            bits.truncate(*count as usize);
            Response::Bits(bits)
        }
        (_, T::ReadHoldingRegisters(words))
        | (_, T::ReadInputRegisters(words))
        | (_, T::ReadWriteMultipleRegisters(words)) => Response::Registers(words),
        (_, T::WriteSingleCoil(address, on)) => Response::WriteSingle {
            address,
            value: if on { 0xFF00 } else { 0 },
        },
        (_, T::WriteSingleRegister(address, value)) => Response::WriteSingle { address, value },
        (_, T::WriteMultipleCoils(address, quantity))
        | (_, T::WriteMultipleRegisters(address, quantity)) => {
            Response::WriteMultiple { address, quantity }
        }
        (_, other) => return Err(mismatch(&other)),
    })
}

//! Bifrost's edge bridge: talks to PLCs and field devices over Modbus TCP and RTU.
//!
//! - [`frame`]: the Modbus PDU and MBAP codec (all common function codes, spec limits).
//! - [`TcpClient`]: pipelined Modbus TCP (several requests in flight, matched by transaction
//!   id), per-request timeouts, reconnection with exponential backoff and jitter.
//! - [`RtuClient`]: Modbus RTU over a serial port (or any byte stream) through tokio-modbus.
//! - [`Device`]: a client plus unit id and a [`ReadPlanner`]; reads any range or set of tags,
//!   split at the spec limits, merged across small gaps, learning gaps the device refuses.
//! - [`tags`]: TOML tag files and value conversion for every type and byte order.
//! - [`Pool`]: one shared connection per device for programs that talk to many.
//! - [`simulator`]: a Modbus TCP server with configurable values, latency and faults.
//!
//! Depends on no other Bifrost crate, and none of the hub's crates depends on it: the CLI
//! (`bifrost edge`) and the Python package (`bifrost.plc`) use it directly.

pub mod device;
pub mod error;
pub mod frame;
#[doc(hidden)]
pub mod fuzzing;
pub mod planner;
pub mod pool;
pub mod rtu;
pub mod simulator;
pub mod tags;
pub mod tcp;

pub use device::{Device, DeviceAddress, TagReading, Transport};
pub use error::{EdgeError, Result};
pub use frame::{ExceptionCode, FunctionCode, Request, Response, Table};
pub use planner::{ReadPlanner, Span};
pub use pool::Pool;
pub use rtu::RtuClient;
pub use simulator::{Simulator, SimulatorHandle, SimulatorSpec};
pub use tags::{
    ByteOrder, DataType, MAX_SETTINGS_FILE, Raw, Tag, TagFile, Value, read_settings_file,
};
pub use tcp::{ClientConfig, TcpClient};

//! A pool of devices for programs that talk to many: one connection per transport (a TCP
//! host:port or a serial line), shared by every unit id behind it and by every caller, made on
//! first use. With pipelining, one connection per device is all the concurrency a device needs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::device::{Device, DeviceAddress};
use crate::error::Result;
use crate::tcp::ClientConfig;

/// Devices by address, sharing connections.
#[derive(Debug, Default)]
pub struct Pool {
    config: ClientConfig,
    devices: Mutex<HashMap<String, Device>>,
}

impl Pool {
    /// An empty pool whose connections use `config`.
    pub fn new(config: ClientConfig) -> Pool {
        Pool {
            config,
            devices: Mutex::new(HashMap::new()),
        }
    }

    /// The device at `address` (see [`DeviceAddress`]), made on first use. Devices with the same
    /// transport share its connection; each (transport, unit) keeps its own learned gaps.
    pub fn device(&self, address: &str) -> Result<Device> {
        let parsed: DeviceAddress = address.parse()?;
        let key = format!("{}#{}", parsed.transport_key(), parsed.unit());
        let mut devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = devices.get(&key) {
            return Ok(d.clone());
        }
        let transport = devices
            .iter()
            .find(|(k, _)| {
                k.rsplit_once('#').map(|(t, _)| t) == Some(parsed.transport_key().as_str())
            })
            .map(|(_, d)| d.transport().clone())
            .unwrap_or_else(|| Arc::new(parsed.transport(self.config.clone())));
        let device = Device::with_transport(transport, parsed.unit());
        devices.insert(key, device.clone());
        Ok(device)
    }

    /// How many transports (connections) the pool holds.
    pub fn connections(&self) -> usize {
        let devices = self.devices.lock().unwrap_or_else(|p| p.into_inner());
        let mut seen: Vec<*const crate::device::Transport> = devices
            .values()
            .map(|d| Arc::as_ptr(d.transport()))
            .collect();
        seen.sort();
        seen.dedup();
        seen.len()
    }
}

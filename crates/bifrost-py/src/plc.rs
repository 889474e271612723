//! `bifrost.plc`'s native half: [`Connection`], a Modbus device (TCP or RTU) driven by
//! `bifrost_edge`, whose requests complete through the event loop's [`Bridge`]. Errors become the
//! exception classes of `bifrost/errors.py`, carrying the Modbus exception code where the device
//! sent one.

use crate::bridge::{Bridge, Ready};
use bifrost_edge::{ClientConfig, Device, DeviceAddress, EdgeError, Raw, TagFile, Value};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use std::time::Duration;

/// Adds the Modbus classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Connection>()?;
    Ok(())
}

/// The exception classes of `bifrost.errors`, looked up once.
struct Errors {
    modbus: Py<PyType>,
    exception: Py<PyType>,
    timeout: Py<PyType>,
    connection: Py<PyType>,
    tag: Py<PyType>,
}

static ERRORS: PyOnceLock<Errors> = PyOnceLock::new();

fn errors(py: Python<'_>) -> PyResult<&Errors> {
    ERRORS.get_or_try_init(py, || {
        let m = py.import("bifrost.errors")?;
        let class = |name: &str| -> PyResult<Py<PyType>> {
            Ok(m.getattr(name)?.cast_into::<PyType>()?.unbind())
        };
        Ok(Errors {
            modbus: class("ModbusError")?,
            exception: class("ModbusExceptionError")?,
            timeout: class("ModbusTimeoutError")?,
            connection: class("ModbusConnectionError")?,
            tag: class("TagError")?,
        })
    })
}

/// An `EdgeError` as the matching Python exception.
fn to_py(e: EdgeError) -> PyErr {
    to_py_about(e, "")
}

/// [`to_py`] with a prefix on the message (which tag failed), keeping the exception class.
fn to_py_about(e: EdgeError, prefix: &str) -> PyErr {
    Python::attach(|py| {
        let message = format!("{prefix}{e}");
        let made = errors(py).and_then(|errs| {
            let value = match &e {
                EdgeError::Exception { function, code } => {
                    errs.exception
                        .bind(py)
                        .call1((message.clone(), code.0, function.0))?
                }
                EdgeError::Timeout { .. } => errs.timeout.bind(py).call1((message.clone(),))?,
                EdgeError::Connect { .. } | EdgeError::Disconnected { .. } => {
                    errs.connection.bind(py).call1((message.clone(),))?
                }
                EdgeError::TagFile { .. } | EdgeError::TagValue { .. } => {
                    errs.tag.bind(py).call1((message.clone(),))?
                }
                _ => errs.modbus.bind(py).call1((message.clone(),))?,
            };
            Ok(PyErr::from_value(value))
        });
        made.unwrap_or_else(|lookup| lookup)
    })
}

/// A tag value on its way to Python.
struct PyValue(Value);

impl<'py> IntoPyObject<'py> for PyValue {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match self.0 {
            Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
            Value::Int(i) => i.into_pyobject(py)?.into_any(),
            Value::UInt(u) => u.into_pyobject(py)?.into_any(),
            Value::Float(x) => x.into_pyobject(py)?.into_any(),
            Value::Text(s) => s.into_pyobject(py)?.into_any(),
        })
    }
}

/// Raw words or bits on their way to Python (a list of int or of bool).
struct PyRaw(Raw);

impl<'py> IntoPyObject<'py> for PyRaw {
    type Target = PyAny;
    type Output = Bound<'py, PyAny>;
    type Error = PyErr;
    fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self.0 {
            Raw::Bits(b) => Ok(b.into_pyobject(py)?.into_any()),
            Raw::Registers(w) => Ok(w.into_pyobject(py)?.into_any()),
        }
    }
}

fn value_from_py(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    if let Ok(b) = value.cast::<pyo3::types::PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = value.extract::<i64>() {
        return Ok(Value::Int(i));
    }
    if let Ok(u) = value.extract::<u64>() {
        return Ok(Value::UInt(u));
    }
    if let Ok(x) = value.extract::<f64>() {
        return Ok(Value::Float(x));
    }
    if let Ok(s) = value.extract::<String>() {
        return Ok(Value::Text(s));
    }
    Err(PyValueError::new_err(format!(
        "a tag value is a bool, int, float or str, not {}",
        value.get_type().name()?
    )))
}

fn load_tags(
    path: &str,
    names: Option<&[String]>,
) -> Result<(TagFile, Vec<bifrost_edge::Tag>), EdgeError> {
    let file = TagFile::load(path)?;
    let tags = match names {
        None => file.tags.clone(),
        Some(names) => names
            .iter()
            .map(|n| file.tag(n).cloned())
            .collect::<Result<_, _>>()?,
    };
    Ok((file, tags))
}

/// A connection to one Modbus device (TCP or RTU); see `bifrost.plc.ModbusConnection`.
#[pyclass(frozen, module = "bifrost._bifrost")]
struct Connection {
    device: Device,
    address: String,
}

#[pymethods]
impl Connection {
    #[new]
    #[pyo3(signature = (address, *, timeout = 3.0, pipeline = 1))]
    fn new(address: &str, timeout: f64, pipeline: usize) -> PyResult<Self> {
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(PyValueError::new_err(
                "timeout must be a positive number of seconds",
            ));
        }
        if pipeline == 0 || pipeline > 256 {
            return Err(PyValueError::new_err(
                "pipeline must be 1..=256 requests in flight",
            ));
        }
        let parsed: DeviceAddress = address.parse().map_err(to_py)?;
        let config = ClientConfig {
            timeout: Duration::from_secs_f64(timeout),
            max_in_flight: pipeline,
            ..ClientConfig::default()
        };
        Ok(Connection {
            device: Device::new(&parsed, config),
            address: address.to_string(),
        })
    }

    /// The device address given.
    #[getter]
    fn address(&self) -> &str {
        &self.address
    }

    fn __repr__(&self) -> String {
        format!("Connection({:?})", self.address)
    }

    /// Connects now (requests otherwise connect on first use).
    fn connect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let transport = self.device.transport().clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            if let bifrost_edge::Transport::Tcp(tcp) = transport.as_ref() {
                tcp.connect().await.map_err(to_py)?;
            }
            Ok(())
        })
    }

    /// Closes the connection (a later request reconnects).
    fn close<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let transport = self.device.transport().clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            if let bifrost_edge::Transport::Tcp(tcp) = transport.as_ref() {
                tcp.disconnect().await;
            }
            Ok(())
        })
    }

    /// Reads `count` registers of table "holding" or "input" from `address` (any count).
    /// Like every I/O method here, returns the id its outcome will have in `bridge.drain()`.
    fn read_registers(
        &self,
        bridge: &Bridge,
        table: &str,
        address: u16,
        count: usize,
    ) -> PyResult<u64> {
        let table = parse_table(table)?;
        Ok(self.run(bridge, move |d| async move {
            d.read_registers(table, address, count).await
        }))
    }

    /// Reads `count` bits of table "coil" or "discrete" from `address` (any count).
    fn read_bits(&self, bridge: &Bridge, table: &str, address: u16, count: usize) -> PyResult<u64> {
        let table = parse_table(table)?;
        Ok(self.run(bridge, move |d| async move {
            d.read_bits(table, address, count).await
        }))
    }

    fn write_register(&self, bridge: &Bridge, address: u16, value: u16) -> u64 {
        self.run(bridge, move |d| async move {
            d.write_register(address, value).await
        })
    }

    fn write_registers(&self, bridge: &Bridge, address: u16, values: Vec<u16>) -> u64 {
        self.run(bridge, move |d| async move {
            d.write_registers(address, &values).await
        })
    }

    fn write_coil(&self, bridge: &Bridge, address: u16, value: bool) -> u64 {
        self.run(bridge, move |d| async move {
            d.write_coil(address, value).await
        })
    }

    fn write_coils(&self, bridge: &Bridge, address: u16, values: Vec<bool>) -> u64 {
        self.run(bridge, move |d| async move {
            d.write_coils(address, &values).await
        })
    }

    fn read_write_registers(
        &self,
        bridge: &Bridge,
        read_address: u16,
        read_count: u16,
        write_address: u16,
        values: Vec<u16>,
    ) -> u64 {
        self.run(bridge, move |d| async move {
            d.read_write_registers(read_address, read_count, write_address, &values)
                .await
        })
    }

    /// Reads tags of a tag file: a list of (name, value, raw, unit) in file order. The first
    /// failed tag raises (its message names the tag).
    #[pyo3(signature = (bridge, path, names = None))]
    fn read_tags(
        &self,
        bridge: &Bridge,
        path: String,
        names: Option<Vec<String>>,
    ) -> PyResult<u64> {
        let (_, tags) = load_tags(&path, names.as_deref()).map_err(to_py)?;
        let device = self.device.clone();
        Ok(bridge.spawn(async move {
            let readings = device.read_tags(&tags).await;
            Box::new(move |py: Python<'_>| {
                let mut out = Vec::with_capacity(readings.len());
                for (tag, reading) in tags.iter().zip(readings) {
                    let (value, raw) = reading
                        .result
                        .map_err(|e| to_py_about(e, &format!("tag {}: ", tag.name)))?;
                    out.push((reading.name, PyValue(value), PyRaw(raw), tag.unit.clone()));
                }
                Ok(out.into_pyobject(py)?.into_any().unbind())
            }) as Ready
        }))
    }

    /// Writes one tag's engineering value; the outcome is the raw words or bits written.
    fn write_tag(
        &self,
        bridge: &Bridge,
        path: String,
        name: String,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let value = value_from_py(value)?;
        let (_, tags) = load_tags(&path, Some(std::slice::from_ref(&name))).map_err(to_py)?;
        Ok(self.run(bridge, move |d| async move {
            d.write_tag(&tags[0], &value).await.map(PyRaw)
        }))
    }
}

impl Connection {
    /// Runs `work` on the device on tokio; its outcome is queued in `bridge` under the id
    /// returned, for the event loop to pick up.
    fn run<F, Fut, T>(&self, bridge: &Bridge, work: F) -> u64
    where
        F: FnOnce(Device) -> Fut,
        Fut: std::future::Future<Output = Result<T, EdgeError>> + Send + 'static,
        T: for<'a> IntoPyObject<'a> + Send + 'static,
    {
        let future = work(self.device.clone());
        bridge.spawn(async move {
            let outcome = future.await;
            Box::new(move |py: Python<'_>| match outcome {
                Ok(value) => value.into_py_any(py),
                Err(e) => Err(to_py(e)),
            }) as Ready
        })
    }
}

fn parse_table(table: &str) -> PyResult<bifrost_edge::Table> {
    table.parse().map_err(PyValueError::new_err)
}

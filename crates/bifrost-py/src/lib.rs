//! The native half of the `bifrost` Python package (`bifrost._bifrost`), built by maturin.
//!
//! Each part of the Python API is a cargo feature, so a build links only what its parts need:
//! - `plc` (default): `bifrost.plc`, the Modbus client (`plc.rs`, over `bifrost_edge`). It links
//!   no crate of the asset hub (no sqlx, object_store, argon2 or zip).
//! - `hub` (default): `bifrost.hub`, the hub API (`hub/`, over the facade and the HTTP client):
//!   `_Hub` runs any operation of the table by name, blocking on the module's own tokio runtime
//!   with the GIL released (`hub/runtime.rs`).
//!
//! Requests run on tokio's threads without the GIL and complete through the event loop's
//! `Bridge` (`bridge.rs`; `bifrost/plc.py` resolves the asyncio futures): tokio threads never
//! take the GIL, so a busy event loop never waits on them, which keeps the Python API near the
//! Rust client's speed under load.
//!
//! Built with pyo3's `abi3-py39`: one wheel for every CPython >= 3.9.

// The async bridge serves every async part; a later part adds itself to this cfg.
#[cfg(feature = "plc")]
mod bridge;
#[cfg(feature = "hub")]
mod hub;
#[cfg(feature = "plc")]
mod plc;

use pyo3::prelude::*;

#[pymodule]
fn _bifrost(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    #[cfg(feature = "plc")]
    {
        m.add_class::<bridge::Bridge>()?;
        plc::register(m)?;
    }
    #[cfg(feature = "hub")]
    hub::register(m)?;
    Ok(())
}

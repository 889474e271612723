//! The completion queue between tokio and one asyncio event loop.
//!
//! A request runs on tokio's threads without the GIL; its completion is queued in the event
//! loop's [`Bridge`], whose socket (registered with `loop.add_reader`) wakes the loop once for
//! however many completions are waiting. The loop's thread drains the queue and resolves the
//! asyncio futures. Nothing here knows Modbus: any async part of the module can submit through
//! [`Bridge::spawn`].

use pyo3::prelude::*;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Builds a request's Python result (or exception) once the GIL is held.
pub(crate) type Ready = Box<dyn FnOnce(Python<'_>) -> PyResult<Py<PyAny>> + Send>;

/// Completions waiting for one event loop, and the socket pair that wakes it.
#[pyclass(frozen, module = "bifrost._bifrost")]
pub(crate) struct Bridge {
    queue: Arc<Mutex<Vec<(u64, Ready)>>>,
    wake: Arc<UnixStream>,
    woken: UnixStream,
    next_id: AtomicU64,
}

impl Bridge {
    pub(crate) fn spawn(
        &self,
        outcome: impl std::future::Future<Output = Ready> + Send + 'static,
    ) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, wake) = (self.queue.clone(), self.wake.clone());
        pyo3_async_runtimes::tokio::get_runtime().spawn(async move {
            let ready = outcome.await;
            let was_empty = {
                let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                q.push((id, ready));
                q.len() == 1
            };
            // One byte per batch: the loop drains everything queued when it wakes. A full
            // socket buffer (WouldBlock) means a wake-up is pending anyway.
            if was_empty {
                let _ = (&*wake).write(&[1]);
            }
        });
        id
    }
}

#[pymethods]
impl Bridge {
    #[new]
    fn new() -> PyResult<Self> {
        let (woken, wake) = UnixStream::pair()?;
        woken.set_nonblocking(true)?;
        wake.set_nonblocking(true)?;
        Ok(Bridge {
            queue: Arc::default(),
            wake: Arc::new(wake),
            woken,
            next_id: AtomicU64::new(1),
        })
    }

    /// The file descriptor to register with `loop.add_reader`.
    fn fileno(&self) -> i32 {
        self.woken.as_raw_fd()
    }

    /// Everything completed since the last call: (id, ok, result or exception).
    fn drain(&self, py: Python<'_>) -> Vec<(u64, bool, Py<PyAny>)> {
        let mut sink = [0u8; 256];
        while matches!((&self.woken).read(&mut sink), Ok(n) if n > 0) {}
        let ready = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|p| p.into_inner()));
        ready
            .into_iter()
            .map(|(id, make)| match make(py) {
                Ok(value) => (id, true, value),
                Err(e) => (id, false, e.into_value(py).into_any()),
            })
            .collect()
    }
}

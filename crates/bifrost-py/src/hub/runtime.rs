//! Blocking on the module's tokio runtime without the GIL.
//!
//! A hub call runs its future with `block_on` on the calling thread, the GIL released, so other
//! Python threads run meanwhile; the runtime's worker threads (which run what the future
//! spawns: parallel uploads, restores) never take the GIL. Every 100 ms the calling thread
//! takes the GIL back briefly: to let Ctrl-C interrupt the call (the future is dropped, which
//! a publish or checkout survives by design: nothing is visible before its commit or rename)
//! and to call the progress callback, so a callback always runs on the thread that made the
//! call, as GUI hosts (DCCs) need.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// How often a waiting call looks at signals and progress.
const TICK: Duration = Duration::from_millis(100);

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

/// The module's runtime, started on first use.
pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("bifrost-hub")
            .build()
            .expect("the hub's tokio runtime starts")
    })
}

/// Progress of a publish or checkout, written by the facade (any thread), read by the
/// waiting caller.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    /// Units done in the current phase.
    done: AtomicU64,
    /// The current phase's total and a count of phases started.
    phase: Mutex<(u64, u64)>,
}

impl bifrost::Progress for Meter {
    fn start(&self, _phase: &str, total: u64) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        self.done.store(0, Ordering::Relaxed);
        *phase = (total, phase.1 + 1);
    }

    fn advance(&self, n: u64) {
        self.done.fetch_add(n, Ordering::Relaxed);
    }

    fn finish(&self) {}
}

impl Meter {
    /// (done, total, phases started).
    fn read(&self) -> (u64, u64, u64) {
        let (total, started) = *self.phase.lock().unwrap_or_else(|p| p.into_inner());
        (self.done.load(Ordering::Relaxed).min(total), total, started)
    }
}

/// A progress callback and what it was last told.
pub(crate) struct Watch {
    pub(crate) meter: Arc<Meter>,
    pub(crate) callback: Py<PyAny>,
    told: Mutex<Option<(u64, u64, u64)>>,
}

impl Watch {
    pub(crate) fn new(callback: Py<PyAny>) -> Self {
        Watch {
            meter: Arc::default(),
            callback,
            told: Mutex::new(None),
        }
    }

    /// Calls `callback(done, total)` if anything changed since the last call.
    fn report(&self, py: Python<'_>) -> PyResult<()> {
        let now = self.meter.read();
        let mut told = self.told.lock().unwrap_or_else(|p| p.into_inner());
        if now.2 == 0 || *told == Some(now) {
            return Ok(());
        }
        *told = Some(now);
        drop(told);
        self.callback.call1(py, (now.0, now.1))?;
        Ok(())
    }
}

/// Runs `future` to its end without the GIL (see the module docs). `Err` is a Python
/// exception raised while waiting (Ctrl-C, a failing callback); the future's own outcome is
/// inside `Ok`.
pub(crate) fn block<T, F>(py: Python<'_>, future: F, watch: Option<&Watch>) -> PyResult<T>
where
    F: Future<Output = T> + Send,
    T: Send,
{
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(PyRuntimeError::new_err(
            "a hub cannot be called from inside another hub call (a progress callback)",
        ));
    }
    let outcome = py.detach(|| {
        runtime().block_on(async {
            tokio::pin!(future);
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + TICK, TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    biased;
                    out = &mut future => return Ok::<T, PyErr>(out),
                    _ = tick.tick() => {
                        Python::attach(|py| -> PyResult<()> {
                            py.check_signals()?;
                            watch.map_or(Ok(()), |w| w.report(py))
                        })?;
                    }
                }
            }
        })
    })?;
    if let Some(watch) = watch {
        watch.report(py)?;
    }
    Ok(outcome)
}

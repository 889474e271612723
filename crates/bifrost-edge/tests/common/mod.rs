//! Test helpers: the Python that has pymodbus, free ports, a pymodbus device as a subprocess.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bifrost_edge::ClientConfig;

/// The interpreter with pymodbus: $BIFROST_TEST_PYTHON (CI points it at its venv), else the
/// venv .ci/run makes ($HOME/.cache/bifrost-venv) when it exists, else python3.
/// Without pymodbus the interop tests fail, saying how to install it; they never skip.
pub fn python() -> String {
    let venv = std::env::var("HOME").map(|h| format!("{h}/.cache/bifrost-venv/bin/python"));
    let python = std::env::var("BIFROST_TEST_PYTHON")
        .ok()
        .or_else(|| venv.ok().filter(|p| std::path::Path::new(p).exists()))
        .unwrap_or_else(|| "python3".into());
    let probe = Command::new(&python)
        .args([
            "-c",
            "import pymodbus, sys; sys.exit(0 if pymodbus.__version__.startswith('3.') else 3)",
        ])
        .output();
    match probe {
        Ok(o) if o.status.success() => python,
        Ok(o) => panic!(
            "the interop tests need pymodbus 3 in {python:?} ({}): run `{python} -m pip install 'pymodbus==3.*'`, \
             or point BIFROST_TEST_PYTHON at a Python that has it (bash .ci/run sets one up in \
             $HOME/.cache/bifrost-venv)",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => panic!(
            "the interop tests need Python 3 with pymodbus 3; cannot run {python:?}: {e}. Install Python \
             and `pip install 'pymodbus==3.*'`, or set BIFROST_TEST_PYTHON"
        ),
    }
}

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (bounded) until something accepts connections on `port`.
pub async fn wait_listening(port: u16, child: &mut Child) {
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the pymodbus server exited early ({status}); run tests/data/pymodbus_server.py by hand to see why"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on 127.0.0.1:{port} after 15 s");
}

/// A pymodbus device (tests/data/pymodbus_server.py) in a subprocess, killed on drop.
pub struct PyServer {
    pub port: u16,
    child: Child,
}

impl PyServer {
    pub async fn start(framer: &str) -> PyServer {
        Self::start_on(free_port(), framer).await
    }

    pub async fn start_on(port: u16, framer: &str) -> PyServer {
        let mut child = Command::new(python())
            .arg(data("pymodbus_server.py"))
            .arg(port.to_string())
            .arg(framer)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the pymodbus server");
        wait_listening(port, &mut child).await;
        PyServer { port, child }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// SIGKILL, as a device losing power.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client configuration for tests: generous timeouts (CI machines are slow), fast backoff.
pub fn config() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_secs(10),
        max_in_flight: 1,
        backoff_initial: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
    }
}

//! The Modbus TCP client: one connection per device carrying several requests at once, matched
//! to their answers by MBAP transaction id.
//!
//! tokio-modbus's TCP client takes `&mut self` per call, so a connection carries one request at
//! a time; BENCHMARKS.md ("Edge: Modbus") shows what pipelining gains, which is why this framing
//! is our own. Design:
//! - a writer lock serialises whole frames onto the socket (TCP_NODELAY);
//! - one reader task per connection decodes frames and hands each PDU to the waiting request
//!   by transaction id; an id nobody waits for (a late answer after a timeout, or a wrong id)
//!   is discarded and counted;
//! - a request that times out forgets its id, so its late answer is discarded too;
//! - a garbled frame or a closed socket fails every request in flight and marks the connection
//!   dead; the next request reconnects, waiting out an exponential backoff with jitter after
//!   failed attempts (never past its own deadline).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as SyncMutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, Semaphore, oneshot};
use tokio::time::Instant;

use crate::error::{EdgeError, Result};
use crate::frame::{Request, Response, decode_tcp_frame, encode_tcp_frame};

/// How a client behaves: timeouts, pipelining depth and reconnection backoff.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Per-request timeout (from sending to the answer), also the budget for reconnecting.
    pub timeout: Duration,
    /// Requests in flight at once on one TCP connection. 1 (the default) suits every device;
    /// more only devices that answer every frame of a burst (see `DeviceAddress`).
    pub max_in_flight: usize,
    /// First reconnection delay after a failed connection attempt.
    pub backoff_initial: Duration,
    /// Longest reconnection delay.
    pub backoff_max: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(3),
            max_in_flight: 1,
            backoff_initial: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
        }
    }
}

impl ClientConfig {
    /// The delay before attempt `failures + 1`: `initial * 2^(failures-1)`, capped at `max`,
    /// then scaled by a random factor in [0.5, 1.0] so that many clients do not retry in step.
    pub fn backoff(&self, failures: u32) -> Duration {
        let exp = self
            .backoff_initial
            .saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        let capped = exp.min(self.backoff_max);
        capped.mul_f64(rand::rng().random_range(0.5..=1.0))
    }
}

type Waiter = oneshot::Sender<Result<Bytes>>;

/// One live socket: its writer and the table of requests waiting for answers.
struct Connection {
    writer: Mutex<OwnedWriteHalf>,
    pending: Arc<SyncMutex<Pending>>,
}

#[derive(Default)]
struct Pending {
    waiters: HashMap<u16, Waiter>,
    /// Set when the reader ended; no new request may register.
    closed: Option<String>,
}

impl Connection {
    /// Marks the connection dead; the reader's end fails whoever still waits.
    fn close(&self, reason: &str) {
        if let Ok(mut p) = self.pending.lock() {
            p.closed.get_or_insert_with(|| reason.to_string());
        }
    }

    fn is_alive(&self) -> bool {
        self.pending
            .lock()
            .map(|p| p.closed.is_none())
            .unwrap_or(false)
    }
}

#[derive(Default)]
struct ConnectState {
    connection: Option<Arc<Connection>>,
    failures: u32,
    next_attempt: Option<Instant>,
}

/// Counters of a client, for tests and diagnostics.
#[derive(Debug, Default)]
pub struct ClientStats {
    /// Answers whose transaction id no request waited for.
    pub stale_answers: AtomicU64,
    /// Successful connections (the first one included).
    pub connects: AtomicU64,
}

/// A pipelining Modbus TCP client for one device (all unit ids behind it).
pub struct TcpClient {
    address: String,
    config: ClientConfig,
    state: Mutex<ConnectState>,
    next_id: AtomicU16,
    in_flight: Semaphore,
    stats: Arc<ClientStats>,
}

impl std::fmt::Debug for TcpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpClient")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl TcpClient {
    /// A client for `address` (HOST:PORT). Connects on the first request.
    pub fn new(address: impl Into<String>, config: ClientConfig) -> TcpClient {
        let permits = config.max_in_flight.max(1);
        TcpClient {
            address: address.into(),
            config,
            state: Mutex::new(ConnectState::default()),
            next_id: AtomicU16::new(rand::rng().random()),
            in_flight: Semaphore::new(permits),
            stats: Arc::new(ClientStats::default()),
        }
    }

    /// The device address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The client's counters.
    pub fn stats(&self) -> &ClientStats {
        &self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Connects now (otherwise the first request does), within the request timeout.
    pub async fn connect(&self) -> Result<()> {
        self.connection(Instant::now() + self.config.timeout)
            .await
            .map(|_| ())
    }

    /// Closes the connection; the next request reconnects.
    pub async fn disconnect(&self) {
        let mut state = self.state.lock().await;
        if let Some(c) = state.connection.take() {
            let _ = c.writer.lock().await.shutdown().await;
        }
    }

    async fn connection(&self, deadline: Instant) -> Result<Arc<Connection>> {
        let mut state = self.state.lock().await;
        loop {
            if let Some(c) = &state.connection {
                if c.is_alive() {
                    return Ok(c.clone());
                }
                state.connection = None;
            }
            if let Some(at) = state.next_attempt
                && at > Instant::now()
            {
                if at >= deadline {
                    return Err(EdgeError::Connect {
                        device: self.address.clone(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::NotConnected,
                            format!(
                                "{} failed attempts, next one in {:?}",
                                state.failures,
                                at - Instant::now()
                            ),
                        ),
                    });
                }
                tokio::time::sleep_until(at).await;
            }
            let attempt =
                tokio::time::timeout_at(deadline, TcpStream::connect(&self.address)).await;
            let error = match attempt {
                Ok(Ok(stream)) => {
                    let _ = stream.set_nodelay(true);
                    let c = self.start(stream);
                    state.connection = Some(c.clone());
                    state.failures = 0;
                    state.next_attempt = None;
                    self.stats.connects.fetch_add(1, Ordering::Relaxed);
                    return Ok(c);
                }
                Ok(Err(e)) => e,
                Err(_) => std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "connection attempt timed out",
                ),
            };
            state.failures += 1;
            let delay = self.config.backoff(state.failures);
            state.next_attempt = Some(Instant::now() + delay);
            tracing::debug!(device = %self.address, failures = state.failures, ?delay, "connect failed: {error}");
            if Instant::now() + delay >= deadline {
                return Err(EdgeError::Connect {
                    device: self.address.clone(),
                    source: error,
                });
            }
        }
    }

    fn start(&self, stream: TcpStream) -> Arc<Connection> {
        let (mut reader, writer) = stream.into_split();
        let pending = Arc::new(SyncMutex::new(Pending::default()));
        let conn = Arc::new(Connection {
            writer: Mutex::new(writer),
            pending: pending.clone(),
        });
        let stats = self.stats.clone();
        let device = self.address.clone();
        tokio::spawn(async move {
            let mut buf = BytesMut::with_capacity(4096);
            let reason = 'read: loop {
                loop {
                    match decode_tcp_frame(&mut buf) {
                        Ok(Some(frame)) => {
                            let waiter = pending
                                .lock()
                                .ok()
                                .and_then(|mut p| p.waiters.remove(&frame.transaction_id));
                            match waiter {
                                Some(w) => {
                                    let _ = w.send(Ok(frame.pdu));
                                }
                                None => {
                                    stats.stale_answers.fetch_add(1, Ordering::Relaxed);
                                    tracing::debug!(%device, id = frame.transaction_id, "discarded an answer nobody waits for");
                                }
                            }
                        }
                        Ok(None) => break,
                        Err(e) => break 'read e.to_string(),
                    }
                }
                match reader.read_buf(&mut buf).await {
                    Ok(0) => break "the device closed the connection".to_string(),
                    Ok(_) => {}
                    Err(e) => break e.to_string(),
                }
            };
            let waiters = match pending.lock() {
                Ok(mut p) => {
                    p.closed = Some(reason.clone());
                    std::mem::take(&mut p.waiters)
                }
                Err(_) => HashMap::new(),
            };
            for (_, w) in waiters {
                let _ = w.send(Err(EdgeError::Disconnected {
                    device: device.clone(),
                    reason: reason.clone(),
                }));
            }
        });
        conn
    }

    /// Sends one request to `unit` and waits for its answer, within the configured timeout.
    pub async fn call(&self, unit: u8, request: &Request) -> Result<Response> {
        self.call_with_timeout(unit, request, self.config.timeout)
            .await
    }

    /// [`TcpClient::call`] with its own timeout.
    pub async fn call_with_timeout(
        &self,
        unit: u8,
        request: &Request,
        timeout: Duration,
    ) -> Result<Response> {
        request.validate().map_err(EdgeError::InvalidRequest)?;
        let deadline = Instant::now() + timeout;
        let timed_out = || EdgeError::Timeout {
            device: self.address.clone(),
            timeout,
        };
        let _permit = tokio::time::timeout_at(deadline, self.in_flight.acquire())
            .await
            .map_err(|_| timed_out())?
            .map_err(|_| EdgeError::Disconnected {
                device: self.address.clone(),
                reason: "client closed".into(),
            })?;
        let conn = self.connection(deadline).await?;
        let (tx, rx) = oneshot::channel();
        let id = {
            let mut pending = conn
                .pending
                .lock()
                .map_err(|_| EdgeError::Protocol("poisoned lock".into()))?;
            if let Some(reason) = &pending.closed {
                return Err(EdgeError::Disconnected {
                    device: self.address.clone(),
                    reason: reason.clone(),
                });
            }
            let mut id = self.next_id.fetch_add(1, Ordering::Relaxed);
            while pending.waiters.contains_key(&id) {
                id = self.next_id.fetch_add(1, Ordering::Relaxed);
            }
            pending.waiters.insert(id, tx);
            id
        };
        // Forget the id whatever happens next, so a late answer is discarded as stale.
        let forget = Forget {
            pending: &conn.pending,
            id,
        };
        let mut frame = BytesMut::with_capacity(16 + request_len(request));
        encode_tcp_frame(&mut frame, id, unit, |b| request.encode(b));
        let write = async {
            let mut w = conn.writer.lock().await;
            w.write_all(&frame).await
        };
        let written = tokio::time::timeout_at(deadline, write).await;
        if !matches!(written, Ok(Ok(()))) {
            // A frame may be half written: the stream is out of step, so it must not be reused.
            let reason = match &written {
                Ok(Err(e)) => e.to_string(),
                _ => "a request timed out while being sent".into(),
            };
            conn.close(&reason);
            return Err(match written {
                Err(_) => timed_out(),
                _ => EdgeError::Disconnected {
                    device: self.address.clone(),
                    reason,
                },
            });
        }
        let answer = tokio::time::timeout_at(deadline, rx).await;
        drop(forget);
        match answer {
            Ok(Ok(Ok(pdu))) => Response::decode(request, &pdu),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(EdgeError::Disconnected {
                device: self.address.clone(),
                reason: "reader stopped".into(),
            }),
            Err(_) => Err(timed_out()),
        }
    }
}

fn request_len(request: &Request) -> usize {
    match request {
        Request::WriteMultipleCoils { values, .. } => values.len() / 8 + 8,
        Request::WriteMultipleRegisters { values, .. }
        | Request::ReadWriteMultipleRegisters { values, .. } => values.len() * 2 + 12,
        _ => 8,
    }
}

struct Forget<'a> {
    pending: &'a SyncMutex<Pending>,
    id: u16,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.pending.lock() {
            p.waiters.remove(&self.id);
        }
    }
}

//! The accept loop: connections are capped (in all and per client address), each is served by
//! hyper (HTTP/1.1 with keep-alive, or HTTP/2) under a watchdog that closes it when its
//! request head arrives too slowly (slowloris) or when it stays idle too long, request bodies
//! time out when no byte comes, and shutdown is graceful (stop accepting, let every connection
//! finish its requests, close).
//!
//! `axum::serve` sets no header timeout and no connection caps, hence this loop. A connection
//! over a cap is answered at once with a small canned error (503 `busy` when the server is
//! full, 429 `too_many_connections` for one address) and closed, without a task or a read.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tower::ServiceExt;

use crate::limits::ServerLimits;

/// Serves `app` on `listener` under `limits` until `stopping` turns true, then waits for
/// every connection to finish its requests.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: ServerLimits,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let counts = Arc::new(Counts::default());
    let mut connections = tokio::task::JoinSet::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    // The watchdog below times request heads; hyper's own header timer would also cut idle
    // keep-alive connections at the header timeout.
    builder
        .http1()
        .keep_alive(true)
        .header_read_timeout(None)
        .timer(hyper_util::rt::TokioTimer::new());
    let builder = Arc::new(builder);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // keep serving the others.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    if is_resource_exhaustion(&e) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            () = stopped(&mut stopping) => break,
        };
        let ticket = match counts.admit(peer.ip(), &limits) {
            Ok(ticket) => ticket,
            Err(refusal) => {
                refusal.answer(&stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let limits = limits.clone();
        let stopping = stopping.clone();
        connections.spawn(async move {
            serve_connection(stream, peer, app, &builder, &limits, stopping).await;
            drop(ticket);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Resolves once shutdown began (or its sender is gone). The guard `wait_for` returns is
/// dropped here, before any other await: it must not live in a task's state.
pub(crate) async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}

fn is_resource_exhaustion(e: &std::io::Error) -> bool {
    // EMFILE / ENFILE / ENOBUFS / ENOMEM: accepting again at once would fail again.
    matches!(e.raw_os_error(), Some(23 | 24 | 105 | 12))
}

/// Open connections, in all and per client address.
#[derive(Debug, Default)]
struct Counts {
    inner: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// A connection's place in [`Counts`], given back when dropped.
struct Ticket {
    counts: Arc<Counts>,
    ip: IpAddr,
}

/// Why a connection was not admitted.
enum Refusal {
    Full,
    Address,
}

impl Counts {
    fn admit(self: &Arc<Self>, ip: IpAddr, limits: &ServerLimits) -> Result<Ticket, Refusal> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_ip) = &mut *guard;
        if limits.max_connections > 0 && *total >= limits.max_connections {
            return Err(Refusal::Full);
        }
        let mine = by_ip.entry(ip).or_insert(0);
        if limits.max_connections_per_address > 0 && *mine >= limits.max_connections_per_address {
            return Err(Refusal::Address);
        }
        *mine += 1;
        *total += 1;
        metrics::gauge!("bifrost_connections").set(*total as f64);
        Ok(Ticket {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut guard = self.counts.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (total, by_ip) = &mut *guard;
        *total = total.saturating_sub(1);
        if let Some(mine) = by_ip.get_mut(&self.ip) {
            *mine -= 1;
            if *mine == 0 {
                by_ip.remove(&self.ip);
            }
        }
        metrics::gauge!("bifrost_connections").set(*total as f64);
    }
}

impl Refusal {
    /// Writes the canned answer if the socket takes it at once (a fresh socket's send buffer
    /// is empty, so it does), then closes: no task, no waiting on the client.
    fn answer(&self, stream: &TcpStream) {
        let (status, code, message) = match self {
            Refusal::Full => (
                "503 Service Unavailable",
                bifrost_api::ErrorCode::Busy,
                "the server has as many connections open as it allows; retry in a moment",
            ),
            Refusal::Address => (
                "429 Too Many Requests",
                bifrost_api::ErrorCode::TooManyConnections,
                "this address has as many connections open as the server allows one address; \
                 close some or retry in a moment",
            ),
        };
        metrics::counter!("bifrost_connections_refused_total", "code" => code.as_str())
            .increment(1);
        let body = serde_json::to_string(&bifrost_api::ErrorBody::from(
            &bifrost_api::ApiError::new(code, message),
        ))
        .unwrap_or_default();
        let answer = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             retry-after: 1\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.try_write(answer.as_bytes());
    }
}

/// What the watchdog of one connection knows: whether a request is being answered, whether
/// bytes of a next request head have arrived, and since when the connection is in its
/// present phase.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    head_started: AtomicBool,
    since: Mutex<Instant>,
    /// Wakes the watchdog when the phase changes (its deadline moves).
    changed: tokio::sync::Notify,
}

impl Activity {
    fn new() -> Self {
        Activity {
            in_flight: AtomicUsize::new(0),
            head_started: AtomicBool::new(false),
            since: Mutex::new(Instant::now()),
            changed: tokio::sync::Notify::new(),
        }
    }

    fn mark(&self) {
        *self.since.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.changed.notify_one();
    }

    fn since(&self) -> Instant {
        *self.since.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bytes arrived: the first of a request head starts the header clock.
    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) == 0
            && !self.head_started.swap(true, Ordering::SeqCst)
        {
            self.mark();
        }
    }

    /// hyper parsed a whole head and calls the application.
    fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.head_started.store(false, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// The answer is sent (or abandoned): the connection idles from now.
    fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.mark();
    }

    /// When the watchdog must act, and whether that is a hard close (a head too slow) or a
    /// graceful one (idle); `None` while a request is answered (its body has its own timeout).
    fn deadline(&self, limits: &ServerLimits) -> Option<(Instant, bool)> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        if self.head_started.load(Ordering::SeqCst) {
            Some((self.since() + limits.header_timeout(), true))
        } else {
            Some((self.since() + limits.idle_timeout(), false))
        }
    }
}

/// Calls `request_finished` when dropped: with the answer's body once sent, or with the
/// request if it is abandoned.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// An answer body that holds its request's [`InFlight`] until it is sent or dropped.
struct Guarded {
    body: axum::body::Body,
    _in_flight: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// A connection that tells its [`Activity`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.bytes_read();
        }
        poll
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Serves one connection until it ends, is closed by its watchdog, or shutdown finishes it.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: &auto::Builder<TokioExecutor>,
    limits: &ServerLimits,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let body_timeout = limits.body_timeout();
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            activity.request_started();
            let in_flight = InFlight(activity.clone());
            let mut request = request.map(|body| {
                axum::body::Body::new(tower_http::timeout::TimeoutBody::new(body_timeout, body))
            });
            request.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                // The request counts as answered once the whole answer body is sent (a
                // download or an event stream may take long after the head).
                let answer = app.oneshot(request).await;
                answer.map(|response| {
                    response.map(|body| Guarded {
                        body,
                        _in_flight: in_flight,
                    })
                })
            }
        })
    };
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let connection = builder.serve_connection_with_upgrades(io, service);
    tokio::pin!(connection);
    let mut closing = false;
    loop {
        // No deadline while a request is answered; its end wakes the watchdog.
        let wake = activity
            .deadline(limits)
            .map_or_else(|| Instant::now() + Duration::from_secs(3600), |(at, _)| at);
        tokio::select! {
            () = activity.changed.notified() => {}
            result = connection.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            _ = tokio::time::sleep_until(wake) => match activity.deadline(limits) {
                // A head too slow is cut off, shutting down or not: a graceful close would
                // wait for it.
                Some((at, true)) if at <= Instant::now() => {
                    metrics::counter!("bifrost_connections_timed_out_total", "phase" => "header")
                        .increment(1);
                    tracing::debug!(%peer, "closing a connection whose request head is too slow");
                    return;
                }
                Some((at, false)) if at <= Instant::now() => {
                    if closing {
                        return;
                    }
                    metrics::counter!("bifrost_connections_timed_out_total", "phase" => "idle")
                        .increment(1);
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                _ => {}
            },
            () = stopped(&mut stopping), if !closing => {
                connection.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

//! The forwarder: drains one disk log into one sink. It reads a batch, sends it, and moves the
//! acknowledged offset past it only once the sink took it (or the records were dead-lettered).
//! Transient failures are retried with backoff and jitter behind a circuit breaker; a refused
//! batch is split in halves until the refused records stand alone, and those are dead-lettered
//! while the rest flow.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::dead_letter::DeadLetters;
use crate::error::Result;
use crate::log::{DiskLog, LogStats};
use crate::point::Point;
use crate::retry::{Backoff, BreakerState, CircuitBreaker, RetryPolicy};
use crate::sink::{Sink, SinkError};

/// How a forwarder is asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// At once; what is not acknowledged stays in the log.
    Now,
    /// Deliver what is in the log until it is empty or the deadline passed (a clean shutdown).
    Flush(Instant),
}

/// What a running forwarder shows to health checks and metrics.
#[derive(Debug, Default)]
pub struct ForwarderStatus {
    breaker: AtomicU8,
    last_error: Mutex<Option<String>>,
}

impl ForwarderStatus {
    /// The breaker's state.
    pub fn breaker(&self) -> BreakerState {
        match self.breaker.load(Ordering::Relaxed) {
            1 => BreakerState::Open,
            2 => BreakerState::HalfOpen,
            _ => BreakerState::Closed,
        }
    }

    fn set_breaker(&self, state: BreakerState) {
        let n = match state {
            BreakerState::Closed => 0,
            BreakerState::Open => 1,
            BreakerState::HalfOpen => 2,
        };
        self.breaker.store(n, Ordering::Relaxed);
    }

    /// The last delivery error, cleared by a success.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_error(&self, e: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = e;
    }
}

/// One sink's delivery loop.
#[derive(Debug)]
pub struct Forwarder<S> {
    name: String,
    sink: S,
    log: Arc<DiskLog>,
    dead: Arc<DeadLetters>,
    batch_size: usize,
    backoff: Backoff,
    breaker: CircuitBreaker,
    status: Arc<ForwarderStatus>,
}

impl<S: Sink> Forwarder<S> {
    pub fn new(
        name: &str,
        sink: S,
        log: Arc<DiskLog>,
        dead: Arc<DeadLetters>,
        batch_size: usize,
        retry: RetryPolicy,
    ) -> Forwarder<S> {
        Forwarder {
            name: name.to_owned(),
            sink,
            log,
            dead,
            batch_size: batch_size.max(1),
            backoff: Backoff::new(retry),
            breaker: CircuitBreaker::new(retry),
            status: Arc::new(ForwarderStatus::default()),
        }
    }

    /// The status the forwarder keeps up to date while it runs.
    pub fn status(&self) -> Arc<ForwarderStatus> {
        self.status.clone()
    }

    fn stats(&self) -> &LogStats {
        self.log.stats()
    }

    /// Runs until told to stop (see [`Stop`]).
    pub async fn run(mut self, mut stop: watch::Receiver<Option<Stop>>) -> Result<()> {
        tracing::info!(sink = %self.name, to = %self.sink.describe(), "forwarder started");
        loop {
            let stopping = *stop.borrow();
            match stopping {
                Some(Stop::Now) => return Ok(()),
                Some(Stop::Flush(deadline))
                    if !self.log.has_unread() || Instant::now() >= deadline =>
                {
                    return Ok(());
                }
                _ => {}
            }
            if !self.log.has_unread() {
                tokio::select! {
                    () = self.log.wait_for_records(Duration::from_secs(1)) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let batch = self.log.read_batch(self.batch_size)?;
            if !batch.records.is_empty() {
                LogStats::add(&self.stats().batches, 1);
                if !self.deliver(batch.records, &mut stop).await? {
                    return Ok(()); // stopped: the batch stays unacknowledged, sent again later
                }
            }
            self.log.ack(batch.end)?;
        }
    }

    /// Sleeps `delay` unless a stop comes first; false when the forwarder must stop now.
    async fn pause(delay: Duration, stop: &mut watch::Receiver<Option<Stop>>) -> bool {
        let until = Instant::now() + delay;
        loop {
            let stopping = *stop.borrow();
            let until = match stopping {
                Some(Stop::Now) => return false,
                Some(Stop::Flush(deadline)) if deadline <= until => {
                    // A flush that cannot succeed before its deadline ends the wait.
                    return false;
                }
                _ => until,
            };
            tokio::select! {
                () = tokio::time::sleep_until(until) => return true,
                changed = stop.changed() => if changed.is_err() { return false },
            }
        }
    }

    /// Delivers the records, splitting refused batches; Ok(false) when stopped first.
    async fn deliver(
        &mut self,
        records: Vec<Point>,
        stop: &mut watch::Receiver<Option<Stop>>,
    ) -> Result<bool> {
        let mut pieces = vec![records];
        while let Some(piece) = pieces.pop() {
            loop {
                let wait = self.breaker.wait();
                self.status.set_breaker(self.breaker.state());
                if !wait.is_zero() && !Self::pause(wait, stop).await {
                    return Ok(false);
                }
                let result = self.sink.send(&piece).await;
                match result {
                    Ok(()) => {
                        self.breaker.success();
                        self.backoff.reset();
                        self.status.set_breaker(BreakerState::Closed);
                        self.status.set_error(None);
                        LogStats::add(&self.stats().delivered, piece.len() as u64);
                        break;
                    }
                    Err(SinkError::Refused(reason)) if piece.len() > 1 => {
                        let mut piece = piece;
                        let back = piece.split_off(piece.len() / 2);
                        pieces.push(back);
                        pieces.push(piece);
                        tracing::debug!(sink = %self.name, %reason, "batch refused; splitting it");
                        break;
                    }
                    Err(SinkError::Refused(reason)) => {
                        tracing::warn!(sink = %self.name, id = %piece[0].id, %reason, "dead-lettered");
                        self.dead.write(&piece, &reason)?;
                        LogStats::add(&self.stats().dead_lettered, 1);
                        // A refusal is an answer: the sink is up.
                        self.breaker.success();
                        break;
                    }
                    Err(SinkError::Transient(reason)) => {
                        LogStats::add(&self.stats().retries, 1);
                        if self.breaker.failure() {
                            LogStats::add(&self.stats().breaker_opened, 1);
                        }
                        self.status.set_breaker(self.breaker.state());
                        tracing::debug!(sink = %self.name, %reason, "send failed; retrying");
                        self.status.set_error(Some(reason));
                        let delay = self.backoff.next_delay();
                        if !Self::pause(delay, stop).await {
                            return Ok(false);
                        }
                    }
                }
            }
        }
        Ok(true)
    }
}

//! Retry pacing: exponential backoff with full jitter, and a circuit breaker that stops
//! hammering a sink that keeps failing.

use std::time::{Duration, Instant};

use serde::Deserialize;

/// Backoff and breaker settings of a sink (`[sink.retry]` in the gateway file).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// First delay.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Consecutive failures that open the breaker.
    pub breaker_failures: u32,
    /// How long an open breaker waits before one trial.
    pub breaker_cooldown: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(30),
            breaker_failures: 5,
            breaker_cooldown: Duration::from_secs(10),
        }
    }
}

/// Exponential backoff with full jitter: attempt n waits a uniform time in
/// `[0, min(max, initial * 2^n)]`, so that many gateways recovering together do not retry in
/// step.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RetryPolicy,
    attempt: u32,
}

impl Backoff {
    pub fn new(policy: RetryPolicy) -> Backoff {
        Backoff { policy, attempt: 0 }
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .policy
            .initial
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.policy.max);
        self.attempt = self.attempt.saturating_add(1);
        ceiling
            .mul_f64(rand::random::<f64>())
            .max(Duration::from_millis(1))
    }

    /// Starts over (after a success).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// Breaker state, as shown in metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum BreakerState {
    /// Sending normally.
    Closed,
    /// Not sending until the cooldown passed.
    Open,
    /// The cooldown passed: one trial decides.
    HalfOpen,
}

/// A circuit breaker: `breaker_failures` consecutive failures open it for `breaker_cooldown`;
/// then one trial either closes it (success) or opens it again.
#[derive(Debug)]
pub struct CircuitBreaker {
    policy: RetryPolicy,
    failures: u32,
    open_until: Option<Instant>,
}

impl CircuitBreaker {
    pub fn new(policy: RetryPolicy) -> CircuitBreaker {
        CircuitBreaker {
            policy,
            failures: 0,
            open_until: None,
        }
    }

    /// The state now.
    pub fn state(&self) -> BreakerState {
        match self.open_until {
            None => BreakerState::Closed,
            Some(t) if Instant::now() < t => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    /// How long until a send is allowed (zero when closed or half-open).
    pub fn wait(&self) -> Duration {
        self.open_until.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        })
    }

    /// Records a success: closes the breaker.
    pub fn success(&mut self) {
        self.failures = 0;
        self.open_until = None;
    }

    /// Records a failure; returns true when this opened the breaker.
    pub fn failure(&mut self) -> bool {
        self.failures = self.failures.saturating_add(1);
        let trial_failed = self.open_until.is_some();
        if trial_failed || self.failures >= self.policy.breaker_failures {
            self.open_until = Some(Instant::now() + self.policy.breaker_cooldown);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_ceiling_with_jitter() {
        let policy = RetryPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let mut b = Backoff::new(policy);
        let delays: Vec<Duration> = (0..12).map(|_| b.next_delay()).collect();
        assert!(delays[0] <= Duration::from_millis(100));
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(1)));
        // Full jitter: not all late delays are the same.
        assert!(delays[6..].windows(2).any(|w| w[0] != w[1]));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(100));
    }

    #[test]
    fn breaker_opens_after_failures_and_closes_after_a_trial() {
        let policy = RetryPolicy {
            breaker_failures: 3,
            breaker_cooldown: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        let mut br = CircuitBreaker::new(policy);
        assert!(!br.failure());
        assert!(!br.failure());
        assert!(br.failure());
        assert_eq!(br.state(), BreakerState::Open);
        assert!(br.wait() > Duration::ZERO);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(br.state(), BreakerState::HalfOpen);
        assert!(br.failure(), "a failed trial opens it again");
        std::thread::sleep(Duration::from_millis(60));
        br.success();
        assert_eq!(br.state(), BreakerState::Closed);
    }
}

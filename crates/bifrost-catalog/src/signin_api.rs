//! The sign-in part of [`Catalog`]: counts of failed password sign-ins per user name and per
//! client address, and until when each is refused (`signin.rs`, compiled once per backend).
//! Kept in the catalog so that delays and lockouts hold across restarts and across every server
//! process sharing it; what the delays are is the facade's decision.

use chrono::{DateTime, Utc};

use crate::{Catalog, CatalogError};

type Result<T> = std::result::Result<T, CatalogError>;

/// What failed sign-ins are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInScope {
    /// The user name given (whether or not such a user exists, so that counts tell nothing
    /// about which names exist).
    User,
    /// The client address the attempt came from.
    Address,
}

impl SignInScope {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            SignInScope::User => "user",
            SignInScope::Address => "address",
        }
    }
}

/// Recent failed sign-ins of one user name or address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInFailures {
    /// Failures in a row (since the last success, unlock or forgetting).
    pub failures: u32,
    /// When the last one was.
    pub last_failure_at: DateTime<Utc>,
    /// Attempts before this are refused without looking at the password.
    pub blocked_until: Option<DateTime<Utc>>,
    /// Whether that refusal is a lockout (too many failures) rather than a delay.
    pub locked: bool,
}

impl Catalog {
    /// The failed sign-ins of `user` and of `address`, when there are any.
    pub async fn sign_in_failures(
        &self,
        user: &str,
        address: &str,
    ) -> Result<(Option<SignInFailures>, Option<SignInFailures>)> {
        dispatch!(signin, self.sign_in_failures(user, address))
    }

    /// Counts one more failed sign-in for `key` at `at`; how many in a row there are now.
    pub async fn count_sign_in_failure(
        &self,
        scope: SignInScope,
        key: &str,
        at: DateTime<Utc>,
    ) -> Result<u32> {
        dispatch!(signin, self.count_sign_in_failure(scope, key, at))
    }

    /// Refuses sign-ins for `key` until `until` (`locked`: a lockout rather than a delay).
    pub async fn block_sign_in(
        &self,
        scope: SignInScope,
        key: &str,
        until: DateTime<Utc>,
        locked: bool,
    ) -> Result<()> {
        dispatch!(signin, self.block_sign_in(scope, key, until, locked))
    }

    /// Forgets `key`'s failed sign-ins and any delay or lockout; whether there were any.
    /// The lift is journaled in the same transaction.
    pub async fn forget_sign_in_failures(
        &self,
        scope: SignInScope,
        key: &str,
        journal: &mut crate::Journal<bool>,
    ) -> Result<bool> {
        dispatch!(signin, self.forget_sign_in_failures(scope, key, journal))
    }

    /// Forgets rows whose last failure is older than `before` and that block nothing after
    /// `now`; how many.
    pub async fn prune_sign_in_failures(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        dispatch!(signin, self.prune_sign_in_failures(before, now))
    }
}

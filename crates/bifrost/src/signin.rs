//! Password sign-in under attack: failed attempts are counted per user name and per client
//! address in the catalog (so the counts hold across restarts and across every server process
//! sharing it), each failure past a few free ones makes the next attempt wait twice as long,
//! and enough of them lock password sign-in for a while (an admin can lift it:
//! [`Repository::unlock_user`]). Every attempt is journaled with its origin address, never
//! with the password. The argon2 work itself is bounded: at most
//! [`SignInPolicy::parallel_checks`] passwords are checked at once, on the blocking pool, and
//! beyond [`SignInPolicy::queued_checks`] waiting ones the attempt is refused at once
//! ([`Error::SignInBusy`]), so that a burst of wrong passwords cannot take the CPU from
//! everyone else.
//!
//! Names are counted whether or not such a user exists, so refusals tell nothing about which
//! names exist. API tokens are not affected: a locked-out user's tokens keep working, and so
//! an admin can always sign in with one to lift a lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bifrost_catalog::{SignInFailures, SignInScope};
use bifrost_core::access::User;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::SignedIn;
use crate::error::{Error, Result};
use bifrost_core::access::Permission;

use crate::Repository;

/// How failed password sign-ins are throttled (`bifrost serve --config`, table `[signin]`).
/// Counts are of failures in a row; a count is forgotten [`forget_after_secs`] after its last
/// failure, a user's at their next success or an admin's unlock.
///
/// [`forget_after_secs`]: SignInPolicy::forget_after_secs
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInPolicy {
    /// Failures of one user name answered without delay (default 3).
    pub user_free_failures: u32,
    /// Failures from one address answered without delay (default 10).
    pub address_free_failures: u32,
    /// The wait after the first failure past the free ones, in seconds; it doubles with each
    /// further failure (default 1).
    pub first_delay_secs: u64,
    /// The longest such wait, in seconds (default 60).
    pub max_delay_secs: u64,
    /// Failures of one user name that lock its password sign-in (default 10; 0: never).
    pub user_lockout_failures: u32,
    /// Failures from one address that lock password sign-in from it (default 50; 0: never).
    pub address_lockout_failures: u32,
    /// How long a lockout lasts, in seconds (default 900: 15 minutes).
    pub lockout_secs: u64,
    /// Seconds after its last failure when a count is forgotten (default 900).
    pub forget_after_secs: u64,
    /// Passwords checked at once (argon2 takes about 19 MiB and tens of milliseconds of one
    /// core each); default: half the cores, at least one.
    pub parallel_checks: usize,
    /// Sign-ins that may wait for a check; more are refused at once with `busy` (default 32).
    pub queued_checks: usize,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SignInPolicy {
            user_free_failures: 3,
            address_free_failures: 10,
            first_delay_secs: 1,
            max_delay_secs: 60,
            user_lockout_failures: 10,
            address_lockout_failures: 50,
            lockout_secs: 900,
            forget_after_secs: 900,
            parallel_checks: (cores / 2).max(1),
            queued_checks: 32,
        }
    }
}

impl SignInPolicy {
    /// What the `failures`-th failure in a row (counting from 1) imposes: nothing, a wait, or
    /// (`true`) a lockout.
    fn after_failure(&self, scope: SignInScope, failures: u32) -> Option<(Duration, bool)> {
        let (free, lockout) = match scope {
            SignInScope::User => (self.user_free_failures, self.user_lockout_failures),
            SignInScope::Address => (self.address_free_failures, self.address_lockout_failures),
        };
        if lockout > 0 && failures >= lockout {
            return Some((Duration::from_secs(self.lockout_secs), true));
        }
        let past = failures.checked_sub(free).filter(|&n| n > 0)?;
        let doubling = 1u64.checked_shl(past - 1).unwrap_or(u64::MAX);
        let wait = self
            .first_delay_secs
            .saturating_mul(doubling)
            .min(self.max_delay_secs);
        (wait > 0).then(|| (Duration::from_secs(wait), false))
    }
}

/// The policy and the bound on concurrent password checks, shared by every clone of a
/// repository.
#[derive(Debug)]
pub(crate) struct SignInGuard {
    policy: SignInPolicy,
    checks: tokio::sync::Semaphore,
    waiting: AtomicUsize,
}

impl Default for SignInGuard {
    fn default() -> Self {
        SignInGuard::new(SignInPolicy::default())
    }
}

impl SignInGuard {
    pub(crate) fn new(policy: SignInPolicy) -> Self {
        SignInGuard {
            checks: tokio::sync::Semaphore::new(policy.parallel_checks.max(1)),
            waiting: AtomicUsize::new(0),
            policy,
        }
    }

    /// A turn to check a password, or [`Error::SignInBusy`] at once when too many wait.
    async fn turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        if let Ok(permit) = self.checks.try_acquire() {
            return Ok(permit);
        }
        let waiting = self.waiting.fetch_add(1, Ordering::SeqCst);
        let permit = if waiting >= self.policy.queued_checks {
            Err(Error::SignInBusy)
        } else {
            self.checks.acquire().await.map_err(|_| Error::SignInBusy)
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit
    }
}

/// What the journal records of a sign-in attempt (never the password).
#[derive(Debug, Serialize)]
struct Attempt<'a> {
    /// The user name given.
    user: &'a str,
    /// `succeeded`, `failed` or why it was refused unchecked: `delayed`, `locked`, `busy`.
    outcome: &'a str,
    /// Failures in a row of this user name and from this address, after this attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_failures: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address_failures: Option<u32>,
    /// Until when further attempts are refused, when they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    blocked_until: Option<DateTime<Utc>>,
}

impl Repository {
    /// This repository with another sign-in policy (for every clone made from it after).
    pub fn with_sign_in_policy(mut self, policy: SignInPolicy) -> Self {
        self.sign_in = Arc::new(SignInGuard::new(policy));
        self
    }

    /// The sign-in policy in force.
    pub fn sign_in_policy(&self) -> &SignInPolicy {
        &self.sign_in.policy
    }

    /// Checks a user's password, with the throttling described in this module's docs; the
    /// user if it matches and they are enabled. Every wrong answer is the same
    /// [`Error::BadCredentials`], so that callers cannot probe for user names; refusals before
    /// any check are [`Error::SignInDelayed`], [`Error::SignInLocked`] or
    /// [`Error::SignInBusy`]. The attempt is journaled (`signin.succeeded`, `signin.failed`,
    /// `signin.refused`) with the actor's origin.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<SignedIn> {
        let guard = self.sign_in.clone();
        self.refuse_if_blocked(name).await?;
        let turn = match guard.turn().await {
            Ok(turn) => turn,
            Err(e) => {
                self.journal_attempt(name, "busy", None, None, None).await;
                return Err(e);
            }
        };
        // Attempts that waited for their turn look again: failures counted meanwhile count.
        self.refuse_if_blocked(name).await?;
        let found = match self.catalog.user_password_hash(name).await {
            Ok(found) => Some(found),
            Err(bifrost_catalog::CatalogError::UserNotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let (user, hash) = match found {
            Some((user, Some(hash))) if !user.disabled => (Some(user), hash),
            // Spend the same argon2 time as for a real user, so that response times do not
            // tell which user names exist.
            _ => (None, dummy_hash().to_owned()),
        };
        let password = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || crate::access::password_matches(&password, &hash))
                .await
                .map_err(|e| Error::Password(format!("the password check failed: {e}")))?;
        drop(turn);
        match user {
            Some(user) if matches => {
                // Resetting the counters is bookkeeping; the attempt itself is journaled next.
                self.catalog
                    .forget_sign_in_failures(
                        SignInScope::User,
                        name,
                        &mut bifrost_catalog::Journal::none(),
                    )
                    .await?;
                self.journal_attempt(name, "succeeded", None, None, None)
                    .await;
                let role = self.catalog.get_role(&user.role).await?;
                Ok(SignedIn { user, role })
            }
            _ => {
                self.count_failure(name).await?;
                Err(Error::BadCredentials)
            }
        }
    }

    /// Lifts `name`'s sign-in lockout and forgets their failed attempts (admins).
    pub async fn unlock_user(&self, name: &str) -> Result<User> {
        self.require(Permission::Admin)?;
        let user = self.catalog.get_user(name).await?;
        let user_name = name.to_owned();
        let mut journal = self.global_recorder().entry(move |recorder, had: &bool| {
            recorder.event(
                "user.unlocked",
                user_name.clone(),
                None::<&()>,
                Some(&serde_json::json!({ "user": user_name, "had_failures": had })),
            )
        });
        self.catalog
            .forget_sign_in_failures(SignInScope::User, name, &mut journal)
            .await?;
        self.journaled(&journal);
        Ok(user)
    }

    /// Refuses, journaled, an attempt for `name` from the actor's address while either is
    /// delayed or locked.
    async fn refuse_if_blocked(&self, name: &str) -> Result<()> {
        let now = Utc::now();
        let address = self.actor.origin.as_str();
        let (by_user, by_address) = self.catalog.sign_in_failures(name, address).await?;
        let refusal = [
            (by_user, format!("for user `{name}`")),
            (by_address, "from this address".to_owned()),
        ]
        .into_iter()
        .filter_map(|(record, whose)| Some((blocked(record?, now)?, whose)))
        // A lockout outranks a delay; the longer wait outranks the shorter.
        .max_by_key(|((until, locked), _)| (*locked, *until));
        let Some(((until, locked), whose)) = refusal else {
            return Ok(());
        };
        let wait = (until - now).to_std().unwrap_or_default();
        let outcome = if locked { "locked" } else { "delayed" };
        self.journal_attempt(name, outcome, None, None, Some(until))
            .await;
        Err(if locked {
            Error::SignInLocked { whose, until, wait }
        } else {
            Error::SignInDelayed { whose, wait }
        })
    }

    /// Counts a failed attempt against `name` and the actor's address, delays or locks them
    /// as the policy says, and journals it.
    async fn count_failure(&self, name: &str) -> Result<()> {
        let policy = &self.sign_in.policy;
        let now = bifrost_catalog_now();
        let forget_before = now - chrono::Duration::seconds(clamp_secs(policy.forget_after_secs));
        // Old counts start again from one; rows of addresses seen long ago go.
        self.catalog
            .prune_sign_in_failures(forget_before, now)
            .await?;
        let address = self.actor.origin.clone();
        let mut counts = [
            (SignInScope::User, name, 0),
            (SignInScope::Address, address.as_str(), 0),
        ];
        let mut blocked_until = None;
        for (scope, key, count) in &mut counts {
            *count = self.catalog.count_sign_in_failure(*scope, key, now).await?;
            if let Some((wait, locked)) = policy.after_failure(*scope, *count) {
                let until = now + chrono::Duration::seconds(clamp_secs(wait.as_secs()));
                self.catalog
                    .block_sign_in(*scope, key, until, locked)
                    .await?;
                blocked_until = blocked_until.max(Some(until));
            }
        }
        self.journal_attempt(
            name,
            "failed",
            Some(counts[0].2),
            Some(counts[1].2),
            blocked_until,
        )
        .await;
        Ok(())
    }

    async fn journal_attempt(
        &self,
        name: &str,
        outcome: &str,
        user_failures: Option<u32>,
        address_failures: Option<u32>,
        blocked_until: Option<DateTime<Utc>>,
    ) {
        let action = match outcome {
            "succeeded" => "signin.succeeded",
            "failed" => "signin.failed",
            _ => "signin.refused",
        };
        let attempt = Attempt {
            user: name,
            outcome,
            user_failures,
            address_failures,
            blocked_until,
        };
        // Whoever tries is not yet anyone: the journal names the user they claimed to be.
        let this = self.clone().acting_as(crate::Actor {
            user: name.to_owned(),
            ..self.actor.clone()
        });
        // An attempt changes no catalog record of its own (the failure counters are
        // bookkeeping), so it is appended on its own, under the write lock.
        let event =
            this.global_recorder()
                .event(action, name.to_owned(), None::<&()>, Some(&attempt));
        match this.catalog.append_event(&event).await {
            Ok(entry) => this.raise_mark(entry.id),
            Err(e) => {
                tracing::error!(action, error = %e, "a sign-in attempt could not be journaled")
            }
        }
    }
}

/// Until when `record` refuses attempts at `now`, and whether that is a lockout.
fn blocked(record: SignInFailures, now: DateTime<Utc>) -> Option<(DateTime<Utc>, bool)> {
    record
        .blocked_until
        .filter(|until| *until > now)
        .map(|until| (until, record.locked))
}

/// Seconds as a chrono duration's argument, capped at ten years (far past any sane setting).
fn clamp_secs(secs: u64) -> i64 {
    i64::try_from(secs.min(crate::access::MAX_LIFETIME.as_secs())).unwrap_or(i64::MAX)
}

/// Now, at the precision the catalog stores (microseconds), so that stored times compare
/// equal to the values they were made from.
fn bifrost_catalog_now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(6)
}

/// An argon2 hash of no one's password, checked for unknown and disabled users.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        crate::access::hash_password("not anyone's password").expect("hashing a constant works")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_past_the_free_failures_then_lock() {
        let policy = SignInPolicy::default();
        let user = |n| policy.after_failure(SignInScope::User, n);
        assert_eq!(user(1), None);
        assert_eq!(user(3), None);
        assert_eq!(user(4), Some((Duration::from_secs(1), false)));
        assert_eq!(user(5), Some((Duration::from_secs(2), false)));
        assert_eq!(user(6), Some((Duration::from_secs(4), false)));
        assert_eq!(user(9), Some((Duration::from_secs(32), false)));
        assert_eq!(user(10), Some((Duration::from_secs(900), true)));
        assert_eq!(user(u32::MAX), Some((Duration::from_secs(900), true)));
        let address = |n| policy.after_failure(SignInScope::Address, n);
        assert_eq!(address(10), None);
        assert_eq!(address(11), Some((Duration::from_secs(1), false)));
        assert_eq!(address(40), Some((Duration::from_secs(60), false)));
        assert_eq!(address(50), Some((Duration::from_secs(900), true)));
        let never = SignInPolicy {
            user_lockout_failures: 0,
            ..SignInPolicy::default()
        };
        assert_eq!(
            never.after_failure(SignInScope::User, u32::MAX),
            Some((Duration::from_secs(60), false))
        );
    }
}

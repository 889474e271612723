//! Failed password sign-ins, per user name and per client address, compiled once per backend
//! (see `migrations/*/0006_signin.sql`). The catalog keeps the counts and the times; the facade
//! decides the delays and lockouts.

use chrono::{DateTime, Utc};
use sqlx::Row;

use super::imp::{Pool, Result, begin_journaled, commit_journaled};
use crate::sql::to_u32;
use crate::{SignInFailures, SignInScope};

/// The rows of `user` and `address`, when they have any.
pub(crate) async fn sign_in_failures(
    pool: &Pool,
    user: &str,
    address: &str,
) -> Result<(Option<SignInFailures>, Option<SignInFailures>)> {
    let rows = sqlx::query(
        "SELECT scope, failures, last_failure_at, blocked_until, locked FROM sign_in_failures \
         WHERE (scope = 'user' AND key = $1) OR (scope = 'address' AND key = $2)",
    )
    .bind(user)
    .bind(address)
    .fetch_all(pool)
    .await?;
    let (mut by_user, mut by_address) = (None, None);
    for row in rows {
        let scope: String = row.try_get("scope")?;
        let failures: i64 = row.try_get("failures")?;
        let record = SignInFailures {
            failures: to_u32(failures, "a count of failed sign-ins")?,
            last_failure_at: row.try_get("last_failure_at")?,
            blocked_until: row.try_get("blocked_until")?,
            locked: row.try_get("locked")?,
        };
        if scope == "user" {
            by_user = Some(record);
        } else {
            by_address = Some(record);
        }
    }
    Ok((by_user, by_address))
}

/// Counts one more failure for `key` at `at` (the first, when it had no row); how many there
/// are now. Atomic: concurrent failures are all counted.
pub(crate) async fn count_sign_in_failure(
    pool: &Pool,
    scope: SignInScope,
    key: &str,
    at: DateTime<Utc>,
) -> Result<u32> {
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO sign_in_failures (scope, key, failures, last_failure_at) \
         VALUES ($1, $2, 1, $3) \
         ON CONFLICT (scope, key) DO UPDATE \
         SET failures = sign_in_failures.failures + 1, last_failure_at = excluded.last_failure_at \
         RETURNING CAST(failures AS BIGINT)",
    )
    .bind(scope.as_str())
    .bind(key)
    .bind(at)
    .fetch_one(pool)
    .await?;
    to_u32(failures, "a count of failed sign-ins")
}

/// Refuses sign-ins for `key` until `until` (`locked`: a lockout, not just a delay).
pub(crate) async fn block_sign_in(
    pool: &Pool,
    scope: SignInScope,
    key: &str,
    until: DateTime<Utc>,
    locked: bool,
) -> Result<()> {
    sqlx::query(
        "UPDATE sign_in_failures SET blocked_until = $3, locked = $4 \
         WHERE scope = $1 AND key = $2",
    )
    .bind(scope.as_str())
    .bind(key)
    .bind(until)
    .bind(locked)
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets `key`'s failures (a success, or an admin's unlock); whether it had any.
pub(crate) async fn forget_sign_in_failures(
    pool: &Pool,
    scope: SignInScope,
    key: &str,
    journal: &mut crate::Journal<bool>,
) -> Result<bool> {
    let mut tx = begin_journaled(pool).await?;
    let removed = sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1 AND key = $2")
        .bind(scope.as_str())
        .bind(key)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    commit_journaled(tx, journal, &removed).await?;
    Ok(removed)
}

/// Forgets every row whose last failure is older than `before` and that blocks nothing after
/// `now` (so that addresses seen once do not pile up); how many.
pub(crate) async fn prune_sign_in_failures(
    pool: &Pool,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(sqlx::query(
        "DELETE FROM sign_in_failures WHERE last_failure_at < $1 \
         AND (blocked_until IS NULL OR blocked_until <= $2)",
    )
    .bind(before)
    .bind(now)
    .execute(pool)
    .await?
    .rows_affected())
}

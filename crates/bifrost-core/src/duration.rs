//! Durations people type (`90s`, `30m`, `4h`, `7d`) and the times they reach. The one range
//! rule every front end shares: a duration is whole seconds from 0 to [`MAX_DURATION`], read
//! with checked arithmetic, and a time computed from one is checked too, so no input (a gc
//! grace of `10000000000000d`, a lease of `99999999999h`) overflows a date. What each use
//! accepts inside that range (a lease of 1 s to 7 days, a token of 1 s to 10 years) is the
//! use's own rule on top of this one.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// The longest duration anyone may type: 100 years (36,500 days). Longer ones are refused
/// rather than stored, and every time within it of now is a valid date.
pub const MAX_DURATION: Duration = Duration::from_secs(MAX_DURATION_DAYS * 86_400);

/// [`MAX_DURATION`] in days, as messages state it.
pub const MAX_DURATION_DAYS: u64 = 36_500;

/// Why a typed duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not a whole number followed by `s`, `m`, `h` or `d` (or nothing, for seconds).
    #[error("`{0}` is not a duration; write e.g. 0s, 90s, 30m, 2h or 7d")]
    Unreadable(String),
    /// Readable, but longer than [`MAX_DURATION`].
    #[error(
        "a duration of `{0}` is too long: the longest accepted is {MAX_DURATION_DAYS}d (100 years)"
    )]
    TooLong(String),
}

/// `90s`, `30m`, `4h`, `7d` or a bare number of seconds, up to [`MAX_DURATION`].
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let t = text.trim();
    let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let unit_secs: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(DurationError::Unreadable(text.to_owned())),
    };
    if digits.is_empty() {
        return Err(DurationError::Unreadable(text.to_owned()));
    }
    // Only digits remain: a number too big for u64 is too long, not unreadable.
    let secs = digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_secs))
        .filter(|secs| *secs <= MAX_DURATION.as_secs())
        .ok_or_else(|| DurationError::TooLong(t.to_owned()))?;
    Ok(Duration::from_secs(secs))
}

/// `at - ago`, or `None` when that is no date (only possible beyond [`MAX_DURATION`]).
pub fn checked_before(at: DateTime<Utc>, ago: Duration) -> Option<DateTime<Utc>> {
    chrono::Duration::from_std(ago)
        .ok()
        .and_then(|ago| at.checked_sub_signed(ago))
}

/// `at + later`, or `None` when that is no date (only possible beyond [`MAX_DURATION`]).
pub fn checked_after(at: DateTime<Utc>, later: Duration) -> Option<DateTime<Utc>> {
    chrono::Duration::from_std(later)
        .ok()
        .and_then(|later| at.checked_add_signed(later))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_durations() {
        assert_eq!(parse_duration("0").unwrap().as_secs(), 0);
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration(" 30m ").unwrap().as_secs(), 1800);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 604_800);
        assert_eq!(parse_duration("36500d").unwrap(), MAX_DURATION);
    }

    #[test]
    fn unreadable_durations() {
        for bad in [
            "", "h", "1w", "-1s", "1.5h", "+3s", "3 s", "1e9", "٣s", "0x10",
        ] {
            assert_eq!(
                parse_duration(bad),
                Err(DurationError::Unreadable(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn too_long_durations_are_refused_not_wrapped() {
        for long in [
            "36501d",
            "876001h",
            "99999999999h",
            "10000000000000d",
            "213503982334602d",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999999999999d",
        ] {
            assert_eq!(
                parse_duration(long),
                Err(DurationError::TooLong(long.into())),
                "{long}"
            );
        }
        let message = parse_duration("10000000000000d").unwrap_err().to_string();
        assert!(message.contains("36500d"), "{message}");
    }

    #[test]
    fn every_accepted_duration_reaches_a_date_both_ways() {
        let now = Utc::now();
        for extreme in [DateTime::<Utc>::MIN_UTC, now, DateTime::<Utc>::MAX_UTC] {
            for d in [Duration::ZERO, MAX_DURATION, Duration::MAX] {
                // Never a panic; near the ends of time, no date.
                let _ = checked_before(extreme, d);
                let _ = checked_after(extreme, d);
            }
        }
        assert_eq!(
            checked_before(now, MAX_DURATION).unwrap(),
            now - chrono::Duration::days(36_500)
        );
        assert!(checked_after(now, MAX_DURATION).is_some());
        assert_eq!(checked_after(DateTime::<Utc>::MAX_UTC, MAX_DURATION), None);
    }
}

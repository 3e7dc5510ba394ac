//! When to try a failed delivery again. Pure: the clock and the random source come in as arguments,
//! so the worker stores the answer as the delivery's next attempt time and tests use a fixed seed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

/// Delay before attempt `n + 1` (index `n`): at once, 5 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h,
/// 24 h. Nine attempts over about 45 hours; after the last one the delivery has failed.
pub const SCHEDULE: [Duration; 9] = [
    Duration::ZERO,
    Duration::from_secs(5),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(12 * 3600),
    Duration::from_secs(24 * 3600),
];

/// A receiver's Retry-After is honoured up to this: a partner cannot park a delivery for a week.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Scheduled delays are spread by ±20 % so that deliveries that failed together (a partner's
/// outage) do not all come back in the same second.
const JITTER: f64 = 0.2;

/// The time of the next attempt after `attempts_made` attempts have failed (1 after the first
/// failure), or `None` when the schedule is used up and the delivery should be marked failed.
///
/// `retry_after` is the receiver's own wish (HTTP 429/503): it is honoured, capped at
/// [`MAX_RETRY_AFTER`], and never shortened by jitter (only lengthened by up to 10 %).
pub fn next_attempt<R: Rng + ?Sized>(
    attempts_made: u32,
    now: DateTime<Utc>,
    retry_after: Option<Duration>,
    rng: &mut R,
) -> Option<DateTime<Utc>> {
    let scheduled = *SCHEDULE.get(usize::try_from(attempts_made).ok()?)?;
    let delay = match retry_after {
        Some(wish) => {
            let wish = wish.min(MAX_RETRY_AFTER);
            wish.mul_f64(1.0 + rng.random_range(0.0..=JITTER / 2.0))
        }
        None => scheduled.mul_f64(1.0 + rng.random_range(-JITTER..=JITTER)),
    };
    let delay = chrono::Duration::from_std(delay).ok()?;
    now.checked_add_signed(delay)
}

/// Parses an HTTP `Retry-After` value: delay seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`). A date in the past means "now" (zero). Garbage is `None`.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    let delay = (at - now).to_std().unwrap_or(Duration::ZERO);
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn t0() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn each_step_stays_within_its_jitter_band() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (n, base) in SCHEDULE.iter().enumerate() {
            for _ in 0..200 {
                let at = next_attempt(n as u32, t0(), None, &mut rng).unwrap();
                let delay = (at - t0()).to_std().unwrap().as_secs_f64();
                let base = base.as_secs_f64();
                assert!(
                    delay >= base * 0.8 - 1e-6 && delay <= base * 1.2 + 1e-6,
                    "step {n}: {delay} vs {base}"
                );
            }
        }
    }

    #[test]
    fn jitter_actually_spreads_the_retries() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let times: std::collections::HashSet<_> = (0..50)
            .map(|_| next_attempt(4, t0(), None, &mut rng).unwrap())
            .collect();
        assert!(times.len() > 40, "only {} distinct times", times.len());
    }

    #[test]
    fn the_schedule_ends() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert!(next_attempt(8, t0(), None, &mut rng).is_some());
        assert_eq!(next_attempt(9, t0(), None, &mut rng), None);
        assert_eq!(next_attempt(u32::MAX, t0(), None, &mut rng), None);
        // Even a receiver's Retry-After does not extend a used-up schedule.
        let wish = Some(Duration::from_secs(10));
        assert_eq!(next_attempt(9, t0(), wish, &mut rng), None);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let wish = Duration::from_secs(600);
        for _ in 0..100 {
            let at = next_attempt(1, t0(), Some(wish), &mut rng).unwrap();
            let d = (at - t0()).to_std().unwrap();
            assert!(d >= wish && d <= wish.mul_f64(1.1) + Duration::from_millis(1));
        }
        let at = next_attempt(1, t0(), Some(Duration::from_secs(9_999_999)), &mut rng).unwrap();
        let d = (at - t0()).to_std().unwrap();
        assert!(d >= MAX_RETRY_AFTER && d <= MAX_RETRY_AFTER.mul_f64(1.1) + Duration::from_secs(1));
    }

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        assert_eq!(
            parse_retry_after("120", t0()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 7 ", t0()), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 12:02:30 GMT", t0()),
            Some(Duration::from_secs(150))
        );
        assert_eq!(
            parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", t0()),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("999999999", t0()), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", t0()), None);
        assert_eq!(parse_retry_after("-5", t0()), None);
    }
}

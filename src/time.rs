//! Caller-supplied monotonic time.
//!
//! The engine has no clock: every input that can move time forward takes an [`Instant`],
//! and [`Connection::poll_timeout`](crate::Connection::poll_timeout) answers with one.

use core::time::Duration;

/// A point on the caller's monotonic clock, in milliseconds since an epoch the caller picks.
///
/// Only differences matter, so any monotonic source works: `std::time::Instant` relative to
/// program start, an embassy tick counter, or a virtual clock in tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Instant(u64);

impl Instant {
    /// The epoch of the caller's clock.
    pub const ZERO: Self = Self(0);

    /// An instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// `self + duration`, or `None` on overflow.
    pub fn checked_add(self, duration: Duration) -> Option<Self> {
        // The same whole milliseconds as `as_millis`, without its u128 arithmetic, which
        // would link 128-bit helpers into firmware.
        let millis = duration
            .as_secs()
            .checked_mul(1000)?
            .checked_add(u64::from(duration.subsec_millis()))?;
        self.0.checked_add(millis).map(Self)
    }

    /// `self + duration`, saturating at the end of time.
    pub fn saturating_add(self, duration: Duration) -> Self {
        self.checked_add(duration).unwrap_or(Self(u64::MAX))
    }

    /// `self` plus a `Config` timer of `ms` whole milliseconds, `None` when that timer is
    /// off (`u32::MAX`, the config's `OFF`); saturates like [`saturating_add`](Self::saturating_add).
    /// The engine's deadlines come from here: no `Duration` round trip (its division by
    /// 1000 and the multiplication back cost flash on 32-bit targets).
    pub(crate) const fn after_millis(self, ms: u32) -> Option<Self> {
        if ms == u32::MAX {
            None
        } else {
            Some(Self(self.0.saturating_add(ms as u64)))
        }
    }

    /// Time elapsed since `earlier`, or zero if `earlier` is later.
    pub const fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_add_counts_whole_milliseconds_like_as_millis() {
        for d in [
            Duration::ZERO,
            Duration::from_nanos(999_999),
            Duration::new(5, 999_999_999),
            Duration::new(u64::MAX / 1000, 615_999_999), // exactly u64::MAX ms
        ] {
            let expected = u64::try_from(d.as_millis()).unwrap();
            assert_eq!(
                Instant::ZERO.checked_add(d).map(Instant::as_millis),
                Some(expected)
            );
        }
        // Past u64 milliseconds: `as_millis` would not fit either.
        assert_eq!(
            Instant::ZERO.checked_add(Duration::new(u64::MAX / 1000, 616_000_000)),
            None
        );
        assert_eq!(Instant::ZERO.checked_add(Duration::MAX), None);
    }

    #[test]
    fn after_millis_is_the_config_timer_from_now() {
        use crate::Config;
        let now = Instant::from_millis(1_000);
        let config = Config::new()
            .with_close_timeout(Some(Duration::from_millis(2_500)))
            .with_keepalive(None);
        assert_eq!(
            now.after_millis(config.close_timeout_ms),
            config.close_timeout().map(|t| now.saturating_add(t))
        );
        // An off timer is `u32::MAX` in the config: no deadline.
        assert_eq!(now.after_millis(config.keepalive_ms), None);
        assert_eq!(config.keepalive(), None);
        // The largest timer the config keeps, near the end of time: saturated (never fires).
        let late = Instant::from_millis(u64::MAX - 5);
        assert_eq!(
            late.after_millis(u32::MAX - 1),
            Some(Instant::from_millis(u64::MAX))
        );
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let late = Instant::from_millis(u64::MAX - 1);
        assert_eq!(late.checked_add(Duration::from_millis(2)), None);
        assert_eq!(
            late.saturating_add(Duration::from_secs(1)).as_millis(),
            u64::MAX
        );
        assert_eq!(
            Instant::ZERO.saturating_duration_since(late),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_millis(1500).saturating_duration_since(Instant::from_millis(500)),
            Duration::from_secs(1)
        );
    }
}

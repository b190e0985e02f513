//! The deadlines a connection keeps: opening handshake, keepalive, pong, closing handshake.

use crate::time::Instant;

/// Which deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The opening handshake must be done by then.
    Handshake,
    /// The peer must have answered the keepalive ping by then.
    Pong,
    /// The peer's Close (or, for a client, the server's TCP close) is due by then.
    Close,
    /// Send a keepalive ping then, unless the peer speaks first.
    Keepalive,
}

/// Armed deadlines in milliseconds, `DISARMED` when off: 8 bytes each rather than the 16
/// of an `Option<Instant>` (the per-connection state has a 512-byte budget).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Timers {
    // Indexed by `Timer as usize`, in the order deadlines fire when due together.
    deadlines: [u64; 4],
}

const DISARMED: u64 = u64::MAX;

impl Default for Timers {
    fn default() -> Self {
        Self {
            deadlines: [DISARMED; 4],
        }
    }
}

impl Timers {
    /// Arms (`Some`) or disarms (`None`) `timer`. A deadline at the end of time never fires,
    /// so it is stored as disarmed.
    pub(crate) fn set(&mut self, timer: Timer, deadline: Option<Instant>) {
        if let Some(slot) = self.deadlines.get_mut(timer as usize) {
            *slot = deadline.map_or(DISARMED, Instant::as_millis);
        }
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines
            .get(timer as usize)
            .filter(|&&ms| ms != DISARMED)
            .map(|&ms| Instant::from_millis(ms))
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let earliest = self.deadlines.iter().copied().min().unwrap_or(DISARMED);
        (earliest != DISARMED).then(|| Instant::from_millis(earliest))
    }

    /// Disarms and returns the first deadline due at `now`, if any.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Timer> {
        let due = [
            Timer::Handshake,
            Timer::Pong,
            Timer::Close,
            Timer::Keepalive,
        ]
        .into_iter()
        .find(|&timer| self.get(timer).is_some_and(|deadline| deadline <= now))?;
        self.set(due, None);
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_due_timers_one_at_a_time() {
        let mut timers = Timers::default();
        timers.set(Timer::Keepalive, Some(Instant::from_millis(5)));
        timers.set(Timer::Pong, Some(Instant::from_millis(3)));
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(3)));
        assert_eq!(timers.expire(Instant::from_millis(2)), None);
        assert_eq!(timers.expire(Instant::from_millis(9)), Some(Timer::Pong));
        assert_eq!(
            timers.expire(Instant::from_millis(9)),
            Some(Timer::Keepalive)
        );
        assert_eq!(timers.expire(Instant::from_millis(9)), None);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn end_of_time_is_never() {
        let mut timers = Timers::default();
        timers.set(Timer::Close, Some(Instant::from_millis(u64::MAX)));
        assert_eq!(timers.get(Timer::Close), None);
        assert_eq!(timers.next_deadline(), None);
    }
}

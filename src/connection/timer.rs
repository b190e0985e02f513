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

/// The armed deadline, if any: one slot, because the connection's phases never need two.
///
/// The handshake timer runs only while connecting, keepalive and pong only while open (the
/// pong deadline is armed as the keepalive ping goes out and disarmed, with keepalive
/// re-armed, when the peer speaks), the close timer only while closing or closed; every
/// transition in `state.rs` disarms the previous phase's timer or resets them all. One
/// deadline and its kind take 16 bytes, against 32 for four (the connection's 448-byte
/// budget, issue 14).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timers {
    /// In milliseconds; meaningful only while `armed` is `Some`.
    deadline: u64,
    armed: Option<Timer>,
}

impl Timers {
    /// Arms (`Some`) `timer`, replacing whichever was armed, or disarms it (`None`) if it
    /// is the armed one. A deadline at the end of time never fires, so it disarms too.
    pub(crate) fn set(&mut self, timer: Timer, deadline: Option<Instant>) {
        match deadline.map(Instant::as_millis) {
            Some(ms) if ms != u64::MAX => {
                self.deadline = ms;
                self.armed = Some(timer);
            }
            _ if self.armed == Some(timer) => self.armed = None,
            _ => {}
        }
    }

    /// The deadline of `timer`, if armed.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        (self.armed == Some(timer)).then(|| Instant::from_millis(self.deadline))
    }

    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.armed.map(|_| Instant::from_millis(self.deadline))
    }

    /// Disarms and returns the deadline due at `now`, if any.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Timer> {
        let due = self.armed.filter(|_| self.deadline <= now.as_millis())?;
        self.armed = None;
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_the_armed_timer_once_due() {
        let mut timers = Timers::default();
        timers.set(Timer::Keepalive, Some(Instant::from_millis(5)));
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(5)));
        assert_eq!(timers.expire(Instant::from_millis(4)), None);
        assert_eq!(
            timers.expire(Instant::from_millis(5)),
            Some(Timer::Keepalive)
        );
        assert_eq!(timers.expire(Instant::from_millis(9)), None);
        assert_eq!(timers.next_deadline(), None);
    }

    #[test]
    fn disarming_another_timer_keeps_the_armed_one() {
        let mut timers = Timers::default();
        timers.set(Timer::Close, Some(Instant::from_millis(7)));
        timers.set(Timer::Pong, None);
        timers.set(Timer::Keepalive, None);
        assert_eq!(timers.get(Timer::Close), Some(Instant::from_millis(7)));
        assert_eq!(timers.get(Timer::Pong), None);
        // Arming replaces: the keepalive ping's pong deadline takes over from keepalive.
        timers.set(Timer::Keepalive, Some(Instant::from_millis(3)));
        timers.set(Timer::Pong, Some(Instant::from_millis(4)));
        assert_eq!(timers.get(Timer::Keepalive), None);
        assert_eq!(timers.next_deadline(), Some(Instant::from_millis(4)));
        timers.set(Timer::Pong, None);
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

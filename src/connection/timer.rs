//! The deadlines a connection keeps: opening handshake, keepalive, pong, closing handshake.

use crate::time::Instant;

/// Armed deadlines; `None` is disarmed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Timers {
    /// The opening handshake must be done by then.
    pub(crate) handshake: Option<Instant>,
    /// Send a keepalive ping then, unless the peer speaks first.
    pub(crate) keepalive: Option<Instant>,
    /// The peer must have answered the keepalive ping by then.
    pub(crate) pong: Option<Instant>,
    /// The peer's Close (or, for a client, the server's TCP close) is due by then.
    pub(crate) close: Option<Instant>,
}

/// Which deadline fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    Handshake,
    Keepalive,
    Pong,
    Close,
}

impl Timers {
    /// The earliest armed deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.handshake, self.keepalive, self.pong, self.close]
            .into_iter()
            .flatten()
            .min()
    }

    /// Disarms and returns the earliest deadline due at `now`, if any.
    pub(crate) fn expire(&mut self, now: Instant) -> Option<Timer> {
        let slots = [
            (&mut self.handshake, Timer::Handshake),
            (&mut self.pong, Timer::Pong),
            (&mut self.close, Timer::Close),
            (&mut self.keepalive, Timer::Keepalive),
        ];
        for (slot, timer) in slots {
            if slot.is_some_and(|deadline| deadline <= now) {
                *slot = None;
                return Some(timer);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_due_timers_one_at_a_time() {
        let mut timers = Timers {
            handshake: None,
            keepalive: Some(Instant::from_millis(5)),
            pong: Some(Instant::from_millis(3)),
            close: None,
        };
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
}

//! The connection's states and every transition between them.
//!
//! This file is the one choke point for phase changes (as smoltcp's `set_state`): every
//! method below sets the phase together with the timers, the outcome and the engine's own
//! obligations that go with it, so no other file assigns `phase`, `outcome` or a timer.
//!
//! ```text
//!  server:  AwaitRequest ──request──▶ AwaitDecision ──accept──▶ Open
//!  client:  Idle ──connect──▶ AwaitResponse ──101──────────────▶ Open
//!  upgraded: ─────────────────────────────────────────────────▶ Open
//!  client:  AwaitResponse ──non-101 head──▶ Rejected ──body in──▶ Failed
//!
//!  Open ──close()──────────▶ CloseSent ──peer Close──▶ Closed
//!  Open ──peer Close───────▶ CloseReceived ──echo transmitted──▶ Closed
//!  any ──peer violation────▶ Failed      (sticky error; Close or HTTP error queued)
//!  any ──reject / timeout / EOF──▶ Closed
//! ```
//!
//! Public [`State`] folds these into four: the handshake rows (and `Rejected`) are `Connecting`,
//! `CloseSent` and `CloseReceived` are `Closing`, `Closed` and `Failed` are `Closed`.

use super::Core;
use super::offer::Offer;
use super::timer::{Timer, Timers};
use super::{Closed, Initiator};
use crate::close::CloseCode;
use crate::config::Config;
use crate::error::{Error, Misuse};
use crate::handshake::AcceptKey;
use crate::handshake::client::ExpectedAccept;
use crate::handshake::head::HeadScanner;
use crate::time::Instant;

/// The coarse state of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_enums)] // RFC 6455 §4–7 lifecycle: connecting, open, closing, closed
pub enum State {
    /// The opening handshake is under way.
    Connecting,
    /// Messages flow both ways.
    Open,
    /// One side sent Close; the other side's Close is awaited or queued.
    Closing,
    /// The connection is over; see [`Connection::closed`](crate::Connection::closed).
    Closed,
}

/// Which end of the connection this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[allow(clippy::exhaustive_enums)] // a WebSocket has two ends
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Role {
    /// Sends the upgrade request and masks its frames.
    Client,
    /// Answers the upgrade request and never masks.
    Server,
}

impl Role {
    /// Whether this is the client.
    pub const fn is_client(self) -> bool {
        matches!(self, Self::Client)
    }

    /// Whether this is the server.
    pub const fn is_server(self) -> bool {
        matches!(self, Self::Server)
    }
}

/// `client` or `server`, for logs (the `log` and `tracing` features).
impl core::fmt::Display for Role {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.is_client() { "client" } else { "server" })
    }
}

/// The private, detailed state.
#[derive(Clone, Debug)]
pub(crate) enum Phase {
    ServerAwaitRequest(HeadScanner),
    ServerAwaitDecision(AcceptKey),
    ClientIdle,
    ClientAwaitResponse {
        scanner: HeadScanner,
        accept: ExpectedAccept,
    },
    /// A non-101 response head is in; its body (up to `body_end`) is awaited.
    ClientRejected {
        head_end: usize,
        body_end: usize,
        status: u16,
        body_complete: bool,
    },
    Open,
    CloseSent,
    CloseReceived,
    Closed,
    Failed(Error),
}

impl Phase {
    pub(crate) const fn state(&self) -> State {
        match self {
            Self::ServerAwaitRequest(_)
            | Self::ServerAwaitDecision(_)
            | Self::ClientIdle
            | Self::ClientAwaitResponse { .. }
            | Self::ClientRejected { .. } => State::Connecting,
            Self::Open => State::Open,
            Self::CloseSent | Self::CloseReceived => State::Closing,
            Self::Closed | Self::Failed(_) => State::Closed,
        }
    }

    /// Whether the application may send data and control frames.
    pub(crate) const fn sends_frames(&self) -> bool {
        matches!(self, Self::Open)
    }

    /// The precondition a send or `close` fails in this phase (when it is not open).
    pub(crate) const fn send_misuse(&self) -> Misuse {
        match self {
            Self::CloseSent => Misuse::CloseAlreadySent,
            Self::CloseReceived => Misuse::CloseReceived,
            Self::Closed | Self::Failed(_) => Misuse::ConnectionClosed,
            _ => Misuse::HandshakeIncomplete,
        }
    }
}

impl Phase {
    /// The timers a connection starting in this phase at `now` begins with: an upgraded
    /// (already open) one runs keepalive, any other must finish the opening handshake within
    /// its timeout. A value, not a transition, so the constructor can build the connection
    /// in place (setting timers after construction cost a second connection-sized copy on
    /// the stack: 452 B of frame in `upgraded` on the firmware).
    pub(super) fn starting_timers(&self, config: &Config, now: Instant) -> Timers {
        let mut timers = Timers::default();
        if self.sends_frames() {
            timers.set(Timer::Keepalive, now.after_millis(config.keepalive_ms));
            crate::fmt::debug!("upgraded: open");
        } else {
            let deadline = now.after_millis(config.handshake_timeout_ms);
            timers.set(Timer::Handshake, deadline);
        }
        timers
    }
}

/// The transitions. Each names the input that causes it.
impl Core {
    /// Enters `phase`: the one place the phase changes. Hosted, it also sets the receive
    /// fast path's gate (`refresh_gate`), shut unless the connection is open, so the fast
    /// path reads one byte instead of the phase and the receiver's state (W8).
    fn enter(&mut self, phase: Phase) {
        self.phase = phase;
        #[cfg(not(target_os = "none"))]
        self.refresh_gate();
    }

    /// Server: a valid request arrived; the application decides next.
    pub(super) fn on_request(&mut self, accept: AcceptKey, offer: Offer) {
        self.receiver.stash_offered(offer);
        self.enter(Phase::ServerAwaitDecision(accept));
        crate::fmt::debug!("server: upgrade request received");
    }

    /// Client: the request is written; the handshake deadline runs from `now`.
    pub(super) fn on_connect(&mut self, now: Instant, accept: ExpectedAccept, offer: Offer) {
        let deadline = now.after_millis(self.config.handshake_timeout_ms);
        self.timers.set(Timer::Handshake, deadline);
        // The control stash is idle until the connection opens: it keeps the offer meanwhile.
        self.receiver.stash_offered(offer);
        self.enter(Phase::ClientAwaitResponse {
            scanner: HeadScanner::new(),
            accept,
        });
        crate::fmt::debug!("client: upgrade request sent");
    }

    /// Client: a non-101 head arrived; its body (up to `body_end`) is awaited.
    pub(super) fn on_rejection_head(
        &mut self,
        head_end: usize,
        body_end: usize,
        status: u16,
        body_complete: bool,
    ) {
        self.enter(Phase::ClientRejected {
            head_end,
            body_end,
            status,
            body_complete,
        });
    }

    /// The opening handshake is done (101 sent or received, or an upgraded connection).
    pub(super) fn open(&mut self, now: Instant) {
        self.enter(Phase::Open);
        self.timers.set(Timer::Handshake, None);
        self.arm_keepalive(now);
        crate::fmt::debug!("handshake done ({}): open", self.role);
    }

    /// Server: the application's rejection is written; the transport goes next (bytes
    /// pipelined after the request are never parsed).
    pub(super) fn on_reject_sent(&mut self) {
        crate::fmt::debug!("server: upgrade request rejected");
        self.finish(Closed {
            code: CloseCode::Abnormal,
            clean: false,
            initiator: Initiator::Local,
        });
        self.sender.close_transport();
    }

    /// Our Close is written first: wait for the peer's, from `now`.
    pub(super) fn on_close_sent(&mut self, now: Instant) {
        self.enter(Phase::CloseSent);
        self.timers.set(Timer::Keepalive, None);
        self.timers.set(Timer::Pong, None);
        let deadline = now.after_millis(self.config.close_timeout_ms);
        self.timers.set(Timer::Close, deadline);
        // §5.5.1: nothing the engine originates may follow a Close.
        self.sender.abort();
        crate::fmt::debug!("close sent");
    }

    /// The peer's valid Close arrived (§5.5.1): open, we owe the echo; after our own Close,
    /// the closing handshake is complete.
    pub(super) fn on_close_received(&mut self, code: CloseCode, now: Instant) {
        if matches!(self.phase, Phase::Open) {
            self.enter(Phase::CloseReceived);
            self.sender.queue_close(code);
            self.outcome = Some(Closed {
                code,
                clean: true,
                initiator: Initiator::Remote,
            });
            crate::fmt::debug!("close received: {}", code.0);
        } else {
            self.finish(Closed {
                code,
                clean: true,
                initiator: Initiator::Local,
            });
            self.after_close_exchange(now);
        }
    }

    /// Our answer to the peer's Close is written (the automatic echo or the application's
    /// own `close`): the closing handshake is complete.
    pub(super) fn on_close_echoed(&mut self) {
        let closed = self.outcome.unwrap_or(Closed {
            code: CloseCode::NoStatus,
            clean: true,
            initiator: Initiator::Remote,
        });
        self.sender.abort();
        self.finish(closed);
        self.after_close_exchange(self.now);
    }

    /// Fails the connection ([§7.1.7](https://www.rfc-editor.org/rfc/rfc6455#section-7.1.7)):
    /// queue the Close or HTTP error, stop processing input, make the error sticky.
    pub(super) fn fail(&mut self, error: Error) -> Error {
        crate::fmt::debug!("failing the connection: {}", error);
        let code = error.close_code().unwrap_or(CloseCode::Abnormal);
        self.sender.abort();
        match self.phase {
            Phase::Open if code.is_valid_on_wire() => self.sender.queue_close(code),
            Phase::ServerAwaitRequest(_) => {
                if let Some(status) = error.http_status() {
                    self.sender.queue_http_error(status);
                }
            }
            _ => {}
        }
        self.sender.close_transport();
        self.outcome.get_or_insert(Closed {
            code,
            clean: false,
            initiator: Initiator::Remote,
        });
        self.enter(Phase::Failed(error));
        self.timers = Timers::default();
        error
    }

    /// The transport reached EOF: whatever was queued can no longer be sent.
    pub(super) fn on_eof(&mut self) -> Closed {
        let closed = self.outcome.unwrap_or(Closed {
            code: CloseCode::Abnormal,
            clean: false,
            initiator: Initiator::Remote,
        });
        self.finish(closed);
        self.sender.clear();
        closed
    }

    /// Any input from the peer shows it is alive: the pong deadline is met and the
    /// keepalive interval starts again.
    pub(super) fn on_liveness(&mut self, now: Instant) {
        // Perf: without keepalive no pong deadline is ever armed; skip the timer writes.
        #[cfg(not(target_os = "none"))]
        let keepalive = self.keepalive; // beside the fast path's other fields (W8)
        #[cfg(target_os = "none")]
        let keepalive = self.config.keepalive().is_some();
        if !keepalive {
            return;
        }
        self.timers.set(Timer::Pong, None);
        if self.phase.sends_frames() {
            self.arm_keepalive(now);
        }
    }

    /// Fires every deadline due at `now`; returns the outcome if one ended the connection.
    pub(super) fn on_deadlines(&mut self, now: Instant) -> Option<Closed> {
        let mut ended = None;
        while let Some(timer) = self.timers.expire(now) {
            if let Some(closed) = self.on_timer(timer, now) {
                ended = Some(closed);
            }
        }
        ended
    }

    fn on_timer(&mut self, timer: Timer, now: Instant) -> Option<Closed> {
        match timer {
            Timer::Handshake if self.phase.state() == State::Connecting => {}
            Timer::Keepalive if self.phase.sends_frames() => {
                self.sender.queue_ping();
                let deadline = now.after_millis(self.config.pong_timeout_ms);
                self.timers.set(Timer::Pong, deadline);
                return None;
            }
            Timer::Pong if self.phase.sends_frames() => {}
            Timer::Close if matches!(self.phase, Phase::CloseSent | Phase::CloseReceived) => {}
            Timer::Close if matches!(self.phase, Phase::Closed) => {
                // A client waited long enough for the server's TCP close (§7.1.1).
                self.sender.close_transport();
                return None;
            }
            _ => return None,
        }
        crate::fmt::debug!("deadline passed, dropping the connection");
        self.finish(Closed {
            code: CloseCode::Abnormal,
            clean: false,
            initiator: Initiator::Local,
        });
        self.sender.clear();
        self.sender.close_transport();
        self.outcome
    }

    /// The closing handshake is complete from our side: who closes the transport, when.
    fn after_close_exchange(&mut self, now: Instant) {
        if self.role.is_server() {
            // §7.1.1: the server closes the TCP connection first, at once.
            self.sender.close_transport();
        } else {
            // §7.1.1: the client waits for the server's close, but not forever.
            let deadline = now.after_millis(self.config.close_timeout_ms);
            self.timers.set(Timer::Close, deadline);
            if self.timers.get(Timer::Close).is_none() {
                self.sender.close_transport();
            }
        }
    }

    /// The connection is over: record how (the first outcome known wins), disarm every timer.
    fn finish(&mut self, closed: Closed) {
        self.outcome.get_or_insert(closed);
        if !matches!(self.phase, Phase::Failed(_)) {
            self.enter(Phase::Closed);
        }
        self.timers = Timers::default();
        crate::fmt::debug!("closed: code {}, clean {}", closed.code.0, closed.clean);
    }

    fn arm_keepalive(&mut self, now: Instant) {
        let deadline = now.after_millis(self.config.keepalive_ms);
        self.timers.set(Timer::Keepalive, deadline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_folds_into_its_documented_state() {
        let rows = [
            (
                Phase::ServerAwaitRequest(HeadScanner::new()),
                State::Connecting,
            ),
            (Phase::ClientIdle, State::Connecting),
            (Phase::Open, State::Open),
            (Phase::CloseSent, State::Closing),
            (Phase::CloseReceived, State::Closing),
            (Phase::Closed, State::Closed),
            (
                Phase::Failed(Error::BufferTooSmall { required: 1 }),
                State::Closed,
            ),
        ];
        for (phase, state) in rows {
            assert_eq!(phase.state(), state, "{phase:?}");
        }
    }
}

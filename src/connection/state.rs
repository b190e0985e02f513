//! The connection's states and every transition between them.
//!
//! ```text
//!  server:  AwaitRequest ──request──▶ AwaitDecision ──accept──▶ Open
//!  client:  Idle ──connect──▶ AwaitResponse ──101──────────────▶ Open
//!  upgraded: ─────────────────────────────────────────────────▶ Open
//!
//!  Open ──close()──────────▶ CloseSent ──peer Close──▶ Closed
//!  Open ──peer Close───────▶ CloseReceived ──echo transmitted──▶ Closed
//!  any ──peer violation────▶ Failed      (sticky error; Close or HTTP error queued)
//!  any ──reject / timeout / EOF──▶ Closed
//! ```
//!
//! Public [`State`] folds these into four: the first three rows are `Connecting`,
//! `CloseSent` and `CloseReceived` are `Closing`, `Closed` and `Failed` are `Closed`.

use crate::error::{Error, Misuse};
use crate::handshake::AcceptKey;
use crate::handshake::head::HeadScanner;

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

/// The private, detailed state.
#[derive(Clone, Debug)]
pub(crate) enum Phase {
    ServerAwaitRequest(HeadScanner),
    ServerAwaitDecision(AcceptKey),
    ClientIdle,
    ClientAwaitResponse {
        scanner: HeadScanner,
        accept: AcceptKey,
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

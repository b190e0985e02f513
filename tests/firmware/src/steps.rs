//! The sessions as data: each step is the bytes the peer sends, the event they must give
//! and the bytes the engine must then want sent, walked by one loop (one `receive` and one
//! `poll_transmit` call site) for every frame of every wsmachine session.

use crate::common::{Io, arrive, check_step};
use wsmachine::{Connection, Event, Instant, MaskSource};

/// The event a step's bytes must produce.
#[allow(dead_code)] // Each binary's tables use some of the kinds.
pub enum Kind {
    /// Client: the 101 accepted, the connection open.
    Established,
    /// A text chunk with nothing carried over from an earlier read; whether it ends its
    /// message.
    Text(bool),
    /// A binary chunk; whether it ends its message.
    Binary(bool),
    Ping,
    /// A Close frame with this code.
    Close(u16),
    /// `receive` fails, the error carrying this close code.
    Fails(u16),
}

pub struct Step {
    /// What the peer sends, exactly as on the wire (masked or not); consumed whole.
    pub bytes: &'static [u8],
    pub kind: Kind,
    /// The event's data: the text, the binary data, the ping's, the close reason.
    pub payload: &'static [u8],
    /// What `poll_transmit` must write next, byte for byte; empty: it must write nothing.
    pub reply: &'static [u8],
}

/// Whether `event` is what `step` expects.
fn is_expected(event: Option<Event<'_>>, step: &Step) -> bool {
    match event {
        Some(Event::Established(_)) => matches!(step.kind, Kind::Established),
        // `as_str` is `None` when a code point was carried over from an earlier read.
        Some(Event::Text(chunk)) => {
            matches!(step.kind, Kind::Text(last) if last == chunk.is_last())
                && chunk.as_str().map(str::as_bytes) == Some(step.payload)
        }
        Some(Event::Binary(chunk)) => {
            matches!(step.kind, Kind::Binary(last) if last == chunk.is_last())
                && chunk.as_bytes() == step.payload
        }
        Some(Event::Ping(ping)) => {
            matches!(step.kind, Kind::Ping) && ping.as_bytes() == step.payload
        }
        Some(Event::Close(frame)) => {
            matches!(step.kind, Kind::Close(code) if code == frame.code.0)
                && frame.reason.as_str().as_bytes() == step.payload
        }
        _ => false,
    }
}

/// Feeds each step's bytes to `conn` through `io`, asserting its event and its reply.
#[inline(never)]
pub fn walk<M: MaskSource>(conn: &mut Connection<M>, steps: &[Step], io: &mut Io) {
    for (index, step) in steps.iter().enumerate() {
        let input = arrive(&mut io.input, step.bytes);
        let len = input.len();
        let seen = match conn.receive(Instant::from_millis(1), input) {
            Ok(received) => received.consumed == len && is_expected(received.event, step),
            Err(e) => {
                matches!(step.kind, Kind::Fails(code) if Some(code) == e.close_code().map(|c| c.0))
            }
        };
        check_step(seen, "event", index);
        let sent = match conn.poll_transmit(&mut io.output) {
            Ok(Some(transmit)) => io.output.get(..transmit.len),
            Ok(None) => Some(&[][..]),
            Err(_) => None,
        };
        check_step(sent == Some(step.reply), "reply", index);
    }
}

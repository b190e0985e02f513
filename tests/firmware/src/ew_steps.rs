//! The embedded-websocket firmwares' sessions as data, walked the way `steps` walks
//! wsmachine's: each step is the bytes the peer sends, what `read` must make of them and
//! what the application then writes back (embedded-websocket leaves the pong and the close
//! reply to it), with one `read` and one `write` call site.

use crate::common::{Io, arrive, check_step};
use embedded_websocket::{
    WebSocket, WebSocketCloseStatusCode, WebSocketReceiveMessageType as Rx,
    WebSocketSendMessageType as Tx, WebSocketType,
};
use rand_core::RngCore;

pub struct Step {
    /// What the peer sends, exactly as on the wire; read whole.
    pub bytes: &'static [u8],
    pub kind: Rx,
    /// The payload `read` must write out (a Close's is its code and reason).
    pub payload: &'static [u8],
    /// `read`'s end-of-message flag.
    pub last: bool,
    /// `read`'s close status.
    pub close: Option<WebSocketCloseStatusCode>,
    /// What the application's answer (a pong to a ping, the reply to a Close) must be, byte
    /// for byte; empty: no answer.
    pub reply: &'static [u8],
}

/// Reads each step's bytes through `io`, asserting the result and the answer.
#[inline(never)]
pub fn walk<T: RngCore, Type: WebSocketType>(
    ws: &mut WebSocket<T, Type>,
    steps: &[Step],
    io: &mut Io,
) {
    // embedded-websocket reads into a second buffer (it does not unmask in place): the
    // output buffer's front holds the payload, its back the answer.
    let (to, out) = io.output.split_at_mut(64);
    for (index, step) in steps.iter().enumerate() {
        let from = arrive(&mut io.input, step.bytes);
        let read = match ws.read(from, to) {
            Ok(read) => read,
            Err(_) => crate::common::fail("read"),
        };
        let payload = to.get(..read.len_to).unwrap_or_default();
        check_step(
            read.len_from == step.bytes.len()
                && read.message_type == step.kind
                && payload == step.payload
                && read.end_of_message == step.last
                && read.close_status == step.close,
            "read",
            index,
        );
        let answer = match step.kind {
            Rx::Ping => Some(Tx::Pong),
            Rx::CloseMustReply => Some(Tx::CloseReply),
            _ => None,
        };
        let len = match answer.map(|kind| ws.write(kind, true, payload, out)) {
            Some(Ok(len)) => len,
            Some(Err(_)) => usize::MAX,
            None => 0,
        };
        check_step(out.get(..len) == Some(step.reply), "answer", index);
    }
}

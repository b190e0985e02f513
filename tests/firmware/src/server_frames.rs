//! The server side of a session once upgraded: messages of every kind, a ping, the
//! closing handshake, and a protocol violation answered with the right Close.

use crate::common::{check, fail};
use wsmachine::{CloseCode, Config, Connection, Event, Instant, NoMask, Role};

/// What one frame produced, copied out of the borrowed event.
#[derive(PartialEq)]
pub enum Seen {
    Text([u8; 16], usize, bool),
    Binary([u8; 16], usize, bool),
    Ping([u8; 16], usize),
    Close(u16),
    Nothing,
}

pub fn copy(bytes: &[u8]) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    let n = bytes.len().min(16);
    for (o, b) in out.iter_mut().zip(bytes) {
        *o = *b;
    }
    (out, n)
}

/// Feeds one whole frame (unmasked in place) and returns its event.
pub fn receive(conn: &mut Connection<NoMask>, bytes: &mut [u8], what: &str) -> Seen {
    let len = bytes.len();
    let received = match conn.receive(Instant::from_millis(1), bytes) {
        Ok(received) => received,
        Err(_) => fail(what),
    };
    check(received.consumed == len, what);
    match received.event {
        Some(Event::Text(chunk)) => {
            let (carried, text) = chunk.parts();
            check(carried.is_empty(), what);
            let (b, n) = copy(text.as_bytes());
            Seen::Text(b, n, chunk.is_last())
        }
        Some(Event::Binary(chunk)) => {
            let (b, n) = copy(chunk.as_bytes());
            Seen::Binary(b, n, chunk.is_last())
        }
        Some(Event::Ping(p)) => {
            let (b, n) = copy(p.as_bytes());
            Seen::Ping(b, n)
        }
        Some(Event::Close(frame)) => Seen::Close(frame.code.0),
        Some(_) => fail(what),
        None => Seen::Nothing,
    }
}

pub fn text(s: &[u8], last: bool) -> Seen {
    let (b, n) = copy(s);
    Seen::Text(b, n, last)
}

/// The next frame the engine wants sent, as (opcode byte, payload).
pub fn transmit(conn: &mut Connection<NoMask>, out: &mut [u8; 64], what: &str) -> (u8, usize) {
    match conn.poll_transmit(out) {
        Ok(Some(t)) => (out.first().copied().unwrap_or(0), t.len),
        _ => fail(what),
    }
}

/// Frames from a browser (masked) to `conn`, an open server, each event asserted.
#[inline(never)]
pub fn exchange(conn: &mut Connection<NoMask>, out: &mut [u8; 64]) {
    // RFC 6455 §5.7: a single-frame masked text message containing "Hello".
    let mut hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    check(
        receive(conn, &mut hello, "hello") == text(b"Hello", true),
        "hello event",
    );
    // §5.7: a fragmented unmasked text would be refused by a server; masked "Hel" + "lo".
    let mut first = [0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d];
    let mut last = [0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5b, 0x95];
    check(
        receive(conn, &mut first, "frag1") == text(b"Hel", false),
        "frag1 event",
    );
    check(
        receive(conn, &mut last, "frag2") == text(b"lo", true),
        "frag2 event",
    );
    // A masked ping "Hello": the engine queues the pong itself.
    let mut ping = [
        0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let (pb, pn) = copy(b"Hello");
    check(
        receive(conn, &mut ping, "ping") == Seen::Ping(pb, pn),
        "ping event",
    );
    let (op, len) = transmit(conn, out, "pong");
    check(
        op == 0x8a && len == 7 && out.get(2..7) == Some(b"Hello"),
        "pong bytes",
    );
    // A masked binary [1, 2, 3].
    let mut bin = [0x82, 0x83, 0, 0, 0, 0, 1, 2, 3];
    let (bb, bn) = copy(&[1, 2, 3]);
    check(
        receive(conn, &mut bin, "binary") == Seen::Binary(bb, bn, true),
        "binary event",
    );
    // The closing handshake: a masked Close 1000, echoed.
    let mut close = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8];
    check(
        receive(conn, &mut close, "close") == Seen::Close(1000),
        "close event",
    );
    let (op, len) = transmit(conn, out, "close echo");
    check(
        op == 0x88 && len == 4 && out.get(2..4) == Some(&[0x03, 0xe8]),
        "close echo bytes",
    );
}

/// A fresh open server sent an unmasked frame: the error and the Close 1002 it queues.
#[inline(never)]
pub fn violation(out: &mut [u8; 64]) {
    // A protocol violation: an unmasked frame to a server gets Close 1002.
    let mut bad =
        Connection::upgraded(Config::new(), Role::Server, NoMask, Instant::from_millis(0));
    match bad.receive(Instant::from_millis(1), &mut [0x81, 0x02, b'h', b'i']) {
        Err(e) => check(
            e.close_code() == Some(CloseCode::ProtocolError),
            "violation code",
        ),
        Ok(_) => fail("unmasked frame accepted"),
    }
    let (op, len) = transmit(&mut bad, out, "violation close");
    check(
        op == 0x88 && len >= 4 && out.get(2..4) == Some(&[0x03, 0xea]),
        "close 1002 bytes",
    );
}

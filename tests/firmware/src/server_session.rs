//! A server from the first handshake byte on a Cortex-M4: Chromium's upgrade request (key
//! from RFC 6455 §1.3), the 101 answer with the right Sec-WebSocket-Accept, then the
//! framing session of `server_frames`. Every event is asserted.

use crate::common::{Io, arrive, check, data, fail};
use crate::request::{REQUEST, RESPONSE};
use wsmachine::{Accept, Config, Connection, Event, Instant, NoMask};

/// The whole session; returns only if every check passed. The violation's connection
/// comes after the first one is gone, as in a firmware serving one connection at a time.
pub fn session(io: &mut Io) {
    handshake_and_exchange(io);
    crate::server_frames::violation(io);
}

/// Chromium's request, the 101, then the framing exchange on the same connection.
#[inline(never)]
fn handshake_and_exchange(io: &mut Io) {
    let mut conn = Connection::server(Config::new(), Instant::from_millis(0));
    crate::common::print_size("connection", core::mem::size_of_val(&conn));
    handshake(&mut conn, io);
    crate::server_frames::exchange(&mut conn, io);
}

/// The request and the 101. Out of line: the request's event is gone from the stack
/// before the frames come, as in a firmware whose connection outlives its handshake.
#[inline(never)]
fn handshake(conn: &mut Connection<NoMask>, io: &mut Io) {
    let received = match conn.receive(Instant::from_millis(1), arrive(&mut io.input, REQUEST)) {
        Ok(received) => received,
        Err(_) => fail("request refused"),
    };
    check(received.consumed == REQUEST.len(), "request consumed");
    match received.event {
        Some(Event::UpgradeRequest(request)) => {
            check(request.path().as_bytes() == data!(b"/chat"), "path");
            check(request.host().as_bytes() == data!(b"192.168.1.20"), "host");
            check(
                request.origin().map(str::as_bytes) == Some(data!(b"http://192.168.1.20")),
                "origin",
            );
            check(request.subprotocols().next().is_none(), "no subprotocol");
        }
        _ => fail("no upgrade request"),
    }
    let len = match conn.accept(Instant::from_millis(2), &Accept::new(), &mut io.output) {
        Ok(len) => len,
        Err(_) => fail("accept"),
    };
    // Byte for byte: the 101, the accept key, and no extension accepted (the request offers
    // permessage-deflate, which this build does not have).
    check(io.output.get(..len) == Some(RESPONSE), "101 response");
}

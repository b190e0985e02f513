//! A server from the first handshake byte on a Cortex-M4: Chromium's upgrade request (key
//! from RFC 6455 §1.3), the 101 answer with the right Sec-WebSocket-Accept, then the
//! framing session of `server_frames`. Every event is asserted.

use crate::common::{check, fail};
use crate::request::REQUEST;
use wsmachine::{Accept, Config, Connection, Event, Instant};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The whole session; returns only if every check passed. The violation's connection
/// comes after the first one is gone, as in a firmware serving one connection at a time.
pub fn session() {
    let mut out = [0u8; 64];
    handshake_and_exchange(&mut out);
    crate::server_frames::violation(&mut out);
}

/// Chromium's request, the 101, then the framing exchange on the same connection.
#[inline(never)]
fn handshake_and_exchange(out: &mut [u8; 64]) {
    let mut conn = Connection::server(Config::new(), Instant::from_millis(0));
    crate::common::print_size("connection", core::mem::size_of_val(&conn));
    let mut input = [0u8; 600];
    let n = REQUEST.len();
    check(n <= input.len(), "request fits");
    for (i, b) in input.iter_mut().zip(REQUEST) {
        *i = *b;
    }
    let received = match conn.receive(
        Instant::from_millis(1),
        input.get_mut(..n).unwrap_or_default(),
    ) {
        Ok(received) => received,
        Err(_) => fail("request refused"),
    };
    check(received.consumed == n, "request consumed");
    match received.event {
        Some(Event::UpgradeRequest(request)) => {
            check(request.path() == "/chat", "path");
            check(request.host() == "192.168.1.20", "host");
            check(request.origin() == Some("http://192.168.1.20"), "origin");
            check(request.subprotocols().next().is_none(), "no subprotocol");
        }
        _ => fail("no upgrade request"),
    }
    let mut response = [0u8; 160];
    let len = match conn.accept(Instant::from_millis(2), &Accept::new(), &mut response) {
        Ok(len) => len,
        Err(_) => fail("accept"),
    };
    let response = response.get(..len).unwrap_or_default();
    check(response.starts_with(b"HTTP/1.1 101 "), "101 status");
    check(
        contains(
            response,
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n",
        ),
        "accept key",
    );
    check(
        !contains(response, b"Sec-WebSocket-Extensions"),
        "no extension accepted",
    );
    crate::server_frames::exchange(&mut conn, out);
}

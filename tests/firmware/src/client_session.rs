//! A client on a Cortex-M4 against canned server bytes: the upgrade request (RFC 6455 §1.3
//! key), the server's 101, an unmasked text, a masked send, the server's Close echoed, and
//! a masked frame from the server refused with Close 1002. Every event is asserted.

use crate::common::{check, fail};
use wsmachine::{
    ClientRequest, CloseCode, Config, Connection, Event, Instant, Key, MaskKey, MaskSource,
};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// Out of line like the other session steps: called twice, inlined it would be two copies.
#[inline(never)]
fn open() -> Connection<impl MaskSource> {
    Connection::client(
        Config::new(),
        || MaskKey([0x37, 0xfa, 0x21, 0x3d]),
        Instant::from_millis(0),
    )
}

fn upgrade<M: MaskSource>(conn: &mut Connection<M>) {
    let mut out = [0u8; 200];
    let request = ClientRequest::new("192.168.1.20", "/chat", Key(*b"the sample nonce"));
    let len = match conn.connect(Instant::from_millis(0), &request, &mut out) {
        Ok(len) => len,
        Err(_) => fail("connect"),
    };
    let sent = out.get(..len).unwrap_or_default();
    check(sent.starts_with(b"GET /chat HTTP/1.1\r\n"), "request line");
    check(
        contains(sent, b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
        "key",
    );
    let mut response = *b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
\r\n";
    let n = response.len();
    match conn.receive(Instant::from_millis(1), &mut response) {
        Ok(r) => {
            check(r.consumed == n, "response consumed");
            check(
                matches!(r.event, Some(Event::Established(_))),
                "established",
            );
        }
        Err(_) => fail("response refused"),
    }
}

/// The whole session; returns only if every check passed. Its two connections live one
/// after the other, each in its own step, as a firmware serving one connection at a time.
pub fn session() {
    exchange();
    violation();
}

/// Upgrade, a text each way, the closing handshake.
#[inline(never)]
fn exchange() {
    let mut conn = open();
    crate::common::print_size("connection", core::mem::size_of_val(&conn));
    upgrade(&mut conn);
    // RFC 6455 §5.7: an unmasked text "Hello" from the server.
    let mut hello = [0x81, 0x05, b'H', b'e', b'l', b'l', b'o'];
    match conn.receive(Instant::from_millis(2), &mut hello) {
        Ok(r) => match r.event {
            Some(Event::Text(chunk)) => {
                let (carried, text) = chunk.parts();
                check(
                    carried.is_empty() && text == "Hello" && chunk.is_last(),
                    "text",
                );
            }
            _ => fail("no text event"),
        },
        Err(_) => fail("text refused"),
    }
    // Sending: the frame is masked with the mask source's key.
    let mut out = [0u8; 64];
    match conn.send_text("Hello", &mut out) {
        Ok(len) => check(
            len == 11
                && out.get(..11)
                    == Some(&[
                        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
                    ]),
            "masked send",
        ),
        Err(_) => fail("send"),
    }
    // The server closes with 1000; the client's echo is masked.
    let mut close = [0x88, 0x02, 0x03, 0xe8];
    match conn.receive(Instant::from_millis(3), &mut close) {
        Ok(r) => check(
            matches!(r.event, Some(Event::Close(frame)) if frame.code == CloseCode::Normal),
            "close event",
        ),
        Err(_) => fail("close refused"),
    }
    match conn.poll_transmit(&mut out) {
        Ok(Some(t)) => check(
            t.len == 8 && out.get(..2) == Some(&[0x88, 0x82]),
            "close echo",
        ),
        _ => fail("no close echo"),
    }
}

/// A masked frame from a server is a protocol violation (§5.1): Close 1002.
#[inline(never)]
fn violation() {
    let mut out = [0u8; 64];
    let mut bad = open();
    upgrade(&mut bad);
    match bad.receive(
        Instant::from_millis(2),
        &mut [0x81, 0x82, 0, 0, 0, 0, b'h', b'i'],
    ) {
        Err(e) => check(
            e.close_code() == Some(CloseCode::ProtocolError),
            "violation code",
        ),
        Ok(_) => fail("masked frame accepted"),
    }
    match bad.poll_transmit(&mut out) {
        Ok(Some(t)) => check(
            t.len == 8 && out.get(..2) == Some(&[0x88, 0x82]),
            "close 1002",
        ),
        _ => fail("no close 1002"),
    }
}

//! The reference: embedded-websocket 0.9.5's server doing the `server` session's work on
//! the same skeleton (its own firmware, dev-only, measured by scripts/firmware beside
//! ours). Chromium's upgrade request parsed with httparse (embedded-websocket takes the
//! parsed headers), the 101 answer, the same masked frames (text, fragments, ping → pong,
//! binary, Close 1000 → echo), every result asserted. Then the frame wsmachine refuses
//! with 1002 (an unmasked frame to a server): embedded-websocket accepts it as text, and
//! this firmware asserts that, so the comparison states what it skips.
//!
//! embedded-websocket keeps panic paths, so this binary uses the `report` panic handler.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(report);
#[path = "../request.rs"]
mod request;

use common::{check, fail};
use embedded_websocket::{
    WebSocketCloseStatusCode, WebSocketReceiveMessageType as Rx, WebSocketSendMessageType as Tx,
    WebSocketServer, WebSocketState,
};

#[cortex_m_rt::entry]
fn main() -> ! {
    common::run("ew-server", session)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Reads one whole frame; checks its kind, payload and end-of-message flag.
fn expect(ws: &mut WebSocketServer, frame: &[u8], kind: Rx, payload: &[u8], what: &str) {
    let mut to = [0u8; 64];
    let read = match ws.read(frame, &mut to) {
        Ok(read) => read,
        Err(_) => fail(what),
    };
    check(read.len_from == frame.len(), what);
    check(read.message_type == kind, what);
    check(to.get(..read.len_to) == Some(payload), what);
    check(read.end_of_message == (frame.first() != Some(&0x01)), what);
}

#[inline(never)]
fn session() {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(request::REQUEST) {
        Ok(httparse::Status::Complete(n)) => check(n == request::REQUEST.len(), "request length"),
        _ => fail("request refused"),
    }
    check(request.path == Some("/chat"), "path");
    let headers = request.headers.iter().map(|h| (h.name, h.value));
    let context = match embedded_websocket::read_http_header(headers) {
        Ok(Some(context)) => context,
        _ => fail("no upgrade request"),
    };
    check(
        context.sec_websocket_protocol_list.is_empty(),
        "no subprotocol",
    );
    let mut ws = WebSocketServer::new_server();
    let mut response = [0u8; 160];
    let len = match ws.server_accept(&context.sec_websocket_key, None, &mut response) {
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

    let hello = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    expect(&mut ws, &hello, Rx::Text, b"Hello", "hello");
    let first = [0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d];
    let last = [0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5b, 0x95];
    expect(&mut ws, &first, Rx::Text, b"Hel", "frag1");
    expect(&mut ws, &last, Rx::Text, b"lo", "frag2");
    let ping = [
        0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    expect(&mut ws, &ping, Rx::Ping, b"Hello", "ping");
    let mut out = [0u8; 64];
    // embedded-websocket leaves the pong to the application.
    let len = ws.write(Tx::Pong, true, b"Hello", &mut out).unwrap_or(0);
    check(
        len == 7 && out.first() == Some(&0x8a) && out.get(2..7) == Some(b"Hello"),
        "pong bytes",
    );
    let bin = [0x82, 0x83, 0, 0, 0, 0, 1, 2, 3];
    expect(&mut ws, &bin, Rx::Binary, &[1, 2, 3], "binary");
    let close = [0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8];
    let mut to = [0u8; 64];
    match ws.read(&close, &mut to) {
        Ok(read) => {
            check(read.message_type == Rx::CloseMustReply, "close event");
            check(
                read.close_status == Some(WebSocketCloseStatusCode::NormalClosure),
                "close code",
            );
        }
        Err(_) => fail("close"),
    }
    let len = ws
        .write(Tx::CloseReply, true, &[0x03, 0xe8], &mut out)
        .unwrap_or(0);
    check(
        len == 4 && out.first() == Some(&0x88) && out.get(2..4) == Some(&[0x03, 0xe8]),
        "close echo bytes",
    );

    // RFC 6455 §5.1 requires a server to fail this unmasked frame; embedded-websocket
    // reads it as text.
    let mut lax = WebSocketServer::new_server();
    lax.state = WebSocketState::Open;
    expect(
        &mut lax,
        &[0x81, 0x02, b'h', b'i'],
        Rx::Text,
        b"hi",
        "unmasked",
    );
}

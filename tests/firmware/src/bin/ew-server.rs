//! The reference: embedded-websocket 0.9.5's server doing the `server` session's work on
//! the same skeleton, with the same static I/O buffers and the same table-driven steps (its
//! own firmware, dev-only, measured by scripts/firmware beside ours). Chromium's upgrade
//! request parsed with httparse (embedded-websocket takes the parsed headers), the 101
//! answer, the same masked frames (text, fragments, ping → pong, binary, Close 1000 →
//! echo), every result asserted. Then the frame wsmachine refuses with 1002 (an unmasked
//! frame to a server): embedded-websocket accepts it as text, and this firmware asserts
//! that, so the comparison states what it skips.
//!
//! embedded-websocket keeps panic paths, so this binary uses the `report` panic handler.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(report);
#[path = "../ew_steps.rs"]
mod ew_steps;
#[path = "../request.rs"]
mod request;

use common::{Io, arrive, check, data, fail};
use embedded_websocket::{
    WebSocketCloseStatusCode, WebSocketReceiveMessageType as Rx, WebSocketServer, WebSocketState,
};
use ew_steps::{Step, walk};

#[cortex_m_rt::entry]
fn main() -> ! {
    let io = common::io();
    common::run("ew-server", || session(io))
}

/// embedded-websocket's 101 for the request's key, byte for byte (its header order).
const RESPONSE: &[u8] = data!(
    b"HTTP/1.1 101 Switching Protocols\r\n\
Connection: Upgrade\r\n\
Upgrade: websocket\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
\r\n"
);

/// The frames of `server_frames::EXCHANGE`; the application answers the ping and the Close.
#[unsafe(link_section = ".testdata")]
static EXCHANGE: [Step; 6] = [
    Step {
        bytes: data!(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]),
        kind: Rx::Text,
        payload: data!(b"Hello"),
        last: true,
        close: None,
        reply: &[],
    },
    Step {
        bytes: data!(&[0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d]),
        kind: Rx::Text,
        payload: data!(b"Hel"),
        last: false,
        close: None,
        reply: &[],
    },
    Step {
        bytes: data!(&[0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5b, 0x95]),
        kind: Rx::Text,
        payload: data!(b"lo"),
        last: true,
        close: None,
        reply: &[],
    },
    Step {
        bytes: data!(&[
            0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]),
        kind: Rx::Ping,
        payload: data!(b"Hello"),
        last: true,
        close: None,
        reply: data!(&[0x8a, 0x05, b'H', b'e', b'l', b'l', b'o']),
    },
    Step {
        bytes: data!(&[0x82, 0x83, 0, 0, 0, 0, 1, 2, 3]),
        kind: Rx::Binary,
        payload: data!(&[1, 2, 3]),
        last: true,
        close: None,
        reply: &[],
    },
    Step {
        bytes: data!(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]),
        kind: Rx::CloseMustReply,
        payload: data!(&[0x03, 0xe8]),
        last: true,
        close: Some(WebSocketCloseStatusCode::NormalClosure),
        reply: data!(&[0x88, 0x02, 0x03, 0xe8]),
    },
];

/// RFC 6455 §5.1 requires a server to fail this unmasked frame; embedded-websocket reads it
/// as text.
#[unsafe(link_section = ".testdata")]
static LAX: [Step; 1] = [Step {
    bytes: data!(&[0x81, 0x02, b'h', b'i']),
    kind: Rx::Text,
    payload: data!(b"hi"),
    last: true,
    close: None,
    reply: &[],
}];

#[inline(never)]
fn session(io: &mut Io) {
    let mut headers = [httparse::EMPTY_HEADER; 16];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(arrive(&mut io.input, request::REQUEST)) {
        Ok(httparse::Status::Complete(n)) => check(n == request::REQUEST.len(), "request length"),
        _ => fail("request refused"),
    }
    check(
        request.path.map(str::as_bytes) == Some(data!(b"/chat")),
        "path",
    );
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
    let len = match ws.server_accept(&context.sec_websocket_key, None, &mut io.output) {
        Ok(len) => len,
        Err(_) => fail("accept"),
    };
    check(io.output.get(..len) == Some(RESPONSE), "101 response");
    walk(&mut ws, &EXCHANGE, io);

    let mut lax = WebSocketServer::new_server();
    lax.state = WebSocketState::Open;
    walk(&mut lax, &LAX, io);
}

//! The reference client: embedded-websocket 0.9.5's client doing the `client` session's
//! work on the same skeleton, with the same static I/O buffers and the same table-driven
//! steps (dev-only, measured by scripts/firmware beside ours): the upgrade request with the
//! RFC 6455 §1.3 key, the same canned 101, an unmasked text, a masked send, the server's
//! Close echoed, every result asserted. Then the frame wsmachine refuses with 1002 (a
//! masked frame from a server): embedded-websocket accepts it as text, and this firmware
//! asserts that.
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
    WebSocketClient, WebSocketCloseStatusCode, WebSocketOptions, WebSocketReceiveMessageType as Rx,
    WebSocketSendMessageType as Tx,
};
use ew_steps::{Step, walk};

#[cortex_m_rt::entry]
fn main() -> ! {
    let io = common::io();
    common::run("ew-client", || session(io))
}

/// The bytes embedded-websocket asks for: the 16-byte key first, then the mask key, the
/// same ones wsmachine's client session uses.
struct Canned(usize);

impl rand_core::RngCore for Canned {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        u64::from(self.next_u32())
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        const KEY: &[u8; 16] = b"the sample nonce";
        const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
        for d in dest {
            *d = KEY
                .get(self.0)
                .copied()
                .unwrap_or_else(|| MASK.get(self.0 % 4).copied().unwrap_or(0));
            self.0 += 1;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// embedded-websocket's request for ws://192.168.1.20/chat, byte for byte (it always sends
/// an Origin, empty here).
const REQUEST: &[u8] = data!(
    b"GET /chat HTTP/1.1\r\n\
Host: 192.168.1.20\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Origin: \r\n\
Sec-WebSocket-Version: 13\r\n\
\r\n"
);

/// RFC 6455 §5.7's unmasked text "Hello" from the server, then its Close 1000; the
/// application's reply is masked with the canned key.
#[unsafe(link_section = ".testdata")]
static EXCHANGE: [Step; 2] = [
    Step {
        bytes: data!(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']),
        kind: Rx::Text,
        payload: data!(b"Hello"),
        last: true,
        close: None,
        reply: &[],
    },
    Step {
        bytes: data!(&[0x88, 0x02, 0x03, 0xe8]),
        kind: Rx::CloseMustReply,
        payload: data!(&[0x03, 0xe8]),
        last: true,
        close: Some(WebSocketCloseStatusCode::NormalClosure),
        reply: data!(&[0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x03 ^ 0x37, 0xe8 ^ 0xfa]),
    },
];

/// RFC 6455 §5.1 requires a client to fail a masked frame; embedded-websocket reads it.
#[unsafe(link_section = ".testdata")]
static LAX: [Step; 1] = [Step {
    bytes: data!(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']),
    kind: Rx::Text,
    payload: data!(b"hi"),
    last: true,
    close: None,
    reply: &[],
}];

/// "Hello" masked with 37 fa 21 3d, as the client must send it.
const MASKED_HELLO: &[u8] = data!(&[
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
]);

/// A client upgraded against the canned 101, its request checked byte for byte.
#[inline(never)]
fn upgrade(io: &mut Io) -> WebSocketClient<Canned> {
    let mut ws = WebSocketClient::new_client(Canned(0));
    let options = WebSocketOptions {
        path: "/chat",
        host: "192.168.1.20",
        origin: "",
        sub_protocols: None,
        additional_headers: None,
    };
    let (len, key) = match ws.client_connect(&options, &mut io.output) {
        Ok(sent) => sent,
        Err(_) => fail("connect"),
    };
    check(io.output.get(..len) == Some(REQUEST), "request");
    match ws.client_accept(&key, arrive(&mut io.input, request::RESPONSE)) {
        Ok((n, None)) => check(n == request::RESPONSE.len(), "response consumed"),
        _ => fail("response refused"),
    }
    ws
}

#[inline(never)]
fn session(io: &mut Io) {
    // The client's text first, as in wsmachine's session.
    let mut ws = upgrade(io);
    let sent = match ws.write(Tx::Text, true, b"Hello", &mut io.output) {
        Ok(len) => io.output.get(..len),
        Err(_) => None,
    };
    check(sent == Some(MASKED_HELLO), "masked send");
    walk(&mut ws, &EXCHANGE, io);

    let mut lax = upgrade(io);
    walk(&mut lax, &LAX, io);
}

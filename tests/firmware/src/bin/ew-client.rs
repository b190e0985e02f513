//! The reference client: embedded-websocket 0.9.5's client doing the `client` session's
//! work on the same skeleton (dev-only, measured by scripts/firmware beside ours): the
//! upgrade request with the RFC 6455 §1.3 key, the same canned 101, an unmasked text, a
//! masked send, the server's Close echoed, every result asserted. Then the frame
//! wsmachine refuses with 1002 (a masked frame from a server): embedded-websocket
//! accepts it as text, and this firmware asserts that.
//!
//! embedded-websocket keeps panic paths, so this binary uses the `report` panic handler.
#![no_std]
#![no_main]

#[path = "../common.rs"]
mod common;
common::panic_handler_for!(report);

use common::{check, fail};
use embedded_websocket::{
    WebSocketClient, WebSocketOptions, WebSocketReceiveMessageType as Rx,
    WebSocketSendMessageType as Tx,
};

#[cortex_m_rt::entry]
fn main() -> ! {
    common::run("ew-client", session)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
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

const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
\r\n";

/// A client upgraded against the canned 101.
fn upgrade() -> WebSocketClient<Canned> {
    let mut ws = WebSocketClient::new_client(Canned(0));
    let options = WebSocketOptions {
        path: "/chat",
        host: "192.168.1.20",
        origin: "",
        sub_protocols: None,
        additional_headers: None,
    };
    let mut out = [0u8; 200];
    let (len, key) = match ws.client_connect(&options, &mut out) {
        Ok(sent) => sent,
        Err(_) => fail("connect"),
    };
    let sent = out.get(..len).unwrap_or_default();
    check(sent.starts_with(b"GET /chat HTTP/1.1\r\n"), "request line");
    check(
        contains(sent, b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"),
        "key",
    );
    match ws.client_accept(&key, RESPONSE) {
        Ok((n, None)) => check(n == RESPONSE.len(), "response consumed"),
        _ => fail("response refused"),
    }
    ws
}

#[inline(never)]
fn session() {
    let mut ws = upgrade();
    let mut to = [0u8; 64];
    match ws.read(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o'], &mut to) {
        Ok(r) => check(
            r.message_type == Rx::Text && r.end_of_message && to.get(..r.len_to) == Some(b"Hello"),
            "text",
        ),
        Err(_) => fail("text refused"),
    }
    let mut out = [0u8; 64];
    let len = ws.write(Tx::Text, true, b"Hello", &mut out).unwrap_or(0);
    check(
        out.get(..len)
            == Some(&[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ]),
        "masked send",
    );
    match ws.read(&[0x88, 0x02, 0x03, 0xe8], &mut to) {
        Ok(r) => check(r.message_type == Rx::CloseMustReply, "close event"),
        Err(_) => fail("close refused"),
    }
    let len = ws
        .write(Tx::CloseReply, true, &[0x03, 0xe8], &mut out)
        .unwrap_or(0);
    check(
        len == 8 && out.get(..2) == Some(&[0x88, 0x82]),
        "close echo",
    );

    // RFC 6455 §5.1 requires a client to fail a masked frame; embedded-websocket reads it.
    let mut lax = upgrade();
    match lax.read(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i'], &mut to) {
        Ok(r) => check(
            r.message_type == Rx::Text && to.get(..r.len_to) == Some(b"hi"),
            "masked frame read",
        ),
        Err(_) => fail("masked frame refused"),
    }
}

//! A client on a Cortex-M4 against canned server bytes: data!(the upgrade request (RFC 6455 §1.3
//! key)), the server's 101, a masked send, an unmasked text, the server's Close echoed, and
//! a masked frame from the server refused with Close 1002. Every event is asserted.

use crate::common::{Io, check, data, fail};
use crate::steps::{Kind, Step, walk};
use wsmachine::{ClientRequest, Config, Connection, Instant, Key, MaskKey, MaskSource};

/// The server's 101 for the RFC 6455 §1.3 key: the connection opens, nothing is sent.
#[unsafe(link_section = ".testdata")]
static ESTABLISHED: [Step; 1] = [Step {
    bytes: crate::request::RESPONSE,
    kind: Kind::Established,
    payload: b"",
    reply: &[],
}];

/// RFC 6455 §5.7's unmasked text "Hello" from the server, then its Close 1000, which the
/// client echoes masked with the mask source's key.
#[unsafe(link_section = ".testdata")]
static EXCHANGE: [Step; 2] = [
    Step {
        bytes: data!(&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']),
        kind: Kind::Text(true),
        payload: data!(b"Hello"),
        reply: &[],
    },
    Step {
        bytes: data!(&[0x88, 0x02, 0x03, 0xe8]),
        kind: Kind::Close(1000),
        payload: b"",
        reply: data!(&[0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x03 ^ 0x37, 0xe8 ^ 0xfa]),
    },
];

/// A masked frame from the server is a protocol violation (§5.1): the connection fails
/// with 1002 and queues a masked Close 1002.
#[unsafe(link_section = ".testdata")]
static VIOLATION: [Step; 1] = [Step {
    bytes: data!(&[0x81, 0x82, 0, 0, 0, 0, b'h', b'i']),
    kind: Kind::Fails(1002),
    payload: b"",
    reply: data!(&[0x88, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x03 ^ 0x37, 0xea ^ 0xfa]),
}];

/// "Hello" masked with 37 fa 21 3d, as the client must send it.
const MASKED_HELLO: &[u8] = data!(&[
    0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
]);

/// The request for ws://192.168.1.20/chat with the RFC 6455 §1.3 key.
const REQUEST: &[u8] = data!(
    b"GET /chat HTTP/1.1\r\n\
Host: 192.168.1.20\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\
\r\n"
);

// Out of line like the other session steps: called twice, inlined it would be two copies.
#[inline(never)]
fn open() -> Connection<impl MaskSource> {
    Connection::client(
        Config::new(),
        || MaskKey([0x37, 0xfa, 0x21, 0x3d]),
        Instant::from_millis(0),
    )
}

/// Upgrades `conn` against the canned 101, its request checked byte for byte.
// The connection is the caller's: returned from here, it would be copied.
fn upgrade<M: MaskSource>(conn: &mut Connection<M>, io: &mut Io) {
    connect(conn, io);
    walk(conn, &ESTABLISHED, io);
}

// Out of line: the request's frame is gone before the response is read.
#[inline(never)]
fn connect<M: MaskSource>(conn: &mut Connection<M>, io: &mut Io) {
    let request = ClientRequest::new("192.168.1.20", "/chat", Key(*b"the sample nonce"));
    let len = match conn.connect(Instant::from_millis(0), &request, &mut io.output) {
        Ok(len) => len,
        Err(_) => fail("connect"),
    };
    check(io.output.get(..len) == Some(REQUEST), "request");
}

/// The whole session; returns only if every check passed. Its two connections live one
/// after the other, each in its own step, as a firmware serving one connection at a time.
pub fn session(io: &mut Io) {
    exchange(io);
    violation(io);
}

/// Upgrade, a text each way (the client's first: the two directions are independent), the
/// closing handshake.
#[inline(never)]
fn exchange(io: &mut Io) {
    let mut conn = open();
    crate::common::print_size("connection", core::mem::size_of_val(&conn));
    upgrade(&mut conn, io);
    let sent = match conn.send_text("Hello", &mut io.output) {
        Ok(len) => io.output.get(..len),
        Err(_) => None,
    };
    check(sent == Some(MASKED_HELLO), "masked send");
    walk(&mut conn, &EXCHANGE, io);
}

#[inline(never)]
fn violation(io: &mut Io) {
    let mut bad = open();
    upgrade(&mut bad, io);
    walk(&mut bad, &VIOLATION, io);
}

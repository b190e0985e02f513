//! The server side of a session once upgraded: messages of every kind, a ping, the
//! closing handshake, and a protocol violation answered with the right Close.

use crate::common::{Io, data};
use crate::steps::{Kind, Step, walk};
use wsmachine::{Config, Connection, Instant, NoMask, Role};

/// Frames from a browser (masked, key 37 fa 21 3d or zero) to an open server.
#[unsafe(link_section = ".testdata")]
static EXCHANGE: [Step; 6] = [
    // RFC 6455 §5.7: a single-frame masked text message containing "Hello".
    Step {
        bytes: data!(&[
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]),
        kind: Kind::Text(true),
        payload: data!(b"Hello"),
        reply: &[],
    },
    // §5.7's fragmented text, masked as a client must: "Hel" + "lo".
    Step {
        bytes: data!(&[0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d]),
        kind: Kind::Text(false),
        payload: data!(b"Hel"),
        reply: &[],
    },
    Step {
        bytes: data!(&[0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5b, 0x95]),
        kind: Kind::Text(true),
        payload: data!(b"lo"),
        reply: &[],
    },
    // A masked ping "Hello": the engine queues the (unmasked) pong itself.
    Step {
        bytes: data!(&[
            0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ]),
        kind: Kind::Ping,
        payload: data!(b"Hello"),
        reply: data!(&[0x8a, 0x05, b'H', b'e', b'l', b'l', b'o']),
    },
    // A masked binary [1, 2, 3].
    Step {
        bytes: data!(&[0x82, 0x83, 0, 0, 0, 0, 1, 2, 3]),
        kind: Kind::Binary(true),
        payload: data!(&[1, 2, 3]),
        reply: &[],
    },
    // The closing handshake: a masked Close 1000, echoed.
    Step {
        bytes: data!(&[0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]),
        kind: Kind::Close(1000),
        payload: b"",
        reply: data!(&[0x88, 0x02, 0x03, 0xe8]),
    },
];

/// RFC 6455 §5.1: a server must fail an unmasked frame; the engine queues Close 1002.
#[unsafe(link_section = ".testdata")]
static VIOLATION: [Step; 1] = [Step {
    bytes: data!(&[0x81, 0x02, b'h', b'i']),
    kind: Kind::Fails(1002),
    payload: b"",
    reply: data!(&[0x88, 0x02, 0x03, 0xea]),
}];

/// The exchange on `conn`, an open server.
pub fn exchange(conn: &mut Connection<NoMask>, io: &mut Io) {
    walk(conn, &EXCHANGE, io);
}

/// A fresh open server sent an unmasked frame: the error and the Close 1002 it queues.
#[inline(never)]
pub fn violation(io: &mut Io) {
    let mut bad =
        Connection::upgraded(Config::new(), Role::Server, NoMask, Instant::from_millis(0));
    walk(&mut bad, &VIOLATION, io);
}

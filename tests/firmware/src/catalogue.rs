//! The adversarial catalogue's sharpest cases (`RFC6455-RULES.md`, IDs in the comments) on
//! the target: each hostile input on a fresh connection, fed until the engine fails it; the
//! error must carry the catalogue's close code or HTTP status, and the engine must then want
//! to send exactly the matching Close frame or an HTTP response with that status line.
//! Plus a valid session fed one byte per call (ADV-A1), whose unmasked bytes must equal the
//! one-shot result (the mask-offset bug class, on a 32-bit target).

use crate::common::{Io, arrive, check_step};
use wsmachine::{
    ClientRequest, Config, Connection, Error, Event, Instant, Key, MaskKey, MaskSource, NoMask,
    ProtocolViolation, Role,
};

/// One hostile input and the code its failure must carry: a close code for frames, an HTTP
/// status for a server's handshake.
pub struct Case {
    pub bytes: &'static [u8],
    pub code: u16,
}

const fn case(bytes: &'static [u8], code: u16) -> Case {
    Case { bytes, code }
}

/// Limits small enough that the fragment and size cases need only a few bytes.
pub const LIMITED: Config = Config::new()
    .with_max_message_len(64)
    .with_max_fragments(4)
    .with_max_head_len(400);

/// Masked client frames (key 0 where the payload does not matter) to an open server.
pub static FRAMES: [Case; 24] = [
    // C1: RSV1 on a text frame, RSV2 on a ping (nothing negotiated).
    case(&[0xc1, 0x80, 0, 0, 0, 0], 1002),
    case(&[0xa9, 0x80, 0, 0, 0, 0], 1002),
    // C2: reserved opcodes 3 and 0xB, the first with the largest declared length: failed at
    // the header, before any payload byte.
    case(
        &[
            0x83, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
        ],
        1002,
    ),
    case(&[0x8b, 0x80, 0, 0, 0, 0], 1002),
    // C3: an unmasked frame to a server.
    case(&[0x81, 0x02, b'h', b'i'], 1002),
    // C4: a ping with the 7-bit length 126, failed on its second byte.
    case(&[0x89, 0xfe], 1002),
    // C5: a ping and a close with FIN = 0.
    case(&[0x09, 0x80, 0, 0, 0, 0], 1002),
    case(&[0x08, 0x80, 0, 0, 0, 0], 1002),
    // C6: 64-bit lengths with the most significant bit set.
    case(&[0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1002),
    case(
        &[
            0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
        ],
        1002,
    ),
    // C7: a data frame of 2^63 - 1 bytes, failed right after its header.
    case(
        &[
            0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
        ],
        1009,
    ),
    // C8: non-minimal lengths (126 + 0x007D, 127 + 0xFFFF).
    case(&[0x82, 0xfe, 0x00, 0x7d, 0, 0, 0, 0], 1002),
    case(
        &[0x82, 0xff, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0],
        1002,
    ),
    // C12: the 14-byte actix input (control opcode, length 127, huge length, mask).
    case(
        &[
            0x8a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
        ],
        1002,
    ),
    // D1 / E11: a continuation with no message open, one carrying FF FE.
    case(&[0x80, 0x80, 0, 0, 0, 0], 1002),
    case(&[0x80, 0x82, 0, 0, 0, 0, 0xff, 0xfe], 1002),
    // D2: a text frame with FIN = 0, then a new text frame.
    case(
        &[0x01, 0x81, 0, 0, 0, 0, b'a', 0x81, 0x81, 0, 0, 0, 0, b'b'],
        1002,
    ),
    // D5: zero-length continuations past `max_fragments` (4).
    case(
        &[
            0x01, 0x80, 0, 0, 0, 0, 0x00, 0x80, 0, 0, 0, 0, 0x00, 0x80, 0, 0, 0, 0, 0x00, 0x80, 0,
            0, 0, 0, 0x00, 0x80, 0, 0, 0, 0,
        ],
        1008,
    ),
    // D6: two fragments within the frame limit whose sum passes `max_message_len` (64),
    // failed at the crossing fragment's header.
    case(&OVER_MESSAGE, 1009),
    // E2: `F0 90 80` then `28` in a frame whose rest has not arrived: failed when the 28
    // arrives (fail fast), not at the end of the frame.
    case(&[0x81, 0x8a, 0, 0, 0, 0, 0xf0, 0x90, 0x80, 0x28], 1007),
    // E4 / E5: an overlong NUL and a surrogate.
    case(&[0x81, 0x82, 0, 0, 0, 0, 0xc0, 0x80], 1007),
    case(&[0x81, 0x83, 0, 0, 0, 0, 0xed, 0xa0, 0x80], 1007),
    // E10: a Close 1000 whose reason is not UTF-8.
    case(&[0x88, 0x83, 0, 0, 0, 0, 0x03, 0xe8, 0xff], 1007),
    // F2 / F3: a Close payload of one byte; close codes 1005 (never on the wire) and 999.
    case(&[0x88, 0x81, 0, 0, 0, 0, 0x03], 1002),
];

/// D6's input: a 32-byte first fragment, then the header of a 33-byte last one.
static OVER_MESSAGE: [u8; 6 + 32 + 6] = {
    let mut wire = [1; 6 + 32 + 6];
    let (first, last) = ([0x02, 0xa0, 0, 0, 0, 0], [0x80, 0xa1, 0, 0, 0, 0]);
    let mut i = 0;
    while i < 6 {
        wire[i] = first[i];
        wire[6 + 32 + i] = last[i];
        i += 1;
    }
    wire
};

/// F3 / F4 continued: codes no endpoint may send.
pub static CLOSE_CODES: [u16; 6] = [1005, 999, 1015, 1100, 2999, 5000];

/// Builds a request head from its lines (each without CRLF).
macro_rules! head {
    ($($line:literal),* $(,)?) => {
        concat!($($line, "\r\n",)* "\r\n").as_bytes()
    };
}

/// Server handshakes that must be refused, with the status the engine answers.
pub static REQUESTS: [Case; 13] = [
    // B5: a space before the colon, an obs-fold continuation, a bare CR.
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            "Upgrade : websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            " b",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a\rb",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    // B9: a key of 23 characters.
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    // B10: the key twice.
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    // B11: version 8, and a list.
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 8"
        ),
        426,
    ),
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13, 8"
        ),
        426,
    ),
    // B12: POST; HTTP/1.0; no Host.
    case(
        head!(
            "POST / HTTP/1.1",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        405,
    ),
    case(
        head!(
            "GET / HTTP/1.0",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    case(
        head!(
            "GET / HTTP/1.1",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13"
        ),
        400,
    ),
    // B13: a body on the upgrade.
    case(
        head!(
            "GET / HTTP/1.1",
            "Host: a",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version: 13",
            "Content-Length: 100"
        ),
        400,
    ),
    // B22: an Origin that is not UTF-8 (octal escapes are not literals: spelled as bytes).
    case(
        b"GET / HTTP/1.1\r\nHost: a\r\nOrigin: http://\xff\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n",
        400,
    ),
    // B1 (the limit at 400 bytes): a head that passes `max_head_len` with no end in sight.
    case(&LONG_HEAD, 431),
];

/// B1's input: a request line, then one header value that runs past the 400-byte limit.
static LONG_HEAD: [u8; 480] = {
    let mut head = [b'a'; 480];
    let start = b"GET / HTTP/1.1\r\nHost: a\r\nX: ";
    let mut i = 0;
    while i < start.len() {
        head[i] = start[i];
        i += 1;
    }
    head
};

/// B2: more header lines than `max_headers` (32): 33 lines `a: b`.
static MANY_HEADERS: [u8; 16 + 33 * 6 + 2] = {
    let mut head = [0; 16 + 33 * 6 + 2];
    let start = b"GET / HTTP/1.1\r\n";
    let mut i = 0;
    while i < start.len() {
        head[i] = start[i];
        i += 1;
    }
    while i + 6 <= 16 + 33 * 6 {
        let line = b"a: b\r\n";
        let mut j = 0;
        while j < 6 {
            head[i + j] = line[j];
            j += 1;
        }
        i += 6;
    }
    head[i] = b'\r';
    head[i + 1] = b'\n';
    head
};

/// Client: canned answers to the RFC 6455 §1.3 request that must fail the handshake (B20),
/// after which the client sends nothing (it answers nothing over HTTP).
pub static RESPONSES: [&[u8]; 4] = [
    // `Upgrade: websocketx`.
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocketx\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    // No `Connection`.
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    // The accept value of another key.
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: HSmrc0sMlYUkAGmm5OPpG2HaGWk=\r\n\r\n",
    // A subprotocol that was not offered.
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
];

/// B18: a client shown a 400 (with a body) surfaces the status and opens nothing.
pub const REFUSED: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno";

/// Feeds `bytes` to `conn` until `receive` fails; returns the error (`None` if every byte
/// was taken without one) and the length of what the engine then wants to send (into
/// `io.output`).
fn fail_on<M: MaskSource>(
    conn: &mut Connection<M>,
    bytes: &[u8],
    io: &mut Io,
) -> (Option<Error>, usize) {
    let mut input = arrive(&mut io.input, bytes);
    let error = loop {
        match conn.receive(Instant::from_millis(1), input) {
            Ok(received) if received.consumed > 0 || received.event.is_some() => {
                let consumed = received.consumed;
                input = core::mem::take(&mut input)
                    .get_mut(consumed..)
                    .unwrap_or_default();
            }
            // Everything consumed and no failure: the case is not refused.
            Ok(_) => break None,
            Err(e) => break Some(e),
        }
    };
    let len = match conn.poll_transmit(&mut io.output) {
        Ok(Some(transmit)) => transmit.len,
        _ => 0,
    };
    (error, len)
}

/// Every frame case on a fresh open server: the code, then the Close it queued.
#[inline(never)]
pub fn frames(io: &mut Io) {
    for (index, case) in FRAMES.iter().enumerate() {
        let mut conn = Connection::upgraded(LIMITED, Role::Server, NoMask, Instant::ZERO);
        let (error, len) = fail_on(&mut conn, case.bytes, io);
        let code = error.and_then(|e| e.close_code()).map_or(0, |c| c.0);
        check_step(code == case.code, "frame: close code", index);
        let close = [0x88, 0x02, (code >> 8) as u8, code as u8];
        check_step(
            io.output.get(..len) == Some(&close[..]),
            "frame: Close",
            index,
        );
    }
    for (index, &bad) in CLOSE_CODES.iter().enumerate() {
        let mut conn = Connection::upgraded(LIMITED, Role::Server, NoMask, Instant::ZERO);
        let frame = [0x88, 0x82, 0, 0, 0, 0, (bad >> 8) as u8, bad as u8];
        let (error, len) = fail_on(&mut conn, &frame, io);
        check_step(
            matches!(error, Some(Error::Protocol(ProtocolViolation::InvalidCloseCode(c))) if c == bad),
            "close code: refused",
            index,
        );
        check_step(
            io.output.get(..len) == Some(&[0x88, 0x02, 0x03, 0xea][..]),
            "close code: Close 1002",
            index,
        );
    }
}

/// Every refused request on a fresh server: the status, then a response with that status
/// line (426 also names the version spoken, RFC 6455 §4.4).
#[inline(never)]
pub fn requests(io: &mut Io) {
    let many = case(&MANY_HEADERS, 431);
    for (index, case) in REQUESTS.iter().chain([&many]).enumerate() {
        let mut conn = Connection::server(LIMITED, Instant::ZERO);
        let (error, len) = fail_on(&mut conn, case.bytes, io);
        let status = error.and_then(|e| e.http_status()).unwrap_or(0);
        check_step(status == case.code, "request: status", index);
        let response = io.output.get(..len).unwrap_or_default();
        let mut line = *b"HTTP/1.1 000 ";
        line[9] = b'0' + (status / 100) as u8;
        line[10] = b'0' + (status / 10 % 10) as u8;
        line[11] = b'0' + (status % 10) as u8;
        check_step(response.starts_with(&line), "request: status line", index);
        let version = b"\r\nSec-WebSocket-Version: 13\r\n";
        let names_version = response.windows(version.len()).any(|w| w == version);
        check_step(names_version == (status == 426), "request: version", index);
    }
}

/// A client with the RFC 6455 §1.3 key, its request written.
fn client(io: &mut Io) -> Connection<impl MaskSource + use<>> {
    let mut conn = Connection::client(LIMITED, || MaskKey([0x37, 0xfa, 0x21, 0x3d]), Instant::ZERO);
    let request = ClientRequest::new("a", "/", Key(*b"the sample nonce"));
    let sent = conn.connect(Instant::ZERO, &request, &mut io.output);
    check_step(sent.is_ok(), "client: connect", 0);
    conn
}

/// Every bad 101 fails a fresh client, which then sends nothing; a 400 is surfaced.
#[inline(never)]
pub fn responses(io: &mut Io) {
    for (index, response) in RESPONSES.iter().enumerate() {
        let mut conn = client(io);
        let (error, len) = fail_on(&mut conn, response, io);
        check_step(
            matches!(error, Some(Error::Handshake(_))),
            "response: refused",
            index,
        );
        check_step(len == 0, "response: nothing sent", index);
    }
    let mut conn = client(io);
    let input = arrive(&mut io.input, REFUSED);
    let status = match conn.receive(Instant::ZERO, input) {
        Ok(received) => match received.event {
            Some(Event::Rejected(rejection)) => rejection.status(),
            _ => 0,
        },
        Err(_) => 0,
    };
    check_step(status == 400, "response: 400 surfaced", 0);
    let sends = conn.send_text("x", &mut io.output);
    check_step(sends.is_err(), "response: no frame after a refusal", 0);
}

/// ADV-A1: §5.7's masked "Hello", its fragmented "Hel" + "lo" and a masked ping fed one
/// byte per call give the same text, the same ping and the same pong as fed whole.
#[inline(never)]
pub fn byte_by_byte(io: &mut Io) {
    const WIRE: [u8; 39] = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, // "Hello"
        0x01, 0x83, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, // "Hel"
        0x89, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58, // ping "Hello"
        0x80, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5b, 0x95, // "lo"
    ];
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, Instant::ZERO);
    let mut text = [0u8; 16];
    let mut text_len = 0;
    let mut ping = false;
    let input = arrive(&mut io.input, &WIRE);
    for byte in input.chunks_mut(1) {
        let mut rest = byte;
        loop {
            let received = match conn.receive(Instant::ZERO, rest) {
                Ok(received) => received,
                Err(_) => crate::common::fail("byte by byte: refused"),
            };
            let consumed = received.consumed;
            match received.event {
                Some(Event::Text(chunk)) => {
                    let mut code_point = [0; 4];
                    let (carried, rest) = chunk.parts();
                    let carried = carried.map_or("", |c| c.encode_utf8(&mut code_point));
                    for &b in carried.as_bytes().iter().chain(rest.as_bytes()) {
                        if let Some(slot) = text.get_mut(text_len) {
                            *slot = b;
                        }
                        text_len += 1;
                    }
                }
                Some(Event::Ping(payload)) => ping = payload.as_bytes() == b"Hello",
                Some(_) => crate::common::fail("byte by byte: unexpected event"),
                None => break,
            }
            rest = core::mem::take(&mut rest)
                .get_mut(consumed..)
                .unwrap_or_default();
        }
    }
    check_step(
        text.get(..text_len) == Some(&b"HelloHello"[..]),
        "byte by byte: text",
        0,
    );
    check_step(ping, "byte by byte: ping", 0);
    let pong = match conn.poll_transmit(&mut io.output) {
        Ok(Some(transmit)) => io.output.get(..transmit.len),
        _ => None,
    };
    check_step(
        pong == Some(&[0x8a, 0x05, b'H', b'e', b'l', b'l', b'o'][..]),
        "byte by byte: pong",
        0,
    );
}

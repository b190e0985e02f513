//! permessage-deflate sending (RFC 7692 §7.2.1, `deflate-compress`): what `Deflater` and the
//! connection's compressed sends put on the wire, checked by inflating it with an
//! independent reference (miniz_oxide's plain inflater over a wrapping window of exactly the
//! negotiated size, so a match reaching past the window shows up as wrong bytes).
#![cfg(feature = "deflate-compress")]

mod common;

use common::{Ev, TestMask, client, feed, server};
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
use wsmachine::deflate::{DeflateConfig, Deflater, Params, PreparedMessage};
use wsmachine::{Accept, Config, Connection, Error, MessageKind, Misuse, NoMask, Role};

const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// A receiver's inflater: context kept across messages unless `reset_each`.
struct Reference {
    state: Box<DecompressorOxide>,
    window: Vec<u8>,
    pos: usize,
    reset_each: bool,
}

impl Reference {
    fn new(bits: u8, reset_each: bool) -> Self {
        Self {
            state: Box::default(),
            window: vec![0xa5; 1 << bits],
            pos: 0,
            reset_each,
        }
    }

    /// Inflates one message's payload (the trailer appended, RFC 7692 §7.2.2).
    fn inflate(&mut self, compressed: &[u8]) -> Result<Vec<u8>, TINFLStatus> {
        if self.reset_each {
            self.state.init();
            self.window.fill(0xa5);
            self.pos = 0;
        }
        let input: Vec<u8> = compressed.iter().chain(&TRAILER).copied().collect();
        let mut input = &input[..];
        let mut out = Vec::new();
        let mask = self.window.len() - 1;
        loop {
            let (status, consumed, written) = decompress(
                &mut self.state,
                input,
                &mut self.window,
                self.pos,
                inflate_flags::TINFL_FLAG_HAS_MORE_INPUT,
            );
            out.extend_from_slice(&self.window[self.pos..self.pos + written]);
            self.pos = (self.pos + written) & mask;
            input = &input[consumed..];
            match status {
                TINFLStatus::NeedsMoreInput if input.is_empty() => return Ok(out),
                TINFLStatus::NeedsMoreInput | TINFLStatus::HasMoreOutput => {}
                other => return Err(other), // Done means a BFINAL block: never sent
            }
        }
    }
}

fn json(len: usize) -> Vec<u8> {
    let mut s = String::new();
    let mut i = 0u64;
    while s.len() < len {
        s.push_str(&format!(
            "{{\"id\":{i},\"user\":\"user{}\",\"text\":\"message number {} in room {}\",\"ts\":{}}},",
            i % 37,
            i * 7919 % 1000,
            i % 5,
            1_700_000_000 + i * 13
        ));
        i += 1;
    }
    s.truncate(len);
    s.into_bytes()
}

fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Messages of every shape: empty, tiny, chat-sized, incompressible, larger than every
/// window, and a block repeated at a distance of 6 KiB (beyond 9..=12-bit windows).
fn messages() -> Vec<Vec<u8>> {
    let block = noise(6 * 1024, 7);
    let mut repeated = block.clone();
    repeated.extend_from_slice(&block);
    repeated.extend_from_slice(&block);
    let mut v = vec![Vec::new(), b"a".to_vec(), json(100), noise(1000, 3)];
    v.push(json(100_000));
    v.push(repeated);
    v.extend((0..50).map(|i| json(80 + i)));
    v.push(Vec::new());
    v
}

#[test]
fn compressed_messages_inflate_back_in_every_window_and_context_mode() {
    for bits in [8, 9, 10, 12, 14, 15] {
        for no_context_takeover in [false, true] {
            let mut deflater = Deflater::new(bits, no_context_takeover);
            let mut reference = Reference::new(bits, no_context_takeover);
            for (i, message) in messages().iter().enumerate() {
                let compressed = deflater.compress(message).unwrap().to_vec();
                let back = reference.inflate(&compressed);
                assert_eq!(
                    back.as_deref(),
                    Ok(&message[..]),
                    "bits {bits}, no_context_takeover {no_context_takeover}, message {i}"
                );
            }
        }
    }
}

#[test]
fn a_narrow_reference_catches_matches_beyond_its_window() {
    // The check above bites: 15-bit output read through a 9-bit window comes out wrong.
    let message = messages()[5].clone(); // the block repeated 6 KiB apart
    let compressed = Deflater::new(15, true).compress(&message).unwrap().to_vec();
    assert_eq!(
        Reference::new(15, true).inflate(&compressed).as_deref(),
        Ok(&message[..])
    );
    assert_ne!(
        Reference::new(9, true).inflate(&compressed).as_deref(),
        Ok(&message[..])
    );
}

#[test]
fn context_takeover_is_used_and_no_context_takeover_resets() {
    let message = json(300);
    let mut keep = Deflater::new(15, false);
    let first = keep.compress(&message).unwrap().len();
    let second = keep.compress(&message).unwrap().len();
    assert!(second * 4 < first, "{second} vs {first}: context not used");
    let mut reset = Deflater::new(15, true);
    let first = reset.compress(&message).unwrap().to_vec();
    let second = reset.compress(&message).unwrap().to_vec();
    // No gain from the first: each message is compressed from an empty dictionary.
    assert!(
        second.len() * 10 >= first.len() * 9,
        "{} vs {}",
        second.len(),
        first.len()
    );
    // A receiver that keeps nothing decodes the second one alone.
    assert_eq!(Reference::new(15, true).inflate(&second).unwrap(), message);
}

#[test]
fn the_empty_message_is_one_zero_byte() {
    // RFC 7692 §7.2.3.6: an empty message compresses to 0x00 (after removing the trailer).
    assert_eq!(Deflater::new(15, false).compress(&[]), Some(&[0u8][..]));
}

// ---- on a connection ----

/// A client and server that negotiated with these configurations.
fn pair(
    client_cfg: Option<DeflateConfig>,
    server_cfg: Option<DeflateConfig>,
) -> (Connection<TestMask>, Connection<NoMask>) {
    let (mut c, request) = client(Config::new().with_deflate(client_cfg), &[]);
    let mut s = server(Config::new().with_deflate(server_cfg));
    let (events, response) = feed(&mut s, &request, &[0], Some(&Accept::new()));
    assert!(
        matches!(events.as_slice(), [Ev::Request { .. }]),
        "{events:?}"
    );
    let (events, _) = feed(&mut c, &response, &[0], None);
    assert!(
        matches!(events.as_slice(), [Ev::Established { .. }]),
        "{events:?}"
    );
    (c, s)
}

#[derive(Debug, PartialEq)]
struct Frame {
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// An independent frame parser (RSV2/3 must be clear; masked frames unmasked).
fn frames(mut wire: &[u8]) -> Vec<Frame> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        let (b0, b1) = (wire[0], wire[1]);
        assert_eq!(b0 & 0x30, 0, "RSV2/RSV3");
        let mut at = 2;
        let mut len = u64::from(b1 & 0x7f);
        if len == 126 {
            len = u64::from(u16::from_be_bytes([wire[2], wire[3]]));
            at = 4;
        } else if len == 127 {
            len = u64::from_be_bytes(wire[2..10].try_into().unwrap());
            at = 10;
        }
        let key = (b1 & 0x80 != 0).then(|| {
            let k: [u8; 4] = wire[at..at + 4].try_into().unwrap();
            at += 4;
            k
        });
        let len = len as usize;
        let mut payload = wire[at..at + len].to_vec();
        if let Some(k) = key {
            payload
                .iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b ^= k[i % 4]);
        }
        out.push(Frame {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            opcode: b0 & 0x0f,
            payload,
        });
        wire = &wire[at + len..];
    }
    out
}

/// What a receiver makes of one whole-message frame.
fn receive(reference: &mut Reference, frame: &Frame) -> Vec<u8> {
    assert!(frame.fin);
    match frame.rsv1 {
        true => reference.inflate(&frame.payload).unwrap(),
        false => frame.payload.clone(),
    }
}

#[test]
fn a_server_sends_compressed_text_and_binary_a_client_reads() {
    let (client, mut server) = pair(Some(DeflateConfig::new()), Some(DeflateConfig::new()));
    let params = server.deflate_params().unwrap();
    assert_eq!(client.deflate_params(), Some(params));
    let mut deflater = Deflater::for_connection(&server).unwrap();
    assert_eq!(
        (deflater.window_bits(), deflater.no_context_takeover()),
        (15, false)
    );
    let mut reference = Reference::new(params.server_max_window_bits, false);
    let mut out = vec![0u8; 256 * 1024];
    let text = String::from_utf8(json(5000)).unwrap();
    let n = server
        .send_text_deflated(&text, &mut deflater, &mut out)
        .unwrap();
    let f = frames(&out[..n]);
    assert_eq!(f.len(), 1);
    assert!(f[0].rsv1 && f[0].opcode == 1 && f[0].payload.len() < text.len() / 3);
    assert_eq!(receive(&mut reference, &f[0]), text.as_bytes());
    let data = json(70_000); // a 64-bit length frame
    let n = server
        .send_binary_deflated(&data, &mut deflater, &mut out)
        .unwrap();
    let f = frames(&out[..n]);
    assert!(f[0].rsv1 && f[0].opcode == 2);
    assert_eq!(receive(&mut reference, &f[0]), data);
    // Empty and incompressible messages go uncompressed (RSV1 clear); the context stays
    // consistent with the receiver's for the messages after them.
    for message in [Vec::new(), noise(200, 9), json(400)] {
        let n = server
            .send_binary_deflated(&message, &mut deflater, &mut out)
            .unwrap();
        let f = frames(&out[..n]);
        assert_eq!(f[0].rsv1, message.len() == 400, "{}", message.len());
        assert_eq!(receive(&mut reference, &f[0]), message);
    }
    // Control frames never carry RSV1.
    let n = server.send_ping(b"hi", &mut out).unwrap();
    assert!(!frames(&out[..n])[0].rsv1);
}

#[test]
fn a_client_masks_compressed_frames_within_its_negotiated_window() {
    let (mut client, server) = pair(
        Some(DeflateConfig::new().with_deflate_window_bits(10)),
        Some(DeflateConfig::new()),
    );
    let params = server.deflate_params().unwrap();
    assert_eq!(params.client_max_window_bits, 10);
    let mut deflater = Deflater::for_connection(&client).unwrap();
    assert_eq!(deflater.window_bits(), 10);
    let mut reference = Reference::new(10, params.client_no_context_takeover);
    let mut out = vec![0u8; 64 * 1024];
    for message in messages() {
        let n = client
            .send_binary_deflated(&message, &mut deflater, &mut out)
            .unwrap();
        assert_ne!(out[1] & 0x80, 0, "client frames are masked");
        let f = frames(&out[..n]);
        assert_eq!(receive(&mut reference, &f[0]), message);
    }
}

#[test]
fn many_messages_in_sequence_with_context_takeover() {
    let (_client, mut server) = pair(Some(DeflateConfig::new()), Some(DeflateConfig::new()));
    let mut deflater = Deflater::for_connection(&server).unwrap();
    let mut reference = Reference::new(15, false);
    let mut out = vec![0u8; 4096];
    let (mut plain, mut wire) = (0, 0);
    for i in 0..1000 {
        let message = json(100 + i % 7);
        let n = server
            .send_text_deflated(
                std::str::from_utf8(&message).unwrap(),
                &mut deflater,
                &mut out,
            )
            .unwrap();
        let f = frames(&out[..n]);
        assert_eq!(receive(&mut reference, &f[0]), message, "message {i}");
        plain += message.len();
        wire += n;
    }
    assert!(wire * 3 < plain, "{wire} bytes on the wire for {plain}");
}

#[test]
fn a_failed_send_leaves_sender_and_receiver_in_step() {
    let (_client, mut server) = pair(Some(DeflateConfig::new()), Some(DeflateConfig::new()));
    let mut deflater = Deflater::for_connection(&server).unwrap();
    let mut reference = Reference::new(15, false);
    let mut big = vec![0u8; 8192];
    let first = json(2000);
    let n = server
        .send_binary_deflated(&first, &mut deflater, &mut big)
        .unwrap();
    assert_eq!(receive(&mut reference, &frames(&big[..n])[0]), first);
    // Too small a buffer: the message is not sent, and the retry must not refer to it.
    let second = json(3000);
    let mut small = [0u8; 8];
    let err = server.send_binary_deflated(&second, &mut deflater, &mut small);
    assert!(matches!(err, Err(Error::BufferTooSmall { .. })), "{err:?}");
    for message in [second, json(2500)] {
        let n = server
            .send_binary_deflated(&message, &mut deflater, &mut big)
            .unwrap();
        assert_eq!(receive(&mut reference, &frames(&big[..n])[0]), message);
    }
}

#[test]
fn compressed_fragments_carry_rsv1_on_the_first_frame_only() {
    let (_client, mut server) = pair(Some(DeflateConfig::new()), Some(DeflateConfig::new()));
    let message = json(3000);
    let compressed = Deflater::new(15, true).compress(&message).unwrap().to_vec();
    let (a, rest) = compressed.split_at(10);
    let (b, c) = rest.split_at(rest.len() / 2);
    let mut wire = Vec::new();
    let mut out = vec![0u8; 8192];
    let n = server
        .send_compressed_fragment(MessageKind::Text, a, false, &mut out)
        .unwrap();
    wire.extend_from_slice(&out[..n]);
    let n = server.send_ping(b"", &mut out).unwrap(); // a control frame between fragments
    wire.extend_from_slice(&out[..n]);
    let n = server
        .send_compressed_fragment(MessageKind::Text, b, false, &mut out)
        .unwrap();
    wire.extend_from_slice(&out[..n]);
    // A whole message cannot start inside the fragmented one.
    assert_eq!(
        server.send_compressed(MessageKind::Text, b"x", &mut out),
        Err(Error::Usage(Misuse::MessageInProgress))
    );
    let n = server
        .send_compressed_fragment(MessageKind::Text, c, true, &mut out)
        .unwrap();
    wire.extend_from_slice(&out[..n]);
    let f = frames(&wire);
    let shape: Vec<_> = f.iter().map(|f| (f.fin, f.rsv1, f.opcode)).collect();
    assert_eq!(
        shape,
        [
            (false, true, 1),
            (true, false, 9),
            (false, false, 0),
            (true, false, 0)
        ]
    );
    let joined: Vec<u8> = [&f[0], &f[2], &f[3]]
        .iter()
        .flat_map(|f| f.payload.clone())
        .collect();
    assert_eq!(Reference::new(15, true).inflate(&joined).unwrap(), message);
}

#[test]
fn without_negotiation_compressed_sends_are_refused_and_deflated_sends_go_plain() {
    let (_client, mut server) = pair(Some(DeflateConfig::new()), None);
    assert_eq!(server.deflate_params(), None);
    assert!(Deflater::for_connection(&server).is_none());
    let mut out = vec![0u8; 8192];
    assert_eq!(
        server.send_compressed(MessageKind::Text, b"\x00", &mut out),
        Err(Error::Usage(Misuse::DeflateNotNegotiated))
    );
    assert_eq!(
        server.send_compressed_fragment(MessageKind::Binary, b"\x00", true, &mut out),
        Err(Error::Usage(Misuse::DeflateNotNegotiated))
    );
    let mut deflater = Deflater::new(15, false);
    let text = String::from_utf8(json(1000)).unwrap();
    let n = server
        .send_text_deflated(&text, &mut deflater, &mut out)
        .unwrap();
    let f = frames(&out[..n]);
    assert!(!f[0].rsv1);
    assert_eq!(f[0].payload, text.as_bytes());
    // Before the handshake the phase error comes first.
    let mut fresh = server_unopened();
    assert_eq!(
        fresh.send_compressed(MessageKind::Text, b"\x00", &mut out),
        Err(Error::Usage(Misuse::HandshakeIncomplete))
    );
}

fn server_unopened() -> Connection<NoMask> {
    server(Config::new().with_deflate(Some(DeflateConfig::new())))
}

// ---- compress once, send to many ----

#[test]
fn a_prepared_message_is_compressed_once_for_every_qualifying_connection() {
    let nct = DeflateConfig::new().with_server_no_context_takeover(true);
    // (client offer, server config, gets the compressed form)
    let cases = [
        (Some(DeflateConfig::new()), Some(nct), true),
        (
            Some(DeflateConfig::new().with_server_no_context_takeover(true)),
            Some(DeflateConfig::new()),
            true,
        ),
        (Some(DeflateConfig::new()), Some(nct), true),
        // A 10-bit window cannot hold what a 15-bit compressor produced.
        (
            Some(DeflateConfig::new().with_inflate_window_bits(10)),
            Some(nct),
            false,
        ),
        // Context takeover negotiated: the connection's own compressor owns the context.
        (
            Some(DeflateConfig::new()),
            Some(DeflateConfig::new()),
            false,
        ),
        // No deflate at all.
        (None, Some(nct), false),
        (Some(DeflateConfig::new()), None, false),
    ];
    let text = String::from_utf8(json(4000)).unwrap();
    let mut deflater = Deflater::new(15, true);
    let prepared = PreparedMessage::text(&text, &mut deflater);
    let compressed = prepared.compressed().unwrap().to_vec();
    assert!(compressed.len() < text.len() / 3);
    let mut compressed_frames = Vec::new();
    for (i, (client_cfg, server_cfg, compresses)) in cases.into_iter().enumerate() {
        let (_client, mut server) = pair(client_cfg, server_cfg);
        assert_eq!(prepared.compresses_for(&server), compresses, "case {i}");
        let mut out = vec![0u8; 16 * 1024];
        let n = prepared.write_to(&mut server, &mut out).unwrap();
        let f = frames(&out[..n]);
        assert_eq!(
            (f.len(), f[0].rsv1, f[0].opcode),
            (1, compresses, 1),
            "case {i}"
        );
        let bits = server
            .deflate_params()
            .map_or(15, |p| p.server_max_window_bits);
        assert_eq!(
            receive(&mut Reference::new(bits, true), &f[0]),
            text.as_bytes(),
            "case {i}"
        );
        if compresses {
            compressed_frames.push(out[..n].to_vec());
        }
    }
    // Server frames are unmasked: every qualifying connection got the very same bytes.
    assert_eq!(compressed_frames.len(), 3);
    assert!(compressed_frames.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_prepared_message_does_not_disturb_a_connection_s_own_compressor() {
    // With server_no_context_takeover the connection's deflater resets per message, so a
    // broadcast between its messages changes nothing for the receiver.
    let nct = DeflateConfig::new().with_server_no_context_takeover(true);
    let (_client, mut server) = pair(Some(DeflateConfig::new()), Some(nct));
    let mut own = Deflater::for_connection(&server).unwrap();
    assert!(own.no_context_takeover());
    let mut shared = Deflater::new(15, true);
    let mut reference = Reference::new(15, false); // a receiver that keeps its window anyway
    let mut out = vec![0u8; 16 * 1024];
    for i in 0..20 {
        let message = json(500 + i);
        let n = if i % 3 == 0 {
            PreparedMessage::binary(&message, &mut shared).write_to(&mut server, &mut out)
        } else {
            server.send_binary_deflated(&message, &mut own, &mut out)
        }
        .unwrap();
        let f = frames(&out[..n]);
        assert!(f[0].rsv1);
        assert_eq!(receive(&mut reference, &f[0]), message, "message {i}");
    }
}

#[test]
fn for_params_picks_the_sending_direction() {
    let params = Params {
        server_max_window_bits: 11,
        client_max_window_bits: 13,
        server_no_context_takeover: true,
        client_no_context_takeover: false,
    };
    let s = Deflater::for_params(&params, Role::Server);
    let c = Deflater::for_params(&params, Role::Client);
    assert_eq!((s.window_bits(), s.no_context_takeover()), (11, true));
    assert_eq!((c.window_bits(), c.no_context_takeover()), (13, false));
}

#[test]
fn a_deflater_s_memory_is_bounded_and_a_chat_message_allocates_nothing_more() {
    let created = allocation_counter::measure(|| {
        std::hint::black_box(Deflater::new(15, false));
    });
    // miniz_oxide's state: dictionary and hash chains, LZ code buffer, output buffer.
    println!(
        "Deflater heap: {} B in {} allocations",
        created.bytes_max, created.count_total
    );
    assert!(created.bytes_max < 400 * 1024, "{created:?}");
    let mut deflater = Deflater::new(15, false);
    let message = json(100);
    deflater.compress(&message).unwrap(); // the output buffer's first growth
    let steady = allocation_counter::measure(|| {
        for _ in 0..100 {
            std::hint::black_box(deflater.compress(&message).unwrap());
        }
    });
    assert_eq!(steady.count_total, 0, "{steady:?}");
}

// ---- drivers ----

/// The blocking driver (the tokio one shares its send path, `driver::Core`) compresses what
/// it sends once deflate is negotiated; a sans-IO client reads the frames off the socket.
#[cfg(feature = "blocking")]
#[test]
fn the_blocking_driver_sends_compressed_messages() {
    use std::io::{Read, Write};
    use wsmachine::blocking::{Message, Options, WebSocket};
    use wsmachine::{ClientRequest, Event, Instant, Key};

    let messages: Vec<Message> = vec![
        Message::text(String::from_utf8(json(3000)).unwrap()),
        Message::binary(json(200_000)),
        Message::text(""),
        Message::binary(noise(300, 5)),
        Message::text(String::from_utf8(json(120)).unwrap()),
    ];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let to_send = messages.clone();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let config = Config::new().with_deflate(Some(DeflateConfig::new()));
        let options = Options::new().with_config(config);
        let mut ws = WebSocket::accept_with(stream, options, |_| Ok(Accept::new())).unwrap();
        for m in to_send {
            ws.send(m).unwrap();
        }
    });
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let config = Config::new().with_deflate(Some(DeflateConfig::new()));
    let mut conn = Connection::client(config, common::test_mask as TestMask, Instant::ZERO);
    let mut out = [0u8; 1024];
    let request = ClientRequest::new("localhost", "/", Key(*b"the sample nonce"));
    let n = conn.connect(Instant::ZERO, &request, &mut out).unwrap();
    stream.write_all(&out[..n]).unwrap();
    let mut wire = Vec::new();
    let mut buf = [0u8; 4096];
    let rest = loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "EOF before the 101");
        wire.extend_from_slice(&buf[..n]);
        let received = conn.receive(Instant::ZERO, &mut wire).unwrap();
        let (consumed, open) = (
            received.consumed,
            matches!(received.event, Some(Event::Established(_))),
        );
        if open {
            break wire[consumed..].to_vec();
        }
    };
    let params = conn.deflate_params().unwrap();
    let mut wire = rest;
    stream.read_to_end(&mut wire).unwrap();
    server.join().unwrap();
    let f = frames(&wire);
    let mut reference = Reference::new(
        params.server_max_window_bits,
        params.server_no_context_takeover,
    );
    let compressed: Vec<bool> = f.iter().map(|f| f.rsv1).collect();
    assert_eq!(compressed, [true, true, false, false, true]);
    for (frame, message) in f.iter().zip(&messages) {
        let (opcode, payload) = match message {
            Message::Text(t) => (1, t.as_bytes()),
            Message::Binary(b) => (2, &b[..]),
            _ => unreachable!(),
        };
        assert_eq!(frame.opcode, opcode);
        assert_eq!(receive(&mut reference, frame), payload);
    }
    assert!(f[1].payload.len() < 200_000 / 4);
}

//! permessage-deflate on the receive path: compressed messages through `receive_inflate`,
//! the RSV1 rules (RFC 7692 §6), limits on the decompressed size and per call, invalid
//! data, context takeover, and the window the peer negotiated.
#![cfg(feature = "deflate")]

mod common;

use common::{Log, TestMask, frame_with_key, test_mask};
use miniz_oxide::deflate::core::{
    CompressionStrategy, CompressorOxide, TDEFLFlush, TDEFLStatus, compress,
    create_comp_flags_from_zip_params,
};
use wsmachine::deflate::{DeflateConfig, InflateState, Inflater, window_len};
use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Error, Event, Instant, Misuse, NoMask,
    ProtocolViolation, Role,
};

use common::Ev;

const NOW: Instant = Instant::ZERO;

/// RFC 7692 §7.2.1: sync flush, then drop the `00 00 ff ff` tail.
fn compress_message(c: &mut CompressorOxide, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len() + 64];
    let (status, consumed, written) = compress(c, data, &mut out, TDEFLFlush::Sync);
    assert_eq!((status, consumed), (TDEFLStatus::Okay, data.len()));
    out.truncate(written);
    assert_eq!(out[written - 4..], [0, 0, 0xff, 0xff]);
    out.truncate(written - 4);
    out
}

fn compressor() -> CompressorOxide {
    CompressorOxide::new(create_comp_flags_from_zip_params(
        6,
        -15,
        CompressionStrategy::Default as i32,
    ))
}

fn text(n: usize, seed: u32) -> Vec<u8> {
    let words = [
        "héllo",
        "wörld",
        "{\"user\":",
        "\"message\":",
        "チャット",
        "😀",
        "chat",
    ];
    let mut x = seed;
    let mut v = Vec::new();
    while v.len() < n {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
        v.push(b' ');
    }
    v
}

/// A frame as `from` sends it, with RSV1 when `compressed`.
fn frame(from: Role, fin: bool, opcode: u8, compressed: bool, payload: &[u8]) -> Vec<u8> {
    let mut f = frame_with_key(from, fin, opcode, payload, test_mask().0);
    if compressed {
        f[0] |= 0x40;
    }
    f
}

/// A pair of connections that negotiated deflate (client and server configs given).
fn negotiated(client: Config, server: Config) -> (Connection<TestMask>, Connection<NoMask>) {
    let (c, s) = handshake(client, server);
    assert!(c.deflate_params().is_some() && s.deflate_params().is_some());
    (c, s)
}

/// A pair of open connections, whatever they negotiated.
fn handshake(client: Config, server: Config) -> (Connection<TestMask>, Connection<NoMask>) {
    let mut c = Connection::client(client, test_mask as TestMask, NOW);
    let mut s = Connection::server(server, NOW);
    let mut out = vec![0u8; 1024];
    let n = c
        .connect(NOW, &ClientRequest::new("x", "/", common::KEY), &mut out)
        .unwrap();
    let mut buf = out[..n].to_vec();
    let r = s.receive(NOW, &mut buf).unwrap();
    assert!(matches!(r.event, Some(Event::UpgradeRequest(_))));
    let n = s.accept(NOW, &Accept::new(), &mut out).unwrap();
    let mut buf = out[..n].to_vec();
    let r = c.receive(NOW, &mut buf).unwrap();
    assert!(matches!(r.event, Some(Event::Established(_))));
    (c, s)
}

fn deflate_config() -> Config {
    Config::new().with_deflate(Some(DeflateConfig::new()))
}

/// Feeds `input` in pieces of `chunk` bytes (0 = whole) through `receive_inflate`; returns
/// the merged events, the error if any, the largest chunk delivered, and the wire output.
struct Run {
    events: Vec<Ev>,
    max_chunk: usize,
    wire: Vec<u8>,
}

fn run<M: wsmachine::MaskSource>(
    conn: &mut Connection<M>,
    memory: &mut Memory,
    input: &[u8],
    chunk: usize,
) -> Run {
    let mut log = Log::default();
    let mut buf = Vec::new();
    let mut max_chunk = 0;
    let mut wire = Vec::new();
    let step = if chunk == 0 {
        input.len().max(1)
    } else {
        chunk
    };
    'feed: for piece in input.chunks(step) {
        buf.extend_from_slice(piece);
        loop {
            match conn.receive_inflate(NOW, &mut buf, memory.view()) {
                Ok(received) => {
                    let consumed = received.consumed;
                    let Some(event) = received.event else {
                        buf.drain(..consumed);
                        break;
                    };
                    if let Event::Text(t) = &event {
                        max_chunk = max_chunk.max(t.len());
                    }
                    if let Event::Binary(b) = &event {
                        max_chunk = max_chunk.max(b.len());
                    }
                    log.record(&event);
                    buf.drain(..consumed);
                }
                Err(error) => {
                    log.events.push(Ev::Error(error));
                    break 'feed;
                }
            }
        }
    }
    common::drain(conn, &mut wire);
    Run {
        events: log.events,
        max_chunk,
        wire,
    }
}

struct Memory {
    state: InflateState,
    window: Vec<u8>,
}

impl Memory {
    fn new(bits: u8) -> Self {
        Self {
            state: InflateState::new(),
            window: vec![0; window_len(bits)],
        }
    }

    /// Starts a new stream (a new connection's inflater).
    fn reset(&mut self) {
        Inflater::new(&mut self.state, &mut self.window, false, u64::MAX).unwrap();
    }

    /// The per-call view a driver makes.
    fn view(&mut self) -> Inflater<'_> {
        Inflater::resume(&mut self.state, &mut self.window).unwrap()
    }
}

fn close_code(wire: &[u8]) -> u16 {
    // An unmasked (server) or masked (client) Close frame with a 2-byte code.
    assert_eq!(wire[0], 0x88, "{wire:?}");
    let (code, key) = if wire[1] & 0x80 != 0 {
        (&wire[6..8], Some(&wire[2..6]))
    } else {
        (&wire[2..4], None)
    };
    let mut c = [code[0], code[1]];
    if let Some(k) = key {
        c[0] ^= k[0];
        c[1] ^= k[1];
    }
    u16::from_be_bytes(c)
}

#[test]
fn compressed_text_arrives_in_chunks_whatever_the_split() {
    let messages: Vec<Vec<u8>> = (0..4).map(|i| text(3_000 + i * 7_000, i as u32)).collect();
    let mut c = compressor();
    let mut wire = Vec::new();
    for m in &messages {
        wire.extend(frame(
            Role::Client,
            true,
            1,
            true,
            &compress_message(&mut c, m),
        ));
    }
    let expected: Vec<Ev> = messages
        .iter()
        .map(|m| Ev::Text(String::from_utf8(m.clone()).unwrap()))
        .collect();
    for per_call in [1usize, 7, 1000, 16 * 1024] {
        let config = Config::new().with_deflate(Some(
            DeflateConfig::new().with_max_inflate_per_call(per_call),
        ));
        for chunk in [0usize, 1, 3, 1500] {
            let (_, mut s) = negotiated(deflate_config(), config);
            let mut memory = Memory::new(15);
            memory.reset();
            let got = run(&mut s, &mut memory, &wire, chunk);
            assert_eq!(got.events, expected, "per call {per_call}, chunk {chunk}");
            // A text chunk may carry a code point from the stash (up to 3 bytes more).
            assert!(
                got.max_chunk <= per_call + 3,
                "{} > {per_call}",
                got.max_chunk
            );
        }
    }
}

#[test]
fn the_client_inflates_unmasked_server_frames_too() {
    let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    let z = compress_message(&mut compressor(), &data);
    let wire = frame(Role::Server, true, 2, true, &z);
    let (mut c, _) = negotiated(deflate_config(), deflate_config());
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(&mut c, &mut memory, &wire, 0);
    assert_eq!(got.events, [Ev::Binary(data)]);
}

#[test]
fn fragments_carry_rsv1_on_the_first_frame_only_and_pings_may_interleave() {
    let msg = text(40_000, 7);
    let z = compress_message(&mut compressor(), &msg);
    let third = z.len() / 3;
    let mut wire = frame(Role::Client, false, 1, true, &z[..third]);
    wire.extend(frame(Role::Client, true, 9, false, b"ping"));
    wire.extend(frame(Role::Client, false, 0, false, &z[third..2 * third]));
    wire.extend(frame(Role::Client, false, 0, false, &[]));
    wire.extend(frame(Role::Client, true, 0, false, &z[2 * third..]));
    // An uncompressed message right after, on the same connection.
    wire.extend(frame(Role::Client, true, 1, false, b"plain"));
    for chunk in [0, 1, 999] {
        let (_, mut s) = negotiated(deflate_config(), deflate_config());
        let mut memory = Memory::new(15);
        memory.reset();
        let got = run(&mut s, &mut memory, &wire, chunk);
        assert_eq!(
            got.events,
            [
                Ev::Ping(b"ping".to_vec()),
                Ev::Text(String::from_utf8(msg.clone()).unwrap()),
                Ev::Text("plain".into()),
            ],
            "chunk {chunk}"
        );
    }
}

#[test]
fn empty_compressed_messages_and_a_final_block() {
    let mut c = compressor();
    let mut wire = frame(Role::Client, true, 1, true, &compress_message(&mut c, b""));
    // A BFINAL block (RFC 7692 §7.2.3.3 allows it), then context starts afresh.
    let whole = miniz_oxide::deflate::compress_to_vec(b"final block", 6);
    wire.extend(frame(Role::Client, true, 2, true, &whole));
    wire.extend(frame(Role::Client, true, 1, true, &[0x00])); // an empty stored block, unended
    let (_, mut s) = negotiated(deflate_config(), deflate_config());
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(&mut s, &mut memory, &wire, 0);
    assert_eq!(
        got.events,
        [
            Ev::Text(String::new()),
            Ev::Binary(b"final block".to_vec()),
            Ev::Text(String::new()),
        ]
    );
}

#[test]
fn context_takeover_keeps_the_window_across_messages() {
    // The second message is a back-reference into the first: only a kept window decodes it.
    let msg = text(2_000, 1);
    let mut c = compressor();
    let first = compress_message(&mut c, &msg);
    let second = compress_message(&mut c, &msg);
    assert!(second.len() < 64, "{}", second.len());
    // Alone (a fresh window), the second message does not decode to the text.
    {
        let (_, mut s) = negotiated(deflate_config(), deflate_config());
        let mut memory = Memory::new(15);
        memory.reset();
        let alone = run(
            &mut s,
            &mut memory,
            &frame(Role::Client, true, 1, true, &second),
            0,
        );
        // Its back-reference points before the stream's start: refused, as zlib refuses
        // it, not read from the window's zeros.
        assert_eq!(
            alone.events,
            [Ev::Error(Error::Protocol(
                ProtocolViolation::InvalidCompressedData
            ))]
        );
        assert_eq!(close_code(&alone.wire), 1007);
    }
    let mut wire = frame(Role::Client, true, 1, true, &first);
    wire.extend(frame(Role::Client, true, 1, true, &second));
    let (_, mut s) = negotiated(deflate_config(), deflate_config());
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(&mut s, &mut memory, &wire, 5);
    let m = String::from_utf8(msg).unwrap();
    assert_eq!(got.events, [Ev::Text(m.clone()), Ev::Text(m)]);
}

#[test]
fn no_context_takeover_resets_the_window() {
    let client = Config::new().with_deflate(Some(
        DeflateConfig::new().with_client_no_context_takeover(true),
    ));
    let (_, mut s) = negotiated(client, deflate_config());
    assert!(s.deflate_params().unwrap().client_no_context_takeover);
    let mut memory = Memory::new(15);
    memory.reset();
    let mut wire = Vec::new();
    let msgs: Vec<Vec<u8>> = (0..3).map(|i| text(5_000, i)).collect();
    for m in &msgs {
        // The peer's compressor starts afresh per message.
        wire.extend(frame(
            Role::Client,
            true,
            1,
            true,
            &compress_message(&mut compressor(), m),
        ));
    }
    let got = run(&mut s, &mut memory, &wire, 0);
    let expected: Vec<Ev> = msgs
        .iter()
        .map(|m| Ev::Text(String::from_utf8(m.clone()).unwrap()))
        .collect();
    assert_eq!(got.events, expected);
    // A peer that breaks its promise and refers into the previous message refers before
    // the (reset) stream's start: 1007, never the old bytes by accident.
    let mut c = compressor();
    let mut wire = frame(
        Role::Client,
        true,
        1,
        true,
        &compress_message(&mut c, &msgs[0]),
    );
    wire.extend(frame(
        Role::Client,
        true,
        1,
        true,
        &compress_message(&mut c, &msgs[0]),
    ));
    let (_, mut s) = negotiated(client, deflate_config());
    memory.reset();
    let got = run(&mut s, &mut memory, &wire, 0);
    assert_eq!(
        got.events,
        [
            Ev::Text(String::from_utf8(msgs[0].clone()).unwrap()),
            Ev::Error(Error::Protocol(ProtocolViolation::InvalidCompressedData))
        ]
    );
    assert_eq!(close_code(&got.wire), 1007);
}

#[test]
fn rsv1_rules_fail_with_1002() {
    let z = compress_message(&mut compressor(), b"hello");
    let cases: [(Vec<u8>, ProtocolViolation); 4] = [
        // RSV1 on a ping, a close, and a continuation.
        (
            frame(Role::Client, true, 9, true, b"p"),
            ProtocolViolation::CompressedControlFrame,
        ),
        (
            frame(Role::Client, true, 8, true, &[3, 232]),
            ProtocolViolation::CompressedControlFrame,
        ),
        (
            [
                frame(Role::Client, false, 1, true, &z),
                frame(Role::Client, true, 0, true, &[]),
            ]
            .concat(),
            ProtocolViolation::CompressedContinuation,
        ),
        (
            [
                frame(Role::Client, false, 2, false, b"ab"),
                frame(Role::Client, true, 0, true, b"c"),
            ]
            .concat(),
            ProtocolViolation::CompressedContinuation,
        ),
    ];
    for (wire, violation) in cases {
        for chunk in [0, 1] {
            let (_, mut s) = negotiated(deflate_config(), deflate_config());
            let mut memory = Memory::new(15);
            memory.reset();
            let got = run(&mut s, &mut memory, &wire, chunk);
            assert_eq!(
                got.events.last(),
                Some(&Ev::Error(Error::Protocol(violation))),
                "{violation:?}"
            );
            assert_eq!(close_code(&got.wire), 1002);
        }
    }
    // Without negotiation RSV1 is a reserved bit, with or without an inflater.
    let (_, mut s) = handshake(Config::new(), deflate_config());
    assert_eq!(s.deflate_params(), None);
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(
        &mut s,
        &mut memory,
        &frame(Role::Client, true, 1, true, &z),
        0,
    );
    assert_eq!(
        got.events,
        [Ev::Error(Error::Protocol(ProtocolViolation::ReservedBits))]
    );
    assert_eq!(close_code(&got.wire), 1002);
    // RSV2 and RSV3 stay reserved when deflate is on.
    for rsv in [0x20u8, 0x10] {
        let (_, mut s) = negotiated(deflate_config(), deflate_config());
        let mut f = frame(Role::Client, true, 1, false, b"x");
        f[0] |= rsv;
        memory.reset();
        let got = run(&mut s, &mut memory, &f, 0);
        assert_eq!(
            got.events,
            [Ev::Error(Error::Protocol(ProtocolViolation::ReservedBits))]
        );
    }
}

#[test]
fn invalid_deflate_data_fails_with_1007() {
    for bad in [
        &[0xffu8, 0xff, 0xff][..],
        &[0x07],
        &[0x02, 0xff, 0xff, 0xff, 0xff],
    ] {
        let (_, mut s) = negotiated(deflate_config(), deflate_config());
        let mut memory = Memory::new(15);
        memory.reset();
        let got = run(
            &mut s,
            &mut memory,
            &frame(Role::Client, true, 2, true, bad),
            1,
        );
        assert_eq!(
            got.events,
            [Ev::Error(Error::Protocol(
                ProtocolViolation::InvalidCompressedData
            ))],
            "{bad:?}"
        );
        assert_eq!(close_code(&got.wire), 1007);
        assert_eq!(
            Error::Protocol(ProtocolViolation::InvalidCompressedData).close_code(),
            Some(CloseCode::InvalidPayload)
        );
    }
}

#[test]
fn inflated_text_is_utf8_checked_across_chunk_edges() {
    let mut bad = text(1_000, 3);
    bad.extend_from_slice(&[0xe2, 0x82, 0x28]); // invalid continuation
    bad.extend(text(1_000, 4));
    let z = compress_message(&mut compressor(), &bad);
    for per_call in [1usize, 2, 1024] {
        let config = Config::new().with_deflate(Some(
            DeflateConfig::new().with_max_inflate_per_call(per_call),
        ));
        let (_, mut s) = negotiated(deflate_config(), config);
        let mut memory = Memory::new(15);
        memory.reset();
        let got = run(
            &mut s,
            &mut memory,
            &frame(Role::Client, true, 1, true, &z),
            0,
        );
        assert_eq!(
            got.events,
            [Ev::Error(Error::Protocol(ProtocolViolation::InvalidUtf8))]
        );
        assert_eq!(close_code(&got.wire), 1007);
    }
}

#[test]
fn max_message_len_applies_to_the_decompressed_size() {
    let msg = vec![b'a'; 10_001];
    let z = compress_message(&mut compressor(), &msg);
    assert!(z.len() < 100);
    let server = deflate_config().with_max_message_len(10_000);
    let (_, mut s) = negotiated(deflate_config(), server);
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(
        &mut s,
        &mut memory,
        &frame(Role::Client, true, 2, true, &z),
        0,
    );
    assert_eq!(
        got.events,
        [Ev::Error(Error::Protocol(
            ProtocolViolation::MessageTooLarge
        ))]
    );
    assert_eq!(close_code(&got.wire), 1009);
    // Exactly at the limit is fine.
    let z = compress_message(&mut compressor(), &msg[..10_000]);
    let (_, mut s) = negotiated(deflate_config(), server);
    memory.reset();
    let got = run(
        &mut s,
        &mut memory,
        &frame(Role::Client, true, 2, true, &z),
        0,
    );
    assert_eq!(got.events, [Ev::Binary(msg[..10_000].to_vec())]);
    // Stored (incompressible) data at the limit is longer on the wire than the limits; it
    // still arrives, its decompressed size being what counts.
    let noise: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut stored = CompressorOxide::new(create_comp_flags_from_zip_params(0, -15, 0));
    let z = compress_message(&mut stored, &noise);
    assert!(z.len() > 10_000, "{}", z.len());
    let server = server.with_max_frame_len(10_000);
    let (_, mut s) = negotiated(deflate_config(), server);
    memory.reset();
    let got = run(
        &mut s,
        &mut memory,
        &frame(Role::Client, true, 2, true, &z),
        0,
    );
    assert_eq!(got.events, [Ev::Binary(noise)]);
}

#[test]
fn a_gigabyte_bomb_stops_at_the_limit_in_bounded_steps() {
    // The highest ratio deflate allows (~1032:1): 1 MiB of zeros compresses to ~1 KiB; 1024
    // of those blocks make a 1 GiB message of about 1 MiB on the wire.
    let block = {
        let mut out = vec![0u8; 1 << 16];
        let (_, consumed, written) = compress(
            &mut compressor(),
            &vec![0u8; 1 << 20],
            &mut out,
            TDEFLFlush::Sync,
        );
        assert_eq!(consumed, 1 << 20);
        out.truncate(written);
        out
    };
    let bomb = block.repeat(1024);
    eprintln!("1 GiB bomb: {} bytes on the wire", bomb.len());
    let max = 16u64 << 20;
    let server = deflate_config().with_max_message_len(max);
    let (_, mut s) = negotiated(deflate_config(), server);
    let mut memory = Memory::new(15);
    memory.reset();
    let mut wire = frame(Role::Client, true, 2, true, &bomb);
    let mut delivered = 0u64;
    let mut calls = 0u64;
    let mut offset = 0;
    let result = loop {
        calls += 1;
        match s.receive_inflate(NOW, &mut wire[offset..], memory.view()) {
            Ok(r) => {
                if let Some(Event::Binary(b)) = r.event {
                    assert!(b.len() <= 16 * 1024);
                    delivered += b.len() as u64;
                }
                offset += r.consumed;
            }
            Err(e) => break Some(e),
        }
        assert!(calls < 10_000, "unbounded");
    };
    assert_eq!(
        result,
        Some(Error::Protocol(ProtocolViolation::MessageTooLarge))
    );
    assert!(delivered <= max, "{delivered}");
    assert!(delivered > max - (64 << 10), "{delivered}");
    let mut out = [0u8; 64];
    let t = s.poll_transmit(&mut out).unwrap().unwrap();
    assert_eq!(close_code(&out[..t.len]), 1009);
    eprintln!("stopped after {delivered} bytes in {calls} calls");
}

#[test]
fn a_back_reference_beyond_the_negotiated_window_fails_with_1007() {
    // The server limits the client to 9 bits (512 bytes); the client compresses with 15 and
    // repeats a 2 KB text, so its matches reach 2 KB back.
    let server = Config::new().with_deflate(Some(DeflateConfig::new().with_inflate_window_bits(9)));
    let (_, mut s) = negotiated(deflate_config(), server);
    assert_eq!(s.deflate_params().unwrap().client_max_window_bits, 9);
    let mut msg = text(2_000, 5);
    msg.extend(msg.clone());
    let z = compress_message(&mut compressor(), &msg);
    // The caller's window is 32 KiB, but only the negotiated 512 bytes are used.
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(
        &mut s,
        &mut memory,
        &frame(Role::Client, true, 2, true, &z),
        0,
    );
    assert_eq!(
        got.events,
        [Ev::Error(Error::Protocol(
            ProtocolViolation::InvalidCompressedData
        ))]
    );
    assert_eq!(memory.state.window_len(), 512);
}

#[test]
fn the_inflater_must_be_there_and_big_enough() {
    let z = compress_message(&mut compressor(), b"hello");
    let (_, mut s) = negotiated(deflate_config(), deflate_config());
    let mut wire = frame(Role::Client, true, 1, true, &z);
    assert_eq!(
        s.receive(NOW, &mut wire.clone()),
        Err(Error::Usage(Misuse::InflaterRequired))
    );
    // A 12-bit window cannot inflate a 15-bit peer; nothing changes, a larger one works.
    let mut small = Memory::new(12);
    small.reset();
    assert_eq!(
        s.receive_inflate(NOW, &mut wire.clone(), small.view()),
        Err(Error::Usage(Misuse::InflaterTooSmall))
    );
    let mut memory = Memory::new(15);
    memory.reset();
    let r = s.receive_inflate(NOW, &mut wire, memory.view()).unwrap();
    let Some(Event::Text(t)) = r.event else {
        panic!("{:?}", r.event)
    };
    assert_eq!(t.as_str(), Some("hello"));
    assert!(t.is_first() && t.is_last());
}

#[test]
fn after_our_close_compressed_data_is_skipped_not_inflated() {
    // §5.5.1: after our Close nothing is delivered; the engine skips compressed payloads
    // without inflating them, so neither a bomb nor corrupt data costs work or a 1007.
    let valid = compress_message(&mut compressor(), &text(50_000, 2));
    let mut bomb = vec![0u8; 1 << 16];
    let (_, _, n) = compress(
        &mut compressor(),
        &vec![0u8; 32 << 20],
        &mut bomb,
        TDEFLFlush::Sync,
    );
    bomb.truncate(n);
    let corrupt = [0xffu8, 0xff, 0xff];
    let mut wire = frame(Role::Client, true, 1, true, &valid);
    wire.extend(frame(Role::Client, false, 2, true, &bomb[..n / 2]));
    wire.extend(frame(Role::Client, true, 9, false, b"p"));
    wire.extend(frame(Role::Client, true, 0, false, &bomb[n / 2..]));
    wire.extend(frame(Role::Client, true, 2, true, &corrupt));
    wire.extend(frame(Role::Client, true, 8, false, &[3, 232]));
    let server = deflate_config().with_max_message_len(1 << 20);
    for chunk in [0, 700] {
        let (_, mut s) = negotiated(deflate_config(), server);
        let mut out = [0u8; 64];
        s.close(NOW, CloseCode::Normal, "", &mut out).unwrap();
        let mut memory = Memory::new(15);
        memory.reset();
        let got = run(&mut s, &mut memory, &wire, chunk);
        assert_eq!(
            got.events,
            [Ev::Close(1000, String::new())],
            "chunk {chunk}"
        );
    }
    // The same bytes while open: the bomb is stopped (1009), so the skip above is real.
    let (_, mut s) = negotiated(deflate_config(), server);
    let mut memory = Memory::new(15);
    memory.reset();
    let got = run(&mut s, &mut memory, &wire, 0);
    assert_eq!(
        got.events.last(),
        Some(&Ev::Error(Error::Protocol(
            ProtocolViolation::MessageTooLarge
        )))
    );
}

//! permessage-deflate receive: compressed frames (valid, mutated or raw) with random window
//! sizes, context rules, limits and read splits, through `Connection::receive_inflate` on a
//! server. Each message is checked against a reference inflater (miniz_oxide's plain
//! inflate into one flat buffer, the RFC 7692 trailer appended): where the reference decodes
//! it and every back-reference must fit the negotiated window, the events carry exactly the
//! reference's bytes; where the reference fails, the connection fails with 1007 or 1009.
//! Always: no panic, no event past the per-call bound, no message past `max_message_len`.
#![no_main]

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, compress, create_comp_flags_from_zip_params,
};
use miniz_oxide::inflate::TINFLStatus;
use miniz_oxide::inflate::core::{DecompressorOxide, decompress, inflate_flags};
use wsmachine::deflate::{DeflateConfig, InflateState, Inflater, window_len};
use wsmachine::{
    Accept, ClientRequest, Config, Connection, Error, Event, Instant, Key, MaskKey, NoMask,
    ProtocolViolation,
};

const NOW: Instant = Instant::ZERO;
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// What the reference says about one message.
enum Expect {
    /// Decoded to these bytes; `safe`: the stream's output since it began fits the window,
    /// so no back-reference can reach past it and the engine must agree byte for byte.
    Bytes { data: Vec<u8>, safe: bool },
    /// Past `max_message_len`.
    TooLarge,
    /// Invalid deflate data, or a back-reference before the stream's start. `strict`: the
    /// stream's output so far is shorter than the window, so the engine (exact history
    /// until it wraps) must fail too; past that a wrapped window may hold a byte where the
    /// reference's flat buffer had none, and the engine may deliver.
    Corrupt { strict: bool },
}

/// A reference stream: one flat output buffer, the decoder kept across messages unless
/// `reset` (no context takeover).
struct Reference {
    decoder: DecompressorOxide,
    out: Vec<u8>,
}

impl Reference {
    fn message(&mut self, z: &[u8], max: usize, window: usize, reset: bool) -> Expect {
        if reset {
            self.decoder.init();
            self.out.clear();
        }
        // The engine refuses a compressed payload this far past the limit on the wire.
        if z.len() > max + max / 256 + 256 {
            return Expect::TooLarge;
        }
        let mut input = z.to_vec();
        input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        let flags = inflate_flags::TINFL_FLAG_HAS_MORE_INPUT
            | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
        // Room for one byte past the limit, enough to see it is passed.
        let pos = self.out.len();
        self.out.resize(pos + max + 1, 0);
        let (status, used, made) = decompress(&mut self.decoder, &input, &mut self.out, pos, flags);
        self.out.truncate(pos + made);
        if made > max {
            return Expect::TooLarge;
        }
        let whole = match status {
            // A sync-flush point: everything, the trailer included, went in.
            TINFLStatus::NeedsMoreInput => used == input.len(),
            // A final block: the message's own bytes must end with it.
            TINFLStatus::Done => used >= z.len(),
            _ => false,
        };
        if !whole {
            // Until the stream has filled the window, the engine's history is exact and it
            // must refuse what the reference refuses (a distance too far back included).
            return Expect::Corrupt {
                strict: self.out.len() < window,
            };
        }
        if status == TINFLStatus::Done {
            // The engine starts a new stream after a final block.
            self.decoder.init();
        }
        Expect::Bytes {
            data: self.out[pos..].to_vec(),
            safe: self.out.len() <= window,
        }
    }
}

fn server(config: Config) -> Connection<NoMask> {
    let client_config = Config::new().with_deflate(Some(DeflateConfig::new()));
    let mask: fn() -> MaskKey = || MaskKey(KEY);
    let mut client = Connection::client(client_config, mask, NOW);
    let mut server = Connection::server(config, NOW);
    let mut out = vec![0u8; 1024];
    let request = ClientRequest::new("x", "/", Key(*b"the sample nonce"));
    let n = client.connect(NOW, &request, &mut out).unwrap();
    let _ = server.receive(NOW, &mut out[..n]).unwrap();
    let n = server.accept(NOW, &Accept::new(), &mut out).unwrap();
    let _ = client.receive(NOW, &mut out[..n]).unwrap();
    assert!(server.deflate_params().is_some());
    server
}

/// A masked client frame; RSV1 on the first frame of a message.
fn push_frame(wire: &mut Vec<u8>, fin: bool, opcode: u8, rsv1: bool, payload: &[u8]) {
    wire.push(u8::from(fin) << 7 | u8::from(rsv1) << 6 | opcode);
    match payload.len() {
        n if n < 126 => wire.push(0x80 | n as u8),
        n => {
            wire.push(0x80 | 126);
            wire.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    wire.extend_from_slice(&KEY);
    wire.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let [b0, b1, b2, b3, rest @ ..] = data else {
        return;
    };
    let bits = 9 + b0 % 7;
    let text = b0 & 0x40 != 0;
    let no_context_takeover = b0 & 0x80 != 0;
    let per_call = 1 + usize::from(*b1) * 64;
    let max = if b2 & 1 == 0 {
        1 << 20
    } else {
        64 + usize::from(*b2) * 16
    };
    let mode = (b2 >> 1) & 3;
    let split = if *b3 == 0 {
        usize::MAX
    } else {
        usize::from(*b3)
    };

    // Messages: the rest, split at 0xfe bytes (at most 4, at most 8 KiB each).
    let mut compressor = CompressorOxide::new(create_comp_flags_from_zip_params(
        i32::from(b3 % 10),
        -15,
        0,
    ));
    let mut payloads = Vec::new();
    for (i, piece) in rest.split(|&b| b == 0xfe).take(4).enumerate() {
        let piece = &piece[..piece.len().min(8 << 10)];
        let z = if mode == 0 {
            piece.to_vec() // raw bytes as compressed data
        } else {
            if no_context_takeover {
                compressor.reset();
            }
            let mut out = vec![0u8; piece.len() * 2 + 64];
            let (_, _, n) = compress(&mut compressor, piece, &mut out, TDEFLFlush::Sync);
            out.truncate(n.saturating_sub(4));
            if mode == 2 && !out.is_empty() {
                let at = (usize::from(*b1) * 7 + i * 13) % out.len();
                out[at] ^= 1 << (b0 % 8);
            }
            out
        };
        payloads.push(z);
    }

    // The reference, message by message (it stops at the first failure, as the engine).
    let window = window_len(bits);
    let mut reference = Reference {
        decoder: DecompressorOxide::new(),
        out: Vec::new(),
    };
    let expected: Vec<Expect> = payloads
        .iter()
        .map(|z| reference.message(z, max, window, no_context_takeover))
        .collect();

    let deflate = DeflateConfig::new()
        .with_inflate_window_bits(bits)
        .with_client_no_context_takeover(no_context_takeover)
        .with_max_inflate_per_call(per_call);
    let config = Config::new()
        .with_deflate(Some(deflate))
        .with_max_message_len(max as u64);
    let mut conn = server(config);
    let mut wire = Vec::new();
    for z in &payloads {
        // Two frames when long enough, RSV1 on the first only.
        let (a, b) = z.split_at(z.len() / 2);
        let opcode = if text { 1 } else { 2 };
        if z.len() > 16 {
            push_frame(&mut wire, false, opcode, true, a);
            push_frame(&mut wire, true, 0, false, b);
        } else {
            push_frame(&mut wire, true, opcode, true, z);
        }
    }

    let mut state = InflateState::new();
    let mut memory = vec![0u8; window];
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current = Vec::new();
    let mut failure = None;
    let mut buf: Vec<u8> = Vec::new();
    let mut fed = 0;
    let mut calls = 0usize;
    'feed: while fed < wire.len() || !buf.is_empty() {
        let take = split.min(wire.len() - fed);
        buf.extend_from_slice(&wire[fed..fed + take]);
        fed += take;
        loop {
            calls += 1;
            assert!(calls < 10_000_000, "unbounded");
            let inflater = Inflater::resume(&mut state, &mut memory).unwrap();
            match conn.receive_inflate(NOW, &mut buf, inflater) {
                Ok(r) => {
                    let consumed = r.consumed;
                    let Some(event) = r.event else {
                        buf.drain(..consumed);
                        break;
                    };
                    let last = match event {
                        Event::Text(t) => {
                            // A carried code point adds at most 3 bytes to a chunk.
                            assert!(t.len() <= per_call + 3, "{} > {per_call}", t.len());
                            let mut s = String::new();
                            t.push_to(&mut s).unwrap();
                            current.extend_from_slice(s.as_bytes());
                            t.is_last()
                        }
                        Event::Binary(b) => {
                            assert!(b.len() <= per_call);
                            current.extend_from_slice(b.as_bytes());
                            b.is_last()
                        }
                        other => panic!("unexpected {other:?}"),
                    };
                    assert!(current.len() <= max, "{} > {max}", current.len());
                    if last {
                        messages.push(std::mem::take(&mut current));
                    }
                    buf.drain(..consumed);
                }
                Err(e) => {
                    failure = Some(e);
                    break 'feed;
                }
            }
        }
        if take == 0 {
            break;
        }
    }

    // Compare with the reference, up to the first message that may differ.
    for (i, expect) in expected.iter().enumerate() {
        match expect {
            Expect::Bytes { data, safe: true } => {
                let utf8_ok = !text || std::str::from_utf8(data).is_ok();
                if utf8_ok {
                    assert_eq!(messages.get(i), Some(data), "message {i}");
                } else {
                    assert_eq!(messages.len(), i, "message {i}: invalid UTF-8 delivered");
                    assert_eq!(
                        failure,
                        Some(Error::Protocol(ProtocolViolation::InvalidUtf8)),
                        "message {i}"
                    );
                    return;
                }
            }
            Expect::Bytes { safe: false, .. } => return,
            Expect::Corrupt { strict: false } if messages.len() > i => return,
            Expect::TooLarge | Expect::Corrupt { .. } => {
                assert_eq!(messages.len(), i, "message {i}: the reference failed");
                // Invalid UTF-8 in what came out first is also a fair end.
                assert!(
                    matches!(
                        failure,
                        Some(Error::Protocol(
                            ProtocolViolation::MessageTooLarge
                                | ProtocolViolation::InvalidCompressedData
                                | ProtocolViolation::InvalidUtf8
                        ))
                    ),
                    "message {i}: {failure:?}"
                );
                return;
            }
        }
    }
    assert_eq!(failure, None);
    assert_eq!(messages.len(), expected.len());
});

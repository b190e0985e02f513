//! Memory per inflating connection for each window size, and no allocation while inflating.
#![cfg(feature = "deflate")]

use common::{TestMask, test_mask};
use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, compress, create_comp_flags_from_zip_params,
};
use wsmachine::deflate::{DeflateConfig, InflateState, Inflater, window_len};
use wsmachine::{
    Accept, ClientRequest, Config, Connection, Error, Event, Instant, Misuse, NoMask, Role,
};

mod common;

const NOW: Instant = Instant::ZERO;

/// Bytes a connection's caller provides to inflate a peer with `bits` window bits: the
/// decoder state and the window (the `Inflater` itself is a two-reference view made per
/// call, not kept).
fn inflater_bytes(bits: u8) -> usize {
    size_of::<InflateState>() + window_len(bits)
}

/// A server limited to `bits` from its client, and the client that agreed.
fn pair(bits: u8) -> (Connection<TestMask>, Connection<NoMask>) {
    let server = Config::new().with_deflate(Some(
        DeflateConfig::new()
            .with_inflate_window_bits(bits)
            .with_client_no_context_takeover(true),
    ));
    let client = Config::new().with_deflate(Some(DeflateConfig::new()));
    let mut c = Connection::client(client, test_mask as TestMask, NOW);
    let mut s = Connection::server(server, NOW);
    let mut out = vec![0u8; 1024];
    let n = c
        .connect(NOW, &ClientRequest::new("x", "/", common::KEY), &mut out)
        .unwrap();
    let mut buf = out[..n].to_vec();
    let _ = s.receive(NOW, &mut buf).unwrap();
    let n = s.accept(NOW, &Accept::new(), &mut out).unwrap();
    let mut buf = out[..n].to_vec();
    let _ = c.receive(NOW, &mut buf).unwrap();
    assert_eq!(s.deflate_params().unwrap().client_max_window_bits, bits);
    (c, s)
}

#[test]
fn inflater_memory_per_window_size() {
    let state = size_of::<InflateState>();
    eprintln!(
        "size_of Connection<NoMask> with the deflate feature: {} B",
        size_of::<Connection<NoMask>>()
    );
    for bits in [15u8, 12, 10, 9] {
        eprintln!(
            "{bits} window bits: {} B per connection (state {state} + window {})",
            inflater_bytes(bits),
            window_len(bits)
        );
        // Exactly these buffers inflate a peer limited to `bits` (messages shorter than
        // the window, a fresh compressor each, as no_context_takeover was agreed)...
        let (_, mut s) = pair(bits);
        let mut memory = InflateState::new();
        let mut window = vec![0u8; window_len(bits)];
        let mut got = Vec::new();
        for i in 0..20u32 {
            let msg: Vec<u8> = (0..window_len(bits) as u32 / 2)
                .map(|j| b"abcdefgh"[((i + j / 7) % 8) as usize])
                .collect();
            let mut c = CompressorOxide::new(create_comp_flags_from_zip_params(6, -15, 0));
            let mut z = vec![0u8; msg.len() + 64];
            let (_, _, n) = compress(&mut c, &msg, &mut z, TDEFLFlush::Sync);
            z.truncate(n - 4);
            let mut wire = common::frame_with_key(Role::Client, true, 2, &z, test_mask().0);
            wire[0] |= 0x40;
            let mut offset = 0;
            let mut message = Vec::new();
            loop {
                let inflater = Inflater::resume(&mut memory, &mut window).unwrap();
                let r = s
                    .receive_inflate(NOW, &mut wire[offset..], inflater)
                    .unwrap();
                let Some(Event::Binary(b)) = r.event else {
                    break;
                };
                message.extend_from_slice(b.as_bytes());
                offset += r.consumed;
                if b.is_last() {
                    break;
                }
            }
            assert_eq!(message, msg);
            got.push(message.len());
        }
        assert_eq!(got.len(), 20);
        assert_eq!(memory.window_len(), window_len(bits));
        // ...and a window one size smaller is refused.
        let (_, mut s) = pair(bits);
        let mut small = vec![0u8; window_len(bits - 1)];
        let mut state = InflateState::new();
        let mut wire = common::frame_with_key(Role::Client, true, 2, &[0x00], test_mask().0);
        wire[0] |= 0x40;
        let inflater = Inflater::resume(&mut state, &mut small).unwrap();
        assert_eq!(
            s.receive_inflate(NOW, &mut wire, inflater),
            Err(Error::Usage(Misuse::InflaterTooSmall))
        );
    }
    // The decoder state dominates small windows; it must stay near miniz_oxide's ~11 KB.
    assert!(state < 12 * 1024, "{state}");
    assert_eq!(inflater_bytes(15) - inflater_bytes(9), (1 << 15) - (1 << 9));
}

#[test]
fn inflating_allocates_nothing() {
    let msg: Vec<u8> = (0..200_000u32)
        .map(|i| b"hello chat world "[(i % 17) as usize])
        .collect();
    let mut c = CompressorOxide::new(create_comp_flags_from_zip_params(6, -15, 0));
    let mut z = vec![0u8; msg.len()];
    let (_, _, n) = compress(&mut c, &msg, &mut z, TDEFLFlush::Sync);
    z.truncate(n - 4);
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut out = 0usize;
    let info = allocation_counter::measure(|| {
        let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
        let mut rest = &z[..];
        loop {
            let step = inf.inflate(rest, true, 4096).unwrap();
            out += step.output.len();
            rest = &rest[step.consumed..];
            if step.done {
                break;
            }
        }
    });
    assert_eq!(out, msg.len());
    assert_eq!(info.count_total, 0, "{info:?}");
}

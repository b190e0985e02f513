//! The permessage-deflate inflater: round trips at every window size, context takeover,
//! bounded steps, corrupt data, and the decompression bomb stopped at the limit.
#![cfg(feature = "deflate")]

use miniz_oxide::deflate::core::{
    CompressionStrategy, CompressorOxide, TDEFLFlush, TDEFLStatus, compress,
    create_comp_flags_from_zip_params,
};
use wsmachine::deflate::{InflateError, InflateState, Inflater, window_len};

/// Compresses one message as RFC 7692 §7.2.1 says: sync flush, then drop `00 00 ff ff`.
fn compress_message(c: &mut CompressorOxide, data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len() + 64];
    let (status, consumed, written) = compress(c, data, &mut out, TDEFLFlush::Sync);
    assert_eq!((status, consumed), (TDEFLStatus::Okay, data.len()));
    out.truncate(written);
    assert_eq!(out[written - 4..], [0, 0, 0xff, 0xff]);
    out.truncate(written - 4);
    out
}

fn compressor(rle: bool) -> CompressorOxide {
    let strategy = if rle {
        CompressionStrategy::RLE
    } else {
        CompressionStrategy::Default
    };
    CompressorOxide::new(create_comp_flags_from_zip_params(6, -15, strategy as i32))
}

/// Inflates one message, fed in `frag`-byte pieces with `limit`-byte steps.
fn inflate_message(
    inf: &mut Inflater<'_>,
    data: &[u8],
    frag: usize,
    limit: usize,
) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    let pieces: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(frag).collect()
    };
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let mut rest = *piece;
        loop {
            let step = inf.inflate(rest, last, limit)?;
            assert!(step.output.len() <= limit);
            out.extend_from_slice(step.output);
            rest = &rest[step.consumed..];
            if step.done {
                assert!(last && rest.is_empty());
                return Ok(out);
            }
            if rest.is_empty() && !last && step.output.is_empty() {
                break;
            }
        }
    }
    unreachable!("the message never completed");
}

fn text(n: usize, seed: u32) -> Vec<u8> {
    let words = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "{\"user\":",
        "\"message\":",
        "chat",
        "hello",
        "world",
    ];
    let mut x = seed;
    let mut v = Vec::new();
    while v.len() < n {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        v.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
        v.push(b' ');
    }
    v.truncate(n);
    v
}

#[test]
fn round_trips_with_context_takeover_at_15_bits() {
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 24).unwrap();
    let mut c = compressor(false);
    for (i, size) in [0usize, 1, 100, 5_000, 70_000, 300_000, 100]
        .into_iter()
        .enumerate()
    {
        let msg = text(size, i as u32 % 2);
        let z = compress_message(&mut c, &msg);
        assert_eq!(
            inflate_message(&mut inf, &z, 13, 4096).unwrap(),
            msg,
            "message {i}"
        );
    }
}

#[test]
fn fragmenting_and_step_limits_do_not_change_the_output() {
    let msg = text(50_000, 3);
    let z = compress_message(&mut compressor(false), &msg);
    for (frag, limit) in [
        (z.len(), usize::MAX),
        (1, 1),
        (2, 7),
        (1000, 1),
        (3, 65_536),
    ] {
        let mut state = InflateState::new();
        let mut window = vec![0u8; window_len(15)];
        let mut inf = Inflater::new(&mut state, &mut window, true, 1 << 20).unwrap();
        assert_eq!(
            inflate_message(&mut inf, &z, frag, limit).unwrap(),
            msg,
            "{frag}/{limit}"
        );
    }
}

#[test]
fn small_windows_round_trip() {
    // miniz_oxide cannot limit its window; RLE (distance 1) streams fit any window.
    for bits in [9u8, 10, 12] {
        let mut state = InflateState::new();
        let mut window = vec![0u8; window_len(bits)];
        let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
        let mut c = compressor(true);
        for seed in 0..5 {
            let mut msg = text(3_000, seed);
            msg.extend(std::iter::repeat_n(b'z', 2_000));
            let z = compress_message(&mut c, &msg);
            assert_eq!(
                inflate_message(&mut inf, &z, 100, 1000).unwrap(),
                msg,
                "{bits} bits"
            );
        }
    }
}

#[test]
fn no_context_takeover_resets_between_messages() {
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut inf = Inflater::new(&mut state, &mut window, true, 1 << 20).unwrap();
    for seed in 0..4 {
        let msg = text(10_000, seed);
        // A fresh compressor per message, as the peer does with no_context_takeover.
        let z = compress_message(&mut compressor(false), &msg);
        assert_eq!(inflate_message(&mut inf, &z, 512, 2048).unwrap(), msg);
    }
}

#[test]
fn a_final_block_ends_the_message() {
    let msg = text(20_000, 9);
    let z = miniz_oxide::deflate::compress_to_vec(&msg, 6); // BFINAL set, no sync flush
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
    assert_eq!(inflate_message(&mut inf, &z, 100, 999).unwrap(), msg);
    // The next message starts a new stream on the same window.
    assert_eq!(
        inflate_message(&mut inf, &z, z.len(), 1 << 20).unwrap(),
        msg
    );
    // Data after the final block is corrupt.
    let mut longer = z.clone();
    longer.push(0);
    assert_eq!(
        inflate_message(&mut inf, &longer, longer.len(), 1 << 20),
        Err(InflateError::Corrupt)
    );
}

#[test]
fn corrupt_data_is_an_error() {
    for bad in [
        &[0xffu8, 0xff, 0xff][..],
        &[0x07],
        &[0x02, 0xff, 0xff, 0xff, 0xff],
    ] {
        let mut state = InflateState::new();
        let mut window = vec![0u8; window_len(15)];
        let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
        assert_eq!(
            inflate_message(&mut inf, bad, 1, 64),
            Err(InflateError::Corrupt),
            "{bad:?}"
        );
    }
}

#[test]
fn windows_must_be_powers_of_two() {
    let mut state = InflateState::new();
    assert!(Inflater::new(&mut state, &mut [0u8; 1000], false, 1).is_none());
    assert!(Inflater::new(&mut state, &mut [0u8; 128], false, 1).is_none());
    assert!(Inflater::new(&mut state, &mut [0u8; 512], false, 1).is_some());
}

#[test]
fn a_bomb_is_stopped_at_the_decompressed_limit() {
    // The highest-ratio input deflate allows (~1032:1): one compressed MiB of zeros, a
    // self-contained byte-aligned block sequence, repeated 1024 times = 1 GiB.
    let block = {
        let mut c = compressor(false);
        let mut out = vec![0u8; 1 << 16];
        let (_, consumed, written) =
            compress(&mut c, &vec![0u8; 1 << 20], &mut out, TDEFLFlush::Sync);
        assert_eq!(consumed, 1 << 20);
        out.truncate(written);
        out
    };
    let ratio = (1 << 20) as f64 / block.len() as f64;
    eprintln!(
        "1 MiB of zeros -> {} bytes ({ratio:.0}:1); 1 GiB -> {} KiB",
        block.len(),
        block.len()
    );
    assert!(ratio > 900.0, "{ratio}");
    let max = 16u64 << 20;
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut inf = Inflater::new(&mut state, &mut window, false, max).unwrap();
    let mut delivered = 0u64;
    let mut steps = 0u32;
    let mut result = Ok(());
    'outer: for copy in 0..1024 {
        let mut rest = &block[..];
        while !rest.is_empty() {
            steps += 1;
            match inf.inflate(rest, false, 16 * 1024) {
                Ok(step) => {
                    delivered += step.output.len() as u64;
                    rest = &rest[step.consumed..];
                }
                Err(e) => {
                    result = Err((e, copy));
                    break 'outer;
                }
            }
        }
    }
    let (error, copy) = result.unwrap_err();
    assert_eq!(error, InflateError::TooLarge);
    assert!(
        delivered <= max && delivered > max - 16 * 1024,
        "{delivered}"
    );
    // Stopped within the 17th compressed MiB: no work past the limit.
    assert!(copy <= 16, "{copy}");
    assert!(u64::from(steps) <= max / 1024 + 2048, "{steps}");
}

#[test]
fn a_back_reference_before_the_stream_start_is_corrupt() {
    // The second message of a context-takeover stream refers into the first; inflated on
    // its own it refers before the start of the stream (zlib: "invalid distance too far
    // back"), which must fail rather than read the window's zeros.
    let msg = text(1_000, 3);
    let mut c = compressor(false);
    let _first = compress_message(&mut c, &msg);
    let second = compress_message(&mut c, &msg);
    for bits in [9u8, 12, 15] {
        let mut state = InflateState::new();
        let mut window = vec![0u8; window_len(bits)];
        let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
        assert_eq!(
            inflate_message(&mut inf, &second, 7, 100),
            Err(InflateError::Corrupt),
            "{bits} bits"
        );
    }
    // The same message decodes once the history it refers to has been inflated.
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
    let mut c = compressor(false);
    let first = compress_message(&mut c, &msg);
    let second = compress_message(&mut c, &msg);
    assert_eq!(inflate_message(&mut inf, &first, 7, 100).unwrap(), msg);
    assert_eq!(inflate_message(&mut inf, &second, 7, 100).unwrap(), msg);
}

#[cfg(feature = "deflate-compress")]
#[test]
fn matches_across_the_window_wrap_decode_in_every_small_window() {
    // wsmachine's Deflater bounds its distances by the window, so its streams fit small
    // windows; many messages of context takeover wrap the window many times, and 1..=97
    // byte output steps cut match copies at the wrap (non-wrapping mode before the first
    // wrap, wrapping after).
    use wsmachine::deflate::Deflater;
    for bits in [9u8, 10, 12] {
        let mut deflater = Deflater::new(bits, false);
        let mut state = InflateState::new();
        let mut window = vec![0u8; window_len(bits)];
        let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 20).unwrap();
        for seed in 0..40u32 {
            let mut msg = text(150 + (seed as usize * 37) % 900, seed % 3);
            msg.extend(std::iter::repeat_n(b'q', (seed as usize * 13) % 300));
            let z = deflater.compress(&msg).unwrap().to_vec();
            let limit = 1 + (seed as usize * 31) % 97;
            assert_eq!(
                inflate_message(&mut inf, &z, 1 + seed as usize % 5, limit).unwrap(),
                msg,
                "{bits} bits, message {seed}"
            );
        }
    }
}

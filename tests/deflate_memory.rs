//! Memory per inflating connection for each window size, and no allocation while inflating.
#![cfg(feature = "deflate")]

use miniz_oxide::deflate::core::{
    CompressorOxide, TDEFLFlush, compress, create_comp_flags_from_zip_params,
};
use wsmachine::deflate::{InflateState, Inflater, window_len};

/// Bytes the inflater of one connection needs: its decoder state plus the window.
fn inflater_bytes(bits: u8) -> usize {
    size_of::<InflateState>() + size_of::<Inflater<'static>>() + window_len(bits)
}

#[test]
fn inflater_memory_per_window_size() {
    let state = size_of::<InflateState>();
    for bits in [15u8, 12, 10, 9] {
        eprintln!(
            "{bits} window bits: {} B inflater memory (state {state} + window {})",
            inflater_bytes(bits),
            window_len(bits)
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

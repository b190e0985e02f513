//! permessage-deflate send speed and ratio: wsmachine's `Deflater` (miniz_oxide's compressor,
//! RFC 7692 framing of the output) against flate2 (its default backend) compressing the
//! same messages the same way (raw deflate, sync flush, trailer removed), in the same run.
//! Every output is inflated back with flate2 and compared before timing. Medians of 21 runs.
//!
//! `cargo bench -p wsmachine-compare --bench deflate_send`

use std::hint::black_box;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use wsmachine::deflate::Deflater;

#[path = "common/deflate_data.rs"]
mod data;
use data::{inputs, median21};

/// How the sender runs: level, and whether it resets per message (no_context_takeover).
#[derive(Clone, Copy)]
struct Mode {
    name: &'static str,
    level: u8,
    no_context_takeover: bool,
    window_bits: u8,
}

/// Compressed size of every message, summed; `keep` collects the outputs.
fn wsmachine_send(messages: &[Vec<u8>], mode: Mode, keep: Option<&mut Vec<Vec<u8>>>) -> usize {
    let mut d = Deflater::with_level(mode.window_bits, mode.no_context_takeover, mode.level);
    let mut total = 0;
    let mut keep = keep;
    for m in messages {
        let z = d.compress(m).unwrap();
        total += black_box(z).len();
        if let Some(k) = keep.as_deref_mut() {
            k.push(z.to_vec());
        }
    }
    total
}

fn flate2_send(messages: &[Vec<u8>], mode: Mode, keep: Option<&mut Vec<Vec<u8>>>) -> usize {
    let mut c = Compress::new(Compression::new(u32::from(mode.level)), false);
    let mut out = Vec::new();
    let mut total = 0;
    let mut keep = keep;
    for m in messages {
        out.clear();
        out.reserve(m.len() + m.len() / 8 + 64);
        c.compress_vec(m, &mut out, FlushCompress::Sync).unwrap();
        assert_eq!(out[out.len() - 4..], [0, 0, 0xff, 0xff]);
        out.truncate(out.len() - 4);
        total += black_box(&out).len();
        if let Some(k) = keep.as_deref_mut() {
            k.push(out.clone());
        }
        if mode.no_context_takeover {
            c.reset();
        }
    }
    total
}

/// Inflates RFC 7692 messages in order (context kept: valid for both modes).
fn inflate_all(compressed: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut d = Decompress::new(false);
    compressed
        .iter()
        .map(|z| {
            let mut input = z.clone();
            input.extend_from_slice(&[0, 0, 0xff, 0xff]);
            let mut out = Vec::with_capacity(4 << 20);
            let before = d.total_in();
            d.decompress_vec(&input, &mut out, FlushDecompress::Sync)
                .unwrap();
            assert_eq!((d.total_in() - before) as usize, input.len());
            out
        })
        .collect()
}

fn median(mut f: impl FnMut() -> usize) -> Duration {
    median21(|| {
        let t = Instant::now();
        black_box(f());
        t.elapsed()
    })
}

fn main() {
    let inputs = inputs();
    let modes = [
        Mode {
            name: "level 6, context takeover",
            level: 6,
            no_context_takeover: false,
            window_bits: 15,
        },
        Mode {
            name: "level 6, no_context_takeover",
            level: 6,
            no_context_takeover: true,
            window_bits: 15,
        },
        Mode {
            name: "level 1, context takeover",
            level: 1,
            no_context_takeover: false,
            window_bits: 15,
        },
    ];
    println!(
        "{:<20} {:<30} {:>10} {:>10} {:>11} {:>11} {:>10} {:>10} {:>7}",
        "input", "mode", "ours %", "flate2 %", "ours", "flate2", "ours MB/s", "fl2 MB/s", "ratio"
    );
    for (name, messages) in &inputs {
        let plain: usize = messages.iter().map(Vec::len).sum();
        for mode in modes {
            // Correctness first: both outputs inflate back to the input.
            let (mut ours_z, mut theirs_z) = (Vec::new(), Vec::new());
            let ours_len = wsmachine_send(messages, mode, Some(&mut ours_z));
            let theirs_len = flate2_send(messages, mode, Some(&mut theirs_z));
            assert_eq!(&inflate_all(&ours_z), messages);
            assert_eq!(&inflate_all(&theirs_z), messages);
            let ours = median(|| wsmachine_send(messages, mode, None));
            let theirs = median(|| flate2_send(messages, mode, None));
            let mbps = |t: Duration| plain as f64 / t.as_secs_f64() / 1e6;
            println!(
                "{name:<20} {:<30} {:>9.1}% {:>9.1}% {:>9.2}ms {:>9.2}ms {:>10.0} {:>10.0} {:>6.2}x",
                mode.name,
                100.0 * ours_len as f64 / plain as f64,
                100.0 * theirs_len as f64 / plain as f64,
                ours.as_secs_f64() * 1e3,
                theirs.as_secs_f64() * 1e3,
                mbps(ours),
                mbps(theirs),
                theirs.as_secs_f64() / ours.as_secs_f64(),
            );
        }
        // Windows below 15 bits (flate2's default backend cannot limit its window).
        for bits in [12, 9] {
            let mode = Mode {
                name: if bits == 12 {
                    "level 6, 12-bit window"
                } else {
                    "level 6, 9-bit window"
                },
                level: 6,
                no_context_takeover: false,
                window_bits: bits,
            };
            let mut z = Vec::new();
            let len = wsmachine_send(messages, mode, Some(&mut z));
            assert_eq!(&inflate_all(&z), messages);
            let ours = median(|| wsmachine_send(messages, mode, None));
            println!(
                "{name:<20} {:<30} {:>9.1}% {:>10} {:>9.2}ms {:>11} {:>10.0} {:>10} {:>7}",
                mode.name,
                100.0 * len as f64 / plain as f64,
                "-",
                ours.as_secs_f64() * 1e3,
                "-",
                plain as f64 / ours.as_secs_f64() / 1e6,
                "-",
                "-"
            );
        }
    }
    println!(
        "% = compressed / plain bytes; ratio = flate2 time / wsmachine time (>= 1: as fast or faster)"
    );
    println!("flate2's default backend is miniz_oxide, the compressor wsmachine uses too");
}

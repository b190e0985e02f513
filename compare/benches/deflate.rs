//! permessage-deflate inflate speed: wsmachine's bounded inflater (caller-owned 32 KiB
//! window, 16 KiB steps) against flate2 (default backend) inflating the same bytes, in the
//! same run. Medians of 21 runs; prints a table with the ratio.
//!
//! `cargo bench -p wsmachine-compare --bench deflate`

use std::hint::black_box;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use wsmachine::deflate::{InflateState, Inflater, window_len};

/// JSON-like text, deterministic.
fn json(n: usize, seed: u32) -> Vec<u8> {
    let names = ["alice", "bob", "carol", "dave", "erin"];
    let words = [
        "hello", "world", "meeting", "at", "noon", "ok", "see", "you", "then", "lunch",
    ];
    let mut x = seed;
    let mut next = || {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        (x >> 16) as usize
    };
    let mut v = Vec::new();
    while v.len() < n {
        let user = names[next() % names.len()];
        let (a, b, c) = (words[next() % 10], words[next() % 10], words[next() % 10]);
        let id = next();
        v.extend_from_slice(
            format!("{{\"id\":{id},\"user\":\"{user}\",\"text\":\"{a} {b} {c}\"}},").as_bytes(),
        );
    }
    v.truncate(n);
    v
}

/// One RFC 7692 message per input, context takeover: sync flush, trailer removed.
fn compress_messages(messages: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut c = Compress::new(Compression::default(), false);
    messages
        .iter()
        .map(|m| {
            let mut out = Vec::with_capacity(m.len() + 64);
            c.compress_vec(m, &mut out, FlushCompress::Sync).unwrap();
            assert_eq!(out[out.len() - 4..], [0, 0, 0xff, 0xff]);
            out.truncate(out.len() - 4);
            out
        })
        .collect()
}

fn wsmachine_inflate(messages: &[Vec<u8>]) -> usize {
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut inf = Inflater::new(&mut state, &mut window, false, 1 << 24).unwrap();
    let mut total = 0;
    for z in messages {
        let mut rest = &z[..];
        loop {
            let step = inf.inflate(rest, true, 16 * 1024).unwrap();
            total += black_box(step.output).len();
            rest = &rest[step.consumed..];
            if step.done {
                break;
            }
        }
    }
    total
}

fn flate2_inflate(messages: &[Vec<u8>]) -> usize {
    let mut d = Decompress::new(false);
    let mut out = vec![0u8; 16 * 1024];
    let mut total = 0;
    for z in messages {
        for input in [&z[..], &[0, 0, 0xff, 0xff][..]] {
            let mut rest = input;
            loop {
                let before = (d.total_in(), d.total_out());
                d.decompress(rest, &mut out, FlushDecompress::Sync).unwrap();
                let (used, made) = (
                    (d.total_in() - before.0) as usize,
                    (d.total_out() - before.1) as usize,
                );
                total += black_box(&out[..made]).len();
                rest = &rest[used..];
                if rest.is_empty() && made < out.len() {
                    break;
                }
            }
        }
    }
    total
}

fn median(mut f: impl FnMut() -> usize, expect: usize) -> Duration {
    let mut times: Vec<Duration> = (0..21)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(f(), expect);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[10]
}

fn main() {
    let big = vec![json(1 << 20, 1)];
    let chat: Vec<Vec<u8>> = (0..1000).map(|i| json(100, i)).collect();
    println!(
        "{:<28} {:>10} {:>12} {:>12} {:>8}",
        "input", "compressed", "wsmachine", "flate2", "ratio"
    );
    for (name, messages) in [("1 MiB JSON", &big), ("1000 x 100 B chat", &chat)] {
        let plain: usize = messages.iter().map(Vec::len).sum();
        let z = compress_messages(messages);
        let zlen: usize = z.iter().map(Vec::len).sum();
        let ours = median(|| wsmachine_inflate(&z), plain);
        let theirs = median(|| flate2_inflate(&z), plain);
        println!(
            "{name:<28} {:>9.1}% {:>10.2}ms {:>10.2}ms {:>7.2}x",
            100.0 * zlen as f64 / plain as f64,
            ours.as_secs_f64() * 1e3,
            theirs.as_secs_f64() * 1e3,
            theirs.as_secs_f64() / ours.as_secs_f64(),
        );
    }
    println!("ratio = flate2 time / wsmachine time (>= 1: wsmachine as fast or faster)");
}

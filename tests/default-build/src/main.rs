//! W4 (16 masked 1 MiB Chinese texts, decoded in 64 KiB reads) in the build a user gets from
//! `wsmachine = "…"` with default features and nothing else, next to `core::str::from_utf8`
//! (the scalar validator) of the same texts in the same run. Medians of 7 alternating reps.
//!
//! The engine validates each byte once while it unmasks; if this build fell back to the
//! scalar validator, it would run no faster than the scalar limit row.

use std::hint::black_box;
use std::time::Instant as Clock;

use wsmachine::{Config, Connection, Event, Instant, NoMask, Opcode, Role};

#[path = "../../../benches/common/workloads.rs"]
#[allow(dead_code)] // the other benches' generators
mod workloads;

const MIB: usize = 1 << 20;
const MESSAGES: usize = 16;
const READ: usize = 64 * 1024;
const REPS: usize = 7;

/// Decodes `wire` in `READ`-byte reads; returns (text bytes, whole messages).
fn decode(wire: &[u8], work: &mut [u8]) -> (usize, usize) {
    let now = Instant::ZERO;
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, now);
    let (mut bytes, mut messages, mut left) = (0, 0, 0);
    for read in wire.chunks(READ) {
        let n = left + read.len();
        work[left..n].copy_from_slice(read);
        let mut buf = &mut work[..n];
        let mut consumed = 0;
        loop {
            let received = conn.receive(now, &mut *buf).expect("W4 is valid");
            let c = received.consumed;
            match received.event {
                None => {
                    consumed += c;
                    break;
                }
                Some(Event::Text(t)) => {
                    let (carried, text) = t.parts();
                    bytes += text.len() + carried.map_or(0, char::len_utf8);
                    messages += usize::from(t.is_last());
                }
                Some(other) => panic!("unexpected {other:?}"),
            }
            consumed += c;
            buf = &mut std::mem::take(&mut buf)[c..];
        }
        work.copy_within(consumed..n, 0);
        left = n - consumed;
    }
    assert_eq!(left, 0, "bytes left undecoded");
    (bytes, messages)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let text = workloads::chinese_text(MIB);
    let mut keys = workloads::lcg_keys(4);
    let mut wire = Vec::new();
    for _ in 0..MESSAGES {
        workloads::push_frame(&mut wire, Opcode::Text, true, &text, keys());
    }
    let mut work = vec![0u8; 2 * READ];
    let total = (MESSAGES * MIB) as f64;
    let (mut engine, mut scalar) = (Vec::new(), Vec::new());
    for _ in 0..REPS {
        let t = Clock::now();
        let got = black_box(decode(black_box(&wire), &mut work));
        engine.push(total / t.elapsed().as_secs_f64() / 1e9);
        assert_eq!(
            got,
            (MESSAGES * MIB, MESSAGES),
            "every byte and message delivered"
        );

        let t = Clock::now();
        let valid = (0..MESSAGES)
            .filter(|_| core::str::from_utf8(black_box(&text)).is_ok())
            .count();
        scalar.push(total / t.elapsed().as_secs_f64() / 1e9);
        assert_eq!(valid, MESSAGES);
    }
    let (engine, scalar) = (median(engine), median(scalar));
    println!(
        "W4 with default features: wsmachine {engine:.2} GB/s, core::str::from_utf8 alone \
         {scalar:.2} GB/s: {:.1}x the scalar validator (medians of {REPS})",
        engine / scalar
    );
}

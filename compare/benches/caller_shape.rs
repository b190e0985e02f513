//! Issue 12, W1: what the shape of a caller's `match` on `Connection::receive` costs, on the
//! real engine (the miniature models of `event_shape.rs` show why).
//!
//! W1's wire (100,000 masked 16-byte text frames, fed in 64 KiB reads as the peers bench
//! feeds it) decoded by four loops that differ only in how they take the result:
//! - `by_ref`: `match &result`, the event read where the engine wrote it;
//! - `wildcard`: `unwrap()`, the event bound by value, a catch-all `_ => panic!()`;
//! - `natural`: the same with `other => panic!("{other:?}")` (the peers bench's W1 row);
//! - `ref_other`: the same with `ref other => panic!("{other:?}")`.
//!
//! An arm that uses the whole event by reference needs it in memory, so the compiler copies
//! it out of the result's slot on every call, not only when the arm runs: `natural` copies
//! the 96 bytes of the event no text chunk uses (six 16-byte stores), `ref_other` the
//! whole result, whose 16-byte loads read fields just written with narrower stores (no
//! store-to-load forwarding). The copy's size matters little: a timing-only build with a
//! 72-byte event saved 0.4 ns of `natural`'s 2 (README, W1).
//!
//! Run: `cargo bench -p wsmachine-compare --bench caller_shape` (a few seconds). The loops
//! alternate, 41 reps each; median and minimum, ns per message.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant as Clock;

use wsmachine::{Config, Connection, Event, Instant, NoMask, Role, TextChunk};

#[path = "common/w1.rs"]
mod w1;

use w1::Got;

const N: usize = 100_000;
const NOW: Instant = Instant::ZERO;
const READ: usize = 64 * 1024;
const REPS: usize = 41;

/// A text chunk recorded as the peers bench's W1 row records it.
#[inline]
fn text(got: &mut Got, t: &TextChunk<'_>) {
    let mut code_point = [0; 4];
    let (carried, text) = t.parts();
    let carried = carried.map_or("", |c| c.encode_utf8(&mut code_point));
    got.chunk(carried.as_bytes(), false, false);
    got.chunk(text.as_bytes(), t.is_last(), false);
}

/// One loop: `$step` takes one result from `$conn` for `$buf`, records it in `$got`, and
/// evaluates to the bytes consumed and whether an event came (else more bytes are needed).
macro_rules! caller {
    ($name:ident, |$conn:ident, $buf:ident, $got:ident| $step:expr) => {
        #[inline(never)]
        fn $name(wire: &[u8], work: &mut Vec<u8>) -> Got {
            let mut $conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
            let mut $got = Got::default();
            w1::reads_of(READ, wire, work, |mut $buf| {
                let mut consumed = 0;
                loop {
                    let (c, event): (usize, bool) = $step;
                    consumed += c;
                    if !event {
                        return consumed;
                    }
                    $buf = &mut std::mem::take(&mut $buf)[c..];
                }
            });
            $got
        }
    };
}

caller!(by_ref, |conn, buf, got| {
    let result = conn.receive(NOW, &mut *buf);
    let Ok(received) = &result else {
        panic!("{result:?}")
    };
    match &received.event {
        None => (received.consumed, false),
        Some(Event::Text(t)) => {
            text(&mut got, t);
            (received.consumed, true)
        }
        Some(other) => panic!("unexpected {other:?}"),
    }
});

/// A loop that moves the result out with `unwrap()` and binds the event by value, ending
/// with the catch-all arm `Some($other) => $arm`.
macro_rules! unwrapping {
    ($name:ident, $other:pat => $arm:expr) => {
        caller!($name, |conn, buf, got| {
            let received = conn.receive(NOW, &mut *buf).unwrap();
            match received.event {
                None => (received.consumed, false),
                Some(Event::Text(t)) => {
                    text(&mut got, &t);
                    (received.consumed, true)
                }
                Some($other) => $arm,
            }
        });
    };
}

unwrapping!(wildcard, _ => panic!("unexpected event"));
unwrapping!(natural, other => panic!("unexpected {other:?}"));
unwrapping!(ref_other, ref other => panic!("unexpected {other:?}"));

type Loop = fn(&[u8], &mut Vec<u8>) -> Got;

fn main() {
    let wire = w1::masked_texts(N);
    let runs: [(&str, Loop); 4] = [
        ("by_ref", by_ref),
        ("wildcard", wildcard),
        ("natural", natural),
        ("ref_other", ref_other),
    ];
    // Every loop sees every message, in the same chunks (a frame split between reads
    // comes in two).
    let mut work = Vec::new();
    let want = by_ref(&wire, &mut work);
    assert_eq!((want.bytes, want.messages), (16 * N as u64, N as u64));
    for (name, run) in runs {
        assert_eq!(run(&wire, &mut work), want, "{name}");
    }
    let mut times = vec![Vec::new(); runs.len()];
    for _ in 0..REPS {
        for ((_, run), t) in runs.iter().zip(&mut times) {
            let start = Clock::now();
            black_box(run(black_box(&wire), &mut work));
            t.push(start.elapsed().as_nanos() as f64 / N as f64);
        }
    }
    println!("W1 caller shapes, ns per 16-byte message ({REPS} reps): median (minimum)");
    for ((name, _), mut t) in runs.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        println!("  {name:<10} {:6.1} ({:.1})", t[t.len() / 2], t[0]);
    }
}

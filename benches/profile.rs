//! Small, deterministic runs of the per-message workloads (W1 and W2 decode, W6a encode) for
//! `valgrind --tool=callgrind`, whose instruction counts do not depend on machine load:
//!
//! ```sh
//! cargo bench --no-run && valgrind --tool=callgrind \
//!     target/release/deps/profile-<hash> w1   # then: callgrind_annotate --inclusive=yes
//! ```
//! `w1` and `w6a` handle 100,000 messages (divide `decode_w1` / `encode_w6a` by that);
//! `w1r` the same messages with the least caller (`decode_w1r`: each frame its own slice,
//! only messages counted), whose count is nearly all `receive`'s;
//! `w8` one message to each of 10,000 connections (`decode_w8`; with
//! `valgrind --tool=cachegrind` its data-cache misses per message are what W8 adds to W1);
//! `w2` 10,000 masked 4 KiB binary messages fed in 64 KiB reads (`decode_w2`: about 1,450
//! instructions per message in `receive`, 1,180 of them the unmask), `w2m` the same with
//! 256-byte messages, `w5` 16 messages of 1 MiB in 1 KiB fragments the same way (16,384
//! frames: divide `decode_w2` by that);
//! `w7` runs 10,000 handshakes (`handshake_w7`) of a 170-byte request, `w7b` the same with
//! the peers bench's 558-byte browser request.
#![allow(missing_docs)] // a bench target: its `main` needs no docs

use std::hint::black_box;
use std::mem;

use wsmachine::{Config, Connection, Event, Instant, MaskKey, NoMask, Opcode, Received, Role};

#[path = "common/workloads.rs"]
#[allow(dead_code)] // the decode workloads' generators are the other benches'
mod workloads;

const N: usize = 100_000;
const NOW: Instant = Instant::from_millis(0);

#[inline(never)]
fn decode_w1(buf: &mut [u8]) -> (u64, u64) {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let (mut sum, mut messages) = (0u64, 0u64);
    let mut buf = buf;
    loop {
        let consumed = {
            let received = conn.receive(NOW, &mut *buf).unwrap();
            match received.event {
                None => break,
                Some(Event::Text(t)) => {
                    let (carried, text) = t.parts();
                    sum += text.bytes().map(u64::from).sum::<u64>()
                        + carried.map_or(0, char::len_utf8) as u64;
                    messages += u64::from(t.is_last());
                }
                Some(other) => panic!("unexpected {other:?}"),
            }
            received.consumed
        };
        buf = &mut mem::take(&mut buf)[consumed..];
    }
    (sum, messages)
}

#[inline(never)]
fn encode_w6a(texts: &[String], out: &mut [u8]) -> usize {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut at = 0;
    for i in 0..N {
        at += conn
            .send_text(&texts[i % texts.len()], &mut out[at..])
            .unwrap();
    }
    at
}

/// W2: 4 KiB masked binary messages fed in 64 KiB reads, as in the peers bench (the rest of
/// a read moves to the front of the buffer for the next one).
#[inline(never)]
fn decode_w2(wire: &[u8], work: &mut [u8]) -> (u64, u64) {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let (mut sum, mut messages) = (0u64, 0u64);
    let mut left = 0;
    for read in wire.chunks(W2_READ) {
        let n = left + read.len();
        work[left..n].copy_from_slice(read);
        let mut buf = &mut work[..n];
        let mut consumed = 0;
        loop {
            let received = conn.receive(NOW, &mut *buf).unwrap();
            match received.event {
                None => {
                    consumed += received.consumed;
                    break;
                }
                Some(Event::Binary(b)) => {
                    sum += u64::from(b.as_bytes().first().copied().unwrap_or(0));
                    messages += u64::from(b.is_last());
                }
                Some(other) => panic!("unexpected {other:?}"),
            }
            let c = received.consumed;
            consumed += c;
            buf = &mut mem::take(&mut buf)[c..];
        }
        work.copy_within(consumed..n, 0);
        left = n - consumed;
    }
    (sum, messages)
}

/// W1 with the least caller around `receive`: each 22-byte frame handed over as its own
/// slice and only the messages counted, so nearly every instruction is the engine's.
#[inline(never)]
fn decode_w1r(wire: &mut [u8]) -> u64 {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut messages = 0;
    for frame in wire.chunks_exact_mut(22) {
        if let Ok(Received {
            event: Some(Event::Text(t)),
            ..
        }) = conn.receive(NOW, frame)
        {
            messages += u64::from(t.is_last());
        }
    }
    messages
}

/// W8: one 16-byte text to each of `conns` in turn (their state no longer in L1).
#[inline(never)]
fn decode_w8(conns: &mut [Connection<NoMask>], wire: &mut [u8]) -> u64 {
    let mut messages = 0;
    for (conn, frame) in conns.iter_mut().zip(wire.chunks_exact_mut(22)) {
        if let Some(Event::Text(t)) = conn.receive(NOW, frame).unwrap().event {
            messages += u64::from(t.is_last() && t.parts().1.len() == 16);
        }
    }
    messages
}

#[inline(never)]
fn handshake_w7(request: &mut [u8], out: &mut [u8]) -> usize {
    let mut conn = Connection::server(Config::new(), NOW);
    let received = conn.receive(NOW, request).unwrap();
    assert!(matches!(received.event, Some(Event::UpgradeRequest(_))));
    conn.accept(Instant::ZERO, &wsmachine::Accept::new(), out)
        .unwrap()
}

/// W2's message size, count and read size, as in the peers bench.
const W2_LEN: usize = 4096;
const W2_MESSAGES: usize = 10_000;
const W2_READ: usize = 64 * 1024;

/// Connections in the `w8` profile, as in the peers bench's W8.
const W8_CONNS: usize = 10_000;

/// `count` masked 16-byte texts, each with its own key (22 bytes a frame).
fn w1_wire(count: usize) -> Vec<u8> {
    let mut wire = Vec::new();
    for i in 0..count {
        let key = MaskKey((i as u32).wrapping_mul(2_654_435_761).to_be_bytes());
        let payload = format!("msg {i:012}");
        workloads::push_frame(&mut wire, Opcode::Text, true, payload.as_bytes(), key);
    }
    wire
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which == "w1" {
        let mut wire = w1_wire(N);
        let (_, messages) = black_box(decode_w1(&mut wire));
        assert_eq!(messages, N as u64);
    } else if which == "w1r" {
        let mut wire = w1_wire(N);
        assert_eq!(black_box(decode_w1r(&mut wire)), N as u64);
    } else if which == "w8" {
        let mut wire = w1_wire(W8_CONNS);
        let mut conns: Vec<_> = (0..W8_CONNS)
            .map(|_| Connection::upgraded(Config::new(), Role::Server, NoMask, NOW))
            .collect();
        assert_eq!(black_box(decode_w8(&mut conns, &mut wire)), W8_CONNS as u64);
    } else if which == "w2" || which == "w2m" {
        // `w2m`: the same with 256-byte messages (a mid-sized JSON message's size).
        let len = if which == "w2" { W2_LEN } else { 256 };
        let mut wire = Vec::new();
        let mut keys = workloads::lcg_keys(7);
        for i in 0..W2_MESSAGES {
            let payload = workloads::binary_payload(len, i);
            workloads::push_frame(&mut wire, Opcode::Binary, true, &payload, keys());
        }
        let mut work = vec![0u8; 2 * W2_READ];
        let (_, messages) = black_box(decode_w2(&wire, &mut work));
        assert_eq!(messages, W2_MESSAGES as u64);
    } else if which == "w5" {
        // W5: 16 binary messages of 1 MiB in 1 KiB fragments, through `decode_w2`'s reads.
        let mut wire = Vec::new();
        let mut keys = workloads::lcg_keys(5);
        for i in 0..16 {
            for (opcode, fin, part) in workloads::kib_fragments(i) {
                workloads::push_frame(&mut wire, opcode, fin, &part, keys());
            }
        }
        let mut work = vec![0u8; 2 * W2_READ];
        let (_, messages) = black_box(decode_w2(&wire, &mut work));
        assert_eq!(messages, 16);
    } else if which == "w6a" {
        let texts: Vec<String> = (0..64).map(|i| format!("reply {:010}", i * 7919)).collect();
        let mut out = vec![0u8; N * 18];
        assert_eq!(black_box(encode_w6a(&texts, &mut out)), out.len());
    } else if which == "w7" || which == "w7b" {
        let short = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Version: 13\r\n\r\n";
        let browser = workloads::browser_request();
        let request = if which == "w7" {
            &short[..]
        } else {
            &browser[..]
        };
        let mut out = [0u8; 256];
        for _ in 0..10_000 {
            let mut buf = request.to_vec();
            black_box(handshake_w7(&mut buf, &mut out));
        }
    } else {
        // `cargo bench` runs every bench target: stay quick and quiet without an argument.
    }
}

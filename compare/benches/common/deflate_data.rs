//! The data and timing both deflate benches use (`inflate`, `deflate_send`), so their
//! figures are about the same bytes.

use std::time::Duration;

/// JSON-like text, deterministic.
pub(crate) fn json(n: usize, seed: u32) -> Vec<u8> {
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

/// The two inputs: one 1 MiB JSON message, and 1,000 chat messages of 100 bytes.
pub(crate) fn inputs() -> [(&'static str, Vec<Vec<u8>>); 2] {
    [
        ("1 MiB JSON", vec![json(1 << 20, 1)]),
        (
            "1000 x 100 B chat",
            (0..1000).map(|i| json(100, i)).collect(),
        ),
    ]
}

/// The median of 21 runs, each timing itself (so setup and checks stay outside).
pub(crate) fn median21(mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..21).map(|_| run()).collect();
    times.sort();
    times[10]
}

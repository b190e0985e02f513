//! Issue 5 workloads W1–W7 against their physical limits, measured in one run.
//!
//! Every workload checks what it delivered (a byte-sum checksum and a byte count compared
//! with the plaintext's, outside the timed region) so nothing can be optimised away. The
//! limit rows (memcpy, in-place u64 XOR, `core::str::from_utf8`, SIMD UTF-8) run over the
//! same bytes. After criterion has run, a summary table prints each median, its
//! throughput and its ratio to the limit (limit time / workload time: 1.0 means as fast
//! as the limit).
//!
//! Run: `cargo bench --bench throughput` (add `--features std,simdutf8` for the SIMD
//! UTF-8 validator in the engine). A filter works as usual: `cargo bench -- W1`.
// criterion's macros generate undocumented public items; the limit table is a plain slice
// of (name, fn) pairs.
#![allow(missing_docs, clippy::type_complexity)]

use std::hint::black_box;
use std::mem;
use std::time::{Duration, Instant as StdInstant};

use criterion::{Criterion, SamplingMode, Throughput};
use wsmachine::{Accept, Config, Connection, Event, Instant, MaskKey, NoMask, Opcode, Role};

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const NOW: Instant = Instant::from_millis(0);

// ---- helpers ----

/// Sum of all bytes: independent of how the stream was cut into chunks, vectorises well.
fn byte_sum(bytes: &[u8]) -> u64 {
    const LANES: u64 = 0x00ff_00ff_00ff_00ff;
    let (words, tail) = bytes.as_chunks::<8>();
    let mut total = 0u64;
    // 128 words add at most 128 * 2 * 255 < 2^16 to each 16-bit lane.
    for block in words.chunks(128) {
        let mut acc = 0u64;
        for w in block {
            let w = u64::from_ne_bytes(*w);
            acc += (w & LANES) + ((w >> 8) & LANES);
        }
        total += (acc & 0xffff) + ((acc >> 16) & 0xffff) + ((acc >> 32) & 0xffff) + (acc >> 48);
    }
    total + tail.iter().map(|&b| u64::from(b)).sum::<u64>()
}

/// The consumer's read of every delivered byte: the XOR of the stream's 8-byte
/// little-endian words, for a chunk that starts `offset` bytes into the stream. Any chunking
/// of the same stream folds to the same value (byte `i` always lands in bits `8 * (i % 8)`),
/// and it costs one vector XOR per 16 or 32 bytes, half an in-place XOR, so it measures the
/// engine rather than the bench.
fn fold(bytes: &[u8], offset: u64) -> u64 {
    let (words, tail) = bytes.as_chunks::<8>();
    let mut acc = [0u64; 4];
    let (quads, rest) = words.as_chunks::<4>();
    for q in quads {
        for (a, w) in acc.iter_mut().zip(q) {
            *a ^= u64::from_le_bytes(*w);
        }
    }
    let mut x = acc[0] ^ acc[1] ^ acc[2] ^ acc[3];
    for w in rest {
        x ^= u64::from_le_bytes(*w);
    }
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    x ^= u64::from_le_bytes(last);
    x.rotate_left(8 * (offset % 8) as u32)
}

/// What a decode delivered: checksum ([`fold`]), payload bytes, whole messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Delivered {
    sum: u64,
    bytes: u64,
    messages: u64,
}

/// How much of each delivered chunk the application reads inside the timed loop.
#[derive(Clone, Copy)]
enum Check {
    /// Every byte (the untimed verification run).
    Full,
    /// Its length, first and last byte: enough that no chunk can be optimised away,
    /// without charging the engine for a second pass the XOR limit does not make.
    Touch,
}

/// `Check::Touch`'s fold of a chunk.
fn touch(bytes: &[u8], offset: u64) -> u64 {
    let ends = u64::from(bytes.first().copied().unwrap_or(0)) << 8
        | u64::from(bytes.last().copied().unwrap_or(0));
    (ends ^ (bytes.len() as u64) << 16).rotate_left((offset % 64) as u32)
}

/// The decode loop of issue 5: an upgraded server receiving the whole buffer, consuming
/// every event.
fn decode(buf: &mut [u8], check: Check) -> Delivered {
    let fold = match check {
        Check::Full => fold,
        Check::Touch => touch,
    };
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut out = Delivered::default();
    let mut buf = buf;
    loop {
        let consumed = {
            let received = conn.receive(NOW, &mut *buf).unwrap();
            let (bytes_sum, len, last) = match received.event {
                None => break,
                Some(Event::Text(t)) => {
                    let mut carried = [0; 4];
                    let (p, s) = t.parts();
                    let p = p.map_or(&[][..], |c| c.encode_utf8(&mut carried).as_bytes());
                    let s = s.as_bytes();
                    let at = out.bytes + p.len() as u64;
                    (
                        fold(p, out.bytes) ^ fold(s, at),
                        p.len() + s.len(),
                        t.is_last(),
                    )
                }
                Some(Event::Binary(b)) => (
                    fold(b.as_bytes(), out.bytes),
                    b.as_bytes().len(),
                    b.is_last(),
                ),
                Some(other) => panic!("unexpected event {other:?}"),
            };
            out.sum ^= bytes_sum;
            out.bytes += len as u64;
            out.messages += u64::from(last);
            received.consumed
        };
        buf = &mut mem::take(&mut buf)[consumed..];
    }
    out
}

/// A pre-encoded decode workload: the wire bytes and what decoding them must deliver.
struct DecodeWorkload {
    wire: Vec<u8>,
    want: Delivered,
}

impl DecodeWorkload {
    fn new(messages: usize, frames: impl Fn(usize) -> Vec<(Opcode, bool, Vec<u8>)>) -> Self {
        let mut keys = lcg_keys(7);
        let mut wire = Vec::new();
        let mut want = Delivered::default();
        for i in 0..messages {
            for (opcode, fin, payload) in frames(i) {
                want.sum ^= fold(&payload, want.bytes);
                want.bytes += payload.len() as u64;
                push_frame(&mut wire, opcode, fin, &payload, keys());
            }
            want.messages += 1;
        }
        Self { wire, want }
    }

    /// Times `iters` decodes, each of a fresh copy of the wire bytes (copied untimed).
    ///
    /// An untimed run first checks every delivered byte against the plaintext; timed runs
    /// then touch each chunk and must reproduce that run's touch checksum exactly.
    fn run(&self, work: &mut [u8], iters: u64) -> Duration {
        work.copy_from_slice(&self.wire);
        assert_eq!(
            decode(work, Check::Full),
            self.want,
            "decode delivered wrong bytes"
        );
        work.copy_from_slice(&self.wire);
        let touched = decode(work, Check::Touch);
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            work.copy_from_slice(&self.wire);
            let start = StdInstant::now();
            let got = decode(black_box(work), Check::Touch);
            total += start.elapsed();
            assert_eq!(got, touched, "decode delivered different chunks");
        }
        total
    }
}

fn xor_in_place(buf: &mut [u8], word: u64) {
    let (words, tail) = buf.as_chunks_mut::<8>();
    for w in words {
        *w = (u64::from_ne_bytes(*w) ^ word).to_ne_bytes();
    }
    for b in tail {
        *b ^= 0x5a;
    }
}

fn time_iters(iters: u64, mut f: impl FnMut()) -> Duration {
    let start = StdInstant::now();
    for _ in 0..iters {
        f();
    }
    start.elapsed()
}

// ---- workloads ----

#[path = "common/workloads.rs"]
mod workloads;
use workloads::{
    binary_payload, browser_request, chinese_text, kib_fragments, lcg_keys, push_frame,
};

fn decode_group(
    c: &mut Criterion,
    name: &str,
    workload: &DecodeWorkload,
    throughput: Throughput,
    limits: &[(&str, fn(&[u8], &mut [u8]))],
) {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat)
        .throughput(throughput);
    let mut work = workload.wire.clone();
    group.bench_function("wsmachine", |b| {
        b.iter_custom(|iters| workload.run(&mut work, iters))
    });
    for &(limit, f) in limits {
        group.bench_function(limit, |b| {
            b.iter_custom(|iters| time_iters(iters, || f(&workload.wire, black_box(&mut work))))
        });
    }
    group.finish();
}

fn memcpy_limit(src: &[u8], dst: &mut [u8]) {
    dst.copy_from_slice(black_box(src));
}

fn xor_limit(_: &[u8], buf: &mut [u8]) {
    xor_in_place(buf, 0x3d21_fa37_3d21_fa37);
}

fn w1(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let w = DecodeWorkload::new(N, |i| {
        let payload = format!("msg {:012}", i).into_bytes();
        assert_eq!(payload.len(), 16);
        vec![(Opcode::Text, true, payload)]
    });
    // Not a limit of issue 5's table, but the floor under W1: the only safe way to get a
    // `&str` is a validator, so every message pays one `from_utf8` of its 16 bytes.
    fn from_utf8_each(src: &[u8], _: &mut [u8]) {
        for frame in src.chunks_exact(22) {
            black_box(core::str::from_utf8(black_box(&frame[6..])).is_ok());
        }
    }
    decode_group(
        c,
        "W1 decode 1M x 16 B text",
        &w,
        Throughput::Elements(N as u64),
        &[
            ("memcpy", memcpy_limit),
            ("from_utf8 per 16 B", from_utf8_each),
        ],
    );
}

fn w2(c: &mut Criterion) {
    const N: usize = 100_000;
    let payload = binary_payload(4 * KIB, 1);
    let w = DecodeWorkload::new(N, |_| vec![(Opcode::Binary, true, payload.clone())]);
    decode_group(
        c,
        "W2 decode 100k x 4 KiB binary",
        &w,
        Throughput::Bytes((N * 4 * KIB) as u64),
        &[("u64 xor", xor_limit)],
    );
}

fn w3(c: &mut Criterion) {
    let w = DecodeWorkload::new(64, |i| vec![(Opcode::Binary, true, binary_payload(MIB, i))]);
    decode_group(
        c,
        "W3 decode 64 x 1 MiB binary",
        &w,
        Throughput::Bytes((64 * MIB) as u64),
        &[("u64 xor", xor_limit)],
    );
}

fn w4(c: &mut Criterion) {
    let text = chinese_text(MIB);
    assert_eq!(text.len(), MIB);
    let w = DecodeWorkload::new(64, |_| vec![(Opcode::Text, true, text.clone())]);
    fn from_utf8_limit(buf: &[u8]) {
        for m in buf.chunks(MIB) {
            black_box(core::str::from_utf8(black_box(m)).is_ok());
        }
    }
    fn simd_limit(buf: &[u8]) {
        for m in buf.chunks(MIB) {
            black_box(simdutf8::compat::from_utf8(black_box(m)).is_ok());
        }
    }
    let mut plain = Vec::with_capacity(64 * MIB);
    for _ in 0..64 {
        plain.extend_from_slice(&text);
    }
    let mut group = c.benchmark_group("W4 decode 64 x 1 MiB Chinese text");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Bytes((64 * MIB) as u64));
    let mut work = w.wire.clone();
    group.bench_function("wsmachine", |b| {
        b.iter_custom(|iters| w.run(&mut work, iters))
    });
    group.bench_function("u64 xor", |b| {
        b.iter_custom(|iters| time_iters(iters, || xor_limit(&[], black_box(&mut work))))
    });
    group.bench_function("core from_utf8", |b| {
        b.iter_custom(|iters| time_iters(iters, || from_utf8_limit(black_box(&plain))))
    });
    group.bench_function("simdutf8", |b| {
        b.iter_custom(|iters| time_iters(iters, || simd_limit(black_box(&plain))))
    });
    group.finish();
}

fn w5(c: &mut Criterion) {
    let w = DecodeWorkload::new(64, kib_fragments);
    decode_group(
        c,
        "W5 decode 64 x 1 MiB in 1 KiB fragments",
        &w,
        Throughput::Bytes((64 * MIB) as u64),
        &[("u64 xor", xor_limit)],
    );
}

fn w6a(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let texts: Vec<String> = (0..64).map(|i| format!("reply {:010}", i * 7919)).collect();
    assert!(texts.iter().all(|t| t.len() == 16));
    let frame_len = 2 + 16;
    let mut out = vec![0u8; N * frame_len];
    let src = vec![1u8; out.len()];
    let want: u64 = (0..N)
        .map(|i| 0x81 + 16 + byte_sum(texts[i % 64].as_bytes()))
        .sum();
    let encode = |out: &mut [u8]| {
        let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
        let mut at = 0;
        for i in 0..N {
            at += conn.send_text(&texts[i % 64], &mut out[at..]).unwrap();
        }
        at
    };
    let mut group = c.benchmark_group("W6a encode 1M x 16 B server text");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(N as u64));
    group.bench_function("wsmachine", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                out.fill(0);
                let start = StdInstant::now();
                let len = encode(black_box(&mut out));
                total += start.elapsed();
                assert_eq!((len, byte_sum(&out)), (out.len(), want));
            }
            total
        })
    });
    group.bench_function("memcpy", |b| {
        b.iter_custom(|iters| time_iters(iters, || memcpy_limit(&src, black_box(&mut out))))
    });
    group.finish();
}

fn w6b(c: &mut Criterion) {
    const N: usize = 64;
    let payloads: Vec<Vec<u8>> = (0..N).map(|i| binary_payload(MIB, i)).collect();
    let frame_len = 14 + MIB;
    let mut out = vec![0u8; N * frame_len];
    let src = vec![1u8; out.len()];
    // The reference: an independent byte-by-byte encoding with the same keys.
    let mut keys = lcg_keys(11);
    let mut want = 0u64;
    for p in &payloads {
        let MaskKey(key) = keys();
        want += 0x82 + 0xff + 0x10 + byte_sum(&key); // 64-bit length 0x0010_0000
        want += p
            .iter()
            .enumerate()
            .map(|(i, b)| u64::from(b ^ key[i % 4]))
            .sum::<u64>();
    }
    let encode = |out: &mut [u8]| {
        let mut conn = Connection::upgraded(Config::new(), Role::Client, lcg_keys(11), NOW);
        let mut at = 0;
        for p in &payloads {
            at += conn.send_binary(p, &mut out[at..]).unwrap();
        }
        at
    };
    let mut group = c.benchmark_group("W6b encode 64 x 1 MiB client binary");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Bytes((N * MIB) as u64));
    group.bench_function("wsmachine", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let start = StdInstant::now();
                let len = encode(black_box(&mut out));
                total += start.elapsed();
                assert_eq!((len, byte_sum(&out)), (out.len(), want));
            }
            total
        })
    });
    group.bench_function("memcpy", |b| {
        b.iter_custom(|iters| time_iters(iters, || memcpy_limit(&src, black_box(&mut out))))
    });
    group.finish();
}

fn w7(c: &mut Criterion) {
    let mut request = browser_request();
    let original = request.clone();
    let handshake = |request: &mut [u8], out: &mut [u8]| {
        let mut conn = Connection::server(Config::new(), NOW);
        let received = conn.receive(NOW, request).unwrap();
        let Some(Event::UpgradeRequest(req)) = received.event else {
            panic!("no upgrade request")
        };
        assert_eq!(received.consumed, 558);
        black_box(req.path());
        conn.accept(Instant::ZERO, &Accept::new(), out).unwrap()
    };
    let mut out = [0u8; 256];
    let n = handshake(&mut request, &mut out);
    let response = std::str::from_utf8(&out[..n]).unwrap();
    assert!(response.starts_with("HTTP/1.1 101"));
    assert!(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    assert_eq!(request, original, "the handshake must not modify the head");
    let want = byte_sum(&out[..n]);
    let mut group = c.benchmark_group("W7 upgrade 558 B request + 101");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("wsmachine", |b| {
        b.iter(|| {
            let n = handshake(black_box(&mut request), &mut out);
            black_box(&out[..n]);
        })
    });
    group.finish();
    assert_eq!(byte_sum(&out[..n]), want);
}

// ---- summary ----

/// The median (ns) criterion recorded for `group/function` in this run's output directory.
fn median_ns(group: &str, function: &str) -> Option<(std::path::PathBuf, f64)> {
    let root = std::env::var_os("CRITERION_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|d| std::path::Path::new(&d).join("criterion"))
        })
        .unwrap_or_else(|| "target/criterion".into());
    let sanitize = |s: &str| -> String {
        s.chars()
            .map(|c| match c {
                '?' | '"' | '/' | '\\' | '*' | '<' | '>' | ':' | '|' | '^' => '_',
                c => c,
            })
            .collect()
    };
    let path = root
        .join(sanitize(group))
        .join(sanitize(function))
        .join("new/estimates.json");
    let json = std::fs::read_to_string(&path).ok()?;
    let median = &json[json.find("\"median\"")?..];
    let value = &median[median.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = value.find([',', '}'])?;
    Some((path, value[..end].trim().parse().ok()?))
}

fn summary(started: std::time::SystemTime) {
    // Only rows this run measured (a filter may have skipped some).
    let fresh = |group: &str, function: &str| -> Option<f64> {
        let (path, median) = median_ns(group, function)?;
        let modified = std::fs::metadata(path).ok()?.modified().ok()?;
        (modified >= started).then_some(median)
    };
    let simd = cfg!(feature = "simdutf8");
    println!();
    println!(
        "| workload | median | per unit | limit (median, same bytes) | ratio to limit | goal | met |"
    );
    println!("|---|---|---|---|---|---|---|");
    let gbps = |bytes: f64, ns: f64| bytes / ns;
    struct Row<'a> {
        group: &'a str,
        limit: &'a [&'a str],
        unit: Unit,
        goal: Goal,
    }
    #[derive(Clone, Copy)]
    enum Unit {
        PerMsg(f64),
        Bytes(f64),
        Once,
    }
    #[derive(Clone, Copy)]
    enum Goal {
        NsPerMsg(f64),
        Ratio(f64),
        Ns(f64),
    }
    let mib64 = (64 * MIB) as f64;
    let rows = [
        Row {
            group: "W1 decode 1M x 16 B text",
            limit: &["memcpy"],
            unit: Unit::PerMsg(1e6),
            goal: Goal::NsPerMsg(8.0),
        },
        Row {
            group: "W2 decode 100k x 4 KiB binary",
            limit: &["u64 xor"],
            unit: Unit::Bytes((100_000 * 4 * KIB) as f64),
            goal: Goal::Ratio(0.9),
        },
        Row {
            group: "W3 decode 64 x 1 MiB binary",
            limit: &["u64 xor"],
            unit: Unit::Bytes(mib64),
            goal: Goal::Ratio(0.9),
        },
        Row {
            group: "W4 decode 64 x 1 MiB Chinese text",
            limit: if simd {
                &["u64 xor", "simdutf8"]
            } else {
                &["core from_utf8"]
            },
            unit: Unit::Bytes(mib64),
            goal: Goal::Ratio(if simd { 0.8 } else { 0.9 }),
        },
        Row {
            group: "W5 decode 64 x 1 MiB in 1 KiB fragments",
            limit: &["u64 xor"],
            unit: Unit::Bytes(mib64),
            goal: Goal::Ratio(0.9),
        },
        Row {
            group: "W6a encode 1M x 16 B server text",
            limit: &["memcpy"],
            unit: Unit::PerMsg(1e6),
            goal: Goal::NsPerMsg(3.0),
        },
        Row {
            group: "W6b encode 64 x 1 MiB client binary",
            limit: &["memcpy"],
            unit: Unit::Bytes(mib64),
            goal: Goal::Ratio(0.9),
        },
        Row {
            group: "W7 upgrade 558 B request + 101",
            limit: &[],
            unit: Unit::Once,
            goal: Goal::Ns(400.0),
        },
    ];
    for row in rows {
        let Some(t) = fresh(row.group, "wsmachine") else {
            continue;
        };
        let limit: Option<f64> = if row.limit.is_empty() {
            None
        } else {
            row.limit.iter().map(|l| fresh(row.group, l)).sum()
        };
        let per = match row.unit {
            Unit::PerMsg(n) => format!("{:.2} ns/msg", t / n),
            Unit::Bytes(b) => format!("{:.2} GB/s", gbps(b, t)),
            Unit::Once => format!("{:.0} ns", t),
        };
        let limit_text = match (limit, row.unit) {
            (None, _) => "—".to_string(),
            (Some(l), Unit::PerMsg(n)) => format!("{} {:.2} ns/msg", row.limit.join(" + "), l / n),
            (Some(l), Unit::Bytes(b)) => {
                format!("{} {:.2} GB/s", row.limit.join(" + "), gbps(b, l))
            }
            (Some(l), Unit::Once) => format!("{l:.0} ns"),
        };
        let ratio = limit.map(|l| l / t);
        let (goal, met) = match row.goal {
            Goal::NsPerMsg(g) => {
                let n = match row.unit {
                    Unit::PerMsg(n) => n,
                    _ => 1.0,
                };
                (format!("≤ {g} ns/msg"), t / n <= g)
            }
            Goal::Ratio(g) => (format!("≥ {g}×"), ratio.is_some_and(|r| r >= g)),
            Goal::Ns(g) => (format!("≤ {g} ns"), t <= g),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            row.group,
            fmt_time(t),
            per,
            limit_text,
            ratio.map_or("—".to_string(), |r| format!("{r:.2}×")),
            goal,
            if met { "yes" } else { "no" },
        );
    }
    if let Some(floor) = fresh("W1 decode 1M x 16 B text", "from_utf8 per 16 B") {
        println!(
            "\nW1 floor in safe code: core::str::from_utf8 of each 16-byte payload alone takes {:.2} ns/msg",
            floor / 1e6
        );
    }
    println!(
        "\nengine UTF-8 validator: {}",
        if simd {
            "simdutf8"
        } else {
            "core::str::from_utf8"
        }
    );
    let client = Connection::upgraded(Config::new(), Role::Client, lcg_keys(1), NOW);
    println!(
        "size_of: Connection<NoMask> {} B, Connection<fn() -> MaskKey> {} B, client with a closure mask source {} B",
        size_of::<Connection<NoMask>>(),
        size_of::<Connection<fn() -> MaskKey>>(),
        size_of_val(&client),
    );
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let started = std::time::SystemTime::now();
    let mut c = Criterion::default().configure_from_args();
    w1(&mut c);
    w2(&mut c);
    w3(&mut c);
    w4(&mut c);
    w5(&mut c);
    w6a(&mut c);
    w6b(&mut c);
    w7(&mut c);
    c.final_summary();
    summary(started);
}

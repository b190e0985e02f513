//! Issue 12: wsmachine and its peer crates on the same workloads, in one process.
//!
//! Each rep prints one table: the median ns per message of every engine, the fastest peer,
//! and the ratio wsmachine / fastest peer (below 1.0 means wsmachine is faster), next to
//! the limits (memcpy, XOR, `core::str::from_utf8`). Workloads reuse benches/throughput.rs's
//! definitions (masked client frames into an upgraded server, server text out).
//!
//! Every peer does at least what its users get by default: where a peer hands text over
//! as bytes without validating it (embedded-websocket), the bench adds the
//! `core::str::from_utf8` its users need for a `&str`.
//!
//! Run: `cargo bench -p wsmachine-compare --bench peers` (about 30 s).
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::{self, Cursor, Read, Write};
use std::time::Instant as StdInstant;

use wsmachine::{
    Config, Connection, Event, FrameHeader, Instant, MaskKey, Masker, NoMask, Opcode, Role,
};

const NOW: Instant = Instant::from_millis(0);
const REPS: usize = 5;

fn lcg_keys(seed: u32) -> impl FnMut() -> MaskKey {
    let mut state = seed;
    move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        MaskKey(state.to_be_bytes())
    }
}

fn push_frame(wire: &mut Vec<u8>, opcode: Opcode, payload: &[u8], key: MaskKey) {
    let header = FrameHeader {
        fin: true,
        rsv: 0,
        opcode,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut head = [0u8; 14];
    let n = header.encode(&mut head).unwrap();
    wire.extend_from_slice(&head[..n]);
    let start = wire.len();
    wire.extend_from_slice(payload);
    Masker::new(key).apply(&mut wire[start..]);
}

/// W1's wire: `n` masked 16-byte text frames (22 bytes each).
fn w1_wire(n: usize) -> Vec<u8> {
    let mut keys = lcg_keys(7);
    let mut wire = Vec::with_capacity(n * 22);
    for i in 0..n {
        push_frame(
            &mut wire,
            Opcode::Text,
            format!("msg {:012}", i).as_bytes(),
            keys(),
        );
    }
    wire
}

/// Median of `REPS`-free single timing: ns per message of one call of `f` over `n` messages.
fn time(n: usize, mut f: impl FnMut() -> u64) -> f64 {
    let start = StdInstant::now();
    black_box(f());
    start.elapsed().as_nanos() as f64 / n as f64
}

// ---- W1 decode ----

fn w1_wsmachine(wire: &[u8], work: &mut [u8]) -> u64 {
    work.copy_from_slice(wire);
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut buf = &mut work[..];
    let mut sum = 0u64;
    loop {
        let received = conn.receive(NOW, &mut *buf).unwrap();
        match received.event {
            None => break,
            Some(Event::Text(t)) => {
                let (a, b) = t.parts();
                sum += (a.len() + b.len()) as u64;
            }
            Some(other) => panic!("unexpected {other:?}"),
        }
        let c = received.consumed;
        buf = &mut std::mem::take(&mut buf)[c..];
    }
    sum
}

fn ews_server() -> embedded_websocket::WebSocketServer {
    let mut ws = embedded_websocket::WebSocketServer::new_server();
    let key = embedded_websocket::WebSocketKey::from("dGhlIHNhbXBsZSBub25jZQ==");
    let mut out = [0u8; 256];
    ws.server_accept(&key, None, &mut out).unwrap();
    ws
}

fn w1_ews(wire: &[u8], to: &mut [u8]) -> u64 {
    let mut ws = ews_server();
    let mut from = wire;
    let mut sum = 0u64;
    while !from.is_empty() {
        let r = ws.read(from, to).unwrap();
        assert!(r.end_of_message);
        // It hands text over unvalidated; its users validate to get a &str.
        sum += std::str::from_utf8(&to[..r.len_to]).unwrap().len() as u64;
        from = &from[r.len_from..];
    }
    sum
}

/// A std::io stream: reads from a buffer, writes into a Vec.
struct Mem {
    input: Cursor<Vec<u8>>,
    output: Vec<u8>,
}
impl Read for Mem {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}
impl Write for Mem {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn tung(input: Vec<u8>) -> tungstenite::WebSocket<Mem> {
    tungstenite::WebSocket::from_raw_socket(
        Mem {
            input: Cursor::new(input),
            output: Vec::new(),
        },
        tungstenite::protocol::Role::Server,
        None,
    )
}

fn w1_tung(wire: &[u8], n: usize) -> u64 {
    let mut ws = tung(wire.to_vec());
    let mut sum = 0u64;
    for _ in 0..n {
        match ws.read().unwrap() {
            tungstenite::Message::Text(t) => sum += t.as_str().len() as u64,
            other => panic!("unexpected {other:?}"),
        }
    }
    sum
}

// ---- W6a encode 16 B server text ----

fn texts() -> Vec<String> {
    (0..64).map(|i| format!("reply {:010}", i * 7919)).collect()
}

fn w6a_wsmachine(texts: &[String], out: &mut [u8], n: usize) -> u64 {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut at = 0;
    for i in 0..n {
        at += conn.send_text(&texts[i % 64], &mut out[at..]).unwrap();
    }
    at as u64
}

fn w6a_ews(texts: &[String], out: &mut [u8], n: usize) -> u64 {
    let mut ws = ews_server();
    let mut at = 0;
    for i in 0..n {
        at += ws
            .write(
                embedded_websocket::WebSocketSendMessageType::Text,
                true,
                texts[i % 64].as_bytes(),
                &mut out[at..],
            )
            .unwrap();
    }
    at as u64
}

fn w6a_tung(texts: &[String], n: usize) -> u64 {
    let mut ws = tung(Vec::new());
    ws.get_mut().output.reserve(n * 18);
    for i in 0..n {
        ws.write(tungstenite::Message::text(texts[i % 64].as_str()))
            .unwrap();
    }
    ws.flush().unwrap();
    ws.get_ref().output.len() as u64
}

// ---- W8: 10,000 connections round-robin, one 16 B text each ----

const CONNS: usize = 10_000;

fn w8_wsmachine(wire: &[u8], work: &mut [u8]) -> u64 {
    work.copy_from_slice(wire);
    let mut conns: Vec<_> = (0..CONNS)
        .map(|_| Connection::upgraded(Config::new(), Role::Server, NoMask, NOW))
        .collect();
    let start = StdInstant::now();
    let mut sum = 0u64;
    for (conn, frame) in conns.iter_mut().zip(work.chunks_exact_mut(22)) {
        let received = conn.receive(NOW, frame).unwrap();
        match received.event {
            Some(Event::Text(t)) => {
                let (a, b) = t.parts();
                sum += (a.len() + b.len()) as u64;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    black_box(sum);
    start.elapsed().as_nanos() as u64
}

fn w8_ews(wire: &[u8], to: &mut [u8]) -> u64 {
    let mut conns: Vec<_> = (0..CONNS).map(|_| ews_server()).collect();
    let start = StdInstant::now();
    let mut sum = 0u64;
    for (ws, frame) in conns.iter_mut().zip(wire.chunks_exact(22)) {
        let r = ws.read(frame, to).unwrap();
        sum += std::str::from_utf8(&to[..r.len_to]).unwrap().len() as u64;
    }
    black_box(sum);
    start.elapsed().as_nanos() as u64
}

fn w8_tung(wire: &[u8]) -> u64 {
    let mut conns: Vec<_> = wire.chunks_exact(22).map(|f| tung(f.to_vec())).collect();
    let start = StdInstant::now();
    let mut sum = 0u64;
    for ws in &mut conns {
        match ws.read().unwrap() {
            tungstenite::Message::Text(t) => sum += t.as_str().len() as u64,
            other => panic!("unexpected {other:?}"),
        }
    }
    black_box(sum);
    start.elapsed().as_nanos() as u64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Row {
    name: &'static str,
    engines: Vec<(&'static str, f64)>,
    limits: Vec<(&'static str, f64)>,
}

fn print(rep: usize, rows: &[Row]) {
    println!("\nrep {rep}: ns per message");
    for r in rows {
        let ws = r.engines[0].1;
        let (peer, best) = r.engines[1..]
            .iter()
            .copied()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        let all: Vec<String> = r
            .engines
            .iter()
            .map(|(n, t)| format!("{n} {t:.1}"))
            .collect();
        let lim: Vec<String> = r
            .limits
            .iter()
            .map(|(n, t)| format!("{n} {t:.1}"))
            .collect();
        println!(
            "  {:<28} {}  | ratio wsmachine/{peer} = {:.2}  | limits: {}",
            r.name,
            all.join(", "),
            ws / best,
            lim.join(", ")
        );
    }
}

fn main() {
    const N1: usize = 200_000;
    let wire = w1_wire(N1);
    let mut work = vec![0u8; wire.len()];
    let mut to = vec![0u8; 1024];
    let ts = texts();
    let mut out = vec![0u8; N1 * 18];
    let w8wire = w1_wire(CONNS);
    let mut w8work = vec![0u8; w8wire.len()];

    // Correctness outside the timed region: every engine delivers the same bytes.
    assert_eq!(w1_wsmachine(&wire, &mut work), (N1 * 16) as u64);
    assert_eq!(w1_ews(&wire, &mut to), (N1 * 16) as u64);
    assert_eq!(w1_tung(&wire, N1), (N1 * 16) as u64);
    let a = w6a_wsmachine(&ts, &mut out, N1);
    let wsm_bytes = out[..a as usize].to_vec();
    assert_eq!(w6a_ews(&ts, &mut out, N1), a);
    assert_eq!(&out[..a as usize], &wsm_bytes[..]);
    assert_eq!(w6a_tung(&ts, N1), a);

    let mut all: Vec<Vec<Vec<f64>>> = Vec::new();
    for rep in 1..=REPS {
        let w1 = vec![
            ("wsmachine", time(N1, || w1_wsmachine(&wire, &mut work))),
            ("embedded-websocket", time(N1, || w1_ews(&wire, &mut to))),
            ("tungstenite", time(N1, || w1_tung(&wire, N1))),
        ];
        let w1_lim = vec![
            (
                "memcpy",
                time(N1, || {
                    work.copy_from_slice(black_box(&wire));
                    work[0] as u64
                }),
            ),
            (
                "from_utf8",
                time(N1, || {
                    wire.chunks_exact(22)
                        .map(|f| u64::from(std::str::from_utf8(black_box(&f[6..])).is_ok()))
                        .sum()
                }),
            ),
        ];
        let w6a = vec![
            ("wsmachine", time(N1, || w6a_wsmachine(&ts, &mut out, N1))),
            (
                "embedded-websocket",
                time(N1, || w6a_ews(&ts, &mut out, N1)),
            ),
            ("tungstenite", time(N1, || w6a_tung(&ts, N1))),
        ];
        let w6a_lim = vec![(
            "memcpy",
            time(N1, || {
                out.copy_from_slice(black_box(&work[..N1 * 18]));
                out[0] as u64
            }),
        )];
        let w8 = vec![
            (
                "wsmachine",
                w8_wsmachine(&w8wire, &mut w8work) as f64 / CONNS as f64,
            ),
            (
                "embedded-websocket",
                w8_ews(&w8wire, &mut to) as f64 / CONNS as f64,
            ),
            ("tungstenite", w8_tung(&w8wire) as f64 / CONNS as f64),
        ];
        let rows = vec![
            Row {
                name: "W1 decode 16 B text",
                engines: w1,
                limits: w1_lim,
            },
            Row {
                name: "W6a encode 16 B server text",
                engines: w6a,
                limits: w6a_lim,
            },
            Row {
                name: "W8 10k conns x 16 B text",
                engines: w8,
                limits: vec![],
            },
        ];
        print(rep, &rows);
        all.push(
            rows.iter()
                .map(|r| r.engines.iter().map(|e| e.1).collect())
                .collect(),
        );
    }
    println!(
        "\nmedians over {REPS} reps (ns/msg): wsmachine, embedded-websocket, tungstenite; ratio vs fastest peer"
    );
    for (w, name) in ["W1", "W6a", "W8"].iter().enumerate() {
        let m: Vec<f64> = (0..3)
            .map(|e| median(all.iter().map(|r| r[w][e]).collect()))
            .collect();
        println!(
            "  {name}: {:.1}, {:.1}, {:.1}; ratio {:.2}",
            m[0],
            m[1],
            m[2],
            m[0] / m[1].min(m[2])
        );
    }
}

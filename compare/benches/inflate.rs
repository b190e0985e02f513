//! permessage-deflate inflate speed, in one run on the same bytes: wsmachine's bounded
//! inflater alone (caller-owned 32 KiB window, 16 KiB steps), wsmachine's whole inflating
//! receive (`Connection::receive_inflate` on a server: masked text frames unmasked, inflated,
//! UTF-8 checked, delivered as chunk events; the wire is copied in per run, as unmasking is
//! in place), and flate2 (default backend) inflating into a 16 KiB buffer. Medians of 21
//! runs; prints a table with the ratios.
//!
//! `cargo bench -p wsmachine-compare --bench inflate`

use std::hint::black_box;
use std::time::{Duration, Instant};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use wsmachine::deflate::{DeflateConfig, InflateState, Inflater, window_len};
use wsmachine::{Accept, ClientRequest, Config, Connection, Event, Key, MaskKey, NoMask};

#[path = "common/deflate_data.rs"]
mod data;
use data::{inputs, median21};

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

const NOW: wsmachine::Instant = wsmachine::Instant::ZERO;

/// A server connection that negotiated permessage-deflate (15 bits, context takeover).
fn deflate_server() -> Connection<NoMask> {
    let config = Config::new().with_deflate(Some(DeflateConfig::new()));
    let mask = || MaskKey([1, 2, 3, 4]);
    let mut client = Connection::client(config, mask, NOW);
    let mut server = Connection::server(config, NOW);
    let mut out = vec![0u8; 1024];
    let request = ClientRequest::new("x", "/", Key(*b"the sample nonce"));
    let n = client.connect(NOW, &request, &mut out).unwrap();
    let _ = server.receive(NOW, &mut out[..n]).unwrap();
    let n = server.accept(NOW, &Accept::new(), &mut out).unwrap();
    let _ = client.receive(NOW, &mut out[..n]).unwrap();
    assert!(server.deflate_params().is_some());
    server
}

/// Masked text frames with RSV1, one per compressed message, as a browser sends them.
fn masked_frames(messages: &[Vec<u8>]) -> Vec<u8> {
    let key = [0x37u8, 0xfa, 0x21, 0x3d];
    let mut wire = Vec::new();
    for z in messages {
        wire.push(0xc1); // FIN, RSV1, text
        match z.len() {
            n if n < 126 => wire.push(0x80 | n as u8),
            n if n <= 0xffff => {
                wire.push(0x80 | 126);
                wire.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                wire.push(0x80 | 127);
                wire.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        wire.extend_from_slice(&key);
        wire.extend(z.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    }
    wire
}

/// The whole receive path: every event's text length summed.
fn wsmachine_receive(conn: &mut Connection<NoMask>, wire: &mut Vec<u8>, frames: &[u8]) -> usize {
    wire.clear();
    wire.extend_from_slice(frames);
    let mut state = InflateState::new();
    let mut window = vec![0u8; window_len(15)];
    let mut offset = 0;
    let mut total = 0;
    loop {
        let inflater = Inflater::resume(&mut state, &mut window).unwrap();
        let r = conn
            .receive_inflate(NOW, &mut wire[offset..], inflater)
            .unwrap();
        match r.event {
            Some(Event::Text(t)) => total += black_box(t.len()),
            Some(other) => panic!("{other:?}"),
            None => return total,
        }
        offset += r.consumed;
    }
}

fn median(mut f: impl FnMut() -> usize, expect: usize) -> Duration {
    median_with(|| (), |()| f(), expect)
}

/// Like `median`, with an untimed `setup` before each run.
fn median_with<S>(
    mut setup: impl FnMut() -> S,
    mut f: impl FnMut(S) -> usize,
    expect: usize,
) -> Duration {
    median21(|| {
        let s = setup();
        let t = Instant::now();
        assert_eq!(f(s), expect);
        t.elapsed()
    })
}

fn main() {
    let inputs = inputs();
    println!(
        "{:<20} {:>10} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "input", "compressed", "inflater", "receive", "flate2", "inflater", "receive"
    );
    for (name, messages) in &inputs {
        let plain: usize = messages.iter().map(Vec::len).sum();
        let z = compress_messages(messages);
        let zlen: usize = z.iter().map(Vec::len).sum();
        let frames = masked_frames(&z);
        let mut wire = Vec::with_capacity(frames.len());
        let ours = median(|| wsmachine_inflate(&z), plain);
        let receive = median_with(
            deflate_server,
            |mut conn| wsmachine_receive(&mut conn, &mut wire, &frames),
            plain,
        );
        let theirs = median(|| flate2_inflate(&z), plain);
        println!(
            "{name:<20} {:>9.1}% {:>9.2}ms {:>9.2}ms {:>9.2}ms {:>8.2}x {:>8.2}x",
            100.0 * zlen as f64 / plain as f64,
            ours.as_secs_f64() * 1e3,
            receive.as_secs_f64() * 1e3,
            theirs.as_secs_f64() * 1e3,
            theirs.as_secs_f64() / ours.as_secs_f64(),
            theirs.as_secs_f64() / receive.as_secs_f64(),
        );
    }
    println!(
        "ratios = flate2 time / wsmachine time (>= 1: wsmachine as fast or faster); \
         `receive` also unmasks, UTF-8 checks and delivers events"
    );
}

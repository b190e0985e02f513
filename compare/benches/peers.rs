//! Issue 12: wsmachine and its peer crates on the same workloads, in one process.
//!
//! Engines: wsmachine, embedded-websocket 0.9, tungstenite 0.28, tokio-websockets 0.13,
//! fastwebsockets 0.10 and websocket-sans-io 0.1. Each rep prints one table: ns per
//! message (or GB/s) of every engine, the fastest peer, and the ratio wsmachine time /
//! fastest peer time (below 1.0 means wsmachine is faster), next to the limits (memcpy,
//! u64 XOR, `core::str::from_utf8`, simdutf8). After the reps come the medians.
//!
//! Workloads are benches/throughput.rs's W1–W7 (masked client frames into an upgraded
//! server; server text and masked client binary out; a 558-byte browser upgrade), with
//! fewer messages for the big ones so one run of all six engines stays near a minute
//! (rates per message and per byte are what is compared), plus W8 (10,000 connections,
//! one 16-byte text each, round-robin).
//!
//! Every peer does at least what its users get by default, and the bench adds what a
//! user must add to get the same guarantees where a peer does less:
//! - embedded-websocket hands text over unvalidated: the bench adds `core::str::from_utf8`
//!   per message. Its W7 parses the head with httparse (as its examples do) and reads only
//!   `Upgrade`, `Sec-WebSocket-Key` and `Sec-WebSocket-Protocol`: it does not check the
//!   method, HTTP version, Host, `Connection` or `Sec-WebSocket-Version`, nor the key's
//!   length; the bench adds none of that (so its W7 validates less than wsmachine's).
//! - websocket-sans-io is a frame codec only: the bench adds its `is_reasonable` frame
//!   check, the mask-bit check and `from_utf8` per text frame; it still checks no
//!   continuation order or control-frame rules beyond that, and has no handshake (no W7).
//! - fastwebsockets is driven through `FragmentCollector` (what its README shows: whole,
//!   UTF-8-checked messages); it has no handshake without hyper (no W7).
//! - tungstenite, tokio-websockets: their default message API, as is.
//!
//! The async peers run on a current-thread tokio runtime over an in-memory stream; the
//! whole loop sits inside one `block_on`, so they pay their futures' polling but no
//! scheduler round trips. Engines that unmask in place (wsmachine, websocket-sans-io) get
//! the wire in 64 KiB reads copied into a work buffer inside the timed region, as the
//! others copy it into their read buffers. The limits run over the whole workload's bytes
//! (memcpy, in-place XOR) or its plaintext (`from_utf8`, simdutf8). W1 has two more: its
//! floor (the same reads, the unmask, `from_utf8` and the checksum, with no frame checks
//! at all: what any engine's checks must fit beside), and wsmachine with the result
//! matched where it lies instead of moved out by `unwrap` (see `dec_wsmachine_by_ref`).
//!
//! Each rep times the engines in a rotated order (see `rotated`), so no engine always meets
//! the caches the previous row left.
//!
//! Run: `cargo bench -p wsmachine-compare --bench peers` (about a minute).
#![allow(missing_docs)]

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant as StdInstant;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use wsmachine::{Accept, Config, Connection, Event, Instant, NoMask, Opcode, Role};

const NOW: Instant = Instant::from_millis(0);
const REPS: usize = 5;
const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;
const ENGINES: [&str; 6] = [
    "wsmachine",
    "embedded-websocket",
    "tungstenite",
    "tokio-websockets",
    "fastwebsockets",
    "websocket-sans-io",
];

// ---- workloads (benches/throughput.rs's data) ----

#[path = "common/w1.rs"]
#[allow(dead_code)] // its wire is the other benches'
mod w1;
#[path = "../../benches/common/workloads.rs"]
mod workloads;

use w1::{Got, reads_of};
use workloads::{
    binary_payload, browser_request, chinese_text, kib_fragments, lcg_keys, push_frame,
};

/// A decode workload: masked client frames and what decoding them must deliver.
struct Wire {
    bytes: Vec<u8>,
    messages: usize,
    payload: u64,
    /// Sum of every payload byte (independent of how an engine chunks delivery).
    sum: u64,
    text: bool,
    /// The unmasked text payloads (text workloads only), for the UTF-8 limit rows.
    plain: Vec<Vec<u8>>,
}

fn wire(
    messages: usize,
    text: bool,
    frames: impl Fn(usize) -> Vec<(Opcode, bool, Vec<u8>)>,
) -> Wire {
    let mut keys = lcg_keys(7);
    let mut w = Wire {
        bytes: Vec::new(),
        messages,
        payload: 0,
        sum: 0,
        text,
        plain: Vec::new(),
    };
    for i in 0..messages {
        for (opcode, fin, payload) in frames(i) {
            w.payload += payload.len() as u64;
            w.sum += payload.iter().map(|&b| u64::from(b)).sum::<u64>();
            push_frame(&mut w.bytes, opcode, fin, &payload, keys());
            if text {
                w.plain.push(payload);
            }
        }
    }
    w
}

fn w1_wire(n: usize) -> Wire {
    wire(n, true, |i| {
        vec![(Opcode::Text, true, format!("msg {i:012}").into_bytes())]
    })
}

const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// ---- in-memory streams ----

/// A std::io stream: reads from a slice, writes into a Vec.
struct Mem<'a> {
    input: &'a [u8],
    output: Vec<u8>,
}

impl<'a> Mem<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            output: Vec::new(),
        }
    }
}

impl Read for Mem<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Mem<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for Mem<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining().min(self.input.len());
        let (head, rest) = self.input.split_at(n);
        buf.put_slice(head);
        self.input = rest;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Mem<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.output.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

// ---- decode, one function per engine ----

/// Bytes per transport read for the engines that decode in place in the caller's buffer
/// (wsmachine, websocket-sans-io): their users read into a small buffer that stays in
/// cache, as the other engines read into their own.
const READ: usize = 64 * KIB;

/// Feeds `wire` through `work` in `READ`-byte reads; `decode` returns the bytes it
/// consumed and the rest moves to the front for the next read.
fn reads(wire: &[u8], work: &mut Vec<u8>, decode: impl FnMut(&mut [u8]) -> usize) {
    reads_of(READ, wire, work, decode);
}

fn dec_wsmachine(w: &Wire, work: &mut Vec<u8>, full: bool) -> Got {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut got = Got::default();
    reads(&w.bytes, work, |mut buf| {
        let mut consumed = 0;
        loop {
            let received = conn.receive(NOW, &mut *buf).unwrap();
            match received.event {
                None => return consumed + received.consumed,
                Some(Event::Text(t)) => {
                    let mut code_point = [0; 4];
                    let (a, b) = t.parts();
                    let a = a.map_or("", |c| c.encode_utf8(&mut code_point));
                    got.chunk(a.as_bytes(), false, full);
                    got.chunk(b.as_bytes(), t.is_last(), full);
                }
                Some(Event::Binary(b)) => got.chunk(b.as_bytes(), b.is_last(), full),
                Some(other) => panic!("unexpected {other:?}"),
            }
            let c = received.consumed;
            consumed += c;
            buf = &mut std::mem::take(&mut buf)[c..];
        }
    });
    got
}

/// [`dec_wsmachine`] with the result matched where it lies instead of moved out by `unwrap`
/// (a W1 limit row, not an engine row: the natural code above is what is compared). There,
/// the catch-all arm that formats the event needs it in memory, so every call copies the
/// event's bytes out of the result's slot (`caller_shape.rs` measures the shapes).
fn dec_wsmachine_by_ref(w: &Wire, work: &mut Vec<u8>) -> Got {
    let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
    let mut got = Got::default();
    reads(&w.bytes, work, |mut buf| {
        let mut consumed = 0;
        loop {
            let result = conn.receive(NOW, &mut *buf);
            let Ok(received) = &result else {
                panic!("{result:?}")
            };
            match &received.event {
                None => return consumed + received.consumed,
                Some(Event::Text(t)) => {
                    let mut code_point = [0; 4];
                    let (a, b) = t.parts();
                    let a = a.map_or("", |c| c.encode_utf8(&mut code_point));
                    got.chunk(a.as_bytes(), false, false);
                    got.chunk(b.as_bytes(), t.is_last(), false);
                }
                Some(other) => panic!("unexpected {other:?}"),
            }
            let c = received.consumed;
            consumed += c;
            buf = &mut std::mem::take(&mut buf)[c..];
        }
    });
    got
}

/// W1's floor: the least any decoder of W1's wire does per message (the same 64 KiB reads,
/// the length byte and the key, the unmask, `from_utf8`, the checksum) with none of the
/// checks (FIN, opcode, reserved bits, mask bit, limits, state) that every engine here
/// makes: what is left of a message's time for them. It unmasks a word at a time into an
/// 8-aligned buffer, where `from_utf8` is fastest (it goes byte by byte up to alignment).
fn floor_w1(w: &Wire, work: &mut Vec<u8>) -> Got {
    #[repr(align(8))]
    struct Aligned([u8; 128]);
    let mut text = Aligned([0; 128]);
    let mut got = Got::default();
    reads(&w.bytes, work, |buf| {
        let mut at = 0;
        loop {
            let Some(&[_, len, k0, k1, k2, k3]) = buf.get(at..).and_then(<[u8]>::first_chunk)
            else {
                return at;
            };
            let len = usize::from(len & 0x7f);
            let Some(payload) = buf.get(at + 6..at + 6 + len) else {
                return at;
            };
            let key = u64::from_ne_bytes([k0, k1, k2, k3, k0, k1, k2, k3]);
            let (words, tail) = payload.as_chunks::<8>();
            let (to, _) = text.0.as_chunks_mut::<8>();
            for (from, to) in words.iter().zip(to) {
                *to = (u64::from_ne_bytes(*from) ^ key).to_ne_bytes();
            }
            let key = key.to_ne_bytes();
            for (i, b) in tail.iter().enumerate() {
                text.0[words.len() * 8 + i] = b ^ key[i];
            }
            let text = std::str::from_utf8(&text.0[..len]).unwrap();
            got.chunk(text.as_bytes(), true, false);
            at += 6 + len;
        }
    });
    got
}

fn ews_server() -> embedded_websocket::WebSocketServer {
    let mut ws = embedded_websocket::WebSocketServer::new_server();
    let key = embedded_websocket::WebSocketKey::from("dGhlIHNhbXBsZSBub25jZQ==");
    let mut out = [0u8; 256];
    ws.server_accept(&key, None, &mut out).unwrap();
    ws
}

fn dec_ews(w: &Wire, to: &mut [u8], full: bool) -> Got {
    let mut ws = ews_server();
    let mut from = &w.bytes[..];
    let mut got = Got::default();
    while !from.is_empty() {
        let r = ws.read(from, to).unwrap();
        let data = &to[..r.len_to];
        if w.text {
            // Unvalidated text: its users validate to get a &str (the buffer holds a
            // whole message in every text workload here).
            assert!(r.end_of_message);
            std::str::from_utf8(data).unwrap();
        }
        got.chunk(data, r.end_of_message, full);
        from = &from[r.len_from..];
    }
    got
}

fn tung(stream: Mem<'_>, role: tungstenite::protocol::Role) -> tungstenite::WebSocket<Mem<'_>> {
    tungstenite::WebSocket::from_raw_socket(stream, role, None)
}

fn dec_tung(w: &Wire, full: bool) -> Got {
    let mut ws = tung(Mem::new(&w.bytes), tungstenite::protocol::Role::Server);
    let mut got = Got::default();
    for _ in 0..w.messages {
        match ws.read().unwrap() {
            tungstenite::Message::Text(t) => got.chunk(t.as_bytes(), true, full),
            tungstenite::Message::Binary(b) => got.chunk(&b, true, full),
            other => panic!("unexpected {other:?}"),
        }
    }
    got
}

fn dec_tokio_ws(rt: &tokio::runtime::Runtime, w: &Wire, full: bool) -> Got {
    rt.block_on(async {
        let mut ws = tokio_websockets::ServerBuilder::new().serve(Mem::new(&w.bytes));
        let mut got = Got::default();
        for _ in 0..w.messages {
            let msg = ws.next().await.unwrap().unwrap();
            if msg.is_text() {
                got.chunk(msg.as_text().unwrap().as_bytes(), true, full);
            } else {
                assert!(msg.is_binary());
                got.chunk(msg.as_payload(), true, full);
            }
        }
        got
    })
}

fn dec_fastws(rt: &tokio::runtime::Runtime, w: &Wire, full: bool) -> Got {
    use fastwebsockets::{FragmentCollector, OpCode, Role, WebSocket};
    rt.block_on(async {
        let mut ws =
            FragmentCollector::new(WebSocket::after_handshake(Mem::new(&w.bytes), Role::Server));
        let mut got = Got::default();
        for _ in 0..w.messages {
            let frame = ws.read_frame().await.unwrap();
            assert!(matches!(frame.opcode, OpCode::Text | OpCode::Binary));
            got.chunk(&frame.payload, true, full);
        }
        got
    })
}

/// A streaming UTF-8 check for websocket-sans-io's text chunks (its users need one): a
/// code point split across reads waits in `stash`.
#[derive(Default)]
struct Utf8Carry {
    stash: [u8; 4],
    len: usize,
}

impl Utf8Carry {
    fn feed(&mut self, mut data: &[u8]) {
        if self.len > 0 {
            let width = match self.stash[0] {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            let take = (width - self.len).min(data.len());
            self.stash[self.len..self.len + take].copy_from_slice(&data[..take]);
            self.len += take;
            data = &data[take..];
            if self.len < width {
                return;
            }
            std::str::from_utf8(&self.stash[..width]).unwrap();
            self.len = 0;
        }
        if let Err(e) = std::str::from_utf8(data) {
            assert!(e.error_len().is_none(), "invalid UTF-8");
            let rest = &data[e.valid_up_to()..];
            self.stash[..rest.len()].copy_from_slice(rest);
            self.len = rest.len();
        }
    }

    fn end(&self) {
        assert_eq!(self.len, 0, "text ends inside a code point");
    }
}

fn dec_sansio(w: &Wire, work: &mut Vec<u8>, full: bool) -> Got {
    use websocket_sans_io::{Opcode as O, WebsocketFrameDecoder, WebsocketFrameEvent as E};
    let mut dec = WebsocketFrameDecoder::new();
    let mut got = Got::default();
    let mut text = false;
    let mut utf8 = Utf8Carry::default();
    reads(&w.bytes, work, |mut buf| {
        let mut consumed = 0;
        loop {
            let r = dec.add_data(&mut *buf).unwrap();
            match r.event {
                None if r.consumed_bytes == 0 => return consumed,
                None => {}
                Some(E::Start {
                    frame_info,
                    original_opcode,
                }) => {
                    // What it leaves to its users: the §5.2 frame checks and the mask bit.
                    assert!(frame_info.is_reasonable() && frame_info.mask.is_some());
                    text = original_opcode == O::Text;
                }
                Some(E::PayloadChunk { .. }) => {
                    let data = &buf[..r.consumed_bytes];
                    if text {
                        utf8.feed(data);
                    }
                    got.chunk(data, false, full);
                }
                Some(E::End { frame_info, .. }) if frame_info.fin => {
                    got.messages += 1;
                    utf8.end();
                }
                Some(E::End { .. }) => {}
            }
            let c = r.consumed_bytes;
            consumed += c;
            buf = &mut std::mem::take(&mut buf)[c..];
        }
    });
    got
}

// ---- encode ----

/// An encode workload: messages to send, server text (W6a) or masked client binary (W6b).
struct Out {
    text: Vec<String>,
    binary: Vec<Vec<u8>>,
    binary_bytes: Vec<Bytes>,
    count: usize,
}

impl Out {
    fn text(&self, i: usize) -> &str {
        &self.text[i % self.text.len()]
    }
}

fn enc_wsmachine(o: &Out, out: &mut [u8]) -> usize {
    let mut at = 0;
    if o.binary.is_empty() {
        let mut conn = Connection::upgraded(Config::new(), Role::Server, NoMask, NOW);
        for i in 0..o.count {
            at += conn.send_text(o.text(i), &mut out[at..]).unwrap();
        }
    } else {
        let mut conn = Connection::upgraded(Config::new(), Role::Client, lcg_keys(11), NOW);
        for p in &o.binary {
            at += conn.send_binary(p, &mut out[at..]).unwrap();
        }
    }
    at
}

/// rand_core 0.6 for embedded-websocket's client masks (benchmarks only: real clients
/// need a CSPRNG).
struct Lcg(u32);

impl rand_core::RngCore for Lcg {
    fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        self.0
    }
    fn next_u64(&mut self) -> u64 {
        u64::from(self.next_u32()) << 32 | u64::from(self.next_u32())
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for b in dest {
            *b = self.next_u32() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

fn enc_ews(o: &Out, out: &mut [u8]) -> usize {
    use embedded_websocket::{WebSocketSendMessageType as T, WebSocketState};
    let mut at = 0;
    if o.binary.is_empty() {
        let mut ws = ews_server();
        for i in 0..o.count {
            at += ws
                .write(T::Text, true, o.text(i).as_bytes(), &mut out[at..])
                .unwrap();
        }
    } else {
        let mut ws = embedded_websocket::WebSocketClient::new_client(Lcg(11));
        ws.state = WebSocketState::Open; // as after client_accept
        for p in &o.binary {
            at += ws.write(T::Binary, true, p, &mut out[at..]).unwrap();
        }
    }
    at
}

fn enc_tung(o: &Out, cap: usize) -> usize {
    use tungstenite::{Message, protocol::Role as R};
    let mut out = Mem::new(&[]);
    out.output.reserve(cap);
    if o.binary.is_empty() {
        let mut ws = tung(out, R::Server);
        for i in 0..o.count {
            ws.write(Message::text(o.text(i))).unwrap();
        }
        ws.flush().unwrap();
        ws.get_ref().output.len()
    } else {
        let mut ws = tung(out, R::Client);
        for p in &o.binary_bytes {
            ws.write(Message::binary(p.clone())).unwrap();
        }
        ws.flush().unwrap();
        ws.get_ref().output.len()
    }
}

fn enc_tokio_ws(rt: &tokio::runtime::Runtime, o: &Out, cap: usize) -> usize {
    use tokio_websockets::{ClientBuilder, Message, ServerBuilder};
    rt.block_on(async {
        let mut out = Mem::new(&[]);
        out.output.reserve(cap);
        if o.binary.is_empty() {
            let mut ws = ServerBuilder::new().serve(out);
            for i in 0..o.count {
                // Its text messages own their payload: the user's &str is copied in.
                ws.feed(Message::text(o.text(i).to_owned())).await.unwrap();
            }
            ws.flush().await.unwrap();
            ws.get_ref().output.len()
        } else {
            let mut ws = ClientBuilder::new().take_over(out);
            for p in &o.binary_bytes {
                ws.feed(Message::binary(p.clone())).await.unwrap();
            }
            ws.flush().await.unwrap();
            ws.get_ref().output.len()
        }
    })
}

fn enc_fastws(rt: &tokio::runtime::Runtime, o: &Out, cap: usize) -> usize {
    use fastwebsockets::{Frame, Payload, Role, WebSocket};
    rt.block_on(async {
        let mut out = Mem::new(&[]);
        out.output.reserve(cap);
        let role = if o.binary.is_empty() {
            Role::Server
        } else {
            Role::Client
        };
        let mut ws = WebSocket::after_handshake(out, role);
        ws.set_writev(false);
        if o.binary.is_empty() {
            for i in 0..o.count {
                let payload = Payload::Borrowed(o.text(i).as_bytes());
                ws.write_frame(Frame::text(payload)).await.unwrap();
            }
        } else {
            for p in &o.binary {
                // Masking needs a mutable payload: a borrowed one is copied first.
                ws.write_frame(Frame::binary(Payload::Borrowed(p)))
                    .await
                    .unwrap();
            }
        }
        ws.flush().await.unwrap();
        ws.into_inner().output.len()
    })
}

fn enc_sansio(o: &Out, out: &mut [u8]) -> usize {
    use websocket_sans_io::{FrameInfo, Opcode as O, WebsocketFrameEncoder};
    let mut enc = WebsocketFrameEncoder::new();
    let mut keys = lcg_keys(11);
    let mut at = 0;
    let mut frame = |opcode, payload: &[u8], mask: Option<[u8; 4]>, out: &mut [u8]| {
        let header = enc.start_frame(&FrameInfo {
            opcode,
            payload_length: payload.len() as u64,
            mask,
            fin: true,
            reserved: 0,
        });
        let (h, body) = out.split_at_mut(header.len());
        h.copy_from_slice(&header);
        let body = &mut body[..payload.len()];
        body.copy_from_slice(payload);
        enc.transform_frame_payload(body);
        header.len() + payload.len()
    };
    if o.binary.is_empty() {
        for i in 0..o.count {
            at += frame(O::Text, o.text(i).as_bytes(), None, &mut out[at..]);
        }
    } else {
        for p in &o.binary {
            at += frame(O::Binary, p, Some(keys().0), &mut out[at..]);
        }
    }
    at
}

// ---- W7 handshake ----

fn hs_wsmachine(request: &[u8], work: &mut [u8], out: &mut [u8]) -> usize {
    work.copy_from_slice(request);
    let mut conn = Connection::server(Config::new(), NOW);
    let received = conn.receive(NOW, work).unwrap();
    let Some(Event::UpgradeRequest(req)) = received.event else {
        panic!("no upgrade request")
    };
    black_box(req.path());
    conn.accept(NOW, &Accept::new(), out).unwrap()
}

fn hs_ews(request: &[u8], out: &mut [u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    assert!(req.parse(request).unwrap().is_complete());
    black_box(req.path);
    let ctx = embedded_websocket::read_http_header(req.headers.iter().map(|h| (h.name, h.value)))
        .unwrap()
        .unwrap();
    let mut ws = embedded_websocket::WebSocketServer::new_server();
    ws.server_accept(&ctx.sec_websocket_key, None, out).unwrap()
}

fn hs_tung(request: &[u8]) -> usize {
    let ws = tungstenite::accept(Mem::new(request)).unwrap();
    ws.get_ref().output.len()
}

async fn hs_tokio_ws(request: &[u8]) -> usize {
    let (req, ws) = tokio_websockets::ServerBuilder::new()
        .accept(Mem::new(request))
        .await
        .unwrap();
    black_box(req.uri());
    ws.get_ref().output.len()
}

// ---- timing and the tables ----

fn time(mut f: impl FnMut() -> u64) -> f64 {
    let start = StdInstant::now();
    black_box(f());
    start.elapsed().as_nanos() as f64
}

#[derive(Clone, Copy)]
enum Unit {
    /// ns per message over this many messages.
    PerMsg(f64),
    /// GB/s over this many payload bytes.
    Bytes(f64),
}

struct Row {
    name: &'static str,
    unit: Unit,
    /// Total ns per engine (in `ENGINES` order); `None` where an engine has no such API.
    engines: [Option<f64>; 6],
    limits: Vec<(&'static str, f64)>,
}

impl Unit {
    fn show(self, ns: f64) -> String {
        match self {
            Self::PerMsg(n) => format!("{:.1} ns", ns / n),
            Self::Bytes(b) => format!("{:.2} GB/s", b / ns),
        }
    }
}

/// The fastest peer (not wsmachine) and wsmachine's time over its time.
fn versus(engines: &[Option<f64>; 6]) -> (&'static str, f64) {
    let (i, best) = engines
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, t)| t.map(|t| (i, t)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    (ENGINES[i], engines[0].unwrap() / best)
}

fn print(rep: usize, rows: &[Row]) {
    println!("\nrep {rep}");
    for r in rows {
        let all: Vec<String> = ENGINES
            .iter()
            .zip(&r.engines)
            .filter_map(|(n, t)| t.map(|t| format!("{n} {}", r.unit.show(t))))
            .collect();
        let lim: Vec<String> = r
            .limits
            .iter()
            .map(|(n, t)| format!("{n} {}", r.unit.show(*t)))
            .collect();
        let (peer, ratio) = versus(&r.engines);
        println!(
            "  {:<34} {}\n  {:<34} ratio wsmachine/{peer} = {ratio:.2} | limits: {}",
            r.name,
            all.join(", "),
            "",
            lim.join(", ")
        );
    }
}

/// Runs `run(engine)` for every engine, starting with a different one each rep: the first
/// engine of a row meets cold caches (W3–W5's 16 MiB wires fit the 32 MiB L3, so whoever
/// reads one first pays memory for the others), and wsmachine was always first.
fn rotated(rep: usize, mut run: impl FnMut(usize) -> Option<f64>) -> [Option<f64>; 6] {
    let mut engines = [None; 6];
    for k in 0..engines.len() {
        let e = (k + rep) % engines.len();
        engines[e] = run(e);
    }
    engines
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rt = rt();
    const N1: usize = 200_000;
    const N2: usize = 10_000;
    const BIG: usize = 16;
    let w1 = w1_wire(N1);
    let w2 = {
        let p = binary_payload(4 * KIB, 1);
        wire(N2, false, move |_| vec![(Opcode::Binary, true, p.clone())])
    };
    let w3 = wire(BIG, false, |i| {
        vec![(Opcode::Binary, true, binary_payload(MIB, i))]
    });
    let w4 = {
        let t = chinese_text(MIB);
        wire(BIG, true, move |_| vec![(Opcode::Text, true, t.clone())])
    };
    let w5 = wire(BIG, false, kib_fragments);
    let w8 = w1_wire(CONNS);
    let w6a = Out {
        text: (0..64).map(|i| format!("reply {:010}", i * 7919)).collect(),
        binary: vec![],
        binary_bytes: vec![],
        count: N1,
    };
    let w6b_payloads: Vec<Vec<u8>> = (0..BIG).map(|i| binary_payload(MIB, i)).collect();
    let w6b = Out {
        text: vec![],
        binary_bytes: w6b_payloads.iter().cloned().map(Bytes::from).collect(),
        binary: w6b_payloads,
        count: BIG,
    };
    let request = browser_request();
    const N7: usize = 20_000;

    let mut work = Vec::new();
    let mut big = Vec::with_capacity(w3.bytes.len());
    let mut to = vec![0u8; MIB + 64];
    let mut out = vec![0u8; BIG * (MIB + 14)];

    // Correctness outside the timed region: every engine delivers the same bytes and
    // messages, and the encoders write the same number of bytes (the same bytes, where
    // the masks are the same).
    let decodes: [(&str, &Wire); 5] = [
        ("W1", &w1),
        ("W2", &w2),
        ("W3", &w3),
        ("W4", &w4),
        ("W5", &w5),
    ];
    for (name, w) in decodes {
        let want = Got {
            bytes: w.payload,
            messages: w.messages as u64,
            sum: w.sum,
        };
        let got = [
            dec_wsmachine(w, &mut work, true),
            dec_ews(w, &mut to, true),
            dec_tung(w, true),
            dec_tokio_ws(&rt, w, true),
            dec_fastws(&rt, w, true),
            dec_sansio(w, &mut work, true),
        ];
        for (engine, got) in ENGINES.iter().zip(got) {
            assert_eq!(got, want, "{name} {engine}");
        }
    }
    let floor = floor_w1(&w1, &mut work);
    assert_eq!(
        (floor.bytes, floor.messages),
        (w1.payload, w1.messages as u64)
    );
    let by_ref = dec_wsmachine_by_ref(&w1, &mut work);
    assert_eq!(
        (by_ref.bytes, by_ref.messages),
        (w1.payload, w1.messages as u64)
    );
    for (name, o) in [("W6a", &w6a), ("W6b", &w6b)] {
        let n = enc_wsmachine(o, &mut out);
        let ours = out[..n].to_vec();
        let lens = [
            enc_ews(o, &mut out),
            enc_tung(o, n),
            enc_tokio_ws(&rt, o, n),
            enc_fastws(&rt, o, n),
            enc_sansio(o, &mut out),
        ];
        assert!(lens.iter().all(|&l| l == n), "{name}: {n} vs {lens:?}");
        if o.binary.is_empty() {
            assert_eq!(enc_ews(o, &mut out), n);
            assert_eq!(out[..n], ours[..], "{name} embedded-websocket bytes");
            assert_eq!(enc_sansio(o, &mut out), n);
            assert_eq!(out[..n], ours[..], "{name} websocket-sans-io bytes");
        } else {
            // Same LCG keys: the same masked bytes.
            assert_eq!(enc_sansio(o, &mut out), n);
            assert_eq!(out[..n], ours[..], "{name} websocket-sans-io bytes");
        }
    }
    let mut hs_work = request.clone();
    let mut hs_out = [0u8; 512];
    let n = hs_wsmachine(&request, &mut hs_work, &mut hs_out);
    assert!(std::str::from_utf8(&hs_out[..n]).unwrap().contains(ACCEPT));
    let n = hs_ews(&request, &mut hs_out);
    assert!(std::str::from_utf8(&hs_out[..n]).unwrap().contains(ACCEPT));
    assert!(hs_tung(&request) > 0);
    assert!(rt.block_on(hs_tokio_ws(&request)) > 0);

    let mut all: Vec<Vec<[Option<f64>; 6]>> = Vec::new();
    let mut names = Vec::new();
    for rep in 1..=REPS {
        let mut rows = Vec::new();
        for (name, w, unit) in [
            ("W1 decode 16 B text", &w1, Unit::PerMsg(N1 as f64)),
            (
                "W2 decode 4 KiB binary",
                &w2,
                Unit::Bytes(w2.payload as f64),
            ),
            (
                "W3 decode 1 MiB binary",
                &w3,
                Unit::Bytes(w3.payload as f64),
            ),
            (
                "W4 decode 1 MiB Chinese text",
                &w4,
                Unit::Bytes(w4.payload as f64),
            ),
            (
                "W5 decode 1 MiB in 1 KiB fragments",
                &w5,
                Unit::Bytes(w5.payload as f64),
            ),
        ] {
            let engines = rotated(rep, |e| match e {
                0 => Some(time(|| dec_wsmachine(w, &mut work, false).bytes)),
                1 => Some(time(|| dec_ews(w, &mut to, false).bytes)),
                2 => Some(time(|| dec_tung(w, false).bytes)),
                3 => Some(time(|| dec_tokio_ws(&rt, w, false).bytes)),
                4 => Some(time(|| dec_fastws(&rt, w, false).bytes)),
                _ => Some(time(|| dec_sansio(w, &mut work, false).bytes)),
            });
            let mut limits = vec![(
                "memcpy",
                time(|| {
                    big.clear();
                    big.extend_from_slice(black_box(&w.bytes));
                    big.len() as u64
                }),
            )];
            if std::ptr::eq(w, &w1) {
                limits.push(("floor", time(|| floor_w1(w, &mut work).bytes)));
                limits.push((
                    "wsmachine by ref",
                    time(|| dec_wsmachine_by_ref(w, &mut work).bytes),
                ));
            }
            if w.text {
                let frames = &w.plain;
                limits.push((
                    "from_utf8",
                    time(|| {
                        frames
                            .iter()
                            .map(|f| u64::from(std::str::from_utf8(black_box(f)).is_ok()))
                            .sum()
                    }),
                ));
                limits.push((
                    "simdutf8",
                    time(|| {
                        frames
                            .iter()
                            .map(|f| u64::from(simdutf8::basic::from_utf8(black_box(f)).is_ok()))
                            .sum()
                    }),
                ));
            } else {
                // The harness's share for the in-place engines: the 64 KiB read copies alone,
                // then with the u64 XOR of each read (what wsmachine's decode does per byte).
                limits.push((
                    "64K reads",
                    time(|| {
                        let mut n = 0;
                        reads(&w.bytes, &mut work, |buf| {
                            n += u64::from(buf[0]);
                            buf.len()
                        });
                        n
                    }),
                ));
                for (label, read_len) in [("64K reads + xor", READ), ("8K reads + xor", 8 * KIB)] {
                    // 8 KiB: the reads tokio-websockets makes into its codec buffer (tokio-util's
                    // initial capacity), which stay in L1 for the unmask.
                    limits.push((
                        label,
                        time(|| {
                            let mut n = 0;
                            reads_of(read_len, &w.bytes, &mut work, |buf| {
                                let (words, _) = buf.as_chunks_mut::<8>();
                                for w in words {
                                    *w = (u64::from_ne_bytes(*w) ^ 0x3d21_fa37_3d21_fa37)
                                        .to_ne_bytes();
                                }
                                n += u64::from(buf[0]);
                                buf.len()
                            });
                            n
                        }),
                    ));
                }
                limits.push((
                    "u64 xor",
                    time(|| {
                        let (words, _) = big.as_chunks_mut::<8>();
                        for w in words {
                            *w = (u64::from_ne_bytes(*w) ^ 0x3d21_fa37_3d21_fa37).to_ne_bytes();
                        }
                        u64::from(big[0])
                    }),
                ));
            }
            rows.push(Row {
                name,
                unit,
                engines,
                limits,
            });
        }
        for (name, o, unit, cap) in [
            (
                "W6a encode 16 B server text",
                &w6a,
                Unit::PerMsg(N1 as f64),
                N1 * 18,
            ),
            (
                "W6b encode 1 MiB client binary",
                &w6b,
                Unit::Bytes((BIG * MIB) as f64),
                BIG * (MIB + 14),
            ),
        ] {
            let engines = rotated(rep, |e| match e {
                0 => Some(time(|| enc_wsmachine(o, &mut out) as u64)),
                1 => Some(time(|| enc_ews(o, &mut out) as u64)),
                2 => Some(time(|| enc_tung(o, cap) as u64)),
                3 => Some(time(|| enc_tokio_ws(&rt, o, cap) as u64)),
                4 => Some(time(|| enc_fastws(&rt, o, cap) as u64)),
                _ => Some(time(|| enc_sansio(o, &mut out) as u64)),
            });
            let src = vec![1u8; cap];
            let limits = vec![(
                "memcpy",
                time(|| {
                    out[..cap].copy_from_slice(black_box(&src));
                    u64::from(out[0])
                }),
            )];
            rows.push(Row {
                name,
                unit,
                engines,
                limits,
            });
        }
        let engines = rotated(rep, |e| match e {
            0 => Some(time(|| {
                (0..N7)
                    .map(|_| hs_wsmachine(&request, &mut hs_work, &mut hs_out) as u64)
                    .sum()
            })),
            1 => Some(time(|| {
                (0..N7).map(|_| hs_ews(&request, &mut hs_out) as u64).sum()
            })),
            2 => Some(time(|| (0..N7).map(|_| hs_tung(&request) as u64).sum())),
            3 => Some(time(|| {
                rt.block_on(async {
                    let mut total = 0;
                    for _ in 0..N7 {
                        total += hs_tokio_ws(&request).await as u64;
                    }
                    total
                })
            })),
            _ => None,
        });
        rows.push(Row {
            name: "W7 upgrade 558 B request + 101",
            unit: Unit::PerMsg(N7 as f64),
            engines,
            limits: vec![],
        });
        rows.push(Row {
            name: "W8 10k conns x 16 B text",
            unit: Unit::PerMsg(CONNS as f64),
            engines: w8_all(&rt, &w8),
            limits: vec![],
        });
        print(rep, &rows);
        names = rows.iter().map(|r| (r.name, r.unit)).collect();
        all.push(rows.iter().map(|r| r.engines).collect());
    }
    println!("\nmedians over {REPS} reps; ratio = wsmachine time / fastest peer time");
    println!(
        "| workload | {} | wsmachine / fastest peer |",
        ENGINES.join(" | ")
    );
    println!("|---|{}---|", "---|".repeat(ENGINES.len()));
    for (w, (name, unit)) in names.iter().enumerate() {
        let m: [Option<f64>; 6] = std::array::from_fn(|e| {
            all[0][w][e].map(|_| median(all.iter().map(|r| r[w][e].unwrap()).collect()))
        });
        let cells: Vec<String> = m
            .iter()
            .map(|t| t.map_or("—".to_string(), |t| unit.show(t)))
            .collect();
        let (peer, ratio) = versus(&m);
        println!("| {name} | {} | {ratio:.2}× ({peer}) |", cells.join(" | "));
    }
}

// ---- W8: 10,000 connections round-robin, one 16 B text each ----

const CONNS: usize = 10_000;

/// Times only the round of reads, after every connection exists.
fn w8_all(rt: &tokio::runtime::Runtime, w: &Wire) -> [Option<f64>; 6] {
    let frames: Vec<&[u8]> = w.bytes.chunks_exact(22).collect();
    let mut work = w.bytes.clone();
    let mut to = [0u8; 64];
    let wsm = {
        let mut conns: Vec<_> = (0..CONNS)
            .map(|_| Connection::upgraded(Config::new(), Role::Server, NoMask, NOW))
            .collect();
        time(|| {
            let mut sum = 0u64;
            for (conn, frame) in conns.iter_mut().zip(work.chunks_exact_mut(22)) {
                match conn.receive(NOW, frame).unwrap().event {
                    Some(Event::Text(t)) => sum += t.parts().1.len() as u64,
                    other => panic!("unexpected {other:?}"),
                }
            }
            sum
        })
    };
    let ews = {
        let mut conns: Vec<_> = (0..CONNS).map(|_| ews_server()).collect();
        time(|| {
            let mut sum = 0u64;
            for (ws, frame) in conns.iter_mut().zip(&frames) {
                let r = ws.read(frame, &mut to).unwrap();
                sum += std::str::from_utf8(&to[..r.len_to]).unwrap().len() as u64;
            }
            sum
        })
    };
    let tung = {
        let mut conns: Vec<_> = frames
            .iter()
            .map(|f| tung(Mem::new(f), tungstenite::protocol::Role::Server))
            .collect();
        time(|| {
            let mut sum = 0u64;
            for ws in &mut conns {
                match ws.read().unwrap() {
                    tungstenite::Message::Text(t) => sum += t.as_str().len() as u64,
                    other => panic!("unexpected {other:?}"),
                }
            }
            sum
        })
    };
    let tokio_ws = {
        let mut conns: Vec<_> = frames
            .iter()
            .map(|f| tokio_websockets::ServerBuilder::new().serve(Mem::new(f)))
            .collect();
        time(|| {
            rt.block_on(async {
                let mut sum = 0u64;
                for ws in &mut conns {
                    sum += ws.next().await.unwrap().unwrap().as_payload().len() as u64;
                }
                sum
            })
        })
    };
    let fastws = {
        use fastwebsockets::{FragmentCollector, Role, WebSocket};
        let mut conns: Vec<_> = frames
            .iter()
            .map(|f| FragmentCollector::new(WebSocket::after_handshake(Mem::new(f), Role::Server)))
            .collect();
        time(|| {
            rt.block_on(async {
                let mut sum = 0u64;
                for ws in &mut conns {
                    sum += ws.read_frame().await.unwrap().payload.len() as u64;
                }
                sum
            })
        })
    };
    let sansio = {
        use websocket_sans_io::{WebsocketFrameDecoder, WebsocketFrameEvent as E};
        let mut work = w.bytes.clone();
        let mut conns = vec![WebsocketFrameDecoder::new(); CONNS];
        time(|| {
            let mut sum = 0u64;
            for (dec, mut frame) in conns.iter_mut().zip(work.chunks_exact_mut(22)) {
                loop {
                    let r = dec.add_data(&mut *frame).unwrap();
                    match r.event {
                        Some(E::Start { frame_info, .. }) => {
                            assert!(frame_info.is_reasonable() && frame_info.mask.is_some());
                        }
                        Some(E::PayloadChunk { .. }) => {
                            let data = &frame[..r.consumed_bytes];
                            sum += std::str::from_utf8(data).unwrap().len() as u64;
                        }
                        Some(E::End { .. }) => break,
                        None => {}
                    }
                    frame = &mut std::mem::take(&mut frame)[r.consumed_bytes..];
                }
            }
            sum
        })
    };
    [
        Some(wsm),
        Some(ews),
        Some(tung),
        Some(tokio_ws),
        Some(fastws),
        Some(sansio),
    ]
}

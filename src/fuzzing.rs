//! Harness bodies behind the `fuzz/` targets and `tests/fuzz_corpus.rs` (feature `_fuzzing`).
//!
//! Not covered by semver. Each function panics when an invariant breaks, which is how a
//! fuzzer or a test learns of it; every one checks more than "no crash":
//! - progress and bounds: `consumed` never exceeds the input, every event consumes bytes,
//!   output is bounded by the input, the head buffer by `max_head_len`;
//! - message structure: chunks start with `is_first`, end with `is_last`, never interleave;
//! - after a violation: the same error forever, no event, and exactly the Close frame (or
//!   HTTP error) the error names, decodable by a peer;
//! - after the peer's Close: no event at all;
//! - agreement: chunkings agree with each other, a round trip is the identity, the
//!   UTF-8 validator agrees with `core::str::from_utf8`, the engine agrees with the
//!   reference model (`tests/model`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)] // a private harness; the module doc says what it checks

use std::format;
use std::string::{String, ToString};
use std::vec;
use std::vec::Vec;

use arbitrary::{Arbitrary, Unstructured};

use crate::{
    Accept, ClientRequest, CloseCode, Config, Connection, Error, Event, FrameHeader,
    HandshakeFailure, Instant, Key, MaskKey, MaskSource, MessageKind, Role, State, Utf8Validator,
};

/// The client key every harness uses (RFC 6455 §1.3's sample nonce).
pub const KEY: Key = Key(*b"the sample nonce");

/// The accept value for [`KEY`].
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The limits `frames_vs_model` runs with: small, so fuzzed lengths reach them.
pub const MODEL_CONFIG: Config = Config::new()
    .with_max_frame_len(200)
    .with_max_message_len(400)
    .with_max_fragments(6);

/// One observable thing, messages whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
}

/// How the byte stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The peer's valid Close arrived (everything after it is ignored).
    Closed,
    /// The peer broke a rule; the engine failed with this close code.
    Violation(u16),
    /// The bytes ran out first.
    Incomplete,
}

/// Everything delivered from one byte stream, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    pub items: Vec<Item>,
    pub outcome: Outcome,
}

/// Splits fuzzer input into chunk sizes and the stream: byte 0 says how many of the
/// following bytes are sizes (0–7; none means the whole stream at once).
pub fn split_input(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&count, rest)) = data.split_first() else {
        return (Vec::new(), data);
    };
    let count = usize::from(count % 8).min(rest.len());
    let (sizes, stream) = rest.split_at(count);
    (
        sizes.iter().map(|&s| usize::from(s).max(1)).collect(),
        stream,
    )
}

// ---- targets ----

/// `server_session`: a server from its first handshake byte, arbitrary bytes and splits.
pub fn server_session(data: &[u8]) {
    let (sizes, stream) = split_input(data);
    let mut conn = Connection::server(Config::new(), Instant::ZERO);
    run(&mut conn, stream, &sizes);
}

/// `client_session`: a client that sent its request, then arbitrary bytes and splits.
pub fn client_session(data: &[u8]) {
    let (sizes, stream) = split_input(data);
    let mut conn = client();
    run(&mut conn, stream, &sizes);
}

/// The engine's transcript of an upgraded connection of `role` receiving `stream`.
pub fn engine_transcript(role: Role, config: Config, stream: &[u8], sizes: &[usize]) -> Transcript {
    let mut conn = Connection::upgraded(config, role, counter_mask(), Instant::ZERO);
    let observed = run(&mut conn, stream, sizes);
    let outcome = match (observed.error, observed.closed) {
        (Some(error), _) => Outcome::Violation(error.close_code().expect("a protocol error").0),
        (None, true) => Outcome::Closed,
        (None, false) => Outcome::Incomplete,
    };
    Transcript {
        items: observed.items,
        outcome,
    }
}

/// `frames_vs_model`: both roles, upgraded, against the reference model, split as the
/// input says; also whole and byte by byte must agree.
pub fn frames_vs_model(data: &[u8], model: fn(Role, &Config, &[u8]) -> Transcript) {
    let (sizes, stream) = split_input(data);
    for role in [Role::Server, Role::Client] {
        let expected = model(role, &MODEL_CONFIG, stream);
        let got = engine_transcript(role, MODEL_CONFIG, stream, &sizes);
        assert_eq!(got, expected, "{role:?} engine vs model");
        if stream.len() <= 512 {
            let bytewise = engine_transcript(role, MODEL_CONFIG, stream, &[1]);
            assert_eq!(bytewise, expected, "{role:?} byte by byte vs model");
        }
    }
}

/// `roundtrip`: arbitrary messages, fragmentations, interleaved controls and masks,
/// encoded by one role and decoded by the other in arbitrary splits: the identity.
pub fn roundtrip(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let _ = roundtrip_inner(&mut u);
}

fn roundtrip_inner(u: &mut Unstructured<'_>) -> arbitrary::Result<()> {
    let role = if bool::arbitrary(u)? {
        Role::Client
    } else {
        Role::Server
    };
    let mut keys: Vec<MaskKey> = Vec::arbitrary(u)?;
    keys.truncate(8);
    if keys.is_empty() {
        keys.push(MaskKey([0x37, 0xfa, 0x21, 0x3d]));
    }
    let drawn = keys.clone();
    let mut next = 0usize;
    let source = move || {
        next += 1;
        drawn[(next - 1) % drawn.len()]
    };
    let mut sender = Connection::upgraded(Config::new(), role, source, Instant::ZERO);
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    let mut out = vec![0u8; 4096];
    for _ in 0..u.int_in_range(0..=12)? {
        match u.int_in_range(0..=3u8)? {
            0 | 1 => {
                let kind = if u.arbitrary()? {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                let payload: Vec<u8> = match kind {
                    MessageKind::Text => {
                        // Cut at a code point boundary: a text message is whole UTF-8.
                        let mut text = String::arbitrary(u)?;
                        let mut cut = text.len().min(1000);
                        while !text.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        text.truncate(cut);
                        text.into_bytes()
                    }
                    MessageKind::Binary => Vec::arbitrary(u)?,
                };
                let payload = &payload[..payload.len().min(1000)];
                let mut rest = payload;
                let mut pings = Vec::new();
                for fragment in 0.. {
                    // At most 16 fragments, so exhausted input cannot loop forever.
                    let take = if fragment == 15 {
                        rest.len()
                    } else {
                        u.int_in_range(0..=rest.len())?
                    };
                    let last =
                        take == rest.len() && (fragment == 15 || u.arbitrary()? || rest.is_empty());
                    let (piece, tail) = rest.split_at(take);
                    rest = tail;
                    if u.arbitrary()? {
                        // Zero-copy: header, then the payload masked in place in pieces.
                        let n = sender
                            .begin_frame(kind, piece.len() as u64, last, &mut out)
                            .unwrap();
                        wire.extend_from_slice(&out[..n]);
                        let mut body = piece.to_vec();
                        let cut = u.int_in_range(0..=body.len())?;
                        let (a, b) = body.split_at_mut(cut);
                        sender.frame_payload(a).unwrap();
                        sender.frame_payload(b).unwrap();
                        wire.extend_from_slice(&body);
                    } else {
                        let n = sender.send_fragment(kind, piece, last, &mut out).unwrap();
                        wire.extend_from_slice(&out[..n]);
                    }
                    if last {
                        break;
                    }
                    if u.ratio(1, 4)? {
                        let ping: Vec<u8> = Vec::arbitrary(u)?;
                        let ping = &ping[..ping.len().min(125)];
                        let n = sender.send_ping(ping, &mut out).unwrap();
                        wire.extend_from_slice(&out[..n]);
                        pings.push(Item::Ping(ping.to_vec()));
                    }
                }
                expected.extend(pings);
                expected.push(match kind {
                    MessageKind::Text => Item::Text(String::from_utf8(payload.to_vec()).unwrap()),
                    MessageKind::Binary => Item::Binary(payload.to_vec()),
                });
            }
            2 => {
                let ping: Vec<u8> = Vec::arbitrary(u)?;
                let ping = &ping[..ping.len().min(125)];
                let n = sender.send_ping(ping, &mut out).unwrap();
                wire.extend_from_slice(&out[..n]);
                expected.push(Item::Ping(ping.to_vec()));
            }
            _ => {
                let pong: Vec<u8> = Vec::arbitrary(u)?;
                let pong = &pong[..pong.len().min(125)];
                let n = sender.send_pong(pong, &mut out).unwrap();
                wire.extend_from_slice(&out[..n]);
                expected.push(Item::Pong(pong.to_vec()));
            }
        }
    }
    let closing = u.arbitrary()?;
    if closing {
        let n = sender
            .close(Instant::ZERO, CloseCode(4000), "bye", &mut out)
            .unwrap();
        wire.extend_from_slice(&out[..n]);
        expected.push(Item::Close(4000, "bye".to_string()));
    }
    if role.is_client() && !wire.is_empty() {
        // §5.3: a client frame carries the key its source drew.
        let crate::Decoded::Complete { header, .. } = FrameHeader::decode(&wire).unwrap() else {
            panic!("first frame incomplete");
        };
        assert_eq!(header.mask, Some(keys[0]));
    }
    let sizes: Vec<usize> = (0..u.int_in_range(0..=4)?)
        .map(|_| u.int_in_range(1..=64))
        .collect::<arbitrary::Result<_>>()?;
    let peer = if role.is_client() {
        Role::Server
    } else {
        Role::Client
    };
    let got = engine_transcript(peer, Config::new(), &wire, &sizes);
    let outcome = if closing {
        Outcome::Closed
    } else {
        Outcome::Incomplete
    };
    assert_eq!(
        got,
        Transcript {
            items: expected,
            outcome
        }
    );
    Ok(())
}

/// `handshake_request`: a server parses an arbitrary head, whole and split, with the same
/// verdict; an accepted request has a valid key and gets the matching accept value; a
/// rejected one gets its HTTP status; the scan is linear.
pub fn handshake_request(data: &[u8]) {
    let split = data.first().map_or(0, |&b| usize::from(b)).max(1);
    let whole = server_head(data, &[]);
    assert_eq!(server_head(data, &[split]), whole, "split at {split}");
    if data.len() <= 2048 {
        assert_eq!(server_head(data, &[1]), whole, "byte by byte");
    }
}

/// `handshake_response`: a client parses an arbitrary response head, whole and split,
/// with the same verdict; it opens only on a 101 carrying the right accept value.
pub fn handshake_response(data: &[u8]) {
    let split = data.first().map_or(0, |&b| usize::from(b)).max(1);
    let whole = client_head(data, &[]);
    assert_eq!(client_head(data, &[split]), whole, "split at {split}");
    if data.len() <= 2048 {
        assert_eq!(client_head(data, &[1]), whole, "byte by byte");
    }
}

/// A head as a tokenizer reads it, for differential checks of the engine's own tokenizer
/// against httparse (`tests/head_oracle`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// A request's method and target, or a response's empty method and status.
    pub line: (Vec<u8>, String),
    /// `HTTP/1.1` rather than `HTTP/1.0`.
    pub http11: bool,
    /// Every header as (name, value without surrounding whitespace).
    pub headers: Vec<(String, Vec<u8>)>,
}

/// A tokenizer under test: role (`Server` reads requests), complete head, `max_headers`.
pub type Tokenizer = fn(Role, &[u8], usize) -> Result<Tokens, HandshakeFailure>;

/// The engine's tokenizer on a complete head.
pub fn tokenize(role: Role, head: &[u8], max_headers: usize) -> Result<Tokens, HandshakeFailure> {
    let (line, http11, headers) = match role {
        Role::Server => {
            let (line, headers) = crate::handshake::head::request(head, max_headers)?;
            let tokens = (line.method.to_vec(), line.target.to_string());
            (tokens, line.http11, headers)
        }
        Role::Client => {
            let (line, headers) = crate::handshake::head::response(head, max_headers)?;
            ((Vec::new(), line.status.to_string()), line.http11, headers)
        }
    };
    let headers = headers.map(|(n, v)| (n.to_string(), v.to_vec())).collect();
    Ok(Tokens {
        line,
        http11,
        headers,
    })
}

/// The tokenizer differential: the head as the scanner cuts it from `data`, read by the
/// engine and by `oracle` with a header limit from the input and with the cap, must give
/// the same tokens or the same failure.
pub fn tokenizer_vs(role: Role, data: &[u8], oracle: Tokenizer) {
    let Some(end) = crate::handshake::head::HeadScanner::new().find_end(data) else {
        return;
    };
    let head = &data[..end];
    let limit = data.first().map_or(0, |&b| usize::from(b % 8));
    for max_headers in [limit, crate::MAX_HEADERS] {
        let ours = tokenize(role, head, max_headers);
        assert_eq!(
            ours,
            oracle(role, head, max_headers),
            "{role:?} max_headers {max_headers}"
        );
    }
}

/// `utf8`: the incremental validator against `core::str::from_utf8` under the splits the
/// input chooses (first byte as for [`split_input`]).
pub fn utf8(data: &[u8]) {
    let (sizes, stream) = split_input(data);
    let reference = core::str::from_utf8(stream);
    let mut validator = Utf8Validator::new();
    let mut text = String::new();
    let mut fed = 0;
    let mut sizes_cycle = sizes.iter().copied().cycle();
    let mut failed_at = None;
    let mut failed_chunk_start = 0;
    while fed < stream.len() {
        let n = sizes_cycle
            .next()
            .unwrap_or(stream.len())
            .min(stream.len() - fed);
        let chunk = &stream[fed..fed + n];
        fed += n;
        match validator.feed(chunk) {
            Ok(piece) => {
                piece.push_to(&mut text).unwrap();
            }
            Err(_) => {
                failed_at = Some(fed);
                failed_chunk_start = fed - n;
                break;
            }
        }
    }
    if failed_at.is_none() && validator.finish().is_err() {
        failed_at = Some(stream.len() + 1);
    }
    match reference {
        Ok(all) => {
            assert_eq!(failed_at, None);
            assert_eq!(text, all);
        }
        Err(e) => {
            let valid = e.valid_up_to();
            let failed_at = failed_at.expect("invalid input accepted");
            assert!(stream[..valid].starts_with(text.as_bytes()));
            // Never fails on a valid prefix; fails by the byte that decides (fail fast).
            assert!(failed_at > valid, "failed inside the valid prefix");
            match e.error_len() {
                // The deciding byte is at `valid + len - 1` or `valid + len`.
                Some(len) => assert!(failed_chunk_start <= valid + len, "late failure"),
                None => assert_eq!(failed_at, stream.len() + 1, "incomplete end"),
            }
        }
    }
}

// ---- the driver ----

/// What one run observed.
#[derive(Debug, Default)]
struct Observed {
    items: Vec<Item>,
    text: Option<String>,
    binary: Option<Vec<u8>>,
    closed: bool,
    error: Option<Error>,
}

impl Observed {
    fn record(&mut self, event: &Event<'_>) {
        assert!(
            self.error.is_none() && !self.closed,
            "event after the end: {event:?}"
        );
        match event {
            Event::UpgradeRequest(_) | Event::Established(_) | Event::Rejected(_) => {}
            Event::Text(chunk) => {
                assert!(self.binary.is_none(), "text inside a binary message");
                assert_eq!(chunk.is_first(), self.text.is_none(), "text is_first");
                let text = self.text.get_or_insert_with(String::new);
                chunk.push_to(text).unwrap();
                if chunk.is_last() {
                    let text = self.text.take().unwrap_or_default();
                    self.items.push(Item::Text(text));
                }
            }
            Event::Binary(chunk) => {
                assert!(self.text.is_none(), "binary inside a text message");
                assert_eq!(chunk.is_first(), self.binary.is_none(), "binary is_first");
                let data = self.binary.get_or_insert_with(Vec::new);
                data.extend_from_slice(chunk.as_bytes());
                if chunk.is_last() {
                    let data = self.binary.take().unwrap_or_default();
                    self.items.push(Item::Binary(data));
                }
            }
            Event::Ping(p) => self.items.push(Item::Ping(p.as_bytes().to_vec())),
            Event::Pong(p) => self.items.push(Item::Pong(p.as_bytes().to_vec())),
            Event::Close(frame) => {
                self.closed = true;
                self.items
                    .push(Item::Close(frame.code.0, frame.reason.as_str().to_string()));
            }
        }
    }
}

/// Feeds `stream` in `sizes` pieces (cycled; none: all at once), accepting any request,
/// draining after every call, and checks every invariant in the module doc.
fn run<M: MaskSource>(conn: &mut Connection<M>, stream: &[u8], sizes: &[usize]) -> Observed {
    let now = Instant::from_millis(1);
    let mut observed = Observed::default();
    let mut wire = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut sizes_cycle = sizes.iter().copied().cycle();
    let mut rest = stream;
    let max_head_len = conn.config().max_head_len();
    let mut largest_chunk = 0;
    drain(conn, &mut wire);
    while !rest.is_empty() && observed.error.is_none() {
        let n = sizes_cycle.next().unwrap_or(rest.len()).min(rest.len());
        largest_chunk = largest_chunk.max(n);
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(chunk);
        loop {
            let offered = buf.len();
            let was_open = conn.state() == State::Open;
            match conn.receive(now, &mut buf) {
                Ok(received) => {
                    let consumed = received.consumed;
                    assert!(consumed <= offered, "consumed {consumed} of {offered}");
                    let Some(event) = received.event else {
                        buf.drain(..consumed);
                        break;
                    };
                    assert!(consumed > 0, "an event without progress: {event:?}");
                    if let Event::Rejected(rejection) = &event {
                        // The refusal is the failure, delivered once with its body.
                        let error = Error::Handshake(HandshakeFailure::Rejected {
                            status: rejection.status(),
                        });
                        assert!(rejection.body().len() <= consumed);
                        buf.drain(..consumed);
                        observed.error = Some(error);
                        assert_eq!(conn.receive(now, &mut buf.clone()), Err(error));
                        let mut reply = Vec::new();
                        assert!(drain(conn, &mut reply), "a refusal closes the transport");
                        assert!(reply.is_empty(), "a client answers a refusal with nothing");
                        break;
                    }
                    observed.record(&event);
                    let is_request = matches!(event, Event::UpgradeRequest(_));
                    buf.drain(..consumed);
                    if is_request {
                        let mut out = [0u8; 1024];
                        let n = conn.accept(now, &Accept::new(), &mut out).unwrap();
                        wire.extend_from_slice(&out[..n]);
                    }
                    drain(conn, &mut wire);
                }
                Err(error) => {
                    assert!(error.is_fatal(), "{error:?}");
                    observed.error = Some(error);
                    // Sticky: the same error for the same bytes and for new ones.
                    assert_eq!(conn.receive(now, &mut buf.clone()), Err(error));
                    assert_eq!(conn.receive(now, &mut [0x81, 0x80, 0, 0, 0, 0]), Err(error));
                    let mut reply = Vec::new();
                    let close = drain(conn, &mut reply);
                    assert!(close, "a failure must close the transport");
                    check_failure_reply(conn.role(), error, was_open, &reply);
                    wire.extend_from_slice(&reply);
                    break;
                }
            }
        }
        // DoS: an unfinished head never grows past the limit (plus one read).
        assert!(
            buf.len() <= max_head_len + largest_chunk,
            "buffer {}",
            buf.len()
        );
    }
    // Bounded output: pongs and echoes at most triple their frames, plus one response.
    assert!(
        wire.len() <= 3 * stream.len() + 1024,
        "{} bytes out for {} in",
        wire.len(),
        stream.len()
    );
    let closed = conn.receive_eof(Instant::from_millis(2));
    match observed.error {
        Some(error) => assert!(!closed.clean, "{closed:?} after {error:?}"),
        None if observed.closed => assert!(closed.clean, "{closed:?}"),
        None => {}
    }
    observed
}

/// Writes every pending transmit into `wire`; returns whether one asked to close.
fn drain<M: MaskSource>(conn: &mut Connection<M>, wire: &mut Vec<u8>) -> bool {
    let mut out = vec![0u8; conn.max_transmit_len()];
    let mut close = false;
    for _ in 0..8 {
        let Some(transmit) = conn.poll_transmit(&mut out).unwrap() else {
            return close;
        };
        assert!(transmit.len <= out.len());
        wire.extend_from_slice(&out[..transmit.len]);
        close |= transmit.close_transport_after;
    }
    panic!("poll_transmit never ran dry");
}

/// The reply queued by a failure is exactly what the error names.
fn check_failure_reply(role: Role, error: Error, was_open: bool, reply: &[u8]) {
    match (error.close_code(), error.http_status()) {
        (Some(code), _) if was_open => {
            // One well-formed Close with that code, as the peer decodes it.
            let peer = if role.is_client() {
                Role::Server
            } else {
                Role::Client
            };
            let mut conn = Connection::upgraded(Config::new(), peer, counter_mask(), Instant::ZERO);
            let mut bytes = reply.to_vec();
            let received = conn.receive(Instant::ZERO, &mut bytes).unwrap();
            assert_eq!(received.consumed, reply.len(), "only a Close: {reply:?}");
            match received.event {
                Some(Event::Close(frame)) => assert_eq!(frame.code, code),
                other => panic!("expected Close {code}, got {other:?}"),
            }
        }
        (_, Some(status)) if role.is_server() => {
            let prefix = format!("HTTP/1.1 {status} ");
            assert!(reply.starts_with(prefix.as_bytes()), "{reply:?}");
        }
        _ => assert!(reply.is_empty(), "{error:?} queued {reply:?}"),
    }
}

fn counter_mask() -> impl MaskSource {
    let mut counter = 0u32;
    move || {
        counter = counter.wrapping_add(0x9e37_79b9);
        MaskKey(counter.to_be_bytes())
    }
}

fn client() -> Connection<impl MaskSource> {
    let mut conn = Connection::client(Config::new(), counter_mask(), Instant::ZERO);
    let mut out = [0u8; 512];
    let request = ClientRequest::new("localhost:9001", "/chat", KEY).with_subprotocols(&["chat"]);
    conn.connect(Instant::ZERO, &request, &mut out).unwrap();
    conn
}

/// A server's verdict on a head: (path, host, origin, consumed) or the error, plus output.
type HeadVerdict = (
    Result<(String, String, Option<String>, usize), Error>,
    Vec<u8>,
);

fn server_head(data: &[u8], sizes: &[usize]) -> HeadVerdict {
    let mut conn = Connection::server(Config::new(), Instant::ZERO);
    let (verdict, examined) = head(&mut conn, data, sizes, |conn, event, consumed, wire| {
        let Event::UpgradeRequest(request) = event else {
            panic!("{event:?}");
        };
        let key = request.header("sec-websocket-key").expect("key checked");
        let key = key.trim_ascii();
        assert!(Key::parse(key).is_some(), "accepted a bad key");
        assert_eq!(
            request
                .header("sec-websocket-version")
                .map(<[u8]>::trim_ascii),
            Some(&b"13"[..])
        );
        let verdict = (
            request.path().to_string(),
            request.host().to_string(),
            request.origin().map(str::to_string),
            consumed,
        );
        let mut out = [0u8; 1024];
        let n = conn
            .accept(Instant::ZERO, &Accept::new(), &mut out)
            .unwrap();
        let line = format!(
            "Sec-WebSocket-Accept: {}\r\n",
            crate::accept_key(key).as_str()
        );
        let response = &out[..n];
        assert!(response.starts_with(b"HTTP/1.1 101 "));
        assert!(response.windows(line.len()).any(|w| w == line.as_bytes()));
        wire.extend_from_slice(response);
        verdict
    });
    assert!(
        examined <= 4 * data.len() + 16,
        "head scan not linear: {examined}"
    );
    verdict
}

fn client_head(data: &[u8], sizes: &[usize]) -> HeadVerdict {
    let mut conn = client();
    let (verdict, _) = head(&mut conn, data, sizes, |_, event, consumed, _| {
        if let Event::Rejected(rejection) = event {
            let status = rejection.status().to_string();
            let body = String::from_utf8_lossy(rejection.body()).into_owned();
            return (status, body, None, consumed);
        }
        let Event::Established(response) = event else {
            panic!("{event:?}");
        };
        let accept = response
            .header("sec-websocket-accept")
            .map(<[u8]>::trim_ascii);
        assert_eq!(accept, Some(ACCEPT.as_bytes()));
        assert!(data.trim_ascii_start().starts_with(b"HTTP/1.1 101"));
        (
            String::new(),
            String::new(),
            response.subprotocol().map(str::to_string),
            consumed,
        )
    });
    verdict
}

/// Feeds a head until its verdict; returns it and the head bytes examined.
fn head<M: MaskSource>(
    conn: &mut Connection<M>,
    data: &[u8],
    sizes: &[usize],
    on_event: impl FnOnce(
        &mut Connection<M>,
        Event<'_>,
        usize,
        &mut Vec<u8>,
    ) -> (String, String, Option<String>, usize),
) -> (HeadVerdict, usize) {
    let mut wire = Vec::new();
    let mut buf = Vec::new();
    let mut sizes_cycle = sizes.iter().copied().cycle();
    let mut rest = data;
    let mut examined = 0;
    while !rest.is_empty() {
        let n = sizes_cycle.next().unwrap_or(rest.len()).min(rest.len());
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(chunk);
        examined = conn.head_bytes_examined();
        match conn.receive(Instant::ZERO, &mut buf) {
            Ok(received) => {
                let consumed = received.consumed;
                if let Some(event) = received.event {
                    let verdict = on_event(conn, event, consumed, &mut wire);
                    return ((Ok(verdict), wire), examined);
                }
                assert_eq!(consumed, 0, "a partial head is never consumed");
            }
            Err(error) => {
                assert!(matches!(error, Error::Handshake(_)), "{error:?}");
                let close = drain(conn, &mut wire);
                assert!(close);
                check_failure_reply(conn.role(), error, false, &wire);
                return ((Err(error), wire), examined);
            }
        }
        examined = conn.head_bytes_examined();
    }
    ((Err(Error::BufferTooSmall { required: 0 }), wire), examined)
}

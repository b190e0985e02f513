//! Shared test fixtures: an in-memory client ↔ server pair, chunked feeding, and an event
//! log that merges chunks into whole messages so any chunking compares equal.
#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::string::String;
use std::vec::Vec;

use wsmachine::{
    Accept, ClientRequest, CloseCode, Config, Connection, Error, Event, Instant, Key, MaskKey,
    Misuse, NoMask, Role,
};

/// A deterministic mask source for tests (never use predictable keys on a network).
pub type TestMask = fn() -> MaskKey;

pub fn test_mask() -> MaskKey {
    MaskKey([0x37, 0xfa, 0x21, 0x3d])
}

pub const KEY: Key = Key(*b"the sample nonce");

/// One entry of a merged event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ev {
    Request {
        path: String,
        subprotocols: Vec<String>,
    },
    Established {
        subprotocol: Option<String>,
    },
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(u16, String),
    Rejected {
        status: u16,
        body: Vec<u8>,
        complete: bool,
    },
    Error(Error),
}

/// Accumulates chunks into whole messages.
#[derive(Default, Debug)]
pub struct Log {
    pub events: Vec<Ev>,
    text: String,
    binary: Vec<u8>,
}

impl Log {
    pub fn record(&mut self, event: &Event<'_>) {
        match event {
            Event::UpgradeRequest(request) => self.events.push(Ev::Request {
                path: request.path().into(),
                subprotocols: request.subprotocols().map(String::from).collect(),
            }),
            Event::Established(response) => self.events.push(Ev::Established {
                subprotocol: response.subprotocol().map(String::from),
            }),
            Event::Rejected(rejection) => self.events.push(Ev::Rejected {
                status: rejection.status(),
                body: rejection.body().to_vec(),
                complete: rejection.is_body_complete(),
            }),
            Event::Text(chunk) => {
                chunk.push_to(&mut self.text).unwrap();
                if chunk.is_last() {
                    self.events.push(Ev::Text(std::mem::take(&mut self.text)));
                }
            }
            Event::Binary(chunk) => {
                self.binary.extend_from_slice(chunk.as_bytes());
                if chunk.is_last() {
                    self.events
                        .push(Ev::Binary(std::mem::take(&mut self.binary)));
                }
            }
            Event::Ping(p) => self.events.push(Ev::Ping(p.as_bytes().to_vec())),
            Event::Pong(p) => self.events.push(Ev::Pong(p.as_bytes().to_vec())),
            Event::Close(frame) => self
                .events
                .push(Ev::Close(frame.code.0, frame.reason.as_str().into())),
            _ => panic!("unknown event"),
        }
    }
}

/// Feeds `input` to `conn` in pieces of the given sizes (cycled; 0 means all at once),
/// accepting any upgrade request with `accept`, draining output after every call.
/// Returns the merged log and every byte the engine transmitted, in order.
pub fn feed<M: wsmachine::MaskSource>(
    conn: &mut Connection<M>,
    input: &[u8],
    chunks: &[usize],
    accept: Option<&Accept<'_>>,
) -> (Vec<Ev>, Vec<u8>) {
    let mut log = Log::default();
    let mut wire = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut offset = 0;
    let mut sizes = chunks.iter().copied().cycle();
    let now = Instant::from_millis(1);
    let mut failed = false;
    while offset < input.len() && !failed {
        let size = match sizes.next() {
            Some(0) | None => input.len(),
            Some(n) => n,
        };
        let end = (offset + size).min(input.len());
        buf.extend_from_slice(&input[offset..end]);
        offset = end;
        loop {
            match conn.receive(now, &mut buf) {
                Ok(received) => {
                    let consumed = received.consumed;
                    let Some(event) = received.event else {
                        buf.drain(..consumed);
                        break;
                    };
                    log.record(&event);
                    let is_request = matches!(event, Event::UpgradeRequest(_));
                    buf.drain(..consumed);
                    if is_request {
                        let mut out = [0u8; 1024];
                        let none = Accept::new();
                        let chosen = accept.unwrap_or(&none);
                        // A corrupted request may not offer the subprotocol: then none.
                        let n = match conn.accept(now, chosen, &mut out) {
                            Err(Error::Usage(Misuse::SubprotocolNotOffered)) => {
                                conn.accept(now, &none, &mut out)
                            }
                            other => other,
                        }
                        .unwrap();
                        wire.extend_from_slice(&out[..n]);
                    }
                }
                Err(error) => {
                    log.events.push(Ev::Error(error));
                    failed = true;
                    break;
                }
            }
            drain(conn, &mut wire);
        }
        drain(conn, &mut wire);
    }
    (log.events, wire)
}

/// Writes everything `poll_transmit` has into `wire`; returns whether it asked to close.
pub fn drain<M: wsmachine::MaskSource>(conn: &mut Connection<M>, wire: &mut Vec<u8>) -> bool {
    let mut out = [0u8; 256];
    let mut close = false;
    while let Some(t) = conn.poll_transmit(&mut out).unwrap() {
        wire.extend_from_slice(&out[..t.len]);
        close |= t.close_transport_after;
    }
    close
}

/// An upgraded (framing-only) connection of `role`.
pub fn upgraded(role: Role, config: Config) -> Connection<TestMask> {
    Connection::upgraded(config, role, test_mask as TestMask, Instant::ZERO)
}

/// A client that has written its request; returns it and the request bytes.
pub fn client(config: Config, subprotocols: &[&str]) -> (Connection<TestMask>, Vec<u8>) {
    let mut conn = Connection::client(config, test_mask as TestMask, Instant::ZERO);
    let mut out = [0u8; 1024];
    let request =
        ClientRequest::new("localhost:9001", "/chat", KEY).with_subprotocols(subprotocols);
    let n = conn.connect(Instant::ZERO, &request, &mut out).unwrap();
    (conn, out[..n].to_vec())
}

pub fn server(config: Config) -> Connection<NoMask> {
    Connection::server(config, Instant::ZERO)
}

/// A client frame (masked with `test_mask`) or server frame (unmasked).
pub fn frame(from: Role, fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame_with_key(from, fin, opcode, payload, test_mask().0)
}

/// A frame as `from` sends it: clients mask with `key`, servers never mask.
pub fn frame_with_key(from: Role, fin: bool, opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    let mask_bit = if from.is_client() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if from.is_client() {
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

pub fn close_payload(code: CloseCode, reason: &str) -> Vec<u8> {
    let mut p = code.0.to_be_bytes().to_vec();
    p.extend_from_slice(reason.as_bytes());
    p
}

/// Runs a full handshake between fresh client and server; returns both, open.
pub fn open_pair(
    config: Config,
    subprotocols: &[&str],
    accept: &Accept<'_>,
) -> (Connection<TestMask>, Connection<NoMask>) {
    let (mut client, request) = client(config, subprotocols);
    let mut server = server(config);
    let (events, response) = feed(&mut server, &request, &[0], Some(accept));
    assert!(
        matches!(events.as_slice(), [Ev::Request { .. }]),
        "{events:?}"
    );
    let (events, _) = feed(&mut client, &response, &[0], None);
    assert!(
        matches!(events.as_slice(), [Ev::Established { .. }]),
        "{events:?}"
    );
    assert!(client.is_open() && server.is_open());
    (client, server)
}

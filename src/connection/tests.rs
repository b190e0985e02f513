//! Tests per state, inside the crate (as smoltcp tests its TCP socket): a fixture builds
//! each phase through the public API, and each test drives one input in one phase.

use std::format;
use std::string::String;
use std::vec::Vec;

use super::state::Phase;
use super::*;
use crate::close::CloseCode;
use crate::error::{HandshakeFailure, ProtocolViolation};
use crate::event::Event;
use crate::frame::MaskKey;
use crate::handshake::Key;
use core::time::Duration;

type ClientMask = fn() -> MaskKey;
type Fixture<M> = fn() -> Connection<M>;

const T0: Instant = Instant::from_millis(1_000);
const KEY: Key = Key(*b"the sample nonce");
const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn mask() -> MaskKey {
    MaskKey([1, 2, 3, 4])
}

fn config() -> Config {
    Config::new()
        .with_keepalive(Some(Duration::from_secs(30)))
        .with_pong_timeout(Duration::from_secs(5))
}

/// A frame as the peer of `role` sends it (masked when the peer is a client).
fn peer_frame(role: Role, fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    peer_frame_with(role, fin, opcode, payload.len() as u8, &[], payload)
}

/// [`peer_frame`] with the 7-bit length `len7` and the extended length bytes as given (so
/// non-minimal lengths too).
fn peer_frame_with(
    role: Role,
    fin: bool,
    opcode: u8,
    len7: u8,
    ext: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    let masked = role.is_server();
    let mut out = std::vec![(u8::from(fin) << 7) | opcode];
    out.push(if masked { 0x80 } else { 0 } | len7);
    out.extend_from_slice(ext);
    let key = mask().0;
    if masked {
        out.extend_from_slice(&key);
    }
    out.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, b)| if masked { b ^ key[i % 4] } else { *b }),
    );
    out
}

fn feed<M: MaskSource>(conn: &mut Connection<M>, bytes: &[u8]) -> Result<Option<String>, Error> {
    let mut buf = bytes.to_vec();
    let received = conn.receive(T0, &mut buf)?;
    Ok(received.event.map(|e| format!("{e:?}")))
}

/// Drains `poll_transmit`; returns the bytes and whether the transport is to be closed.
fn drain<M: MaskSource>(conn: &mut Connection<M>) -> (Vec<u8>, bool) {
    let mut wire = Vec::new();
    let mut close = false;
    let mut out = [0u8; 256];
    while let Some(t) = conn.poll_transmit(&mut out).unwrap() {
        wire.extend_from_slice(&out[..t.len]);
        close |= t.close_transport_after;
    }
    (wire, close)
}

fn close_payload(code: u16) -> [u8; 2] {
    code.to_be_bytes()
}

// ---- fixtures: one per phase and role ----

pub(super) fn server_await_request() -> Connection<NoMask> {
    Connection::server(config(), T0)
}

pub(super) fn server_await_decision() -> Connection<NoMask> {
    let mut conn = server_await_request();
    assert!(feed(&mut conn, REQUEST).unwrap().is_some());
    conn
}

pub(super) fn server_open() -> Connection<NoMask> {
    let mut conn = server_await_decision();
    let mut out = [0u8; 256];
    conn.accept(T0, &Accept::new(), &mut out).unwrap();
    conn
}

pub(super) fn server_close_sent() -> Connection<NoMask> {
    let mut conn = server_open();
    conn.close(T0, CloseCode::Normal, "", &mut [0u8; 16])
        .unwrap();
    conn
}

pub(super) fn server_close_received() -> Connection<NoMask> {
    let mut conn = server_open();
    let close = peer_frame(Role::Server, true, 0x8, &close_payload(1000));
    assert!(feed(&mut conn, &close).unwrap().is_some());
    conn
}

pub(super) fn server_closed() -> Connection<NoMask> {
    let mut conn = server_close_received();
    drain(&mut conn);
    conn
}

pub(super) fn server_failed() -> Connection<NoMask> {
    let mut conn = server_open();
    // Unmasked: a client must mask.
    assert!(feed(&mut conn, &[0x81, 0x00]).is_err());
    conn
}

pub(super) fn client_idle() -> Connection<ClientMask> {
    Connection::client(config(), mask as ClientMask, T0)
}

pub(super) fn client_await_response() -> Connection<ClientMask> {
    let mut conn = client_idle();
    let request = ClientRequest::new("a", "/chat", KEY);
    conn.connect(T0, &request, &mut [0u8; 512]).unwrap();
    conn
}

/// A refusal whose head is in and whose 5-byte body is awaited.
pub(super) fn client_rejected() -> Connection<ClientMask> {
    let mut conn = client_await_response();
    let head = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n";
    assert_eq!(feed(&mut conn, head), Ok(None));
    conn
}

pub(super) fn client_open() -> Connection<ClientMask> {
    let mut conn = client_await_response();
    assert!(feed(&mut conn, RESPONSE).unwrap().is_some());
    conn
}

pub(super) fn client_close_sent() -> Connection<ClientMask> {
    let mut conn = client_open();
    conn.close(T0, CloseCode::Normal, "", &mut [0u8; 16])
        .unwrap();
    conn
}

pub(super) fn client_close_received() -> Connection<ClientMask> {
    let mut conn = client_open();
    let close = peer_frame(Role::Client, true, 0x8, &close_payload(1000));
    assert!(feed(&mut conn, &close).unwrap().is_some());
    conn
}

pub(super) fn client_closed() -> Connection<ClientMask> {
    let mut conn = client_close_received();
    drain(&mut conn);
    conn
}

pub(super) fn client_failed() -> Connection<ClientMask> {
    let mut conn = client_open();
    // Masked: a server must not mask.
    assert!(feed(&mut conn, &[0x81, 0x80, 0, 0, 0, 0]).is_err());
    conn
}

fn phase_name(phase: &Phase) -> &'static str {
    match phase {
        Phase::ServerAwaitRequest(_) => "AwaitRequest",
        Phase::ServerAwaitDecision(_) => "AwaitDecision",
        Phase::ClientIdle => "Idle",
        Phase::ClientAwaitResponse { .. } => "AwaitResponse",
        Phase::ClientRejected { .. } => "Rejected",
        Phase::Open => "Open",
        Phase::CloseSent => "CloseSent",
        Phase::CloseReceived => "CloseReceived",
        Phase::Closed => "Closed",
        Phase::Failed(_) => "Failed",
    }
}

// ---- the Phase × input table ----

/// The inputs of the table, in column order.
const INPUTS: [&str; 9] = [
    "data",
    "close_frame",
    "close()",
    "send",
    "accept",
    "connect",
    "eof",
    "late",
    "drain",
];

/// Applies input `input` to a fresh fixture; returns "<phase after> <result>".
fn apply<M: MaskSource>(make: Fixture<M>, input: &str) -> String {
    let mut conn = make();
    let role = conn.role();
    let mut out = [0u8; 512];
    let result: Result<(), Error> = match input {
        "data" => feed(&mut conn, &peer_frame(role, true, 0x1, b"hi")).map(drop),
        "close_frame" => feed(
            &mut conn,
            &peer_frame(role, true, 0x8, &close_payload(1000)),
        )
        .map(drop),
        "close()" => conn.close(T0, CloseCode::Normal, "", &mut out).map(drop),
        "send" => conn.send_text("x", &mut out).map(drop),
        "accept" => conn.accept(T0, &Accept::new(), &mut out).map(drop),
        "connect" => conn
            .connect(T0, &ClientRequest::new("a", "/", KEY), &mut out)
            .map(drop),
        "eof" => {
            conn.receive_eof(T0);
            Ok(())
        }
        "late" => {
            conn.handle_timeout(T0.saturating_add(Duration::from_secs(3600)));
            Ok(())
        }
        "drain" => {
            drain(&mut conn);
            Ok(())
        }
        _ => unreachable!(),
    };
    let result = match result {
        Ok(()) => String::from("ok"),
        Err(Error::Usage(misuse)) => format!("{misuse:?}"),
        Err(error) if error.is_fatal() => String::from("fatal"),
        Err(error) => format!("{error:?}"),
    };
    // The receive fast path's gate is open exactly while the connection is open with
    // nothing in flight.
    assert_eq!(
        conn.core.small_gate != 0,
        matches!(conn.core.phase, Phase::Open) && conn.core.receiver.idle(),
        "{input}: gate {} in {}",
        conn.core.small_gate,
        phase_name(&conn.core.phase)
    );
    format!("{} {result}", phase_name(&conn.core.phase))
}

#[test]
#[rustfmt::skip] // one row per phase, one column per input: the table reads as a table
fn every_phase_answers_every_input_as_the_table_says() {
    type Row = (&'static str, [&'static str; 9]);
    // Each cell: "<phase after> <result>"; a bare phase for an input without a result
    // (eof, late, drain); a bare result for a call that fails and leaves the phase as is.
    // Columns: data, close_frame, close(), send, accept, connect, eof, late, drain.
    let hs = "HandshakeIncomplete";
    let server_rows: [(Fixture<NoMask>, Row); 7] = [
        (server_await_request, ("AwaitRequest", ["AwaitRequest ok", "AwaitRequest ok", hs, hs, "NoRequestPending", "NotIdle", "Closed", "Closed", "AwaitRequest"])),
        (server_await_decision, ("AwaitDecision", ["DecisionPending", "DecisionPending", hs, hs, "Open ok", "NotIdle", "Closed", "Closed", "AwaitDecision"])),
        (server_open, ("Open", ["Open ok", "CloseReceived ok", "CloseSent ok", "Open ok", "NoRequestPending", "NotIdle", "Closed", "Open", "Open"])),
        (server_close_sent, ("CloseSent", ["CloseSent ok", "Closed ok", "CloseAlreadySent", "CloseAlreadySent", "NoRequestPending", "NotIdle", "Closed", "Closed", "CloseSent"])),
        (server_close_received, ("CloseReceived", ["CloseReceived ok", "CloseReceived ok", "Closed ok", "CloseReceived", "NoRequestPending", "NotIdle", "Closed", "CloseReceived", "Closed"])),
        (server_closed, ("Closed", ["Closed ok", "Closed ok", "ConnectionClosed", "ConnectionClosed", "NoRequestPending", "NotIdle", "Closed", "Closed", "Closed"])),
        (server_failed, ("Failed", ["Failed fatal", "Failed fatal", "ConnectionClosed", "ConnectionClosed", "NoRequestPending", "NotIdle", "Failed", "Failed", "Failed"])),
    ];
    let client_rows: [(Fixture<ClientMask>, Row); 8] = [
        (client_idle, ("Idle", ["NotConnecting", "NotConnecting", hs, hs, "NoRequestPending", "AwaitResponse ok", "Closed", "Closed", "Idle"])),
        (client_await_response, ("AwaitResponse", ["AwaitResponse ok", "AwaitResponse ok", hs, hs, "NoRequestPending", "NotIdle", "Closed", "Closed", "AwaitResponse"])),
        (client_rejected, ("Rejected", ["Rejected ok", "Rejected ok", hs, hs, "NoRequestPending", "NotIdle", "Closed", "Closed", "Rejected"])),
        (client_open, ("Open", ["Open ok", "CloseReceived ok", "CloseSent ok", "Open ok", "NoRequestPending", "NotIdle", "Closed", "Open", "Open"])),
        (client_close_sent, ("CloseSent", ["CloseSent ok", "Closed ok", "CloseAlreadySent", "CloseAlreadySent", "NoRequestPending", "NotIdle", "Closed", "Closed", "CloseSent"])),
        (client_close_received, ("CloseReceived", ["CloseReceived ok", "CloseReceived ok", "Closed ok", "CloseReceived", "NoRequestPending", "NotIdle", "Closed", "CloseReceived", "Closed"])),
        (client_closed, ("Closed", ["Closed ok", "Closed ok", "ConnectionClosed", "ConnectionClosed", "NoRequestPending", "NotIdle", "Closed", "Closed", "Closed"])),
        (client_failed, ("Failed", ["Failed fatal", "Failed fatal", "ConnectionClosed", "ConnectionClosed", "NoRequestPending", "NotIdle", "Failed", "Failed", "Failed"])),
    ];
    let expand = |phase: &str, cell: &str, input: &str| -> String {
        match (
            cell.contains(' '),
            matches!(input, "eof" | "late" | "drain"),
        ) {
            (true, _) => cell.into(),
            (false, true) => format!("{cell} ok"),
            (false, false) => format!("{phase} {cell}"),
        }
    };
    let mut seen = Vec::new();
    for (make, (phase, cells)) in &server_rows {
        assert_eq!(phase_name(&make().core.phase), *phase);
        seen.push(format!("server {phase}"));
        for (input, cell) in INPUTS.iter().zip(cells) {
            let got = apply(*make, input);
            assert_eq!(got, expand(phase, cell, input), "server {phase} × {input}");
        }
    }
    for (make, (phase, cells)) in &client_rows {
        assert_eq!(phase_name(&make().core.phase), *phase);
        seen.push(format!("client {phase}"));
        for (input, cell) in INPUTS.iter().zip(cells) {
            let got = apply(*make, input);
            assert_eq!(got, expand(phase, cell, input), "client {phase} × {input}");
        }
    }
    // Every phase is a row for the role that can be in it.
    assert_eq!(seen.len(), 15);
}

// ---- per state: receive, send, close, timeouts ----

const fn at(secs: u64) -> Instant {
    Instant::from_millis(T0.as_millis() + secs * 1000)
}

fn dropped() -> Closed {
    Closed {
        code: CloseCode::Abnormal,
        clean: false,
        initiator: Initiator::Local,
    }
}

#[test]
fn server_await_request_answers_a_bad_request_with_its_status_and_closes() {
    let mut conn = server_await_request();
    let error = feed(&mut conn, b"GET / HTTP/1.0\r\nHost: a\r\n\r\n").unwrap_err();
    assert_eq!(error, Error::Handshake(HandshakeFailure::NotHttp11));
    let (wire, close) = drain(&mut conn);
    assert!(wire.starts_with(b"HTTP/1.1 400 "), "{wire:?}");
    assert!(close);
    assert_eq!(conn.closed().map(|c| c.code), Some(CloseCode::Abnormal));
    assert_eq!(feed(&mut conn, REQUEST), Err(error), "sticky");
}

#[test]
fn server_await_request_consumes_the_head_alone_when_frames_follow_it() {
    // The bytes after the head (what the peer sent next) end with a head terminator, so
    // the tokenizer cuts the head (no scanner pass): it must stop at the head's own empty
    // line.
    for tail in [&b"\r\n\r\n"[..], b"\n\n", b"\x81\x02ab\n\r\n"] {
        let mut conn = server_await_request();
        let mut buf = [REQUEST, tail].concat();
        let received = conn.receive(T0, &mut buf).unwrap();
        assert_eq!(received.consumed, REQUEST.len(), "{tail:?}");
        match received.event {
            Some(Event::UpgradeRequest(request)) => {
                assert_eq!(request.path(), "/chat");
                assert_eq!(request.subprotocols().collect::<Vec<_>>(), ["chat"]);
                assert_eq!(request.headers().count(), 6);
            }
            other => panic!("{other:?}"),
        }
    }
    // A head fed byte by byte and one fed whole give the same request and length.
    let mut conn = server_await_request();
    let mut got = None;
    for n in 1..=REQUEST.len() {
        let mut buf = REQUEST[..n].to_vec();
        let received = conn.receive(T0, &mut buf).unwrap();
        if received.event.is_some() {
            got = Some((n, received.consumed));
        }
    }
    assert_eq!(got, Some((REQUEST.len(), REQUEST.len())));
}

#[test]
fn server_await_request_times_out_from_construction() {
    let mut conn = server_await_request();
    assert_eq!(conn.poll_timeout(), Some(at(10)));
    assert_eq!(conn.handle_timeout(at(9)), None);
    assert_eq!(conn.handle_timeout(at(10)), Some(dropped()));
    assert_eq!(drain(&mut conn), (Vec::new(), true));
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn server_await_decision_keeps_the_offer_and_rejects_with_a_response() {
    let mut conn = server_await_decision();
    let mut out = [0u8; 256];
    let unoffered = Accept::new().with_subprotocol("other");
    assert_eq!(
        conn.accept(T0, &unoffered, &mut out),
        Err(Error::Usage(Misuse::SubprotocolNotOffered))
    );
    let n = conn
        .reject(&Reject::new(403).with_body(b"no"), &mut out)
        .unwrap();
    assert!(out[..n].starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    assert!(out[..n].ends_with(b"\r\n\r\nno"));
    assert_eq!(conn.state(), State::Closed);
    assert_eq!(drain(&mut conn), (Vec::new(), true));
    assert_eq!(conn.closed(), Some(dropped()));
}

#[test]
fn handshake_writers_name_the_room_they_need_at_every_short_buffer() {
    // The 101, a rejection and the client's request are written in one pass that counts
    // what does not fit: every buffer shorter than the whole gets the whole's length and
    // changes no state; one of exactly that length gets the whole answer.
    let accept = Accept::new()
        .with_subprotocol("chat")
        .with_headers(&[("Set-Cookie", "a=b")]);
    let mut want = [0u8; 512];
    let n = server_await_decision()
        .accept(T0, &accept, &mut want)
        .unwrap();
    for short in 0..n {
        let mut conn = server_await_decision();
        let mut out = std::vec![0u8; short];
        let got = conn.accept(T0, &accept, &mut out);
        assert_eq!(got, Err(Error::BufferTooSmall { required: n }), "{short}");
        assert_eq!(phase_name(&conn.core.phase), "AwaitDecision", "{short}");
    }
    let mut out = std::vec![0u8; n];
    assert_eq!(server_await_decision().accept(T0, &accept, &mut out), Ok(n));
    assert_eq!(out, want[..n]);

    let reject = Reject::new(403).with_body(b"no");
    let n = server_await_decision().reject(&reject, &mut want).unwrap();
    for short in 0..n {
        let mut out = std::vec![0u8; short];
        let got = server_await_decision().reject(&reject, &mut out);
        assert_eq!(got, Err(Error::BufferTooSmall { required: n }), "{short}");
    }

    let request = ClientRequest::new("example.com", "/chat", KEY);
    let n = client_idle().connect(T0, &request, &mut want).unwrap();
    for short in 0..n {
        let mut out = std::vec![0u8; short];
        let got = client_idle().connect(T0, &request, &mut out);
        assert_eq!(got, Err(Error::BufferTooSmall { required: n }), "{short}");
    }
}

#[test]
fn server_await_decision_accepts_an_offered_subprotocol() {
    let mut conn = server_await_decision();
    let mut out = [0u8; 256];
    let n = conn
        .accept(T0, &Accept::new().with_subprotocol("chat"), &mut out)
        .unwrap();
    let response = core::str::from_utf8(&out[..n]).unwrap();
    assert!(
        response.contains("Sec-WebSocket-Protocol: chat\r\n"),
        "{response}"
    );
    assert!(conn.is_open());
    // Open: the keepalive runs from the accept, not the handshake timeout.
    assert_eq!(conn.poll_timeout(), Some(at(30)));
}

#[test]
fn server_open_answers_a_ping_with_its_pong() {
    let mut conn = server_open();
    let event = feed(&mut conn, &peer_frame(Role::Server, true, 0x9, b"hey")).unwrap();
    assert!(event.unwrap().starts_with("Ping"));
    assert_eq!(conn.pending_transmit_len(), 5);
    assert_eq!(
        drain(&mut conn),
        (std::vec![0x8a, 3, b'h', b'e', b'y'], false)
    );
}

#[test]
fn server_open_keepalive_pings_then_drops_a_silent_peer() {
    let mut conn = server_open();
    assert_eq!(conn.handle_timeout(at(30)), None);
    assert_eq!(drain(&mut conn), (std::vec![0x89, 0], false));
    assert_eq!(conn.poll_timeout(), Some(at(35)));
    assert_eq!(conn.handle_timeout(at(35)), Some(dropped()));
    assert_eq!(drain(&mut conn), (Vec::new(), true));
}

#[test]
fn server_open_input_from_the_peer_restarts_the_keepalive() {
    let mut conn = server_open();
    let mut buf = peer_frame(Role::Server, true, 0x2, b"x");
    let _ = conn.receive(at(20), &mut buf).unwrap();
    assert_eq!(conn.poll_timeout(), Some(at(50)));
}

#[test]
fn server_open_lands_short_masked_text_on_an_aligned_address_within_its_own_frame() {
    // Two frames back to back at every buffer offset: the first text's payload may move
    // into its own header and key (toward an 8-byte boundary), never into the next frame.
    #[repr(align(8))]
    struct Aligned([u8; 256]);
    for payload in [
        "",
        "a",
        "hello",
        "msg 000000000012",
        "ünï©ødé text of 28 B",
        &"x".repeat(125),
    ] {
        let first = peer_frame(Role::Server, true, 0x1, payload.as_bytes());
        let second = peer_frame(Role::Server, true, 0x1, b"next");
        for offset in 0..8 {
            let mut storage = Aligned([0; 256]);
            let bytes = &mut storage.0;
            let wire = [first.as_slice(), second.as_slice()].concat();
            bytes[offset..offset + wire.len()].copy_from_slice(&wire);
            let buf = &mut bytes[offset..offset + wire.len()];
            let mut conn = server_open();
            let received = conn.receive(T0, buf).unwrap();
            assert_eq!(received.consumed, first.len());
            let Some(Event::Text(chunk)) = received.event else {
                panic!("no text at offset {offset}");
            };
            let text = chunk.as_str().unwrap();
            assert_eq!(text, payload, "offset {offset}");
            // The payload sits at 6 + offset; it moves back by its misalignment when the
            // header and key (6 bytes) leave room, else to the frame's start.
            let misaligned = (offset + 6) % 8;
            if !payload.is_empty() {
                let at = if misaligned <= 6 { 0 } else { 1 };
                assert_eq!(text.as_ptr().addr() % 8, at, "offset {offset}");
            }
            let rest = &mut buf[first.len()..];
            let received = conn.receive(T0, rest).unwrap();
            assert!(matches!(received.event, Some(Event::Text(t)) if t.as_str() == Some("next")));
        }
    }
}

#[test]
fn server_open_sends_unmasked_frames() {
    let mut conn = server_open();
    let mut out = [0u8; 16];
    let n = conn.send_text("ok", &mut out).unwrap();
    assert_eq!(&out[..n], &[0x81, 2, b'o', b'k']);
}

#[test]
fn server_close_sent_waits_for_the_peer_then_closes_the_transport() {
    let mut conn = server_close_sent();
    assert_eq!(
        conn.poll_timeout(),
        Some(at(10)),
        "close timeout, keepalive off"
    );
    let data = feed(&mut conn, &peer_frame(Role::Server, true, 0x1, b"late")).unwrap();
    assert_eq!(data, None, "data after our Close is checked, not delivered");
    let close = peer_frame(Role::Server, true, 0x8, &close_payload(1001));
    assert!(
        feed(&mut conn, &close)
            .unwrap()
            .unwrap()
            .starts_with("Close")
    );
    let expected = Closed {
        code: CloseCode::GoingAway,
        clean: true,
        initiator: Initiator::Local,
    };
    assert_eq!(conn.closed(), Some(expected));
    assert_eq!(
        drain(&mut conn),
        (Vec::new(), true),
        "the server closes TCP first"
    );
    assert_eq!(conn.receive_eof(at(1)), expected);
}

#[test]
fn server_close_sent_gives_up_after_the_close_timeout() {
    let mut conn = server_close_sent();
    assert_eq!(conn.handle_timeout(at(10)), Some(dropped()));
    assert_eq!(drain(&mut conn), (Vec::new(), true));
}

#[test]
fn server_close_received_echoes_the_code_and_closes_the_transport() {
    let mut conn = server_close_received();
    assert_eq!(conn.state(), State::Closing);
    assert_eq!(conn.pending_transmit_len(), 4);
    assert_eq!(drain(&mut conn), (std::vec![0x88, 2, 0x03, 0xe8], true));
    let expected = Closed {
        code: CloseCode::Normal,
        clean: true,
        initiator: Initiator::Remote,
    };
    assert_eq!(conn.closed(), Some(expected));
    assert!(conn.is_closed());
}

#[test]
fn server_close_received_application_close_replaces_the_echo() {
    let mut conn = server_close_received();
    let mut out = [0u8; 16];
    let n = conn.close(T0, CloseCode::GoingAway, "", &mut out).unwrap();
    assert_eq!(&out[..n], &[0x88, 2, 0x03, 0xe9]);
    assert_eq!(drain(&mut conn), (Vec::new(), true), "no second Close");
}

#[test]
fn server_failed_queued_its_close_and_stays_failed() {
    let mut conn = server_failed();
    let error = Error::Protocol(ProtocolViolation::UnmaskedClientFrame);
    assert_eq!(drain(&mut conn), (std::vec![0x88, 2, 0x03, 0xea], true));
    assert_eq!(
        feed(&mut conn, &peer_frame(Role::Server, true, 0x1, b"x")),
        Err(error)
    );
    assert_eq!(
        conn.send_ping(b"", &mut [0u8; 16]),
        Err(Error::Usage(Misuse::ConnectionClosed))
    );
    assert_eq!(conn.poll_timeout(), None, "no timer outlives a failure");
    assert_eq!(
        conn.closed().map(|c| (c.code, c.clean)),
        Some((CloseCode::ProtocolError, false))
    );
}

#[test]
fn client_await_response_times_out_from_connect() {
    let mut conn = client_idle();
    let request = ClientRequest::new("a", "/", KEY);
    conn.connect(at(5), &request, &mut [0u8; 512]).unwrap();
    assert_eq!(conn.poll_timeout(), Some(at(15)));
    assert_eq!(conn.handle_timeout(at(15)), Some(dropped()));
}

#[test]
fn client_await_response_fails_a_wrong_accept_without_a_reply() {
    let mut conn = client_await_response();
    let bad = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n";
    assert_eq!(
        feed(&mut conn, bad),
        Err(Error::Handshake(HandshakeFailure::BadAccept))
    );
    assert_eq!(drain(&mut conn), (Vec::new(), true));
}

#[test]
fn client_rejected_delivers_the_body_once_it_is_in() {
    let mut conn = client_rejected();
    let head = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\n";
    let mut buf = head.to_vec();
    buf.extend_from_slice(b"nope");
    assert_eq!(
        conn.receive(T0, &mut buf).unwrap().event,
        None,
        "one byte short"
    );
    buf.extend_from_slice(b"!");
    let len = buf.len();
    let received = conn.receive(T0, &mut buf).unwrap();
    assert_eq!(received.consumed, len);
    let Some(Event::Rejected(rejection)) = received.event else {
        panic!("{:?}", received.event)
    };
    assert_eq!(rejection.status(), 403);
    assert_eq!(rejection.body(), b"nope!");
    assert!(rejection.is_body_complete());
    assert_eq!(rejection.header("content-length"), Some(&b"5"[..]));
    let rejected = Error::Handshake(HandshakeFailure::Rejected { status: 403 });
    assert_eq!(conn.receive(T0, &mut buf), Err(rejected));
    assert_eq!(drain(&mut conn), (Vec::new(), true));
}

#[test]
fn client_open_masks_what_it_sends() {
    let mut conn = client_open();
    let mut out = [0u8; 16];
    let n = conn.send_binary(&[0, 0], &mut out).unwrap();
    assert_eq!(&out[..n], &[0x82, 0x82, 1, 2, 3, 4, 1, 2]);
}

#[test]
fn client_close_sent_waits_for_the_servers_tcp_close_after_the_echo() {
    let mut conn = client_close_sent();
    let close = peer_frame(Role::Client, true, 0x8, &close_payload(1000));
    assert!(feed(&mut conn, &close).unwrap().is_some());
    assert!(conn.is_closed());
    assert_eq!(
        drain(&mut conn),
        (Vec::new(), false),
        "the server closes TCP first"
    );
    assert_eq!(conn.poll_timeout(), Some(at(10)));
    assert_eq!(conn.handle_timeout(at(10)), None);
    assert_eq!(drain(&mut conn), (Vec::new(), true), "then the client does");
}

#[test]
fn client_close_received_echoes_masked_and_waits_for_tcp() {
    let mut conn = client_close_received();
    let (wire, close) = drain(&mut conn);
    assert_eq!(wire, [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);
    assert!(!close);
    assert_eq!(conn.poll_timeout(), Some(at(10)));
}

#[test]
fn client_closed_reports_its_outcome_at_eof() {
    let mut conn = client_closed();
    let outcome = conn.closed().unwrap();
    assert!(outcome.clean);
    assert_eq!(conn.receive_eof(at(1)), outcome);
    assert_eq!(conn.poll_timeout(), None);
}

#[test]
fn client_failed_queued_its_close_and_reports_1002() {
    let mut conn = client_failed();
    let (wire, close) = drain(&mut conn);
    assert_eq!(wire, [0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xea ^ 2]);
    assert!(close);
    assert_eq!(conn.receive_eof(at(1)).code, CloseCode::ProtocolError);
}

#[test]
fn receive_fast_path_gate_is_shut_while_a_frame_header_or_message_is_in_flight() {
    for role in [Role::Server, Role::Client] {
        let mut conn = Connection::upgraded(config(), role, mask as ClientMask, T0);
        let open = |conn: &Connection<ClientMask>| conn.core.small_gate != 0;
        assert!(open(&conn), "{role:?}: open and idle");
        let whole = peer_frame(role, true, 0x1, b"hello");
        // A split header, then a frame whose payload is still coming, then the rest.
        assert_eq!(feed(&mut conn, &whole[..1]).unwrap(), None);
        assert!(!open(&conn), "{role:?}: split header");
        let header = if role.is_server() { 6 } else { 2 };
        assert!(feed(&mut conn, &whole[1..header + 2]).unwrap().is_some());
        assert!(!open(&conn), "{role:?}: payload in flight");
        assert!(feed(&mut conn, &whole[header + 2..]).unwrap().is_some());
        assert!(open(&conn), "{role:?}: frame done");
        // A fragmented message in progress, whole frames each.
        assert!(
            feed(&mut conn, &peer_frame(role, false, 0x1, b"he"))
                .unwrap()
                .is_some()
        );
        assert!(!open(&conn), "{role:?}: message in flight");
        assert!(
            feed(&mut conn, &peer_frame(role, true, 0x0, b"llo"))
                .unwrap()
                .is_some()
        );
        assert!(open(&conn), "{role:?}: message done");
        // Our Close shuts it for good.
        conn.close(T0, CloseCode::Normal, "", &mut [0u8; 64])
            .unwrap();
        assert!(!open(&conn), "{role:?}: close sent");
    }
}

/// A frame with a 16-bit length (`len` written as given, so non-minimal ones too) as the
/// peer of `role` sends it.
fn peer_frame16(role: Role, fin: bool, opcode: u8, len: u16, payload: &[u8]) -> Vec<u8> {
    peer_frame_with(role, fin, opcode, 126, &len.to_be_bytes(), payload)
}

#[test]
fn second_fast_path_takes_only_whole_minimal_16_bit_frames_within_every_limit() {
    let limits = config().with_max_frame_len(4096).with_max_message_len(2048);
    for role in [Role::Server, Role::Client] {
        let conn = Connection::upgraded(limits, role, mask as ClientMask, T0);
        let takes = |frame: &[u8]| conn.core.extended_frame(frame).map(|f| (f.start, f.len));
        let header = if role.is_server() { 8 } else { 4 };
        let text = std::vec![b'a'; 2048];
        let whole = peer_frame16(role, true, 0x1, 2048, &text);
        assert_eq!(takes(&whole), Some((header, 2048)), "{role:?}");
        let binary = peer_frame16(role, true, 0x2, 126, &text[..126]);
        assert_eq!(takes(&binary), Some((header, 126)), "{role:?}");
        // Split, over the message limit, not minimal, fragmented, a continuation, a
        // reserved bit, a control opcode, the wrong mask bit, a 64-bit length: the loop.
        assert_eq!(takes(&whole[..whole.len() - 1]), None, "{role:?}: split");
        assert_eq!(takes(&whole[..3]), None, "{role:?}: split length");
        let over = peer_frame16(role, true, 0x2, 2049, &std::vec![0; 2049]);
        assert_eq!(takes(&over), None, "{role:?}: over the limit");
        let short = peer_frame16(role, true, 0x2, 125, &text[..125]);
        assert_eq!(takes(&short), None, "{role:?}: not minimal");
        for first in [0x01, 0x80, 0xc2, 0x89] {
            let mut other = whole.clone();
            other[0] = first;
            assert_eq!(takes(&other), None, "{role:?}: first byte {first:#x}");
        }
        let mut unmasked = whole.clone();
        unmasked[1] ^= 0x80;
        assert_eq!(takes(&unmasked), None, "{role:?}: mask bit");
        let mut long = whole.clone();
        long[1] |= 127;
        assert_eq!(takes(&long), None, "{role:?}: 64-bit length");
    }
    // A text longer than one block goes to the loop, which delivers it a block at a time.
    let conn = Connection::upgraded(config(), Role::Client, mask as ClientMask, T0);
    let len = receive::TEXT_BLOCK_LEN + 1;
    let text = peer_frame16(Role::Client, true, 0x1, len as u16, &std::vec![b'a'; len]);
    assert!(conn.core.extended_frame(&text).is_none());
    let binary = peer_frame16(Role::Client, true, 0x2, len as u16, &std::vec![b'a'; len]);
    assert!(conn.core.extended_frame(&binary).is_some());
    // Shut with the first fast path's gate: a message in flight, and after our Close.
    let mut conn = Connection::upgraded(config(), Role::Client, mask as ClientMask, T0);
    let whole = peer_frame16(Role::Client, true, 0x2, 200, &[7; 200]);
    assert!(
        feed(&mut conn, &peer_frame(Role::Client, false, 0x1, b"he"))
            .unwrap()
            .is_some()
    );
    assert!(
        conn.core.extended_frame(&whole).is_none(),
        "message in flight"
    );
    assert!(
        feed(&mut conn, &peer_frame(Role::Client, true, 0x0, b"y"))
            .unwrap()
            .is_some()
    );
    assert!(conn.core.extended_frame(&whole).is_some(), "message done");
    conn.close(T0, CloseCode::Normal, "", &mut [0u8; 64])
        .unwrap();
    assert!(conn.core.extended_frame(&whole).is_none(), "close sent");
}
